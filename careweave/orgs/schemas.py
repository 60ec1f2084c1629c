"""Shapes of organisations, staff and memberships in the JSON API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from careweave.core.api import Input


class AreaOut(Schema):
    code: str
    name: str


class OrganisationRef(Schema):
    id: uuid.UUID
    name: str


class OrganisationBrief(Schema):
    id: uuid.UUID
    name: str
    kind: str


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


# -- administration ------------------------------------------------------------------------


class StaffMembershipOut(Schema):
    id: uuid.UUID
    role: str
    role_display: str
    job_title: str
    is_active: bool


class StaffOut(Schema):
    id: int
    username: str
    name: str
    email: str
    active: bool = Field(description="Has at least one active role in your organisation.")
    roles: list[str] = Field(description="The active roles in your organisation.")
    memberships: list[StaffMembershipOut]


class StaffPage(Schema):
    items: list[StaffOut]
    next_cursor: str | None


class StaffQuery(Schema):
    cursor: str | None = Field(None, max_length=500, description="next_cursor of the last page.")
    size: int = Field(25, ge=1, le=100)


class InvitationIn(Input):
    email: str = Field(max_length=320)
    roles: list[str] = Field(max_length=20, description="Role codes, e.g. clinician.")
    organisation_id: uuid.UUID | None = Field(
        None, description="Platform administrators only: invite into another organisation.")
    days: int | None = Field(None, ge=1, le=30,
                             description="How long the link works (default 7 days).")


class InvitationOut(Schema):
    id: uuid.UUID
    email: str
    roles: list[str]
    organisation: OrganisationRef
    created_at: dt.datetime
    expires_at: dt.datetime
    status: Literal["pending", "accepted", "cancelled", "expired"]


class RolesIn(Input):
    roles: list[Annotated[str, Field(max_length=40)]] = Field(
        max_length=20, description="Every role the staff member is to have in your "
        "organisation; an empty list deactivates them there.")


class OrganisationIn(Input):
    name: str = Field(max_length=800)
    kind: str = Field(max_length=40)
    country: str = Field(max_length=2)
    area: str = Field("", max_length=80, description="The area's code.")
    code: str = Field("", max_length=160, description="ODS code or HSA-id, unique per country.")


class OrganisationDetailOut(OrganisationOut):
    is_active: bool


class AreaIn(Input):
    code: str = Field(max_length=80)
    name: str = Field(max_length=800)
    kind: str = Field(max_length=40)
    country: str = Field(max_length=2)
    parent: str = Field("", max_length=80, description="The code of the area it is part of.")


class AreaDetailOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    country: str
    parent: str | None
    is_active: bool


class AreaQuery(Schema):
    cursor: str | None = Field(None, max_length=500)
    size: int = Field(25, ge=1, le=100)
