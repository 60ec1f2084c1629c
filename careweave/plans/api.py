"""/people/{person_id}/plans and /people/{person_id}/crisis-plan.

Reads open the person through the gate (audited); writes call
:mod:`careweave.plans.services`. A plan, goal, action or section that is not this
person's is the same audited 404 as a person the caller may not see. Every change to a
plan needs ``If-Match`` with the plan's ``ETag`` (428 without it, 412 when someone changed
the plan since: nothing is written); the answer carries the new ``ETag``. Creates accept an
``Idempotency-Key``: a replay gets what the first request made.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from careweave.access.gate import Action
from careweave.core.api import ERRORS, ProblemOut, actor_of
from careweave.core.errors import ValidationFailed
from careweave.people.api import expected_version
from careweave.plans import comparisons, exports, rules, selectors, services, versions
from careweave.plans.models import (
    CrisisPlan,
    Goal,
    Participant,
    Plan,
    PlanAction,
    PlanLanguage,
    PlanSection,
    Review,
)
from careweave.plans.schemas import (
    CrisisNoteIn,
    CrisisPlanIn,
    CrisisPlanOut,
    CrisisPlanPatchIn,
    PlanActionIn,
    PlanActionOut,
    PlanActionPatchIn,
    PlanActionStatusIn,
    PlanAgreementIn,
    PlanComparisonOut,
    PlanCreateIn,
    PlanGoalIn,
    PlanGoalOut,
    PlanGoalPatchIn,
    PlanOut,
    PlanParticipantIn,
    PlanParticipantOut,
    PlanPatchIn,
    PlanReasonIn,
    PlanReviewIn,
    PlanReviewOut,
    PlanSectionIn,
    PlanSectionOut,
    PlanSectionPatchIn,
    PlanSummaryOut,
    PlanVersionDetailOut,
    PlanVersionOut,
)
from careweave.plans.serializers import (
    crisis_out,
    plan_out,
    plan_summary,
    review_out,
    version_out,
)

router = Router(tags=["plans"])

WRITE = {409: ProblemOut, 412: ProblemOut, 428: ProblemOut, **ERRORS}
IF_MATCH = Header(None, alias="If-Match",
                  description='Required: the ETag of your last read of the plan, W/"3". Without '
                              "it, or with *, the answer is 428; with any other value that is "
                              "not the plan's current version, 412.")
IDEMPOTENCY = Header(None, alias="Idempotency-Key")


def expected(if_match: str | None) -> int:
    """The plan version If-Match names: 428 without one (or with *), 412 for anything that
    is not one of our ETags; the same rules as a person's record."""
    return expected_version(if_match)


def _etag(response: HttpResponse, plan_id: Any) -> None:
    version = Plan.objects.filter(pk=plan_id).values_list("version", flat=True).first()
    if version is not None:
        response["ETag"] = f'W/"{version}"'


def _key(value: str | None) -> str:
    return (value or "").strip()


# -- plans ---------------------------------------------------------------------------------------


@router.get("/people/{person_id}/plans", response={200: list[PlanSummaryOut], **ERRORS},
            url_name="plan_list", summary="The person's plans (open ones first)")
def list_plans(request: HttpRequest, person_id: uuid.UUID) -> list[dict[str, Any]]:
    _person, _decision, plans = selectors.plans_of(actor=actor_of(request), person_id=person_id)
    return [plan_summary(p) for p in plans]


def _plan(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
          response: HttpResponse) -> dict[str, Any]:
    actor = actor_of(request)
    view = selectors.plan_view(actor=actor, person_id=person_id, plan_id=plan_id)
    may_see = set(selectors.organisations_that_may_see(view.person))
    response["ETag"] = view.plan.etag
    return plan_out(view, actor=actor, may_see=may_see,
                    may_move=view.decision.may(Action.UPDATE_ACTION_STATUS) and view.plan.is_open)


@router.post("/people/{person_id}/plans", response={201: PlanOut, **WRITE},
             url_name="plan_create", summary="Start a plan (one open plan per type)")
def create_plan(request: HttpRequest, person_id: uuid.UUID, payload: PlanCreateIn,
                response: HttpResponse,
                idempotency_key: str | None = IDEMPOTENCY) -> Status[dict[str, Any]]:
    plan = services.plan_create(actor=actor_of(request), person_id=person_id,
                                data=payload.model_dump(exclude_unset=True),
                                idempotency_key=_key(idempotency_key))
    return Status(201, _plan(request, person_id, plan.pk, response))


@router.get("/people/{person_id}/plans/{plan_id}", response={200: PlanOut, **ERRORS},
            url_name="plan_get", summary="One plan, as you may see it (ETag)")
def get_plan(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
             response: HttpResponse) -> dict[str, Any]:
    return _plan(request, person_id, plan_id, response)


@router.patch("/people/{person_id}/plans/{plan_id}", response={200: PlanOut, **WRITE},
              url_name="plan_update", summary="Change the plan's details (If-Match)")
def update_plan(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                payload: PlanPatchIn, response: HttpResponse,
                if_match: str | None = IF_MATCH) -> dict[str, Any]:
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason", "") or ""
    services.plan_update(actor=actor_of(request), person_id=person_id, plan_id=plan_id,
                         expected_version=expected(if_match), changes=changes, reason=reason)
    return _plan(request, person_id, plan_id, response)


@router.post("/people/{person_id}/plans/{plan_id}/close", response={200: PlanOut, **WRITE},
             url_name="plan_close", summary="Close the plan, with a reason (If-Match)")
def close_plan(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
               payload: PlanReasonIn, response: HttpResponse,
               if_match: str | None = IF_MATCH) -> dict[str, Any]:
    services.plan_close(actor=actor_of(request), person_id=person_id, plan_id=plan_id,
                        expected_version=expected(if_match), reason=payload.reason)
    return _plan(request, person_id, plan_id, response)


# -- goals ---------------------------------------------------------------------------------------


def goal_out(g: Goal) -> dict[str, Any]:
    return {"id": g.pk, "kind": g.kind, "own_words": g.own_words, "measurable": g.measurable,
            "target_date": g.target_date,
            "levels": {str(s): getattr(g, rules.level_field(s)) for s in rules.GAS_SCORES}}


@router.post("/people/{person_id}/plans/{plan_id}/goals", response={201: PlanGoalOut, **WRITE},
             url_name="goal_add", summary="Add a goal in the person's words (If-Match)")
def add_goal(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID, payload: PlanGoalIn,
             response: HttpResponse, if_match: str | None = IF_MATCH,
             idempotency_key: str | None = IDEMPOTENCY) -> Status[dict[str, Any]]:
    data = payload.model_dump()
    reason = data.pop("reason", "") or ""
    goal = services.goal_add(actor=actor_of(request), person_id=person_id, plan_id=plan_id,
                             expected_version=expected(if_match), data=data, reason=reason,
                             idempotency_key=_key(idempotency_key))
    _etag(response, plan_id)
    return Status(201, goal_out(goal))


@router.patch("/people/{person_id}/plans/{plan_id}/goals/{goal_id}",
              response={200: PlanGoalOut, **WRITE}, url_name="goal_update",
              summary="Change a goal (If-Match)")
def update_goal(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                goal_id: uuid.UUID, payload: PlanGoalPatchIn, response: HttpResponse,
                if_match: str | None = IF_MATCH) -> dict[str, Any]:
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason", "") or ""
    goal = services.goal_update(actor=actor_of(request), person_id=person_id, plan_id=plan_id,
                                goal_id=goal_id, expected_version=expected(if_match),
                                changes=changes, reason=reason)
    _etag(response, plan_id)
    return goal_out(goal)


@router.post("/people/{person_id}/plans/{plan_id}/goals/{goal_id}/remove",
             response={200: PlanGoalOut, **WRITE}, url_name="goal_remove",
             summary="Remove a goal, with a reason (If-Match)")
def remove_goal(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                goal_id: uuid.UUID, payload: PlanReasonIn, response: HttpResponse,
                if_match: str | None = IF_MATCH) -> dict[str, Any]:
    goal = services.goal_remove(actor=actor_of(request), person_id=person_id, plan_id=plan_id,
                                goal_id=goal_id, expected_version=expected(if_match),
                                reason=payload.reason)
    _etag(response, plan_id)
    return goal_out(goal)


# -- actions ------------------------------------------------------------------------------------


def action_out(request: HttpRequest, a: PlanAction) -> dict[str, Any]:
    from careweave.plans import states

    a = PlanAction.objects.select_related("organisation", "staff__user", "plan").get(pk=a.pk)
    return {"id": a.pk, "description": a.description, "goal_id": a.goal_id,
            "organisation": {"id": a.organisation_id, "name": a.organisation.name},
            "staff": {"id": a.staff_id, "name": a.staff.user.get_full_name()} if a.staff else None,
            "start_date": a.start_date, "due_date": a.due_date, "status": a.status,
            "may_move_to": [s.value for s in states.next_statuses(
                a.status, services.parties_of(actor_of(request), a.plan, a))],
            "owner_can_see_record": True}


@router.post("/people/{person_id}/plans/{plan_id}/actions", response={201: PlanActionOut, **WRITE},
             url_name="action_add",
             summary="Add an action owned by an organisation that may see the person (If-Match)")
def add_action(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
               payload: PlanActionIn, response: HttpResponse, if_match: str | None = IF_MATCH,
               idempotency_key: str | None = IDEMPOTENCY) -> Status[dict[str, Any]]:
    data = payload.model_dump()
    reason = data.pop("reason", "") or ""
    action = services.action_add(actor=actor_of(request), person_id=person_id, plan_id=plan_id,
                                 expected_version=expected(if_match), data=data, reason=reason,
                                 idempotency_key=_key(idempotency_key))
    _etag(response, plan_id)
    return Status(201, action_out(request, action))


@router.patch("/people/{person_id}/plans/{plan_id}/actions/{action_id}",
              response={200: PlanActionOut, **WRITE}, url_name="action_update",
              summary="Change an action (If-Match)")
def update_action(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                  action_id: uuid.UUID, payload: PlanActionPatchIn, response: HttpResponse,
                  if_match: str | None = IF_MATCH) -> dict[str, Any]:
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason", "") or ""
    action = services.action_update(actor=actor_of(request), person_id=person_id,
                                    plan_id=plan_id, action_id=action_id,
                                    expected_version=expected(if_match), changes=changes,
                                    reason=reason)
    _etag(response, plan_id)
    return action_out(request, action)


@router.post("/people/{person_id}/plans/{plan_id}/actions/{action_id}/status",
             response={200: PlanActionOut, 403: ProblemOut, **WRITE}, url_name="action_status",
             summary="Move an action along its state table, as its owner or the coordinator "
             "(If-Match)")
def move_action(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                action_id: uuid.UUID, payload: PlanActionStatusIn, response: HttpResponse,
                if_match: str | None = IF_MATCH) -> dict[str, Any]:
    action = services.action_transition(actor=actor_of(request), person_id=person_id,
                                        plan_id=plan_id, action_id=action_id,
                                        expected_version=expected(if_match),
                                        status=payload.status, note=payload.note)
    _etag(response, plan_id)
    return action_out(request, action)


@router.post("/people/{person_id}/plans/{plan_id}/actions/{action_id}/remove",
             response={200: PlanActionOut, **WRITE}, url_name="action_remove",
             summary="Remove an action, with a reason (If-Match)")
def remove_action(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                  action_id: uuid.UUID, payload: PlanReasonIn, response: HttpResponse,
                  if_match: str | None = IF_MATCH) -> dict[str, Any]:
    action = services.action_remove(actor=actor_of(request), person_id=person_id,
                                    plan_id=plan_id, action_id=action_id,
                                    expected_version=expected(if_match), reason=payload.reason)
    _etag(response, plan_id)
    return action_out(request, action)


# -- sections and participants ------------------------------------------------------------------


def section_out(s: PlanSection) -> dict[str, Any]:
    return {"id": s.pk, "heading": s.heading, "body": s.body, "sensitive": s.sensitive}


@router.post("/people/{person_id}/plans/{plan_id}/sections", response={201: PlanSectionOut, **WRITE},
             url_name="section_add", summary="Add a section, sensitive or not (If-Match)")
def add_section(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                payload: PlanSectionIn, response: HttpResponse,
                if_match: str | None = IF_MATCH) -> Status[dict[str, Any]]:
    data = payload.model_dump()
    reason = data.pop("reason", "") or ""
    section = services.section_add(actor=actor_of(request), person_id=person_id,
                                   plan_id=plan_id, expected_version=expected(if_match),
                                   data=data, reason=reason)
    _etag(response, plan_id)
    return Status(201, section_out(section))


@router.patch("/people/{person_id}/plans/{plan_id}/sections/{section_id}",
              response={200: PlanSectionOut, **WRITE}, url_name="section_update",
              summary="Change a section (If-Match)")
def update_section(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                   section_id: uuid.UUID, payload: PlanSectionPatchIn, response: HttpResponse,
                   if_match: str | None = IF_MATCH) -> dict[str, Any]:
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason", "") or ""
    section = services.section_update(actor=actor_of(request), person_id=person_id,
                                      plan_id=plan_id, section_id=section_id,
                                      expected_version=expected(if_match), changes=changes,
                                      reason=reason)
    _etag(response, plan_id)
    return section_out(section)


@router.post("/people/{person_id}/plans/{plan_id}/sections/{section_id}/remove",
             response={200: PlanSectionOut, **WRITE}, url_name="section_remove",
             summary="Remove a section, with a reason (If-Match)")
def remove_section(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                   section_id: uuid.UUID, payload: PlanReasonIn, response: HttpResponse,
                   if_match: str | None = IF_MATCH) -> dict[str, Any]:
    section = services.section_remove(actor=actor_of(request), person_id=person_id,
                                      plan_id=plan_id, section_id=section_id,
                                      expected_version=expected(if_match),
                                      reason=payload.reason)
    _etag(response, plan_id)
    return section_out(section)


def participant_out(p: Participant) -> dict[str, Any]:
    return {"id": p.pk, "kind": p.kind, "name": p.name, "role": p.role,
            "organisation": {"id": p.organisation_id, "name": p.organisation.name}
            if p.organisation else None}


@router.post("/people/{person_id}/plans/{plan_id}/participants",
             response={201: PlanParticipantOut, **WRITE}, url_name="participant_add",
             summary="Add who took part in planning (If-Match)")
def add_participant(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                    payload: PlanParticipantIn, response: HttpResponse,
                    if_match: str | None = IF_MATCH) -> Status[dict[str, Any]]:
    participant = services.participant_add(actor=actor_of(request), person_id=person_id,
                                           plan_id=plan_id, expected_version=expected(if_match),
                                           data=payload.model_dump())
    _etag(response, plan_id)
    return Status(201, participant_out(participant))


@router.post("/people/{person_id}/plans/{plan_id}/participants/{participant_id}/remove",
             response={200: PlanParticipantOut, **WRITE}, url_name="participant_remove",
             summary="Remove someone from who took part (If-Match)")
def remove_participant(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                       participant_id: uuid.UUID, response: HttpResponse,
                       if_match: str | None = IF_MATCH) -> dict[str, Any]:
    participant = services.participant_remove(actor=actor_of(request), person_id=person_id,
                                              plan_id=plan_id, participant_id=participant_id,
                                              expected_version=expected(if_match))
    _etag(response, plan_id)
    return participant_out(participant)


# -- agreement and versions ---------------------------------------------------------------------


@router.post("/people/{person_id}/plans/{plan_id}/agreement",
             response={201: PlanVersionOut, **WRITE}, url_name="plan_agree",
             summary="Record the person's agreement: freezes a new version (If-Match)")
def agree(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID, payload: PlanAgreementIn,
          response: HttpResponse, if_match: str | None = IF_MATCH,
          idempotency_key: str | None = IDEMPOTENCY) -> Status[dict[str, Any]]:
    version = services.plan_agree(actor=actor_of(request), person_id=person_id, plan_id=plan_id,
                                  expected_version=expected(if_match),
                                  idempotency_key=_key(idempotency_key), **payload.model_dump())
    _etag(response, plan_id)
    response["Location"] = request.path.rsplit("/", 1)[0] + f"/versions/{version.number}"
    return Status(201, version_out(version))


@router.post("/people/{person_id}/plans/{plan_id}/action-agreement",
             response={201: PlanSummaryOut, **WRITE}, url_name="actions_agree",
             summary="Your organisation agrees to its actions as they read now (If-Match)")
def agree_actions(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                  response: HttpResponse,
                  if_match: str | None = IF_MATCH) -> Status[dict[str, Any]]:
    services.actions_agree(actor=actor_of(request), person_id=person_id, plan_id=plan_id,
                           expected_version=expected(if_match))
    _etag(response, plan_id)
    plan = Plan.objects.select_related("coordinating_organisation").get(pk=plan_id)
    return Status(201, plan_summary(plan))


@router.get("/people/{person_id}/plans/{plan_id}/versions", response={200: list[PlanVersionOut],
                                                                      **ERRORS},
            url_name="version_list", summary="Every agreed version, newest first")
def list_versions(request: HttpRequest, person_id: uuid.UUID,
                  plan_id: uuid.UUID) -> list[dict[str, Any]]:
    _person, _decision, plan = selectors.open_plan(actor=actor_of(request), person_id=person_id,
                                                   plan_id=plan_id, object_type="PlanVersion")
    return [version_out(v) for v in plan.versions.defer("snapshot").order_by("-number")]


def _no_version(number: Any) -> services.VersionNotFound:
    return services.VersionNotFound(_("This plan has no version %(n)s.") % {"n": number})


@router.get("/people/{person_id}/plans/{plan_id}/versions/{number}",
            response={200: PlanVersionDetailOut, **ERRORS}, url_name="version_get",
            summary="One agreed version, as agreed")
def get_version(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                number: int) -> dict[str, Any]:
    actor = actor_of(request)
    person, decision, plan = selectors.open_plan(actor=actor, person_id=person_id,
                                                 plan_id=plan_id, object_type="PlanVersion")
    version = selectors.version_of(plan, number) if 0 < number < 10**6 else None
    if version is None:
        raise _no_version(number)
    viewer = selectors.viewer_for(actor, person, decision, plan)
    content, withheld = selectors.filtered(version.snapshot, viewer,
                                           rules.sees_sensitive(viewer, timezone.now()))
    return {**version_out(version), "plan_id": plan.pk, "content": content,
            "sections_withheld": withheld}


class PlanCompareQuery(Schema):
    from_: int = Field(..., alias="from", ge=1, le=10**6, description="A version number.")
    to: str = Field("draft", max_length=12, description="A version number, or draft: the "
                    "plan as it reads now.")


def _item(change: versions.ItemChange) -> dict[str, Any]:
    return {"id": change.id, "change": change.change, "fields": list(change.fields),
            "before": dict(change.before) if change.before else None,
            "after": dict(change.after) if change.after else None}


@router.get("/people/{person_id}/plans/{plan_id}/compare", response={200: PlanComparisonOut,
                                                                     **ERRORS},
            url_name="compare", summary="What changed between two versions, by whom and why")
def compare(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
            query: Query[PlanCompareQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    person, decision, plan = selectors.open_plan(actor=actor, person_id=person_id,
                                                 plan_id=plan_id, object_type="PlanVersion")
    to: int | None = None
    if query.to != "draft":
        if not query.to.isdigit():
            raise ValidationFailed(_("Check the highlighted fields."), errors={
                "to": [_("Give a version number, or draft for the plan as it reads now.")]})
        to = int(query.to)
    found = comparisons.comparison_context(actor, person, decision, plan, query.from_, to)
    comparison = found["comparison"]
    return {
        "from_version": query.from_, "to_version": to,
        "plan_fields": [{"field": n, "before": x, "after": y}
                        for n, x, y in comparison.plan_fields],
        **{kind: [_item(c) for c in comparison.items.get(kind, ())]
           for kind in versions.KINDS},
        "changes": [{"at": c.at, "kind": c.kind, "fields": c.fields, "reason": c.reason,
                     "staff": c.staff_name, "organisation": c.organisation_name}
                    for c in found["changes"]],
    }


# -- reviews and exports ------------------------------------------------------------------------


@router.get("/people/{person_id}/plans/{plan_id}/reviews", response={200: list[PlanReviewOut],
                                                                     **ERRORS},
            url_name="review_list", summary="The follow-ups, with each goal's ratings")
def list_reviews(request: HttpRequest, person_id: uuid.UUID,
                 plan_id: uuid.UUID) -> list[dict[str, Any]]:
    _person, _decision, plan = selectors.open_plan(actor=actor_of(request), person_id=person_id,
                                                   plan_id=plan_id, object_type="Review")
    reviews = (Review.objects.filter(plan=plan).select_related("organisation")
               .prefetch_related("ratings").order_by("held_on", "created_at"))
    return [review_out(r) for r in reviews]


@router.post("/people/{person_id}/plans/{plan_id}/reviews", response={201: PlanReviewOut, **WRITE},
             url_name="review_add",
             summary="Record a follow-up: each goal rated −2…+2 (If-Match)")
def add_review(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
               payload: PlanReviewIn, response: HttpResponse, if_match: str | None = IF_MATCH,
               idempotency_key: str | None = IDEMPOTENCY) -> Status[dict[str, Any]]:
    review = services.review_record(
        actor=actor_of(request), person_id=person_id, plan_id=plan_id,
        expected_version=expected(if_match), held_on=payload.held_on,
        account=payload.account, next_follow_up=payload.next_follow_up,
        ratings=[r.model_dump() for r in payload.ratings],
        idempotency_key=_key(idempotency_key))
    _etag(response, plan_id)
    review = Review.objects.select_related("organisation").prefetch_related("ratings").get(
        pk=review.pk)
    return Status(201, review_out(review))


class PlanExportQuery(Schema):
    format: str = Field("pdf", pattern="^(pdf|json)$", description="pdf or json")
    language: str | None = Field(None, pattern="^(en|sv)$")
    easy_read: bool = False
    version: str | None = Field(None, max_length=12, description="A version number, or "
                                "draft; the last agreed version if left out.")


@router.get("/people/{person_id}/plans/{plan_id}/export",
            response={200: PlanVersionDetailOut, **ERRORS}, url_name="plan_export",
            summary="The agreed plan as a PDF (English or Swedish, easy read) or as JSON",
            openapi_extra={"responses": {200: {
                "description": "format=pdf (the default): the PDF; format=json: the content.",
                "content": {"application/pdf": {"schema": {"type": "string",
                                                           "format": "binary"}}}}}})
def export(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
           query: Query[PlanExportQuery]) -> Any:
    actor = actor_of(request)
    person, decision, plan = selectors.open_plan(actor=actor, person_id=person_id,
                                                 plan_id=plan_id, action=Action.EXPORT_PLAN)
    wanted = query.version or ("" if plan.agreed_version else "draft")
    version = None
    if wanted != "draft":
        number = int(wanted) if wanted.isdigit() and len(wanted) < 7 else None
        version = selectors.version_of(plan, number or plan.agreed_version) if (
            number or not wanted) else None
        if version is None:
            raise _no_version(wanted or "?")
    language = query.language or plan.language or PlanLanguage.EN
    viewer = selectors.viewer_for(actor, person, decision, plan)
    raw = version.snapshot if version else selectors.snapshot(plan, selectors.content(plan))
    content, withheld = selectors.filtered(raw, viewer,
                                           rules.sees_sensitive(viewer, timezone.now()))
    services.export_audited(actor=actor, person_id=person.pk, plan_id=plan.pk,
                            version=version.number if version else None, fmt=query.format,
                            language=language)
    if query.format == "json":
        meta = version_out(version) if version else {
            "number": 0, "agreed_on": timezone.localdate(), "given_by": "", "method": "",
            "representative_name": "", "note": "", "recorded_by": ""}
        return {**meta, "plan_id": plan.pk, "content": content, "sections_withheld": withheld}
    with translation.override(language):
        doc = exports.document(content, person=person, version=version, withheld=withheld,
                               agreements=selectors.agreed_organisations(plan, raw))
    pdf = exports.pdf_of(doc, version=version, language=language, easy_read=query.easy_read)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.pdf_filename(doc, version, language)}"')
    return response


# -- the crisis plan ----------------------------------------------------------------------------


def _crisis(person_id: uuid.UUID, response: HttpResponse) -> dict[str, Any]:
    crisis = CrisisPlan.objects.get(person_id=person_id)
    response["ETag"] = crisis.etag
    return crisis_out(crisis)


@router.get("/people/{person_id}/crisis-plan", response={200: CrisisPlanOut, **ERRORS},
            url_name="crisis_get", summary="The relapse-prevention and crisis plan (ETag)")
def get_crisis_plan(request: HttpRequest, person_id: uuid.UUID,
                    response: HttpResponse) -> dict[str, Any]:
    person, _decision, crisis = selectors.open_crisis_plan(actor=actor_of(request),
                                                           person_id=person_id)
    if crisis is None:
        raise services.VersionNotFound(_("%(name)s has no crisis plan yet.")
                                       % {"name": person.display_name})
    response["ETag"] = crisis.etag
    return crisis_out(crisis)


@router.post("/people/{person_id}/crisis-plan", response={201: CrisisPlanOut, **WRITE},
             url_name="crisis_create", summary="Write the crisis plan (one per person)")
def create_crisis_plan(request: HttpRequest, person_id: uuid.UUID, payload: CrisisPlanIn,
                       response: HttpResponse) -> Status[dict[str, Any]]:
    data = payload.model_dump(exclude={"contacts"})
    data["plan_id"] = str(data["plan_id"]) if data.get("plan_id") else None
    if data["plan_id"] is None:
        data.pop("plan_id")
    services.crisis_plan_create(actor=actor_of(request), person_id=person_id, data=data,
                                contacts=[c.model_dump() for c in payload.contacts])
    return Status(201, _crisis(person_id, response))


@router.patch("/people/{person_id}/crisis-plan", response={200: CrisisPlanOut, **WRITE},
              url_name="crisis_update", summary="Change the crisis plan (If-Match)")
def update_crisis_plan(request: HttpRequest, person_id: uuid.UUID, payload: CrisisPlanPatchIn,
                       response: HttpResponse,
                       if_match: str | None = IF_MATCH) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True, exclude={"contacts"})
    contacts = ([c.model_dump() for c in payload.contacts]
                if payload.contacts is not None else None)
    services.crisis_plan_update(actor=actor_of(request), person_id=person_id,
                                expected_version=expected(if_match), data=data,
                                contacts=contacts)
    return _crisis(person_id, response)


@router.post("/people/{person_id}/crisis-plan/crisis", response={200: CrisisPlanOut, **WRITE},
             url_name="crisis_start",
             summary="Record a crisis: the crisis plan then shows first on the person's pages")
def start_crisis(request: HttpRequest, person_id: uuid.UUID, payload: CrisisNoteIn,
                 response: HttpResponse) -> dict[str, Any]:
    services.crisis_start(actor=actor_of(request), person_id=person_id, note=payload.note)
    return _crisis(person_id, response)


@router.post("/people/{person_id}/crisis-plan/crisis/end",
             response={200: CrisisPlanOut, **WRITE}, url_name="crisis_end",
             summary="Record that the crisis is over")
def end_crisis(request: HttpRequest, person_id: uuid.UUID, payload: CrisisNoteIn,
               response: HttpResponse) -> dict[str, Any]:
    services.crisis_end(actor=actor_of(request), person_id=person_id, note=payload.note)
    return _crisis(person_id, response)
