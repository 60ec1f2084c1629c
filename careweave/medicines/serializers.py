"""The medicines list as plain dicts for the JSON API."""

from __future__ import annotations

from typing import Any

from careweave.medicines.models import Medicine, MedicineChange, Reconciliation


def _org(org: Any) -> dict[str, Any] | None:
    return {"id": org.pk, "name": org.name} if org is not None else None


def medicine_out(m: Medicine) -> dict[str, Any]:
    return {
        "id": m.pk, "name": m.name, "code_system": m.code_system, "code": m.code,
        "dose": m.dose, "route": m.route, "frequency": m.frequency, "as_needed": m.as_needed,
        "administered_by": m.administered_by, "instructions": m.instructions,
        "prescriber": _org(m.prescriber) if m.prescriber_id else None,
        "prescriber_other": m.prescriber_other, "started": m.started, "stopped": m.stopped,
        "stop_reason": m.stop_reason, "status": m.status, "recorded_by": _org(m.organisation),
        "version": m.version,
    }


def change_out(c: MedicineChange) -> dict[str, Any]:
    return {"kind": c.kind, "version": c.version, "at": c.at, "organisation": _org(c.organisation),
            "by": c.by_name, "before": c.before, "after": c.after, "reason": c.reason}


def review_out(r: Reconciliation | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"at": r.at, "by": r.confirmed_by_name, "organisation": _org(r.organisation),
            "note": r.note, "list_version": r.list_version}
