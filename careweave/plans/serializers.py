"""Plans as the API shows them (plain dicts matching careweave.plans.schemas)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from careweave.plans import rules, states
from careweave.plans.models import CrisisPlan, Plan, PlanVersion, Review
from careweave.plans.selectors import PlanView


def _ref(obj: Any, name: str) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": name} if obj is not None else None


def _staff_name(m: Any) -> str:
    return (m.user.get_full_name() or m.user.get_username()) if m is not None else ""


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.pk, "person_id": plan.person_id, "plan_type": plan.plan_type,
        "language": plan.language, "status": plan.status, "agreed_version": plan.agreed_version,
        "version": plan.version,
        "coordinating_organisation": _ref(plan.coordinating_organisation,
                                          plan.coordinating_organisation.name),
        "follow_up_date": plan.follow_up_date,
        "review_overdue": rules.review_overdue(plan.follow_up_date, timezone.localdate(),
                                               closed=plan.closed_at is not None),
        "closed_at": plan.closed_at,
    }


def version_out(v: PlanVersion) -> dict[str, Any]:
    return {"number": v.number, "agreed_on": v.agreed_on, "given_by": v.given_by,
            "representative_name": v.representative_name, "method": v.method,
            "note": v.note, "recorded_by": v.organisation_name}


def review_out(r: Review) -> dict[str, Any]:
    return {"id": r.pk, "held_on": r.held_on, "account": r.account,
            "next_follow_up": r.next_follow_up,
            "organisation": r.organisation.name if r.organisation else "",
            "ratings": [{"goal_id": g.goal_id, "professional_score": g.professional_score,
                         "person_score": g.person_score, "comment": g.comment}
                        for g in r.ratings.all()]}


def plan_out(view: PlanView, *, actor: Any, may_see: set[Any],
             may_move: bool) -> dict[str, Any]:
    from careweave.plans.services import parties_of

    plan = view.plan
    out = plan_summary(plan)
    out.update({
        "situation": plan.situation, "what_matters": plan.what_matters,
        "contingency": plan.contingency,
        "coordinator": _ref(plan.coordinator, _staff_name(plan.coordinator)),
        "goals": [{"id": g.pk, "kind": g.kind, "own_words": g.own_words,
                   "measurable": g.measurable, "target_date": g.target_date,
                   "levels": {str(s): getattr(g, rules.level_field(s)) for s in rules.GAS_SCORES}}
                  for g in view.live.goals],
        "actions": [{
            "id": a.pk, "description": a.description, "goal_id": a.goal_id,
            "organisation": _ref(a.organisation, a.organisation.name),
            "staff": _ref(a.staff, _staff_name(a.staff)), "start_date": a.start_date,
            "due_date": a.due_date, "status": a.status,
            "may_move_to": [s.value for s in states.next_statuses(
                a.status, parties_of(actor, plan, a))] if may_move else [],
            "owner_can_see_record": a.organisation_id in may_see,
        } for a in view.live.actions],
        "sections": [{"id": s.pk, "heading": s.heading, "body": s.body,
                      "sensitive": s.sensitive} for s in view.live.sections],
        "sections_withheld": view.withheld,
        "participants": [{"id": p.pk, "kind": p.kind, "name": p.name, "role": p.role,
                          "organisation": _ref(p.organisation, p.organisation.name)
                          if p.organisation else None} for p in view.live.participants],
        "organisation_agreements": [
            {"organisation": {"id": org_id, "name": item["name"]},
             "agreed": item["agreed"] is not None,
             "agreed_at": item["agreed"]["at"] if item["agreed"] else None}
            for org_id, item in view.agreements.items()],
        "versions": [version_out(v) for v in view.versions],
        "reviews": [review_out(r) for r in view.reviews],
    })
    return out


def crisis_out(c: CrisisPlan) -> dict[str, Any]:
    return {
        "id": c.pk, "person_id": c.person_id, "plan_id": c.plan_id, "version": c.version,
        **{n: getattr(c, n) for n in ("early_warning_signs", "triggers", "what_helps",
                                      "others_do", "others_avoid", "medication_notes",
                                      "advance_statements")},
        "contacts": [{"position": x.position, "name": x.name, "relationship": x.relationship,
                      "phone": x.phone, "notes": x.notes}
                     for x in c.contacts.order_by("position")],
        "crisis_since": c.crisis_since, "crisis_note": c.crisis_note,
        "crisis_source": c.crisis_source,
    }
