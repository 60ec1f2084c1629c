"""Request and response shapes of the plans API.

Text limits here are generous (four times the stored limit) so that the service, which
normalises text first, gives the same message as the pages for a value just too long; a
huge value is refused before it reaches it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from careweave.core.api import Input
from careweave.plans.services import LIMITS


def _t(name: str) -> Any:
    return Field(None, max_length=LIMITS[name] * 4)


class PlanCreateIn(Input):
    plan_type: str = Field(..., max_length=40, description="sip, care_support or mental_health")
    language: str | None = Field(None, max_length=5, description="en or sv")
    coordinating_organisation_id: uuid.UUID
    coordinator_id: uuid.UUID | None = None
    situation: str | None = _t("situation")
    what_matters: str | None = _t("what_matters")
    follow_up_date: dt.date | None = None
    contingency: str | None = _t("contingency")


class PlanPatchIn(Input):
    language: str | None = Field(None, max_length=5)
    coordinating_organisation_id: uuid.UUID | None = None
    coordinator_id: uuid.UUID | None = None
    situation: str | None = _t("situation")
    what_matters: str | None = _t("what_matters")
    follow_up_date: dt.date | None = None
    contingency: str | None = _t("contingency")
    reason: str | None = _t("reason")


class PlanReasonIn(Input):
    reason: str = Field("", max_length=LIMITS["reason"] * 4)


class PlanGoalIn(Input):
    kind: str = Field("sub", max_length=20, description="overall or sub")
    own_words: str = Field(..., max_length=LIMITS["own_words"] * 4)
    measurable: str = Field(..., max_length=LIMITS["measurable"] * 4)
    target_date: dt.date
    level_m2: str = Field(..., max_length=LIMITS["level"] * 4, description="−2")
    level_m1: str = Field(..., max_length=LIMITS["level"] * 4, description="−1")
    level_0: str = Field(..., max_length=LIMITS["level"] * 4, description="0: as expected")
    level_p1: str = Field(..., max_length=LIMITS["level"] * 4, description="+1")
    level_p2: str = Field(..., max_length=LIMITS["level"] * 4, description="+2")
    reason: str | None = _t("reason")


class PlanGoalPatchIn(Input):
    kind: str | None = Field(None, max_length=20)
    own_words: str | None = _t("own_words")
    measurable: str | None = _t("measurable")
    target_date: dt.date | None = None
    level_m2: str | None = _t("level")
    level_m1: str | None = _t("level")
    level_0: str | None = _t("level")
    level_p1: str | None = _t("level")
    level_p2: str | None = _t("level")
    reason: str | None = _t("reason")


class PlanActionIn(Input):
    description: str = Field(..., max_length=LIMITS["description"] * 4)
    organisation_id: uuid.UUID
    staff_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    reason: str | None = _t("reason")


class PlanActionPatchIn(Input):
    description: str | None = _t("description")
    organisation_id: uuid.UUID | None = None
    staff_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    reason: str | None = _t("reason")


class PlanActionStatusIn(Input):
    status: str = Field(..., max_length=20,
                        description="planned, in_progress, on_hold, done or cancelled")
    note: str = Field("", max_length=LIMITS["reason"] * 4)


class PlanSectionIn(Input):
    heading: str = Field(..., max_length=LIMITS["heading"] * 4)
    body: str = Field(..., max_length=LIMITS["body"] * 4)
    sensitive: bool = False
    reason: str | None = _t("reason")


class PlanSectionPatchIn(Input):
    heading: str | None = _t("heading")
    body: str | None = _t("body")
    sensitive: bool | None = None
    reason: str | None = _t("reason")


class PlanParticipantIn(Input):
    kind: str = Field(..., max_length=20)
    name: str = Field(..., max_length=LIMITS["name"] * 4)
    role: str = Field("", max_length=LIMITS["role"] * 4)
    organisation_id: uuid.UUID | None = None


class PlanAgreementIn(Input):
    given_by: str = Field(..., max_length=20, description="person or representative")
    method: str = Field(..., max_length=20, description="meeting, verbal, written or digital")
    agreed_on: dt.date | None = Field(None, description="Today if left out.")
    representative_name: str = Field("", max_length=LIMITS["name"] * 4)
    note: str = Field("", max_length=LIMITS["note"] * 4)


class PlanRatingIn(Input):
    goal_id: str = Field(..., max_length=64)
    professional_score: int = Field(..., description="−2 … +2")
    person_score: int | None = Field(None, description="−2 … +2, or null if the person did "
                                     "not rate it")
    comment: str = Field("", max_length=LIMITS["comment"] * 4)


class PlanReviewIn(Input):
    held_on: dt.date
    account: str = Field("", max_length=LIMITS["account"] * 4)
    next_follow_up: dt.date | None = None
    ratings: list[PlanRatingIn] = Field(..., max_length=50)


class CrisisContactIn(Input):
    name: str = Field(..., max_length=LIMITS["name"] * 4)
    relationship: str = Field("", max_length=LIMITS["role"] * 4)
    phone: str = Field(..., max_length=LIMITS["phone"] * 4)
    notes: str = Field("", max_length=LIMITS["contact_notes"] * 4)


class CrisisPlanIn(Input):
    plan_id: uuid.UUID | None = None
    early_warning_signs: str = Field(..., max_length=LIMITS["crisis"] * 4)
    triggers: str = Field("", max_length=LIMITS["crisis"] * 4)
    what_helps: str = Field("", max_length=LIMITS["crisis"] * 4)
    others_do: str = Field("", max_length=LIMITS["crisis"] * 4)
    others_avoid: str = Field("", max_length=LIMITS["crisis"] * 4)
    medication_notes: str = Field("", max_length=LIMITS["crisis"] * 4)
    advance_statements: str = Field("", max_length=LIMITS["crisis"] * 4)
    contacts: list[CrisisContactIn] = Field(default_factory=list, max_length=20)


class CrisisPlanPatchIn(Input):
    early_warning_signs: str | None = _t("crisis")
    triggers: str | None = _t("crisis")
    what_helps: str | None = _t("crisis")
    others_do: str | None = _t("crisis")
    others_avoid: str | None = _t("crisis")
    medication_notes: str | None = _t("crisis")
    advance_statements: str | None = _t("crisis")
    contacts: list[CrisisContactIn] | None = Field(None, max_length=20,
                                             description="The whole list, in order.")


class CrisisNoteIn(Input):
    note: str = Field("", max_length=LIMITS["reason"] * 4)


# -- answers ----------------------------------------------------------------------------------


class PlanRef(Schema):
    id: uuid.UUID
    name: str


class PlanGoalOut(Schema):
    id: uuid.UUID
    kind: str
    own_words: str
    measurable: str
    target_date: dt.date
    levels: dict[str, str]


class PlanActionOut(Schema):
    id: uuid.UUID
    description: str
    goal_id: uuid.UUID | None
    organisation: PlanRef
    staff: PlanRef | None
    start_date: dt.date | None
    due_date: dt.date | None
    status: str
    may_move_to: list[str] = Field(description="The statuses you may move it to now.")
    owner_can_see_record: bool


class PlanSectionOut(Schema):
    id: uuid.UUID
    heading: str
    body: str
    sensitive: bool


class PlanParticipantOut(Schema):
    id: uuid.UUID
    kind: str
    name: str
    role: str
    organisation: PlanRef | None


class PlanOrganisationAgreementOut(Schema):
    organisation: PlanRef
    agreed: bool
    agreed_at: dt.datetime | None


class PlanVersionOut(Schema):
    number: int
    agreed_on: dt.date
    given_by: str
    representative_name: str
    method: str
    note: str
    recorded_by: str


class PlanRatingOut(Schema):
    goal_id: uuid.UUID
    professional_score: int
    person_score: int | None
    comment: str


class PlanReviewOut(Schema):
    id: uuid.UUID
    held_on: dt.date
    account: str
    next_follow_up: dt.date | None
    organisation: str
    ratings: list[PlanRatingOut]


class PlanSummaryOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    plan_type: str
    language: str
    status: str
    agreed_version: int
    version: int
    coordinating_organisation: PlanRef
    follow_up_date: dt.date | None
    review_overdue: bool
    closed_at: dt.datetime | None


class PlanOut(PlanSummaryOut):
    situation: str
    what_matters: str
    contingency: str
    coordinator: PlanRef | None
    goals: list[PlanGoalOut]
    actions: list[PlanActionOut]
    sections: list[PlanSectionOut]
    sections_withheld: int = Field(description="Sections not shown to you: the person's "
                                   "consent does not cover your organisation.")
    participants: list[PlanParticipantOut]
    organisation_agreements: list[PlanOrganisationAgreementOut]
    versions: list[PlanVersionOut]
    reviews: list[PlanReviewOut]


class PlanVersionDetailOut(PlanVersionOut):
    plan_id: uuid.UUID
    content: dict[str, Any] = Field(description="The plan as agreed (sections you may not "
                                    "see left out).")
    sections_withheld: int


class PlanItemChangeOut(Schema):
    id: str
    change: str
    fields: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class PlanFieldChangeOut(Schema):
    field: str
    before: Any = None
    after: Any = None


class PlanChangeOut(Schema):
    at: dt.datetime
    kind: str
    fields: list[str]
    reason: str
    staff: str
    organisation: str


class PlanComparisonOut(Schema):
    from_version: int
    to_version: int | None = Field(description="null: the plan as it reads now")
    plan_fields: list[PlanFieldChangeOut]
    goals: list[PlanItemChangeOut]
    actions: list[PlanItemChangeOut]
    sections: list[PlanItemChangeOut]
    participants: list[PlanItemChangeOut]
    changes: list[PlanChangeOut]


class CrisisContactOut(Schema):
    position: int
    name: str
    relationship: str
    phone: str
    notes: str


class CrisisPlanOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    plan_id: uuid.UUID | None
    version: int
    early_warning_signs: str
    triggers: str
    what_helps: str
    others_do: str
    others_avoid: str
    medication_notes: str
    advance_statements: str
    contacts: list[CrisisContactOut]
    crisis_since: dt.datetime | None
    crisis_note: str
    crisis_source: str
