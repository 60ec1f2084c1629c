"""Writes: warnings, case notes (amendments, attachments) and care-team contacts.

Keyword-only, ``actor`` first, one ``careweave.core.db.atomic()`` each: the gate
(``require`` with the action's row of the policy), the change, the audit event and the
timeline entry in the same transaction. Bad input is a ``ValidationFailed`` with every
field's problem at once, before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careweave.access.gate import Action, deny, require
from careweave.access.policy import CARE_ROLES, PROFESSIONAL_ROLES, Basis
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import DuplicateRecord, NotPermitted, StaleVersion, ValidationFailed
from careweave.core.text import has_visible_text
from careweave.notes import files, rules, selectors, storage
from careweave.notes.models import (
    Attachment,
    CaseNote,
    ContactKind,
    OutOfHours,
    PersonWarning,
    TeamContact,
    WarningKind,
    WithWhom,
)
from careweave.orgs.models import Organisation, Role
from careweave.people.names import nfc
from careweave.people.timeline import timeline_add

EARLIEST = dt.date(1900, 1, 1)
FUTURE_SLACK = dt.timedelta(minutes=5)  # clocks differ a little
REVIEW_YEARS = 10
Errors = dict[str, list[str]]


# -- shared checks ---------------------------------------------------------------------------


def clean_text(data: Mapping[str, Any], name: str, limit: int, errors: Errors, *,
               required: bool = False, required_message: str = "") -> str:
    """The field as NFC text with whitespace at the ends removed, or an error: not text, a
    NUL, characters that arrived in the wrong encoding, too long, missing."""
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append(_("Enter text."))
        return ""
    value = nfc(value).strip()
    if "\x00" in value:
        errors.setdefault(name, []).append(_("Remove the invalid character."))
        return ""
    if "\ufffd" in value:
        errors.setdefault(name, []).append(
            _("Some characters could not be read. Type the text again."))
        return ""
    if len(value) > limit:
        errors.setdefault(name, []).append(
            _("Must be %(limit)d characters or fewer.") % {"limit": limit})
        return ""
    if required and not has_visible_text(value):
        errors.setdefault(name, []).append(required_message or _("This is required."))
        return ""
    return value


def _date(value: Any, name: str, errors: Errors, *, message: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.setdefault(name, []).append(message)
    return None


def _datetime(value: Any, name: str, errors: Errors) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors.setdefault(name, []).append(
                _("Enter a real date and time, like 2026-11-23 14:30."))
            return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(12, 0))
    if not isinstance(value, dt.datetime):
        errors.setdefault(name, []).append(_("Enter the date and time."))
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _choices(value: Any, allowed: Iterable[str], name: str, errors: Errors) -> frozenset[str]:
    if value in (None, ""):
        return frozenset()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset) or \
            not all(isinstance(v, str) for v in value):
        errors.setdefault(name, []).append(_("Choose from the list."))
        return frozenset()
    values = frozenset(value)
    if values - set(allowed):
        errors.setdefault(name, []).append(_("Choose from the list."))
        return frozenset()
    return values


CARE_ROLE_CODES = frozenset(r for r in Role.values if r in CARE_ROLES)
ORG_KINDS = frozenset(Organisation.Kind.values)


def clean_audience(data: Mapping[str, Any], errors: Errors, *,
                   kinds_allowed: bool) -> tuple[str, str, str]:
    """The sensitivity level and its packed roles and kinds of organisation."""
    sensitivity = data.get("sensitivity") or rules.CARE_TEAM
    roles = _choices(data.get("roles"), CARE_ROLE_CODES, "roles", errors)
    kinds = _choices(data.get("organisation_kinds"), ORG_KINDS, "organisation_kinds", errors) \
        if kinds_allowed else frozenset()
    if not kinds_allowed and data.get("organisation_kinds"):
        errors.setdefault("organisation_kinds", []).append(_("Unknown field."))
    problems = rules.audience_problems(str(sensitivity), roles, kinds,
                                       known_roles=CARE_ROLE_CODES, known_kinds=ORG_KINDS)
    messages = {
        "unknown_level": _("Choose who may see it."),
        "unknown_role": _("Choose from the list."),
        "unknown_kind": _("Choose from the list."),
        "restricted_needs_audience": (
            _("Choose the roles or kinds of organisation that may see it.") if kinds_allowed
            else _("Choose the roles that may see it.")),
        "audience_only_when_restricted": _(
            "Name roles or kinds of organisation only when it is restricted."),
    }
    for field, code in problems.items():
        errors.setdefault(field, []).append(messages[code])
    return str(sensitivity), rules.pack(roles), rules.pack(kinds)


def _name(actor: Actor) -> str:
    user = actor.user
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return (full or user.get_username())[:200]


def _stale(kind: str, current: int) -> StaleVersion:
    return StaleVersion(
        _("Someone else changed this %(what)s. Reload it and make your change again.")
        % {"what": kind}, extra={"current_version": current})


def _lock(qs: Any) -> Any:
    return qs.select_for_update(of=("self",)) if connection.vendor == "postgresql" else qs


# -- warnings --------------------------------------------------------------------------------

WARNING_TEXT = {"title": 200, "details": 2000}


def _review_date(data: Mapping[str, Any], errors: Errors, *, today: dt.date,
                 required: bool = False) -> dt.date | None:
    day = _date(data.get("review_date"), "review_date", errors,
                message=_("Enter a real review date, like 2027-03-27."))
    if day is None:
        if required and "review_date" not in errors:
            errors.setdefault("review_date", []).append(_("Enter the next review date."))
        return None
    if day < today:
        errors.setdefault("review_date", []).append(_("The review date must be today or later."))
        return None
    if day > today + dt.timedelta(days=365 * REVIEW_YEARS + REVIEW_YEARS // 4):
        errors.setdefault("review_date", []).append(
            _("The review date must be within %(n)d years.") % {"n": REVIEW_YEARS})
        return None
    return day


def warning_raise(*, actor: Actor, person_id: Any, data: Mapping[str, Any]) -> PersonWarning:
    """Put a warning on the person's record. It shows on every page of the person, to those
    its sensitivity allows, until it is ended with a reason."""
    errors: Errors = {}
    unknown = set(data) - {"kind", "title", "details", "review_date", "sensitivity", "roles",
                           "organisation_kinds"}
    for name in sorted(unknown):
        errors.setdefault(name[:60], []).append(_("Unknown field."))
    kind = data.get("kind") or ""
    if kind not in WarningKind.values:
        errors.setdefault("kind", []).append(_("Choose the type of warning."))
    title = clean_text(data, "title", 200, errors, required=True,
                       required_message=_("Say what the warning is."))
    details = clean_text(data, "details", 2000, errors)
    today = timezone.localdate()
    review = _review_date(data, errors, today=today)
    sensitivity, roles, kinds = clean_audience(data, errors, kinds_allowed=True)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_WARNING,
                                   audit_action="create", object_type="Warning")
        assert actor.membership is not None
        now = timezone.now()
        warning = PersonWarning.objects.create(
            person=person, kind=kind, title=title, details=details, review_date=review,
            sensitivity=sensitivity, audience_roles=roles, audience_kinds=kinds,
            organisation=actor.membership.organisation, raised_by=actor.membership,
            raised_by_name=_name(actor), raised_at=now)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                     object_type="Warning", object_id=str(warning.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"kind": kind, "sensitivity": sensitivity})
        if sensitivity == rules.CARE_TEAM:
            timeline_add(actor=actor, person_id=person.pk, kind="notes.warning_raised",
                         object_type="Warning", object_id=str(warning.pk), at=now,
                         data={"kind": kind, "title": title,
                               "organisation": actor.membership.organisation.name})
    return warning


def _warning_for_change(actor: Actor, person: Any, decision: Any, warning_id: Any,
                        event: str, expected_version: int | None) -> PersonWarning:
    find = selectors.find_warning(actor, warning_id)
    found = find(person, decision)
    if found is None:
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "Warning", str(warning_id))
    assert found is not None
    warning = _lock(PersonWarning.objects.filter(pk=found.pk)).get()
    if expected_version is not None and warning.version != expected_version:
        raise _stale(_("warning"), warning.version)
    if rules.warning_next(warning.status, event) is None:
        raise ValidationFailed(_("This warning has ended: it cannot be changed."),
                               errors={"status": [_("The warning has ended.")]})
    return warning


def warning_change(*, actor: Actor, person_id: Any, warning_id: Any,
                   changes: Mapping[str, Any], expected_version: int | None) -> PersonWarning:
    """Change a warning's wording or review date (the raising organisation only: others
    review or end it). Its sensitivity stays as raised."""
    errors: Errors = {}
    unknown = set(changes) - {"title", "details", "review_date"}
    for name in sorted(unknown):
        errors.setdefault(name[:60], []).append(
            _("Who may see a warning cannot change: end it and raise a new one.")
            if name in ("sensitivity", "roles", "organisation_kinds") else _("Unknown field."))
    clean: dict[str, Any] = {}
    if "title" in changes:
        clean["title"] = clean_text(changes, "title", 200, errors, required=True,
                                    required_message=_("Say what the warning is."))
    if "details" in changes:
        clean["details"] = clean_text(changes, "details", 2000, errors)
    if "review_date" in changes:
        clean["review_date"] = _review_date(changes, errors, today=timezone.localdate())
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_WARNING,
                                   audit_action="update", object_type="Warning",
                                   object_id=str(warning_id))
        warning = _warning_for_change(actor, person, decision, warning_id, "change",
                                      expected_version)
        if warning.organisation_id != actor.organisation_id:
            raise NotPermitted(_("Only the organisation that raised this warning can change "
                                 "its wording. You can review it or end it with a reason."))
        changed = sorted(k for k, v in clean.items() if getattr(warning, k) != v)
        for key, value in clean.items():
            setattr(warning, key, value)
        if changed:
            warning.version += 1
            warning.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Warning", object_id=str(warning.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"fields": changed})
    return warning


def warning_review(*, actor: Actor, person_id: Any, warning_id: Any, review_date: Any,
                   expected_version: int | None) -> PersonWarning:
    """The warning was reviewed and still stands: when to review it next."""
    errors: Errors = {}
    day = _review_date({"review_date": review_date}, errors, today=timezone.localdate(),
                       required=True)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_WARNING,
                                   audit_action="update", object_type="Warning",
                                   object_id=str(warning_id))
        warning = _warning_for_change(actor, person, decision, warning_id, "review",
                                      expected_version)
        warning.review_date = day
        warning.reviewed_at = timezone.now()
        warning.reviewed_by = actor.membership
        warning.version += 1
        warning.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Warning", object_id=str(warning.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"event": "review", "review_date": day.isoformat() if day else ""})
        if warning.sensitivity == rules.CARE_TEAM:
            timeline_add(actor=actor, person_id=person.pk, kind="notes.warning_reviewed",
                         object_type="Warning", object_id=str(warning.pk),
                         data={"kind": warning.kind, "title": warning.title,
                               "review_date": day.isoformat() if day else ""})
    return warning


def warning_end(*, actor: Actor, person_id: Any, warning_id: Any, reason: Any,
                expected_version: int | None) -> PersonWarning:
    """End a warning: it leaves the banner and stays in the person's list of warnings, with
    who ended it and why."""
    errors: Errors = {}
    reason = clean_text({"reason": reason}, "reason", 500, errors)
    if "reason" not in errors and not has_visible_text(reason, 5):
        errors["reason"] = [_("Give the reason in at least %(n)d characters.") % {"n": 5}]
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_WARNING,
                                   audit_action="update", object_type="Warning",
                                   object_id=str(warning_id))
        warning = _warning_for_change(actor, person, decision, warning_id, "end",
                                      expected_version)
        warning.status = rules.warning_next(warning.status, "end") or rules.ENDED
        warning.ended_at = timezone.now()
        warning.ended_by = actor.membership
        warning.end_reason = reason
        warning.version += 1
        warning.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Warning", object_id=str(warning.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"event": "end"})
        if warning.sensitivity == rules.CARE_TEAM:
            assert actor.membership is not None
            timeline_add(actor=actor, person_id=person.pk, kind="notes.warning_ended",
                         object_type="Warning", object_id=str(warning.pk),
                         data={"kind": warning.kind, "title": warning.title, "reason": reason,
                               "organisation": actor.membership.organisation.name})
    return warning


# -- case notes ------------------------------------------------------------------------------

NOTE_FIELDS = {"kind", "occurred_at", "with_whom", "with_whom_detail", "summary", "body",
               "follow_up", "sensitivity", "roles"}
AMENDABLE = ("with_whom", "with_whom_detail", "summary", "body", "follow_up")


@dataclass(frozen=True)
class Upload:
    """A file to attach: the name the user gave and its bytes."""

    name: str
    data: bytes


def _clean_content(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["with_whom"] = sorted(_choices(data.get("with_whom"), WithWhom.values, "with_whom",
                                       errors))
    out["with_whom_detail"] = clean_text(data, "with_whom_detail", 200, errors)
    out["summary"] = clean_text(data, "summary", 200, errors, required=True,
                                required_message=_("Give the note a short summary."))
    out["body"] = clean_text(data, "body", 20000, errors, required=True,
                             required_message=_("Say what happened."))
    out["follow_up"] = clean_text(data, "follow_up", 5000, errors)
    return out


def _occurred_at(data: Mapping[str, Any], errors: Errors) -> dt.datetime | None:
    if data.get("occurred_at") in (None, ""):
        errors.setdefault("occurred_at", []).append(_("Enter the date and time of the contact."))
        return None
    when = _datetime(data.get("occurred_at"), "occurred_at", errors)
    if when is None:
        return None
    if when > timezone.now() + FUTURE_SLACK:
        errors.setdefault("occurred_at", []).append(
            _("The contact cannot be in the future: a note records what happened."))
        return None
    if timezone.localdate(when) < EARLIEST:
        errors.setdefault("occurred_at", []).append(_("Enter a date after 1900."))
        return None
    return when


def _checked_uploads(uploads: Sequence[Upload], errors: Errors) -> list[tuple[files.Checked,
                                                                               bytes]]:
    checked = []
    limit = storage.max_bytes()
    messages = {
        "empty_file": _("The file is empty."),
        "too_big": _("The file must be smaller than %(mb)s MB.") % {
            "mb": f"{limit / (1024 * 1024):g}"},
        "type": _("The file must be a PDF, PNG or JPEG (its content is checked, not only "
                  "its name)."),
        "path": _("The file name must not contain a folder path: give just the file's "
                  "name."),
        "empty": _("Give the file a name."),
        "mismatch": _("The file name ends in the wrong type for its content: it must end "
                      "in .pdf, .png or .jpg to match what the file is."),
    }
    for upload in uploads:
        try:
            result = files.check(upload.data, upload.name, max_bytes=limit)
        except files.FileRefused as exc:
            errors.setdefault("attachment", []).append(messages[exc.code])
            continue
        try:
            verdict = storage.scanner()(upload.data, filename=result.name,
                                        content_type=result.content_type)
        except Exception:  # noqa: BLE001 - a scanner that fails refuses (fails closed)
            errors.setdefault("attachment", []).append(
                _("The file could not be checked for viruses. Try again later."))
            continue
        if verdict:
            errors.setdefault("attachment", []).append(
                _("The file was refused by the virus check: %(reason)s") % {
                    "reason": str(verdict)[:200]})
            continue
        checked.append((result, upload.data))
    return checked


def _request_hash(clean: Mapping[str, Any], uploads: Sequence[tuple[files.Checked, bytes]]
                  ) -> str:
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in clean.items()}
    body["attachments"] = [storage.digest(data) for _c, data in uploads]
    blob = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def note_create(*, actor: Actor, person_id: Any, data: Mapping[str, Any],
                attachments: Sequence[Upload] = (),
                idempotency_key: str = "") -> tuple[CaseNote, bool]:
    """Record a note of one contact; returns (note, created). The same idempotency key from
    the same author returns the note it made the first time (a replay), and is refused with
    different content."""
    errors: Errors = {}
    for name in sorted(set(data) - NOTE_FIELDS):
        errors.setdefault(name[:60], []).append(_("Unknown field."))
    kind = data.get("kind") or ""
    if kind not in ContactKind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of contact."))
    when = _occurred_at(data, errors)
    content = _clean_content(data, errors)
    sensitivity, roles, _kinds = clean_audience(data, errors, kinds_allowed=False)
    key = str(idempotency_key or "").strip()
    if len(key) > 100 or (key and not key.isprintable()):
        errors.setdefault("idempotency_key", []).append(
            _("An idempotency key is at most 100 printable characters."))
    uploads = _checked_uploads(attachments, errors)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    assert when is not None
    clean = {"kind": kind, "occurred_at": when, "sensitivity": sensitivity, "roles": roles,
             **content}
    digest = _request_hash(clean, uploads) if key else ""
    with atomic():
        person, decision = require(actor, person_id, Action.WRITE_NOTE,
                                   audit_action="create", object_type="CaseNote")
        membership = actor.membership
        assert membership is not None
        if key:
            existing = CaseNote.objects.filter(author=membership, idempotency_key=key).first()
            if existing is not None:
                return _replay(existing, person.pk, digest), False
        now = timezone.now()
        note = CaseNote(
            person=person, kind=kind, occurred_at=when, organisation=membership.organisation,
            author=membership, author_name=_name(actor), author_role=membership.role,
            author_title=membership.job_title, sensitivity=sensitivity, audience_roles=roles,
            recorded_at=now, idempotency_key=key, request_hash=digest, **content)
        try:
            with transaction.atomic():
                note.save()
        except IntegrityError:
            # the same key raced us: the other request made the note
            existing = CaseNote.objects.filter(author=membership, idempotency_key=key).first()
            if existing is None:
                raise
            return _replay(existing, person.pk, digest), False
        for result, blob in uploads:
            _attach(actor, note, result, blob, now)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                     object_type="CaseNote", object_id=str(note.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"kind": kind, "sensitivity": sensitivity,
                             "attachments": len(uploads)})
        if sensitivity == rules.CARE_TEAM:
            timeline_add(actor=actor, person_id=person.pk, kind="notes.note_recorded",
                         object_type="CaseNote", object_id=str(note.pk), at=when,
                         data={"kind": kind, "summary": note.summary,
                               "author": note.author_name,
                               "organisation": membership.organisation.name})
    return note, True


def _replay(existing: CaseNote, person_pk: Any, digest: str) -> CaseNote:
    if existing.person_id != person_pk or existing.request_hash != digest:
        raise DuplicateRecord(
            _("This idempotency key was already used for a different note. Use a new key "
              "for a new note."), errors={"idempotency_key": [_("Already used.")]})
    return existing


def _attach(actor: Actor, note: CaseNote, result: files.Checked, blob: bytes,
            now: dt.datetime) -> Attachment:
    assert actor.membership is not None
    sha = storage.store(blob)
    return Attachment.objects.create(
        note=note, person_id=note.person_id, sha256=sha, size=result.size,
        content_type=result.content_type, filename=result.name,
        organisation=actor.membership.organisation, uploaded_by=actor.membership,
        uploaded_at=now)


def _root_for_change(actor: Actor, person: Any, decision: Any, note_id: Any) -> CaseNote:
    found = selectors.find_note(actor, note_id)(person, decision)
    if found is None:
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "CaseNote", str(note_id))
    assert found is not None
    if found.organisation_id != actor.organisation_id:
        raise NotPermitted(_("Only the organisation that wrote a note can amend it. Add a "
                             "note of your own instead."))
    # Lock the original (never updated) so that two amendments cannot both build on the
    # same version.
    list(_lock(CaseNote.objects.filter(pk=found.pk)).values_list("pk", flat=True))
    return found


def note_amend(*, actor: Actor, person_id: Any, note_id: Any, changes: Mapping[str, Any],
               reason: Any, expected_version: int | None) -> CaseNote:
    """Correct a note: a new row with the whole corrected note, who amended it and why. The
    original and earlier amendments stay as they were, visible to the same readers."""
    errors: Errors = {}
    for name in sorted(set(changes) - set(AMENDABLE)):
        errors.setdefault(name[:60], []).append(
            _("This cannot be amended: add a new note instead.")
            if name in NOTE_FIELDS else _("Unknown field."))
    why = clean_text({"reason": reason}, "reason", 500, errors)
    if "reason" not in errors and not has_visible_text(why, 5):
        errors["reason"] = [_("Say why the note is being amended, in at least %(n)d "
                              "characters.") % {"n": 5}]
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.WRITE_NOTE,
                                   audit_action="update", object_type="CaseNote",
                                   object_id=str(note_id))
        root = _root_for_change(actor, person, decision, note_id)
        version = selectors.note_version(root)
        if expected_version is not None and version != expected_version:
            raise _stale(_("note"), version)
        current = root.current  # type: ignore[attr-defined]
        merged = {k: changes.get(k, getattr(current, k)) for k in AMENDABLE}
        content = _clean_content(merged, errors)
        if errors:
            raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
        changed = sorted(k for k in AMENDABLE if content[k] != getattr(current, k))
        if not changed:
            raise ValidationFailed(_("Nothing was changed: the amendment would say the same "
                                     "as the note."), errors={"body": [_("Change something, "
                                                                       "or cancel.")]})
        membership = actor.membership
        assert membership is not None
        amendment = CaseNote(
            person=person, amends=root, kind=root.kind, occurred_at=root.occurred_at,
            organisation=membership.organisation, author=membership, author_name=_name(actor),
            author_role=membership.role, author_title=membership.job_title,
            sensitivity=root.sensitivity, audience_roles=root.audience_roles,
            audience_kinds=root.audience_kinds, amendment_reason=why,
            recorded_at=timezone.now(), **content)
        amendment.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="CaseNote", object_id=str(root.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"amendment": str(amendment.pk), "fields": changed})
        if root.sensitivity == rules.CARE_TEAM:
            timeline_add(actor=actor, person_id=person.pk, kind="notes.note_amended",
                         object_type="CaseNote", object_id=str(root.pk),
                         data={"summary": amendment.summary, "author": amendment.author_name,
                               "reason": why, "fields": changed})
    return amendment


def attachment_add(*, actor: Actor, person_id: Any, note_id: Any,
                   upload: Upload) -> Attachment:
    """Attach a file to a note (the note's organisation only; the note's sensitivity)."""
    errors: Errors = {}
    checked = _checked_uploads([upload], errors)
    if errors:
        raise ValidationFailed(_("Check the file."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.WRITE_NOTE,
                                   audit_action="update", object_type="Attachment",
                                   object_id=str(note_id))
        root = _root_for_change(actor, person, decision, note_id)
        result, blob = checked[0]
        attachment = _attach(actor, root, result, blob, timezone.now())
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                     object_type="Attachment", object_id=str(attachment.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"note": str(root.pk), "size": result.size,
                             "content_type": result.content_type})
    return attachment


def attachment_read(*, actor: Actor, person_id: Any, note_id: Any,
                    attachment_id: Any) -> tuple[Attachment, bytes]:
    """The file, for the gated download (audited as a read of the attachment)."""
    _person, attachment = selectors.attachment_file(actor=actor, person_id=person_id,
                                                    note_id=note_id,
                                                    attachment_id=attachment_id)
    return attachment, storage.read(attachment.sha256)


# -- care-team contacts ----------------------------------------------------------------------

CONTACT_FIELDS = {"phone", "email", "hours", "key_worker", "lead_coordinator"}


def team_contact_update(*, actor: Actor, person_id: Any, member_id: Any,
                        data: Mapping[str, Any], expected_version: int | None) -> TeamContact:
    """A care-team member's contact details, set by their own organisation; which member is
    the organisation's key worker (one per person per organisation: setting one unsets the
    other) and who is the lead coordinator (one per person)."""
    errors: Errors = {}
    for name in sorted(set(data) - CONTACT_FIELDS):
        errors.setdefault(name[:60], []).append(_("Unknown field."))
    clean: dict[str, Any] = {}
    for name, limit in (("phone", 40), ("email", 254), ("hours", 200)):
        if name in data:
            clean[name] = clean_text(data, name, limit, errors)
    if clean.get("email") and ("@" not in clean["email"] or " " in clean["email"]):
        errors.setdefault("email", []).append(_("Enter an email address like name@example.org."))
    if clean.get("phone") and not any(ch.isdigit() for ch in clean["phone"]):
        errors.setdefault("phone", []).append(_("Enter a phone number, like 01632 960 001."))
    for flag in ("key_worker", "lead_coordinator"):
        if flag in data:
            if not isinstance(data[flag], bool):
                errors.setdefault(flag, []).append(_("Answer yes or no."))
            else:
                clean[flag] = data[flag]
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.CHANGE_TEAM_CONTACTS,
                                   audit_action="update", object_type="TeamContact",
                                   object_id=str(member_id), for_update=True)
        member = selectors.active_team_member(person, member_id)
        if member is None:
            deny(actor, person.pk, "update", Basis.NOT_FOUND, "TeamContact", str(member_id))
        assert member is not None
        if member.organisation_id != actor.organisation_id:
            raise NotPermitted(_("Each organisation keeps its own contact details. You can "
                                 "change your own organisation's."))
        contact = _lock(TeamContact.objects.filter(member=member)).first()
        if contact is None:
            if expected_version not in (None, 0, 1):
                raise _stale(_("contact"), 0)
            contact = TeamContact(member=member, person=person,
                                  organisation_id=member.organisation_id, version=0)
        elif expected_version is not None and contact.version != expected_version:
            raise _stale(_("contact"), contact.version)
        before = {k: getattr(contact, k) for k in CONTACT_FIELDS}
        for key, value in clean.items():
            setattr(contact, key, value)
        if clean.get("key_worker"):
            TeamContact.objects.filter(person=person, organisation_id=member.organisation_id,
                                       key_worker=True).exclude(pk=contact.pk).update(
                key_worker=False)
        if clean.get("lead_coordinator"):
            TeamContact.objects.filter(person=person, lead_coordinator=True).exclude(
                pk=contact.pk).update(lead_coordinator=False)
        changed = sorted(k for k in CONTACT_FIELDS if getattr(contact, k) != before[k])
        contact.version += 1
        contact.updated_by = actor.membership
        try:
            with transaction.atomic():
                contact.save()
        except IntegrityError:
            raise DuplicateRecord(_("Someone else changed the key worker or the lead "
                                    "coordinator at the same time. Reload and try again.")
                                  ) from None
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="TeamContact", object_id=str(member.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"fields": changed})
        name = member.staff.user.get_full_name() if member.staff_id and member.staff else ""
        if "lead_coordinator" in changed and contact.lead_coordinator:
            timeline_add(actor=actor, person_id=person.pk, kind="notes.lead_coordinator",
                         object_type="TeamContact", object_id=str(member.pk),
                         data={"organisation": member.organisation.name, "role": member.role,
                               "name": name})
        elif "key_worker" in changed and contact.key_worker:
            timeline_add(actor=actor, person_id=person.pk, kind="notes.key_worker",
                         object_type="TeamContact", object_id=str(member.pk),
                         data={"organisation": member.organisation.name, "role": member.role,
                               "name": name})
    return contact


def out_of_hours_set(*, actor: Actor, phone: Any, details: Any = "") -> OutOfHours:
    """The actor's organisation's out-of-hours number (professionals of the organisation)."""
    if actor.membership is None or actor.role not in PROFESSIONAL_ROLES:
        raise NotPermitted(_("Only professionals of the organisation can change its "
                             "out-of-hours number."))
    errors: Errors = {}
    data = {"phone": phone, "details": details}
    number = clean_text(data, "phone", 40, errors, required=True,
                        required_message=_("Enter the out-of-hours number."))
    if number and not any(ch.isdigit() for ch in number):
        errors.setdefault("phone", []).append(_("Enter a phone number, like 01632 960 001."))
    text = clean_text(data, "details", 200, errors)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        assert actor.organisation_id is not None
        row, _created = OutOfHours.objects.update_or_create(
            organisation_id=actor.organisation_id,
            defaults={"phone": number, "details": text, "updated_by": actor.membership})
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, object_type="OutOfHours",
                     object_id=str(actor.organisation_id), purpose="direct_care")
    return row


def new_idempotency_key() -> str:
    return uuid.uuid4().hex
