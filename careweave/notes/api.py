"""Warnings, case notes (amendments, attachments) and care-team contacts under /api/v1/.

Reads open the person through the gate (audited) and apply the sensitivity rule in the
query; writes call :mod:`careweave.notes.services`. A warning, note or attachment the
caller may not see is a 404, like one that does not exist. Changes need If-Match with the
ETag read (428 without it, 412 when stale).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Header, Query, Router, UploadedFile
from ninja.responses import Status
from pydantic import Field

from careweave.access.gate import open_person
from careweave.core.api import ERRORS, ProblemOut, QueryIn, actor_of
from careweave.core.errors import ValidationFailed
from careweave.core.routes import accepts_files
from careweave.notes import selectors, services
from careweave.notes.models import PersonWarning
from careweave.notes.schemas import (
    AmendIn,
    AttachmentOut,
    ContactOut,
    ContactPatchIn,
    NoteIn,
    NoteOut,
    NotePage,
    ReviewDuePage,
    ReviewIn,
    WarningEndIn,
    WarningIn,
    WarningOut,
    WarningPatchIn,
)
from careweave.notes.serializers import contact_out, note_out, warning_out
from careweave.notes.views import file_response
from careweave.people.api import expected_version

router = Router(tags=["warnings, case notes and contacts"])


def _etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = f'W/"{version}"'


# -- warnings --------------------------------------------------------------------------------


class WarningQuery(QueryIn):
    include_ended: bool = Field(False, description="Also the warnings that have ended.")


@router.get("/people/{person_id}/warnings", response={200: list[WarningOut], **ERRORS},
            url_name="warning_list", summary="The person's warnings you may see, most urgent "
            "first")
def list_warnings(request: HttpRequest, person_id: uuid.UUID,
                  filters: Query[WarningQuery]) -> list[dict[str, Any]]:
    actor = actor_of(request)
    person, decision = open_person(actor, person_id, object_type="Warning")
    return [warning_out(w) for w in selectors.warnings_for(
        actor=actor, person=person, decision=decision, include_ended=filters.include_ended)]


@router.post("/people/{person_id}/warnings", response={201: WarningOut, **ERRORS},
             url_name="warning_create", summary="Put a warning on the record")
def create_warning(request: HttpRequest, person_id: uuid.UUID, payload: WarningIn,
                   response: HttpResponse) -> Status[dict[str, Any]]:
    warning = services.warning_raise(actor=actor_of(request), person_id=person_id,
                                     data=payload.model_dump())
    _etag(response, warning.version)
    return Status(201, warning_out(_reload(warning)))


def _reload(warning: PersonWarning) -> PersonWarning:
    return PersonWarning.objects.select_related("organisation").get(pk=warning.pk)


@router.get("/people/{person_id}/warnings/{warning_id}", response={200: WarningOut, **ERRORS},
            url_name="warning_get", summary="One warning")
def get_warning(request: HttpRequest, person_id: uuid.UUID, warning_id: uuid.UUID,
                response: HttpResponse) -> dict[str, Any]:
    _person, _decision, warning = selectors.warning_detail(
        actor=actor_of(request), person_id=person_id, warning_id=warning_id)
    _etag(response, warning.version)
    return warning_out(warning)


@router.patch("/people/{person_id}/warnings/{warning_id}",
              response={200: WarningOut, 403: ProblemOut, 409: ProblemOut, 412: ProblemOut,
                        428: ProblemOut, **ERRORS},
              url_name="warning_update", summary="Change a warning's wording or review date "
              "(the raising organisation; If-Match required)")
def update_warning(request: HttpRequest, person_id: uuid.UUID, warning_id: uuid.UUID,
                   payload: WarningPatchIn, response: HttpResponse,
                   if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
                   ) -> dict[str, Any]:
    version = expected_version(if_match)
    warning = services.warning_change(actor=actor_of(request), person_id=person_id,
                                      warning_id=warning_id,
                                      changes=payload.model_dump(exclude_unset=True),
                                      expected_version=version)
    _etag(response, warning.version)
    return warning_out(_reload(warning))


@router.post("/people/{person_id}/warnings/{warning_id}/review",
             response={200: WarningOut, 412: ProblemOut, 428: ProblemOut, **ERRORS},
             url_name="warning_review", summary="The warning was reviewed and stands: the "
             "next review date (If-Match required)")
def review_warning(request: HttpRequest, person_id: uuid.UUID, warning_id: uuid.UUID,
                   payload: ReviewIn, response: HttpResponse,
                   if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
                   ) -> dict[str, Any]:
    version = expected_version(if_match)
    warning = services.warning_review(actor=actor_of(request), person_id=person_id,
                                      warning_id=warning_id, review_date=payload.review_date,
                                      expected_version=version)
    _etag(response, warning.version)
    return warning_out(_reload(warning))


@router.post("/people/{person_id}/warnings/{warning_id}/end",
             response={200: WarningOut, 412: ProblemOut, 428: ProblemOut, **ERRORS},
             url_name="warning_end", summary="End a warning, with a reason (If-Match required)")
def end_warning(request: HttpRequest, person_id: uuid.UUID, warning_id: uuid.UUID,
                payload: WarningEndIn, response: HttpResponse,
                if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
                ) -> dict[str, Any]:
    version = expected_version(if_match)
    warning = services.warning_end(actor=actor_of(request), person_id=person_id,
                                   warning_id=warning_id, reason=payload.reason,
                                   expected_version=version)
    _etag(response, warning.version)
    return warning_out(_reload(warning))


class ReviewsDueQuery(QueryIn):
    cursor: str | None = Field(None, max_length=500)
    size: int = Field(25, ge=1, le=100)


@router.get("/warnings/reviews-due", response={200: ReviewDuePage, **ERRORS},
            url_name="warning_reviews_due", summary="Your organisation's warnings past their "
            "review date")
def reviews_due(request: HttpRequest, filters: Query[ReviewsDueQuery]) -> dict[str, Any]:
    page = selectors.reviews_due(actor=actor_of(request), cursor=filters.cursor,
                                 size=filters.size)
    items = []
    for w in page.items:
        items.append({"person": request.build_absolute_uri(f"/api/v1/people/{w.person_id}"),
                      "person_name": w.person.display_name, "warning": warning_out(w)})
    return {"items": items, "next_cursor": page.next_cursor}


# -- case notes ------------------------------------------------------------------------------


class NoteQuery(QueryIn):
    kind: str = Field("", max_length=20)
    organisation: uuid.UUID | None = None
    author: uuid.UUID | None = Field(None, description="The author's membership id.")
    cursor: str | None = Field(None, max_length=500)
    size: int = Field(25, ge=1, le=100)


@router.get("/people/{person_id}/notes", response={200: NotePage, **ERRORS},
            url_name="note_list", summary="The person's case notes you may see, newest first")
def list_notes(request: HttpRequest, person_id: uuid.UUID,
               filters: Query[NoteQuery]) -> dict[str, Any]:
    from careweave.notes.models import ContactKind

    actor = actor_of(request)
    person, decision = open_person(actor, person_id, object_type="CaseNote")
    if filters.kind and filters.kind not in ContactKind.values:
        raise ValidationFailed(_("Check the highlighted fields."), errors={"kind": [
            _("Choose the kind of contact.")]})
    page = selectors.notes_page(actor=actor, person=person, decision=decision,
                                kind=filters.kind, organisation_id=filters.organisation,
                                author_id=filters.author, cursor=filters.cursor,
                                size=filters.size)
    return {"items": [note_out(n) for n in page.items], "next_cursor": page.next_cursor}


@router.post("/people/{person_id}/notes", response={200: NoteOut, 201: NoteOut, 409: ProblemOut,
                                                    **ERRORS},
             url_name="note_create", summary="Record a case note (Idempotency-Key: a replay "
             "returns the first note, 200)")
def create_note(request: HttpRequest, person_id: uuid.UUID, payload: NoteIn,
                response: HttpResponse,
                idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
                ) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    note, created = services.note_create(actor=actor, person_id=person_id,
                                         data=payload.model_dump(),
                                         idempotency_key=idempotency_key or "")
    if created:
        # what the service just wrote, as it is: no amendments or attachments yet
        note.amendment_list = []  # type: ignore[attr-defined]
        note.attachment_list = []  # type: ignore[attr-defined]
        full = note
    else:  # a replay: the note as it reads now, through the gate and the sensitivity rule
        _p, _d, full = selectors.note_detail(actor=actor, person_id=person_id,
                                             note_id=note.pk)
    _etag(response, selectors.note_version(full))
    response["Location"] = f"/api/v1/people/{person_id}/notes/{note.pk}"
    return Status(201 if created else 200, note_out(full, full=True))


@router.get("/people/{person_id}/notes/{note_id}", response={200: NoteOut, **ERRORS},
            url_name="note_get", summary="One note, with its amendments and attachments")
def get_note(request: HttpRequest, person_id: uuid.UUID, note_id: uuid.UUID,
             response: HttpResponse) -> dict[str, Any]:
    _person, _decision, note = selectors.note_detail(actor=actor_of(request),
                                                     person_id=person_id, note_id=note_id)
    _etag(response, selectors.note_version(note))
    return note_out(note, full=True)


@router.post("/people/{person_id}/notes/{note_id}/amendments",
             response={201: NoteOut, 403: ProblemOut, 412: ProblemOut, 428: ProblemOut,
                       **ERRORS},
             url_name="note_amend", summary="Amend a note: the original is kept (the writing "
             "organisation; If-Match required)")
def amend_note(request: HttpRequest, person_id: uuid.UUID, note_id: uuid.UUID,
               payload: AmendIn, response: HttpResponse,
               if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
               ) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    version = expected_version(if_match)
    changes = payload.model_dump(exclude_unset=True, exclude={"reason"})
    services.note_amend(actor=actor, person_id=person_id, note_id=note_id, changes=changes,
                        reason=payload.reason, expected_version=version)
    _p, _d, note = selectors.note_detail(actor=actor, person_id=person_id, note_id=note_id)
    _etag(response, selectors.note_version(note))
    return Status(201, note_out(note, full=True))


@router.post("/people/{person_id}/notes/{note_id}/attachments",
             response={201: AttachmentOut, 403: ProblemOut, **ERRORS},
             url_name="note_attachment_add", summary="Attach a PDF, PNG or JPEG to a note "
             "(multipart, field 'file')")
@accepts_files
def add_attachment(request: HttpRequest, person_id: uuid.UUID, note_id: uuid.UUID,
                   file: UploadedFile = File(...),  # noqa: B008
                   ) -> Status[dict[str, Any]]:
    attachment = services.attachment_add(
        actor=actor_of(request), person_id=person_id, note_id=note_id,
        upload=services.Upload(name=file.name or "", data=file.read()))
    return Status(201, {
        "id": attachment.pk, "filename": attachment.filename,
        "content_type": attachment.content_type, "size": attachment.size,
        "sha256": attachment.sha256, "uploaded_at": attachment.uploaded_at,
        "url": f"/api/v1/people/{person_id}/notes/{note_id}/attachments/{attachment.pk}"})


@router.get("/people/{person_id}/notes/{note_id}/attachments/{attachment_id}",
            response={200: None, **ERRORS}, url_name="note_attachment_get",
            summary="Download an attachment (only if you may see the note)")
def get_attachment(request: HttpRequest, person_id: uuid.UUID, note_id: uuid.UUID,
                   attachment_id: uuid.UUID) -> HttpResponse:
    found, data = services.attachment_read(actor=actor_of(request), person_id=person_id,
                                           note_id=note_id, attachment_id=attachment_id)
    return file_response(found, data)


# -- care-team contacts ----------------------------------------------------------------------


@router.get("/people/{person_id}/care-team-contacts", response={200: list[ContactOut], **ERRORS},
            url_name="contact_list", summary="How to reach the care team: phones, hours, key "
            "workers, the lead coordinator, out-of-hours numbers")
def list_contacts(request: HttpRequest, person_id: uuid.UUID) -> list[dict[str, Any]]:
    person, _decision = open_person(actor_of(request), person_id, object_type="TeamContact")
    return [contact_out(m) for m in selectors.team_contacts(person)]


@router.patch("/people/{person_id}/care-team-contacts/{member_id}",
              response={200: ContactOut, 403: ProblemOut, 409: ProblemOut, 412: ProblemOut,
                        428: ProblemOut, **ERRORS},
              url_name="contact_update", summary="Your organisation's contact details for one "
              "care-team member (If-Match required)")
def update_contact(request: HttpRequest, person_id: uuid.UUID, member_id: uuid.UUID,
                   payload: ContactPatchIn, response: HttpResponse,
                   if_match: str | None = Header(None, alias="If-Match"),  # noqa: B008
                   ) -> dict[str, Any]:
    actor = actor_of(request)
    version = expected_version(if_match)
    contact = services.team_contact_update(
        actor=actor, person_id=person_id, member_id=member_id,
        data=payload.model_dump(exclude_unset=True), expected_version=version)
    _etag(response, contact.version)
    member = next(m for m in selectors.team_contacts(contact.person)
                  if m.pk == contact.member_id)
    return contact_out(member)
