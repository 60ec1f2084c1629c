"""Shapes of organisations, staff and memberships in the JSON API."""

from __future__ import annotations

import uuid
from typing import Literal

from ninja import Schema
from pydantic import Field


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
