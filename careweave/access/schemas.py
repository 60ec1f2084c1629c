"""Request and response shapes of the care-team, consent and break-glass API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Schema
from pydantic import Field

from careweave.core.api import Input
from careweave.orgs.schemas import OrganisationBrief, OrganisationRef


class StaffRef(Schema):
    id: uuid.UUID
    name: str
    job_title: str


class SharingOut(Schema):
    can_see: bool = Field(description="Whether the organisation's care staff can read the "
                          "record now.")
    basis: str = Field(description="Why (a stable code, e.g. implied-consent-direct-care, "
                       "explicit-consent, person-objected, no-consent).")
    purpose: str = Field(description="The purpose it reads for: direct_care or coordination.")


class CareTeamMemberOut(Schema):
    id: uuid.UUID
    organisation: OrganisationBrief
    staff: StaffRef | None
    role: str
    start_date: dt.date
    end_date: dt.date | None
    end_reason: str
    active: bool
    registering: bool = Field(False, description="This organisation registered the person.")
    sharing: SharingOut | None = Field(None, description="For active members: who can see "
                                       "the record now, and on what basis.")


class CareTeamAddIn(Input):
    organisation_id: uuid.UUID
    role: str = Field(max_length=100)
    staff_membership_id: uuid.UUID | None = None
    start_date: dt.date | None = None


class ReasonIn(Input):
    reason: str = Field("", max_length=500)


class ConsentOut(Schema):
    id: uuid.UUID
    purpose: str
    decision: str
    covers_all_organisations: bool
    organisations: list[OrganisationRef]
    given_by: str
    representative_name: str
    method: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str
    recorded_by: OrganisationRef | None
    in_force: bool


class ConsentIn(Input):
    purpose: Literal["direct_care", "coordination"]
    decision: Literal["permit", "deny"]
    organisation_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50,
        description="Empty: the consent covers every organisation on the care team.",
    )
    given_by: Literal["person", "representative"] = "person"
    representative_name: str = Field("", max_length=200)
    method: Literal["verbal", "written", "digital"] = "verbal"
    valid_from: dt.datetime | None = None
    valid_to: dt.datetime | None = None


class BreakGlassIn(Input):
    reason: str = Field(max_length=1000)
    identifier: str | None = Field(
        None, max_length=40, description="NHS number, personnummer or samordningsnummer."
    )
    person_id: uuid.UUID | None = None


class BreakGlassOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    url: str
    started_at: dt.datetime
    expires_at: dt.datetime


class TransferIn(Input):
    organisation_id: uuid.UUID
    reason: str = Field(max_length=500)


class RegistrationOut(Schema):
    person_id: uuid.UUID
    registered_by: OrganisationRef


class JoinRequestIn(Input):
    identifier: str = Field(max_length=40, description="NHS number, personnummer or "
                            "samordningsnummer of the person.")
    role: str = Field(max_length=100)
    reason: str = Field(max_length=1000)


class AcceptedOut(Schema):
    detail: str


class JoinRequestOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    organisation: OrganisationRef
    role: str
    reason: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class JoinDecisionIn(Input):
    decision: Literal["accept", "decline"]
    note: str = Field("", max_length=500)


class JoinRequestPage(Schema):
    items: list[JoinRequestOut]
    next_cursor: str | None
