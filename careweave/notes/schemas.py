"""Request and response shapes of the warnings, case-notes and care-team-contacts API."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from careweave.core.api import Input
from careweave.orgs.schemas import OrganisationBrief, OrganisationRef

LEVELS = "care_team (everyone on the care team), organisation (the writer's organisation " \
         "only) or restricted (named roles and, for warnings, kinds of organisation)"


class WarningIn(Input):
    kind: str = Field(max_length=40, description="dnacpr, allergy, lone_worker, safeguarding, "
                      "risk_to_self, infection, access (key safe) or communication.")
    title: str = Field(max_length=2000)
    details: str = Field("", max_length=20000)
    review_date: dt.date | None = None
    sensitivity: str = Field("care_team", max_length=20, description=LEVELS)
    roles: list[str] = Field(default_factory=list, max_length=20)
    organisation_kinds: list[str] = Field(default_factory=list, max_length=20)


class WarningPatchIn(Input):
    title: str | None = Field(None, max_length=2000)
    details: str | None = Field(None, max_length=20000)
    review_date: dt.date | None = None


class ReviewIn(Input):
    review_date: dt.date


class WarningEndIn(Input):
    reason: str = Field(max_length=2000)


class WarningOut(Schema):
    id: uuid.UUID
    kind: str
    kind_label: str
    title: str
    details: str
    status: str
    sensitivity: str
    roles: list[str]
    organisation_kinds: list[str]
    organisation: OrganisationRef
    raised_by: str
    raised_at: dt.datetime
    review_date: dt.date | None
    reviewed_at: dt.datetime | None
    ended_at: dt.datetime | None
    end_reason: str
    version: int


class ReviewDueOut(Schema):
    person: str = Field(description="The person's record (URL).")
    person_name: str
    warning: WarningOut


class ReviewDuePage(Schema):
    items: list[ReviewDueOut]
    next_cursor: str | None


class NoteIn(Input):
    kind: str = Field(max_length=20, description="visit, phone, video, message, meeting or "
                      "letter.")
    occurred_at: dt.datetime = Field(description="When the contact happened (not in the "
                                     "future).")
    with_whom: list[str] = Field(default_factory=list, max_length=5,
                                 description="person, relative, professional.")
    with_whom_detail: str = Field("", max_length=2000)
    summary: str = Field(max_length=2000)
    body: str = Field(max_length=200000)
    follow_up: str = Field("", max_length=50000)
    sensitivity: str = Field("care_team", max_length=20, description=LEVELS)
    roles: list[str] = Field(default_factory=list, max_length=20)


class AmendIn(Input):
    reason: str = Field(max_length=5000)
    with_whom: list[str] | None = Field(None, max_length=5)
    with_whom_detail: str | None = Field(None, max_length=2000)
    summary: str | None = Field(None, max_length=2000)
    body: str | None = Field(None, max_length=200000)
    follow_up: str | None = Field(None, max_length=50000)


class AuthorOut(Schema):
    name: str
    role: str
    job_title: str
    organisation: OrganisationRef


class NoteContent(Schema):
    id: uuid.UUID
    with_whom: list[str]
    with_whom_detail: str
    summary: str
    body: str
    follow_up: str
    recorded_at: dt.datetime
    author: AuthorOut
    reason: str = Field("", description="Why it was amended (empty for the original).")


class AttachmentOut(Schema):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime
    url: str


class NoteOut(Schema):
    id: uuid.UUID
    kind: str
    occurred_at: dt.datetime
    sensitivity: str
    roles: list[str]
    version: int = Field(description="1 plus the number of amendments (the ETag).")
    amended: bool
    current: NoteContent = Field(description="The note as it reads now.")
    original: NoteContent
    amendments: list[NoteContent] = Field(default_factory=list,
                                          description="Newest first (in one note's read).")
    attachments: list[AttachmentOut] = Field(default_factory=list)


class NotePage(Schema):
    items: list[NoteOut]
    next_cursor: str | None


class OutOfHoursOut(Schema):
    phone: str
    details: str


class ContactOut(Schema):
    member_id: uuid.UUID
    organisation: OrganisationBrief
    role: str
    staff_name: str
    phone: str
    email: str
    hours: str
    key_worker: bool
    lead_coordinator: bool
    out_of_hours: OutOfHoursOut | None
    version: int = Field(description="Send it back as If-Match (W/\"0\" before the first "
                         "change).")


class ContactPatchIn(Input):
    phone: str | None = Field(None, max_length=400)
    email: str | None = Field(None, max_length=2540)
    hours: str | None = Field(None, max_length=2000)
    key_worker: bool | None = None
    lead_coordinator: bool | None = None
