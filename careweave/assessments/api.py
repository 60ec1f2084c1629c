"""Instruments and assessments under /api/v1/.

Instruments: their definitions (and as FHIR R4 Questionnaires). Assessments: submit one
(validated, scored, flags raised: nothing stored if anything is wrong; ``Idempotency-Key``
makes a replay return the first), a person's assessments with their scores, one
assessment, a correction (a new version; ``If-Match``), the person's safety flags and a
clinician's review. Every read of a person's assessments opens the person through the gate
(audited) and applies the audience rule in the query: an assessment you may not see is a
404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router
from ninja.responses import Status
from pydantic import Field

from careweave.assessments import selectors, services
from careweave.assessments.models import Assessment
from careweave.assessments.schemas import (
    AssessmentIn,
    AssessmentOut,
    AssessmentPage,
    CorrectionIn,
    FlagOut,
    FlagReviewIn,
    InstrumentDetailOut,
    InstrumentOut,
)
from careweave.assessments.serializers import assessment_out, flag_out, instrument_out
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.api import ERRORS, JsonAnswer, ProblemOut, QueryIn, actor_of
from careweave.core.db import atomic
from careweave.people.api import expected_version

router = Router(tags=["assessments"])


def _etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = f'W/"{version}"'


# -- instruments --------------------------------------------------------------------------------


@router.get("/instruments", response={200: list[InstrumentOut], **ERRORS},
            url_name="instrument_list", summary="The instruments you may record, with their "
            "current versions")
def list_instruments(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    with atomic():
        rows = [instrument_out(i.current) for i in selectors.instruments(actor=actor)
                if i.current is not None]
        audit_record(actor=actor, action=AuditEvent.Action.SEARCH, object_type="Instrument",
                     purpose="direct_care", detail={"results": len(rows)})
    return rows


class VersionQuery(QueryIn):
    version: str | None = Field(None, max_length=40)


@router.get("/instruments/{code}", response={200: InstrumentDetailOut, **ERRORS},
            url_name="instrument_get", summary="An instrument's definition (its current "
            "version, or ?version=)")
def get_instrument(request: HttpRequest, code: str,
                   filters: Query[VersionQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    found = selectors.instrument(code, filters.version)
    audit_record(actor=actor, action=AuditEvent.Action.READ, object_type="Instrument",
                 object_id=f"{code[:20]}@{found.version}", purpose="direct_care")
    return {**instrument_out(found), "definition": found.definition,
            "versions": [v.version for v in selectors.versions_of(found.instrument)]}


@router.get("/instruments/{code}/questionnaire", response={200: dict[str, Any], **ERRORS},
            url_name="instrument_questionnaire", summary="An instrument as a FHIR R4 "
            "Questionnaire")
def get_questionnaire(request: HttpRequest, code: str,
                      filters: Query[VersionQuery]) -> HttpResponse:
    actor = actor_of(request)
    resource = services.instrument_export(code=code, version=filters.version)
    audit_record(actor=actor, action=AuditEvent.Action.EXPORT, object_type="Instrument",
                 object_id=f"{code[:20]}@{resource['version']}", purpose="direct_care")
    return JsonAnswer(resource)


# -- assessments ---------------------------------------------------------------------------------


class AssessmentQuery(QueryIn):
    instrument: str = Field("", max_length=40)
    cursor: str | None = Field(None, max_length=500)
    size: int = Field(25, ge=1, le=100)


@router.get("/people/{person_id}/assessments", response={200: AssessmentPage, **ERRORS},
            url_name="assessment_list", summary="The person's assessments and scores you may "
            "see, newest first (current versions)")
def list_assessments(request: HttpRequest, person_id: uuid.UUID,
                     filters: Query[AssessmentQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    person, decision = selectors.open_for_assessments(actor, person_id)
    selectors.check_instrument_code(filters.instrument)
    page = selectors.assessments_page(actor=actor, person=person, decision=decision,
                                      instrument_code=filters.instrument,
                                      include_drafts=False, cursor=filters.cursor,
                                      size=filters.size)
    changes: dict[Any, str] = {}
    for code in {row.instrument.code for row in page.items if row.total is not None}:
        for point in selectors.trend(actor=actor, person=person, instrument_code=code):
            changes[point.assessment.pk] = point.change
    return {"items": [assessment_out(row, change=changes.get(row.pk, ""))
                      for row in page.items], "next_cursor": page.next_cursor}


@router.post("/people/{person_id}/assessments",
             response={200: AssessmentOut, 201: AssessmentOut, 409: ProblemOut, **ERRORS},
             url_name="assessment_create", summary="Submit a completed assessment: "
             "validated, scored, flags raised (Idempotency-Key: a replay returns the first, "
             "200)")
def create_assessment(request: HttpRequest, person_id: uuid.UUID, payload: AssessmentIn,
                      response: HttpResponse,
                      idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
                      ) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    row, created = services.assessment_record(
        actor=actor, person_id=person_id, instrument=payload.instrument,
        version=payload.version, answers=payload.answers, taken_on=payload.taken_on,
        language=payload.language, idempotency_key=idempotency_key or "")
    if not created:  # a replay: as it reads now, through the gate and the audience rule
        row = selectors.assessment_detail(actor=actor, person_id=person_id,
                                          assessment_id=row.pk).assessment
    _etag(response, row.version)
    response["Location"] = f"/api/v1/people/{person_id}/assessments/{row.pk}"
    return Status(201 if created else 200, assessment_out(row))


@router.get("/people/{person_id}/assessments/{assessment_id}",
            response={200: AssessmentOut, **ERRORS}, url_name="assessment_get",
            summary="One assessment with its score")
def get_assessment(request: HttpRequest, person_id: uuid.UUID, assessment_id: uuid.UUID,
                   response: HttpResponse) -> dict[str, Any]:
    detail = selectors.assessment_detail(actor=actor_of(request), person_id=person_id,
                                         assessment_id=assessment_id)
    _etag(response, detail.current.version)
    return assessment_out(detail.assessment)


@router.post("/people/{person_id}/assessments/{assessment_id}/corrections",
             response={201: AssessmentOut, 403: ProblemOut, 409: ProblemOut, 412: ProblemOut,
                       428: ProblemOut, **ERRORS},
             url_name="assessment_correct", summary="Correct the answers: a new version with "
             "the reason; the original is kept (If-Match required)")
def correct_assessment(request: HttpRequest, person_id: uuid.UUID, assessment_id: uuid.UUID,
                       payload: CorrectionIn, response: HttpResponse,
                       if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
                       ) -> Status[dict[str, Any]]:
    version = expected_version(if_match)
    row = services.assessment_correct(actor=actor_of(request), person_id=person_id,
                                      assessment_id=assessment_id, answers=payload.answers,
                                      reason=payload.reason, expected_version=version)
    row = Assessment.objects.select_related("instrument", "instrument_version",
                                            "organisation").get(pk=row.pk)
    _etag(response, row.version)
    return Status(201, assessment_out(row))


# -- safety flags ----------------------------------------------------------------------------------


@router.get("/people/{person_id}/safety-flags", response={200: list[FlagOut], **ERRORS},
            url_name="safety_flag_list", summary="The person's open safety flags you may see")
def list_flags(request: HttpRequest, person_id: uuid.UUID) -> list[dict[str, Any]]:
    actor = actor_of(request)
    person, _decision = selectors.open_for_assessments(actor, person_id)
    return [flag_out(f) for f in selectors.open_flags(actor=actor, person=person)]


@router.post("/people/{person_id}/safety-flags/{flag_id}/review",
             response={200: FlagOut, 409: ProblemOut, 412: ProblemOut, 428: ProblemOut,
                       **ERRORS},
             url_name="safety_flag_review", summary="A clinician's review of a safety flag "
             "(If-Match required)")
def review_flag(request: HttpRequest, person_id: uuid.UUID, flag_id: uuid.UUID,
                payload: FlagReviewIn, response: HttpResponse,
                if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
                ) -> dict[str, Any]:
    version = expected_version(if_match)
    flag = services.flag_review(actor=actor_of(request), person_id=person_id, flag_id=flag_id,
                                note=payload.note, expected_version=version)
    _etag(response, flag.version)
    return flag_out(flag)


