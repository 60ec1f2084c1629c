"""Writes to the medicines list: add, change, stop, and confirm the list in reconciliation.

Keyword-only, ``actor`` first, one ``careweave.core.db.atomic()`` each, with the gate
(the policy's CHANGE_MEDICINES or RECONCILE_MEDICINES row), the change, a
:class:`MedicineChange` row (who changed what, before and after), the audit event and the
timeline entry together. Every problem with the input is reported at once, before anything
is written; a stale version is a 412.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.access.gate import Action, Basis, deny, require
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import StaleVersion, ValidationFailed
from careweave.core.text import has_visible_text
from careweave.medicines import codes, rules, selectors
from careweave.medicines.models import (
    AdministeredBy,
    CodeSystem,
    Medicine,
    MedicineChange,
    Reconciliation,
    Route,
)
from careweave.orgs.models import Organisation
from careweave.people.names import nfc
from careweave.people.timeline import timeline_add

Errors = dict[str, list[str]]
TEXT = {"name": 200, "dose": 100, "frequency": 100, "instructions": 500,
        "prescriber_other": 200}
FIELDS = set(TEXT) | {"code_system", "code", "route", "as_needed", "administered_by",
                      "prescriber_id", "started"}
REQUIRED = {"name": gettext_lazy("Enter the medicine's name."), "dose": gettext_lazy("Enter the dose."),
            "frequency": gettext_lazy("Say how often it is taken.")}


def _text(data: Mapping[str, Any], name: str, limit: int, errors: Errors) -> str:
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append(_("Enter text."))
        return ""
    value = nfc(value).strip()
    if "\x00" in value:
        errors.setdefault(name, []).append(_("Remove the invalid character."))
    elif "\ufffd" in value:
        errors.setdefault(name, []).append(
            _("Some characters could not be read. Type the text again."))
    elif len(value) > limit:
        errors.setdefault(name, []).append(
            _("Must be %(limit)d characters or fewer.") % {"limit": limit})
    else:
        return value
    return ""


def _day(value: Any, name: str, errors: Errors) -> dt.date | None:
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
    errors.setdefault(name, []).append(_("Enter a real date, like 2026-03-27."))
    return None


DATE_MESSAGES = {
    "started_missing": gettext_lazy("Enter the date it was started."),
    "started_too_early": gettext_lazy("Enter a date after 1900."),
    "started_too_late": gettext_lazy("A planned start must be within a year."),
    "stopped_before_started": gettext_lazy("A medicine cannot be stopped before it was started."),
    "stopped_in_future": gettext_lazy("Enter the date it was stopped: today or earlier."),
}
CODE_MESSAGES = {
    "system": gettext_lazy("Choose dm+d or NPL for the code."),
    "digits": gettext_lazy("A code has digits only."),
    "length": gettext_lazy("This is not the length of a code of this kind."),
    "check": gettext_lazy("This dm+d code is not valid: check the digits."),
    "partition": gettext_lazy("This is not a dm+d code of a medicine."),
    "date": gettext_lazy("This NPL id is not valid: it begins with the date it was issued."),
}


def clean_medicine(data: Mapping[str, Any], *, partial: bool, today: dt.date,
                   current: Medicine | None = None) -> dict[str, Any]:
    """Validate and normalise medicine fields, every problem at once."""
    errors: Errors = {}
    for name in sorted(set(data) - FIELDS):
        errors.setdefault(name[:60], []).append(
            _("Stop a medicine with Stop, and give the reason.")
            if name in ("stopped", "stop_reason", "status") else _("Unknown field."))
    out: dict[str, Any] = {}
    for name, limit in TEXT.items():
        if name in data or not partial:
            out[name] = _text(data, name, limit, errors)
            if name in REQUIRED and name not in errors and not has_visible_text(out[name]):
                errors.setdefault(name, []).append(str(REQUIRED[name]))
    if "route" in data or not partial:
        if data.get("route") not in Route.values:
            errors.setdefault("route", []).append(_("Choose how it is taken."))
        else:
            out["route"] = data["route"]
    if "administered_by" in data or not partial:
        if data.get("administered_by") not in AdministeredBy.values:
            errors.setdefault("administered_by", []).append(_("Choose who gives it."))
        else:
            out["administered_by"] = data["administered_by"]
    if "as_needed" in data:
        if not isinstance(data["as_needed"], bool):
            errors.setdefault("as_needed", []).append(_("Answer yes or no."))
        else:
            out["as_needed"] = data["as_needed"]
    if "code_system" in data or "code" in data or not partial:
        system = data.get("code_system", current.code_system if current else "") or ""
        code = str(data.get("code", current.code if current else "") or "").strip()
        if system not in CodeSystem.values:
            errors.setdefault("code_system", []).append(str(CODE_MESSAGES["system"]))
        elif code and not system:
            errors.setdefault("code_system", []).append(str(CODE_MESSAGES["system"]))
        elif system and not code:
            errors.setdefault("code", []).append(_("Enter the code, or choose No code."))
        elif code:
            try:
                code = codes.normalise(system, code[:40], today=today)
            except codes.InvalidCode as exc:
                errors.setdefault("code", []).append(str(CODE_MESSAGES[exc.code]))
        out["code_system"], out["code"] = system, code
    if "prescriber_id" in data:
        pid = data.get("prescriber_id")
        if pid in (None, ""):
            out["prescriber"] = None
        else:
            org = Organisation.objects.filter(pk=pid).first() if _is_uuid(pid) else None
            if org is None:
                errors.setdefault("prescriber_id", []).append(_("Choose from the list."))
            else:
                out["prescriber"] = org
    if "started" in data or not partial:
        started = _day(data.get("started"), "started", errors)
        if "started" not in errors:
            stopped = current.stopped if current else None
            for code in rules.date_problems(started, stopped, today=today).values():
                errors.setdefault("started", []).append(str(DATE_MESSAGES[code]))
            out["started"] = started
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    return out


def _is_uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def snapshot(m: Medicine) -> dict[str, Any]:
    """A medicine as it stands, for its history and for the reconciliation view."""
    return {
        "name": m.name, "code_system": m.code_system, "code": m.code, "dose": m.dose,
        "route": m.route, "frequency": m.frequency, "as_needed": m.as_needed,
        "administered_by": m.administered_by, "instructions": m.instructions,
        "prescriber": m.prescriber.name if m.prescriber_id and m.prescriber else
        m.prescriber_other, "started": m.started.isoformat() if m.started else "",
        "stopped": m.stopped.isoformat() if m.stopped else "", "status": m.status,
    }


def _name(actor: Actor) -> str:
    user = actor.user
    return ((user.get_full_name() if hasattr(user, "get_full_name") else "")
            or user.get_username())[:200]


def _record_change(actor: Actor, m: Medicine, kind: str, before: dict[str, Any],
                   reason: str, now: dt.datetime) -> None:
    assert actor.membership is not None
    MedicineChange.objects.create(
        medicine=m, person_id=m.person_id, kind=kind, version=m.version, at=now,
        organisation=actor.membership.organisation, membership=actor.membership,
        by_name=_name(actor), before=before, after=snapshot(m), reason=reason)


def medicine_add(*, actor: Actor, person_id: Any, data: Mapping[str, Any]) -> Medicine:
    """Add a medicine to the person's shared list."""
    fields = clean_medicine(data, partial=False, today=timezone.localdate())
    fields.setdefault("as_needed", False)
    with atomic():
        person, decision = require(actor, person_id, Action.CHANGE_MEDICINES,
                                   audit_action="create", object_type="Medicine")
        membership = actor.membership
        assert membership is not None
        now = timezone.now()
        m = Medicine.objects.create(person=person, organisation=membership.organisation,
                                    recorded_by=membership, updated_by=membership,
                                    created_at=now, updated_at=now, **fields)
        _record_change(actor, m, MedicineChange.Kind.STARTED, {}, "", now)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                     object_type="Medicine", object_id=str(m.pk), purpose=decision.purpose,
                     legal_basis=str(decision.basis))
        timeline_add(actor=actor, person_id=person.pk, kind="medicines.started",
                     object_type="Medicine", object_id=str(m.pk), at=now,
                     data={"name": m.name, "dose": m.dose, "frequency": m.frequency,
                           "organisation": membership.organisation.name})
    return m


def _for_change(actor: Actor, person: Any, medicine_id: Any, event: str,
                expected_version: int | None) -> Medicine:
    found = selectors.find_medicine(medicine_id)(person)
    if found is None:
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "Medicine", str(medicine_id))
    assert found is not None
    qs = Medicine.objects.filter(pk=found.pk).select_related("prescriber")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(of=("self",))
    m = qs.get()
    if expected_version is not None and m.version != expected_version:
        raise StaleVersion(_("Someone else changed this medicine. Reload it and make your "
                             "change again."), extra={"current_version": m.version})
    if rules.next_state(m.status, event) is None:
        raise ValidationFailed(_("This medicine has been stopped: add it again to start it "
                                 "again."), errors={"status": [_("Stopped.")]})
    return m


def medicine_change(*, actor: Actor, person_id: Any, medicine_id: Any,
                    changes: Mapping[str, Any], expected_version: int | None,
                    reason: Any = "") -> Medicine:
    """Change a medicine being taken (a new dose, say), with an optional reason."""
    errors: Errors = {}
    why = _text({"reason": reason}, "reason", 500, errors)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.CHANGE_MEDICINES,
                                   audit_action="update", object_type="Medicine",
                                   object_id=str(medicine_id))
        m = _for_change(actor, person, medicine_id, "change", expected_version)
        fields = clean_medicine(changes, partial=True, today=timezone.localdate(), current=m)
        before = snapshot(m)
        changed = sorted(k for k, v in fields.items() if getattr(m, k) != v)
        if not changed:
            raise ValidationFailed(_("Nothing was changed."),
                                   errors={"dose": [_("Change something, or cancel.")]})
        for key, value in fields.items():
            setattr(m, key, value)
        now = timezone.now()
        m.version += 1
        m.updated_by = actor.membership  # type: ignore[assignment]
        m.updated_at = now
        m.save()
        _record_change(actor, m, MedicineChange.Kind.CHANGED, before, why, now)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Medicine", object_id=str(m.pk), purpose=decision.purpose,
                     legal_basis=str(decision.basis), detail={"fields": changed})
        assert actor.membership is not None
        timeline_add(actor=actor, person_id=person.pk, kind="medicines.changed",
                     object_type="Medicine", object_id=str(m.pk), at=now,
                     data={"name": m.name, "before": f"{before['dose']}, {before['frequency']}",
                           "after": f"{m.dose}, {m.frequency}", "reason": why,
                           "organisation": actor.membership.organisation.name})
    return m


def medicine_stop(*, actor: Actor, person_id: Any, medicine_id: Any, stopped: Any,
                  reason: Any, expected_version: int | None) -> Medicine:
    """Stop a medicine, on a date (not before it started, not in the future), with a
    reason."""
    errors: Errors = {}
    day = _day(stopped, "stopped", errors)
    if day is None and "stopped" not in errors:
        errors["stopped"] = [_("Enter the date it was stopped.")]
    why = _text({"reason": reason}, "reason", 500, errors)
    if "reason" not in errors and not has_visible_text(why, 3):
        errors["reason"] = [_("Say why it was stopped.")]
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.CHANGE_MEDICINES,
                                   audit_action="update", object_type="Medicine",
                                   object_id=str(medicine_id))
        m = _for_change(actor, person, medicine_id, "stop", expected_version)
        problems = rules.date_problems(m.started, day, today=timezone.localdate())
        if "stopped" in problems:
            raise ValidationFailed(_("Check the highlighted fields."),
                                   errors={"stopped": [str(DATE_MESSAGES[problems["stopped"]])]})
        before = snapshot(m)
        now = timezone.now()
        m.status = rules.next_state(m.status, "stop") or rules.STOPPED
        m.stopped, m.stop_reason = day, why
        m.version += 1
        m.updated_by = actor.membership  # type: ignore[assignment]
        m.updated_at = now
        m.save()
        _record_change(actor, m, MedicineChange.Kind.STOPPED, before, why, now)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Medicine", object_id=str(m.pk), purpose=decision.purpose,
                     legal_basis=str(decision.basis), detail={"event": "stop"})
        assert actor.membership is not None
        timeline_add(actor=actor, person_id=person.pk, kind="medicines.stopped",
                     object_type="Medicine", object_id=str(m.pk), at=now,
                     data={"name": m.name, "reason": why,
                           "organisation": actor.membership.organisation.name})
    return m


def medicines_reconcile(*, actor: Actor, person_id: Any, expected_list_version: str | None,
                        note: Any = "") -> Reconciliation:
    """A clinician confirms the list as it stands: every organisation's changes reviewed.
    ``expected_list_version`` (the list's ETag when they read it) makes sure they confirm
    what they saw."""
    errors: Errors = {}
    text = _text({"note": note}, "note", 1000, errors)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.RECONCILE_MEDICINES,
                                   audit_action="update", object_type="Reconciliation",
                                   for_update=True)
        medicines = selectors.medicines_for(person)
        version = selectors.list_version_of(medicines)
        if expected_list_version is not None and expected_list_version != version:
            raise StaleVersion(_("The list changed while you were reviewing it. Look at it "
                                 "again, then confirm."))
        membership = actor.membership
        assert membership is not None
        now = timezone.now()
        row = Reconciliation.objects.create(
            person=person, organisation=membership.organisation, confirmed_by=membership,
            confirmed_by_name=_name(actor), at=now, list_version=version,
            snapshot={str(m.pk): m.version for m in medicines}, note=text)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Reconciliation", object_id=str(row.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"medicines": len(medicines)})
        timeline_add(actor=actor, person_id=person.pk, kind="medicines.reconciled",
                     object_type="Reconciliation", object_id=str(row.pk), at=now,
                     data={"by": row.confirmed_by_name,
                           "organisation": membership.organisation.name,
                           "taking": sum(1 for m in medicines if m.status == rules.ACTIVE)})
    return row


def medicines_print(*, actor: Actor, person_id: Any) -> tuple[Any, list[Medicine],
                                                                Reconciliation | None]:
    """The list for printing (a care home's or the person's copy), audited as an export."""
    with atomic():
        person, decision = require(actor, person_id, audit_action="export",
                                   object_type="MedicineList")
        medicines = [m for m in selectors.medicines_for(person) if m.status == rules.ACTIVE]
        last = selectors.last_review(person)
        audit_record(actor=actor, action=AuditEvent.Action.EXPORT, person_id=person.pk,
                     object_type="MedicineList", object_id=str(person.pk),
                     purpose=decision.purpose or "direct_care",
                     legal_basis=str(decision.basis), detail={"medicines": len(medicines)})
    return person, medicines, last
