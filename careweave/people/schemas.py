"""Request and response shapes of the people API. Inputs forbid unknown fields."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from careweave.core.api import Input
from careweave.orgs.schemas import AreaOut, OrganisationRef

IdentifierSystem = Literal["nhs", "se-pnr", "se-snr"]


CountryCode = Literal["GB", "SE"]


LivingSituationCode = Literal[
    "alone", "with_family", "care_home", "supported", "homeless", "other", ""
]


class IdentifierIn(Input):
    system: IdentifierSystem
    value: str = Field(max_length=40)


class IdentifierOut(Schema):
    system: str
    value: str
    display: str


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


class TimelineEntryOut(Schema):
    id: uuid.UUID
    at: dt.datetime
    kind: str = Field(description="A registered kind, such as access.consent_withdrawn.")
    kind_label: str
    text: str = Field(description="What happened, in one sentence in the request's language.")
    organisation: OrganisationRef | None = Field(
        description="The organisation that made the change (none for the system).")
    data: dict[str, Any]


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None


class ReasonOut(Schema):
    code: str = Field(description="A stable code, such as same-birth-date.")
    text: str = Field(description="The reason in the request's language.")


class SimilarOut(Schema):
    """One record a possible-duplicate warning names (409 on create)."""

    url: str
    score: int = Field(ge=0, le=100)
    likely: bool
    reasons: list[ReasonOut]


class DuplicatePersonOut(Schema):
    id: uuid.UUID
    given_name: str
    family_name: str
    birth_date: dt.date
    postcode: str
    identifiers: list[IdentifierOut]
    registered_by: OrganisationRef
    url: str


class DuplicatePairOut(Schema):
    id: uuid.UUID
    score: int = Field(ge=0, le=100, description="How alike the two records are.")
    likely: bool = Field(description="Likely (not only possibly) the same person.")
    reasons: list[ReasonOut]
    a: DuplicatePersonOut
    b: DuplicatePersonOut
    mergeable: bool = Field(description="Your organisation registered both records, so you "
                            "may merge them (POST /merges) or mark them as different people.")
    found_at: dt.datetime


class DuplicatePage(Schema):
    items: list[DuplicatePairOut]
    next_cursor: str | None


class MergeIn(Input):
    survivor: uuid.UUID = Field(description="The record to keep.")
    merged: uuid.UUID = Field(description="The record merged into it (kept, hidden, so "
                              "that the merge can be undone).")


class MergeOut(Schema):
    id: uuid.UUID
    survivor: uuid.UUID
    merged: uuid.UUID
    organisation: OrganisationRef
    merged_at: dt.datetime
    score: int
    reasons: list[ReasonOut]
    moved: dict[str, int] = Field(description="How many rows of each kind moved (merge "
                                  "handler key: count).")
    unmerged_at: dt.datetime | None
    url: str
class CountryIn(Input):
    country: CountryCode
    reason: str = Field(max_length=500, description="Why the record moves to this country's "
                        "consent rules.")
