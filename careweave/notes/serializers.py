"""Warnings, notes and contacts as plain dicts for the JSON API."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from careweave.notes import selectors
from careweave.notes.models import CaseNote, PersonWarning, WarningKind


def _org(org: Any) -> dict[str, Any]:
    return {"id": org.pk, "name": org.name}


def warning_out(w: PersonWarning) -> dict[str, Any]:
    return {
        "id": w.pk, "kind": w.kind, "kind_label": str(dict(WarningKind.choices).get(w.kind, "")),
        "title": w.title, "details": w.details, "status": w.status,
        "sensitivity": w.sensitivity, "roles": sorted(w.roles),
        "organisation_kinds": sorted(w.organisation_kinds), "organisation": _org(w.organisation),
        "raised_by": w.raised_by_name, "raised_at": w.raised_at, "review_date": w.review_date,
        "reviewed_at": w.reviewed_at, "ended_at": w.ended_at, "end_reason": w.end_reason,
        "version": w.version,
    }


def content_out(n: CaseNote) -> dict[str, Any]:
    return {
        "id": n.pk, "with_whom": list(n.with_whom or []), "with_whom_detail": n.with_whom_detail,
        "summary": n.summary, "body": n.body, "follow_up": n.follow_up,
        "recorded_at": n.recorded_at, "reason": n.amendment_reason,
        "author": {"name": n.author_name, "role": n.author_role, "job_title": n.author_title,
                   "organisation": _org(n.organisation)},
    }


def note_out(n: CaseNote, *, full: bool = False) -> dict[str, Any]:
    amendments = getattr(n, "amendment_list", [])
    body: dict[str, Any] = {
        "id": n.pk, "kind": n.kind, "occurred_at": n.occurred_at, "sensitivity": n.sensitivity,
        "roles": sorted(n.roles), "version": selectors.note_version(n),
        "amended": bool(amendments),
        "current": content_out(amendments[0] if amendments else n), "original": content_out(n),
    }
    if full:
        body["amendments"] = [content_out(a) for a in amendments]
        body["attachments"] = [
            {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size,
             "sha256": a.sha256, "uploaded_at": a.uploaded_at,
             "url": reverse("api:note_attachment_get", kwargs={
                 "person_id": n.person_id, "note_id": n.pk, "attachment_id": a.pk})}
            for a in getattr(n, "attachment_list", [])]
    return body


def contact_out(member: Any) -> dict[str, Any]:
    contact = member.contact_or_none
    ooh = member.out_of_hours_or_none
    staff = member.staff.user.get_full_name() if member.staff_id and member.staff else ""
    return {
        "member_id": member.pk,
        "organisation": {"id": member.organisation.pk, "name": member.organisation.name,
                         "kind": member.organisation.kind},
        "role": member.role, "staff_name": staff,
        "phone": contact.phone if contact else "", "email": contact.email if contact else "",
        "hours": contact.hours if contact else "",
        "key_worker": bool(contact and contact.key_worker),
        "lead_coordinator": bool(contact and contact.lead_coordinator),
        "out_of_hours": {"phone": ooh.phone, "details": ooh.details} if ooh else None,
        "version": contact.version if contact else 0,
    }
