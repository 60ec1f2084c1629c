"""Pages for warnings, case notes (with amendments and attachments) and care-team contacts.

Thin: parse with ``notes.forms``, call ``notes.selectors`` (reads, through the gate and the
sensitivity rule) or ``notes.services`` (writes), render. A refusal is the gate's 404; a
service's errors go back on the form with status 400 (412 for a stale version, 409 for a
conflict).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careweave.access.gate import Action, open_person
from careweave.access.pages import after_change, check_change, read_person
from careweave.core.errors import ServiceError
from careweave.core.forms import apply_service_error
from careweave.core.pages import actor_of, cursor_of, page_links, page_size
from careweave.core.routes import accepts_files, gated, staff_required
from careweave.notes import forms, selectors, services
from careweave.notes.models import OutOfHours
from careweave.notes.services import Upload


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def _status(exc: ServiceError) -> int:
    return exc.status if exc.status in (409, 412) else 400


def _upload(file: UploadedFile | None) -> list[Upload]:
    if file is None:
        return []
    return [Upload(name=file.name or "", data=file.read())]


# -- warnings --------------------------------------------------------------------------------


@gated
@require_http_methods(["GET"])
def warnings(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Every warning the actor may see, active first, with those that ended."""
    actor = actor_of(request)
    person, decision = open_person(actor, person_id, object_type="Warning")
    rows = selectors.warnings_for(actor=actor, person=person, decision=decision,
                                  include_ended=True)
    return render(request, "notes/warnings.html", {
        "person": person, "decision": decision, "rows": rows,
        "may_record": decision.may(Action.RECORD_WARNING)})


@gated
@require_http_methods(["GET", "POST"])
def warning_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    if request.method == "POST":
        person = check_change(actor, person_id, "Warning", Action.RECORD_WARNING)
        form = forms.WarningForm(request.POST)
        if form.is_valid():
            try:
                services.warning_raise(actor=actor, person_id=person.pk,
                                       data=form.service_data())
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The warning is on the record."))
                return after_change(request, actor, person)
        person = read_person(actor, person_id, object_type="Warning",
                             action=Action.RECORD_WARNING)
        return render(request, "notes/warning_add.html", {"person": person, "form": form},
                      status=400)
    person = read_person(actor, person_id, object_type="Warning", action=Action.RECORD_WARNING)
    return render(request, "notes/warning_add.html",
                  {"person": person, "form": forms.WarningForm()})


def _warning_page(request: HttpRequest, person_id: uuid.UUID, warning_id: uuid.UUID,
                  form_class: type, template: str, call: Any, done: str,
                  initial: Any = None) -> HttpResponse:
    """The shape every change of one warning shares (change, review, end)."""
    actor = actor_of(request)
    person, decision, warning = selectors.warning_detail(actor=actor, person_id=person_id,
                                                         warning_id=warning_id)
    if not decision.may(Action.RECORD_WARNING):
        # may read, may not change: the same answer as for someone who may not read
        check_change(actor, person_id, "Warning", Action.RECORD_WARNING)
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        status = 400
        if form.is_valid():
            try:
                call(actor, person, warning, form.cleaned_data, _version(request))
            except ServiceError as exc:
                status = _status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, done)
                return redirect("notes:warnings", person_id=person.pk)
    else:
        form = form_class(initial=initial(warning) if initial else None)
    return render(request, template, {"person": person, "decision": decision,
                                      "warning": warning, "form": form,
                                      "version": warning.version}, status=status)


@gated
@require_http_methods(["GET", "POST"])
def warning_change(request: HttpRequest, person_id: uuid.UUID,
                   warning_id: uuid.UUID) -> HttpResponse:
    def call(actor: Any, person: Any, warning: Any, data: dict[str, Any], version: int) -> None:
        services.warning_change(actor=actor, person_id=person.pk, warning_id=warning.pk,
                                changes=data, expected_version=version)

    return _warning_page(request, person_id, warning_id, forms.WarningChangeForm,
                         "notes/warning_change.html", call, _("The warning has been changed."),
                         initial=lambda w: {"title": w.title, "details": w.details,
                                            "review_date": w.review_date})


@gated
@require_http_methods(["GET", "POST"])
def warning_review(request: HttpRequest, person_id: uuid.UUID,
                   warning_id: uuid.UUID) -> HttpResponse:
    def call(actor: Any, person: Any, warning: Any, data: dict[str, Any], version: int) -> None:
        services.warning_review(actor=actor, person_id=person.pk, warning_id=warning.pk,
                                review_date=data["review_date"], expected_version=version)

    return _warning_page(request, person_id, warning_id, forms.WarningReviewForm,
                         "notes/warning_review.html", call,
                         _("The warning has been reviewed."))


@gated
@require_http_methods(["GET", "POST"])
def warning_end(request: HttpRequest, person_id: uuid.UUID,
                warning_id: uuid.UUID) -> HttpResponse:
    def call(actor: Any, person: Any, warning: Any, data: dict[str, Any], version: int) -> None:
        services.warning_end(actor=actor, person_id=person.pk, warning_id=warning.pk,
                             reason=data["reason"], expected_version=version)

    return _warning_page(request, person_id, warning_id, forms.WarningEndForm,
                         "notes/warning_end.html", call, _("The warning has ended."))


@staff_required
@require_http_methods(["GET"])
def reviews_due(request: HttpRequest) -> HttpResponse:
    """The actor's organisation's warnings past their review date."""
    actor = actor_of(request)
    page = selectors.reviews_due(actor=actor, cursor=cursor_of(request), size=page_size())
    return render(request, "notes/reviews_due.html", {
        "rows": page.items, "links": page_links(request, page.next_cursor),
        "what": _("of warnings to review")})


# -- case notes ------------------------------------------------------------------------------


@gated
@require_http_methods(["GET"])
def notes(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """The person's case notes, newest first, filtered by kind, organisation and author."""
    actor = actor_of(request)
    person, decision = open_person(actor, person_id, object_type="CaseNote")
    form = forms.NoteFilterForm(
        request.GET or None,
        organisations=selectors.note_organisations(actor=actor, person=person,
                                                   decision=decision),
        authors=selectors.note_authors(actor=actor, person=person, decision=decision))
    filters: dict[str, Any] = {}
    status = 200
    if form.is_bound:
        if form.is_valid():
            filters = {"kind": form.cleaned_data["kind"] or "",
                       "organisation_id": form.cleaned_data["organisation"],
                       "author_id": form.cleaned_data["author"]}
        else:
            status = 400
    page = selectors.notes_page(actor=actor, person=person, decision=decision,
                                cursor=cursor_of(request), size=page_size(), **filters)
    return render(request, "notes/notes.html", {
        "person": person, "decision": decision, "form": form, "notes": page.items,
        "may_write": decision.may(Action.WRITE_NOTE),
        "links": page_links(request, page.next_cursor), "what": _("of case notes")},
        status=status)


@accepts_files
@gated
@require_http_methods(["GET", "POST"])
def note_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    if request.method == "POST":
        person = check_change(actor, person_id, "CaseNote", Action.WRITE_NOTE)
        form = forms.NoteForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                note, created = services.note_create(
                    actor=actor, person_id=person.pk, data=form.service_data(),
                    attachments=_upload(form.cleaned_data.get("attachment")),
                    idempotency_key=form.cleaned_data.get("idempotency_key") or "")
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                if created:
                    messages.success(request, _("The note has been recorded."))
                return redirect("notes:note", person_id=person.pk, note_id=note.pk)
        person = read_person(actor, person_id, object_type="CaseNote", action=Action.WRITE_NOTE)
        return render(request, "notes/note_add.html", {"person": person, "form": form},
                      status=400)
    person = read_person(actor, person_id, object_type="CaseNote", action=Action.WRITE_NOTE)
    return render(request, "notes/note_add.html", {"person": person, "form": forms.NoteForm()})


@gated
@require_http_methods(["GET"])
def note(request: HttpRequest, person_id: uuid.UUID, note_id: uuid.UUID) -> HttpResponse:
    """One note: as it reads now, every amendment with who made it and why, the original,
    and its attachments."""
    actor = actor_of(request)
    person, decision, found = selectors.note_detail(actor=actor, person_id=person_id,
                                                    note_id=note_id)
    own = found.organisation_id == actor.organisation_id
    return render(request, "notes/note_detail.html", {
        "person": person, "decision": decision, "note": found,
        "may_amend": own and decision.may(Action.WRITE_NOTE)})


@gated
@require_http_methods(["GET", "POST"])
def note_amend(request: HttpRequest, person_id: uuid.UUID, note_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person, decision, found = selectors.note_detail(actor=actor, person_id=person_id,
                                                    note_id=note_id)
    if not decision.may(Action.WRITE_NOTE):
        check_change(actor, person_id, "CaseNote", Action.WRITE_NOTE)
    current = found.current  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        status = 400
        form = forms.NoteAmendForm(request.POST)
        if form.is_valid():
            try:
                services.note_amend(actor=actor, person_id=person.pk, note_id=found.pk,
                                    changes=form.service_changes(),
                                    reason=form.cleaned_data["reason"],
                                    expected_version=_version(request))
            except ServiceError as exc:
                status = _status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The note has been amended. The original is kept."))
                return redirect("notes:note", person_id=person.pk, note_id=found.pk)
    else:
        form = forms.NoteAmendForm(initial={k: getattr(current, k) for k in services.AMENDABLE})
    return render(request, "notes/note_amend.html", {
        "person": person, "note": found, "form": form,
        "version": selectors.note_version(found)}, status=status)


@accepts_files
@gated
@require_http_methods(["GET", "POST"])
def attachment_add(request: HttpRequest, person_id: uuid.UUID,
                   note_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person, decision, found = selectors.note_detail(actor=actor, person_id=person_id,
                                                    note_id=note_id)
    if not decision.may(Action.WRITE_NOTE):
        check_change(actor, person_id, "Attachment", Action.WRITE_NOTE)
    status = 200
    if request.method == "POST":
        status = 400
        form = forms.AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.attachment_add(actor=actor, person_id=person.pk, note_id=found.pk,
                                        upload=_upload(form.cleaned_data["attachment"])[0])
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The file has been attached."))
                return redirect("notes:note", person_id=person.pk, note_id=found.pk)
    else:
        form = forms.AttachmentForm()
    return render(request, "notes/attachment_add.html",
                  {"person": person, "note": found, "form": form}, status=status)


@gated
@require_http_methods(["GET"])
def attachment(request: HttpRequest, person_id: uuid.UUID, note_id: uuid.UUID,
               attachment_id: uuid.UUID) -> HttpResponse:
    """The file, only through the gate and the note's sensitivity, as a download."""
    found, data = services.attachment_read(actor=actor_of(request), person_id=person_id,
                                           note_id=note_id, attachment_id=attachment_id)
    return file_response(found, data)


def file_response(found: Any, data: bytes) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type=found.content_type)
    ascii_name = found.filename.encode("ascii", "replace").decode().replace("?", "_")
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(found.filename)}')
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store, private"
    return response


# -- care-team contacts ----------------------------------------------------------------------


@gated
@require_http_methods(["GET", "POST"])
def contact_change(request: HttpRequest, person_id: uuid.UUID,
                   member_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person = read_person(actor, person_id, object_type="TeamContact",
                         action=Action.CHANGE_TEAM_CONTACTS)
    member = selectors.active_team_member(person, member_id)
    if member is None or member.organisation_id != actor.organisation_id:
        from careweave.access.gate import Basis, deny

        deny(actor, person.pk, "update", Basis.NOT_FOUND, "TeamContact", str(member_id))
    assert member is not None
    contact = getattr(member, "contact", None)
    status = 200
    if request.method == "POST":
        status = 400
        form = forms.ContactForm(request.POST)
        if form.is_valid():
            try:
                services.team_contact_update(actor=actor, person_id=person.pk,
                                             member_id=member.pk, data=form.cleaned_data,
                                             expected_version=_version(request))
            except ServiceError as exc:
                status = _status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The contact details have been saved."))
                return after_change(request, actor, person)
    else:
        initial = {k: getattr(contact, k) for k in services.CONTACT_FIELDS} if contact else {}
        form = forms.ContactForm(initial=initial)
    return render(request, "notes/contact_change.html", {
        "person": person, "member": member, "form": form,
        "version": contact.version if contact else 0}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def out_of_hours(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    assert actor.organisation_id is not None
    row = OutOfHours.objects.filter(organisation_id=actor.organisation_id).first()
    status = 200
    if request.method == "POST":
        status = 400
        form = forms.OutOfHoursForm(request.POST)
        if form.is_valid():
            try:
                services.out_of_hours_set(actor=actor, **form.cleaned_data)
            except ServiceError as exc:
                status = exc.status if exc.status == 403 else 400
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The out-of-hours number has been saved."))
                return redirect(reverse("notes:out_of_hours"))
    else:
        form = forms.OutOfHoursForm(initial={"phone": row.phone, "details": row.details}
                                    if row else None)
    return render(request, "notes/out_of_hours.html", {"form": form, "row": row},
                  status=status)
