"""Request and response shapes. Inputs forbid unknown fields (a typo is a 422, not a no-op)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

IdentifierSystem = Literal["nhs", "se-pnr", "se-snr"]
CountryCode = Literal["GB", "SE"]
LivingSituationCode = Literal[
    "alone", "with_family", "care_home", "supported", "homeless", "other", ""
]


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


# -- people --------------------------------------------------------------------------------


class IdentifierIn(Input):
    system: IdentifierSystem
    value: str = Field(max_length=40)


class IdentifierOut(Schema):
    system: str
    value: str
    display: str


class AreaOut(Schema):
    code: str
    name: str


class OrganisationRef(Schema):
    id: uuid.UUID
    name: str


class PersonFields(Input):
    """Every field a caller may set. On create the names and birth date are required."""

    country: CountryCode | None = None
    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    preferred_name: str | None = Field(None, max_length=100)
    birth_date: dt.date | None = None
    gender: str | None = Field(None, max_length=40)
    address_line: str | None = Field(None, max_length=200)
    town: str | None = Field(None, max_length=100)
    postcode: str | None = Field(None, max_length=20)
    area_code: str | None = Field(None, max_length=20)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    main_language: str | None = Field(None, max_length=40)
    other_languages: str | None = Field(None, max_length=200)
    interpreter_needed: bool | None = None
    interpreter_language: str | None = Field(None, max_length=40)
    cultural_background: str | None = Field(None, max_length=200)
    faith: str | None = Field(None, max_length=100)
    cultural_needs: str | None = Field(None, max_length=5000)
    living_situation: LivingSituationCode | None = None
    what_matters: str | None = Field(None, max_length=5000)


class PersonCreateIn(PersonFields):
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    birth_date: dt.date
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=5)
    confirm_similar: bool = Field(
        False, description="Create even though someone with the same name and date of birth "
        "is on your caseload.",
    )


class PersonPatchIn(PersonFields):
    identifiers: list[IdentifierIn] | None = Field(None, max_length=5)


class PersonSummary(Schema):
    id: uuid.UUID
    version: int
    country: str
    given_name: str
    family_name: str
    preferred_name: str
    birth_date: dt.date
    gender: str
    identifiers: list[IdentifierOut]
    url: str


class RelatedPersonOut(Schema):
    id: uuid.UUID
    name: str
    relationship: str
    phone: str
    is_next_of_kin: bool
    is_carer: bool
    may_share: bool
    notes: str


class PersonOut(Schema):
    id: uuid.UUID
    version: int
    country: str
    given_name: str
    family_name: str
    preferred_name: str
    birth_date: dt.date
    gender: str
    address_line: str
    town: str
    postcode: str
    area: AreaOut | None
    phone: str
    email: str
    main_language: str
    other_languages: str
    interpreter_needed: bool
    interpreter_language: str
    cultural_background: str
    faith: str
    cultural_needs: str
    living_situation: str
    what_matters: str
    identifiers: list[IdentifierOut]
    network: list[RelatedPersonOut]
    registered_by: OrganisationRef
    created_at: dt.datetime
    updated_at: dt.datetime
    access_basis: str = Field(description="Why the gate let you see this record.")


class PersonPage(Schema):
    items: list[PersonSummary]
    next_cursor: str | None


# -- care team, consent, break-glass -------------------------------------------------------


class StaffRef(Schema):
    id: uuid.UUID
    name: str
    job_title: str


class OrganisationBrief(Schema):
    id: uuid.UUID
    name: str
    kind: str


class CareTeamMemberOut(Schema):
    id: uuid.UUID
    organisation: OrganisationBrief
    staff: StaffRef | None
    role: str
    start_date: dt.date
    end_date: dt.date | None
    end_reason: str
    active: bool


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


# -- audit ---------------------------------------------------------------------------------


class AccessLogEntryOut(Schema):
    at: dt.datetime
    organisation: str
    role: str
    what: str
    emergency: bool


class AccessLogPage(Schema):
    items: list[AccessLogEntryOut]
    next_cursor: str | None


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    username: str
    organisation_name: str
    role: str
    action: str
    outcome: str
    person_id: uuid.UUID | None
    object_type: str
    object_id: str
    purpose: str
    legal_basis: str
    channel: str
    request_id: str
    detail: dict[str, Any]


class AuditPage(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None


# -- directory and self --------------------------------------------------------------------


class OrganisationOut(Schema):
    id: uuid.UUID
    name: str
    kind: str
    country: str
    code: str
    area: AreaOut | None


class UserOut(Schema):
    id: int
    username: str
    name: str


class MembershipOut(Schema):
    id: uuid.UUID
    role: str
    role_display: str
    job_title: str
    organisation: OrganisationRef


class MeOut(Schema):
    user: UserOut
    acting_membership: MembershipOut = Field(
        description="The membership this request acts through (a token's own membership).")
    memberships: list[MembershipOut]
    authenticated_by: Literal["token", "session"]


# -- errors --------------------------------------------------------------------------------


class ProblemOut(Schema):
    """RFC 9457 problem details (served as application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: dict[str, list[str]] | None = None
    confirmable: bool | None = None
    current_version: int | None = None
    existing: str | None = Field(
        None, description="On a duplicate identifier: the existing record, if you may see it.")
    similar: list[str] | None = Field(
        None, description="On a possible duplicate: records on your caseload to check.")


class HealthOut(Schema):
    status: Literal["ok", "error"]
    database: str
    tasks: dict[str, Any]
