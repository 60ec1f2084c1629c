"""What the plans tests share: goal and action data, and plans started through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from careweave.plans import services
from careweave.plans.models import Plan


def soon(days: int = 60) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def goal_data(**over: Any) -> dict[str, Any]:
    return {"kind": "sub", "own_words": "Jag vill gå till affären själv.",
            "measurable": "Går till affären två gånger i veckan.", "target_date": soon(90),
            "level_m2": "Går inte ut", "level_m1": "En gång i månaden", "level_0": "Två gånger i veckan",
            "level_p1": "Tre gånger i veckan", "level_p2": "Varje dag", **over}


def plan_of(person: Any, plan_type: str | None = None) -> Plan:
    qs = Plan.objects.filter(person=person, closed_at__isnull=True)
    return (qs.filter(plan_type=plan_type) if plan_type else qs).get()


def fresh(plan: Plan) -> Plan:
    plan.refresh_from_db()
    return plan


def new_plan(actor: Any, person: Any, *, plan_type: str, coordinating: Any,
             **data: Any) -> Plan:
    return services.plan_create(actor=actor, person_id=person.pk, data={
        "plan_type": plan_type, "coordinating_organisation_id": coordinating.pk,
        "language": "sv" if person.country == "SE" else "en", **data})


def add_goal(actor: Any, plan: Plan, **over: Any) -> Any:
    return services.goal_add(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                             expected_version=fresh(plan).version, data=goal_data(**over))


def add_action(actor: Any, plan: Plan, organisation: Any, **over: Any) -> Any:
    return services.action_add(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                               expected_version=fresh(plan).version,
                               data={"description": "Göra något bra.",
                                     "organisation_id": organisation.pk, **over})


def agree(actor: Any, plan: Plan, **over: Any) -> Any:
    return services.plan_agree(actor=actor, person_id=plan.person_id, plan_id=plan.pk,
                               expected_version=fresh(plan).version,
                               **{"given_by": "person", "method": "meeting", **over})
