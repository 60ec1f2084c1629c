"""Request and response shapes of the medicines API."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from careweave.core.api import Input
from careweave.orgs.schemas import OrganisationRef


class MedicineIn(Input):
    name: str = Field(max_length=2000)
    code_system: str = Field("", max_length=10, description="dmd (UK), npl (Sweden) or empty.")
    code: str = Field("", max_length=100)
    dose: str = Field(max_length=1000)
    route: str = Field(max_length=20, description="oral, sublingual, inhaled, topical, "
                       "transdermal, eye, ear, nasal, subcutaneous, intramuscular, "
                       "intravenous, rectal or other.")
    frequency: str = Field(max_length=1000)
    as_needed: bool = False
    administered_by: str = Field(max_length=20, description="self, carer, care_home, "
                                 "home_care or nurse.")
    instructions: str = Field("", max_length=5000)
    prescriber_id: uuid.UUID | None = None
    prescriber_other: str = Field("", max_length=2000)
    started: dt.date


class MedicinePatchIn(Input):
    name: str | None = Field(None, max_length=2000)
    code_system: str | None = Field(None, max_length=10)
    code: str | None = Field(None, max_length=100)
    dose: str | None = Field(None, max_length=1000)
    route: str | None = Field(None, max_length=20)
    frequency: str | None = Field(None, max_length=1000)
    as_needed: bool | None = None
    administered_by: str | None = Field(None, max_length=20)
    instructions: str | None = Field(None, max_length=5000)
    prescriber_id: uuid.UUID | None = None
    prescriber_other: str | None = Field(None, max_length=2000)
    started: dt.date | None = None
    reason: str = Field("", max_length=5000)


class StopIn(Input):
    stopped: dt.date
    reason: str = Field(max_length=5000)


class ReconcileIn(Input):
    note: str = Field("", max_length=10000)


class MedicineOut(Schema):
    id: uuid.UUID
    name: str
    code_system: str
    code: str
    dose: str
    route: str
    frequency: str
    as_needed: bool
    administered_by: str
    instructions: str
    prescriber: OrganisationRef | None
    prescriber_other: str
    started: dt.date
    stopped: dt.date | None
    stop_reason: str
    status: str
    recorded_by: OrganisationRef
    version: int


class ChangeOut(Schema):
    kind: str
    version: int
    at: dt.datetime
    organisation: OrganisationRef
    by: str
    before: dict
    after: dict
    reason: str


class MedicineDetailOut(MedicineOut):
    history: list[ChangeOut]


class ReviewOut(Schema):
    at: dt.datetime
    by: str
    organisation: OrganisationRef
    note: str
    list_version: str


class MedicineListOut(Schema):
    items: list[MedicineOut]
    list_version: str = Field(description="The whole list's version (also its ETag): send it "
                              "as If-Match to confirm the list in reconciliation.")
    last_review: ReviewOut | None


class KnownOut(Schema):
    organisation: OrganisationRef
    standing: str = Field(description="up_to_date, out_of_date or not_known.")
    knows: dict | None = Field(description="The medicine as this organisation last saw it.")


class ReconciliationRowOut(Schema):
    medicine: MedicineOut
    changed_since_review: bool
    organisations: list[KnownOut]


class ReconciliationOut(Schema):
    rows: list[ReconciliationRowOut]
    list_version: str
    last_review: ReviewOut | None
    unreviewed: int
