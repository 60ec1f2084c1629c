"""Request and response shapes of the assessments API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from careweave.core.api import Input


class InstrumentOut(Schema):
    code: str
    version: str
    name: dict[str, str]
    title: dict[str, str]
    languages: list[str]
    audience: str = Field(description="care_team (every care role on the team) or "
                          "professional (clinicians, nurses, social workers, coordinators).")
    licence: dict[str, str]
    scoring_method: str
    url: str
    questionnaire: str = Field(description="The definition as a FHIR R4 Questionnaire.")


class InstrumentDetailOut(InstrumentOut):
    definition: dict[str, Any] = Field(description="Items, answer options with values, "
                                       "scoring rules, bands, missing-item rule, flags.")
    versions: list[str]


class AssessmentIn(Input):
    instrument: str = Field(max_length=40, description="The instrument's code, e.g. phq9.")
    version: str | None = Field(None, max_length=40, description="The instrument version "
                                "(its current one if left out).")
    answers: dict[str, str | list[str]] = Field(
        description="Question code -> option code (or a list of option codes for 'choose "
        "all that apply', or text).", max_length=200)
    taken_on: dt.date | None = Field(None, description="The date of the assessment (today "
                                     "if left out; not in the future).")
    language: str | None = Field(None, max_length=8, description="en or sv.")


class CorrectionIn(Input):
    answers: dict[str, str | list[str]] = Field(max_length=200)
    reason: str = Field(max_length=2000)


class ScoreOut(Schema):
    total: int | None
    band: str
    band_label: str
    prorated: bool
    scoring_version: str
    unscored_reason: str
    domains: dict[str, str]
    concerns: list[str]
    flags: list[str]


class AssessmentOut(Schema):
    id: uuid.UUID
    url: str
    instrument: str
    instrument_version: str
    status: str
    mode: str
    language: str
    taken_on: dt.date
    submitted_at: dt.datetime | None
    organisation: str
    recorded_by: str
    answers: dict[str, Any]
    score: ScoreOut
    version: int
    corrects: uuid.UUID | None
    corrected_by: uuid.UUID | None
    correction_reason: str
    change: str = Field("", description="Compared with the score before it: first, "
                        "reliable_improvement, reliable_deterioration, recovery, "
                        "reliable_recovery, no_reliable_change (lists only).")


class AssessmentPage(Schema):
    items: list[AssessmentOut]
    next_cursor: str | None


class FlagOut(Schema):
    id: uuid.UUID
    code: str
    status: str
    assessment: uuid.UUID
    raised_at: dt.datetime
    reviewed_at: dt.datetime | None
    reviewed_by: str
    review_note: str
    version: int


class FlagReviewIn(Input):
    note: str = Field(max_length=8000)
