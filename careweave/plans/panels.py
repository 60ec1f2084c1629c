"""What ``plans`` adds to the person's pages through the registry: the plans panel, the
crisis banner (shown first while a crisis is recorded), the timeline kinds its services
write, the "review overdue" caseload flag, and its demo and seed steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.access.policy import Action
from careweave.core.registry import (
    CaseloadFlag,
    DemoStep,
    Panel,
    PersonBanner,
    TimelineKind,
    registry,
)
from careweave.plans import rules, selectors
from careweave.plans.models import AgreementMethod, CrisisPlan, Plan, PlanAction, PlanType

_CRISIS = "_cw_plans_crisis"


def _crisis_plan(person: Any) -> CrisisPlan | None:
    """The person's crisis plan, read once per page (the banner and the panel share it)."""
    if not hasattr(person, _CRISIS):
        found = (CrisisPlan.objects.filter(person=person)
                 .select_related("crisis_recorded_by__organisation").first())
        setattr(person, _CRISIS, found)
    return getattr(person, _CRISIS)


def crisis_banner(actor: Any, person: Any, decision: Any) -> dict[str, Any] | None:
    crisis = _crisis_plan(person)
    if crisis is None or crisis.crisis_since is None:
        return None
    return {"crisis": crisis, "contacts": list(crisis.contacts.order_by("position"))}


def plans_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    today = timezone.localdate()
    plans = list(Plan.objects.filter(person=person, closed_at__isnull=True)
                 .select_related("coordinating_organisation", "coordinator__user")
                 .order_by("plan_type", "created_at"))
    for plan in plans:
        plan.overdue = rules.review_overdue(plan.follow_up_date, today)  # type: ignore[attr-defined]
    return {"plans": plans, "crisis_plan": _crisis_plan(person),
            "may_change": decision.may(Action.CHANGE_PLAN),
            "may_change_crisis": decision.may(Action.CHANGE_CRISIS_PLAN)}


def overdue_flags(actor: Any, people: Sequence[Any]) -> dict[Any, str]:
    """One query for the whole page of the caseload."""
    overdue = selectors.overdue_people([p.pk for p in people], timezone.localdate())
    return {pk: _("Review overdue") for pk in overdue}


# -- timeline kinds --------------------------------------------------------------------------


def _type(code: str) -> str:
    return str(dict(PlanType.choices).get(code, code))


def _date(value: str) -> str:
    return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT") if value else "–"


def describe_created(entry: Any) -> str:
    return _("%(type)s started, coordinated by %(organisation)s.") % {
        "type": _type(entry.data["plan_type"]), "organisation": entry.data["coordinator"]}


def describe_agreed(entry: Any) -> str:
    data = entry.data
    text = _("Version %(n)d of the %(type)s was agreed on %(date)s (%(how)s).") % {
        "n": data["number"], "type": _type(data["plan_type"]).lower(),
        "date": _date(data["agreed_on"]),
        "how": str(dict(AgreementMethod.choices).get(data["method"], data["method"])).lower()}
    if data.get("given_by") == "representative" and data.get("representative_name"):
        text += " " + _("Agreed by %(name)s on the person's behalf.") % {
            "name": data["representative_name"]}
    return text


def describe_reviewed(entry: Any) -> str:
    data = entry.data
    text = _("Follow-up of the %(type)s on %(date)s: %(n)d goals rated.") % {
        "type": _type(data["plan_type"]).lower(), "date": _date(data["held_on"]),
        "n": data["goals"]}
    if data.get("next"):
        text += " " + _("Next follow-up: %(date)s.") % {"date": _date(data["next"])}
    return text


def describe_closed(entry: Any) -> str:
    return _("The %(type)s was closed. Reason: %(reason)s") % {
        "type": _type(entry.data["plan_type"]).lower(), "reason": entry.data["reason"]}


def describe_action(entry: Any) -> str:
    data = entry.data
    status = str(dict(PlanAction.Status.choices).get(data["after"], data["after"])).lower()
    text = _("%(organisation)s marked an action %(status)s: %(description)s") % {
        "organisation": data["organisation"], "status": status,
        "description": data["description"]}
    if data.get("note"):
        text += " " + _("Note: %(note)s") % {"note": data["note"]}
    return text


def describe_crisis(entry: Any) -> str:
    if entry.data.get("source") == "alert":
        return _("An alert recorded a crisis: %(note)s") % {"note": entry.data["note"]}
    return _("A crisis was recorded: %(note)s") % {"note": entry.data["note"]}


def describe_crisis_end(entry: Any) -> str:
    text = _("The crisis was recorded as over.")
    if entry.data.get("note"):
        text += " " + entry.data["note"]
    return text


PLANS = gettext_lazy("Plans")


def register() -> None:
    registry.person_banner(PersonBanner(key="plans.crisis", template="plans/banners/crisis.html",
                                        load=crisis_banner, order=3, app="plans"))
    registry.panel(Panel(key="plans.plans", title=PLANS, template="plans/panels/plans.html",
                         load=plans_panel, order=50, app="plans"))
    for key, label, describe in (
        ("plans.created", gettext_lazy("Plan started"), describe_created),
        ("plans.agreed", gettext_lazy("Plan agreed"), describe_agreed),
        ("plans.reviewed", gettext_lazy("Plan followed up"), describe_reviewed),
        ("plans.closed", gettext_lazy("Plan closed"), describe_closed),
        ("plans.action_status", gettext_lazy("Action in a plan done, held up or cancelled"),
         describe_action),
        ("plans.crisis_started", gettext_lazy("Crisis recorded"), describe_crisis),
        ("plans.crisis_ended", gettext_lazy("Crisis over"), describe_crisis_end),
    ):
        registry.timeline_kind(TimelineKind(key=key, label=label, describe=describe,
                                            group=PLANS, app="plans"))
    registry.caseload_flag(CaseloadFlag(key="plans.review_overdue",
                                        label=gettext_lazy("Review overdue"),
                                        load=overdue_flags, colour="orange", order=50,
                                        app="plans"))
    from careweave.plans import demo, merging

    merging.register()

    registry.demo_step(DemoStep(key="plans.demo", run=demo.demo_step, order=50, app="plans"))
    registry.seed_step(DemoStep(key="plans.seed", run=demo.seed_step, order=50, app="plans"))
