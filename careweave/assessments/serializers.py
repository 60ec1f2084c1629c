"""Our rows as the API's JSON shapes."""

from __future__ import annotations

from typing import Any

from careweave.assessments.definitions import text_in
from careweave.assessments.models import Assessment, InstrumentVersion, SafetyFlag


def _band_label(definition: dict[str, Any], code: str) -> str:
    for band in definition.get("scoring", {}).get("bands", []):
        if band["code"] == code:
            return text_in(band.get("label"), "en")
    return ""


def instrument_out(version: InstrumentVersion) -> dict[str, Any]:
    d = version.definition
    code = version.instrument.code
    return {"code": code, "version": version.version, "name": d.get("name", {}),
            "title": d.get("title", {}), "languages": d.get("languages", ["en"]),
            "audience": version.audience, "licence": d.get("licence", {}),
            "scoring_method": d.get("scoring", {}).get("method", "none"),
            "url": f"/api/v1/instruments/{code}?version={version.version}",
            "questionnaire": f"/api/v1/instruments/{code}/questionnaire?version="
                             f"{version.version}"}


def assessment_out(row: Assessment, *, change: str = "") -> dict[str, Any]:
    d = row.definition
    result = row.result or {}
    try:
        corrected_by = row.correction.pk  # type: ignore[attr-defined]
    except Assessment.DoesNotExist:  # not corrected
        corrected_by = None
    return {
        "id": row.pk, "url": f"/api/v1/people/{row.person_id}/assessments/{row.pk}",
        "instrument": row.instrument.code, "instrument_version": row.instrument_version.version,
        "status": row.status, "mode": row.mode, "language": row.language,
        "taken_on": row.taken_on, "submitted_at": row.submitted_at,
        "organisation": row.organisation.name, "recorded_by": row.recorded_by_name,
        "answers": row.answers or {},
        "score": {"total": row.total, "band": row.band, "band_label": _band_label(d, row.band),
                  "prorated": row.prorated, "scoring_version": row.scoring_version,
                  "unscored_reason": row.unscored_reason,
                  "domains": result.get("domains", {}), "concerns": result.get("concerns", []),
                  "flags": result.get("flags", [])},
        "version": row.version, "corrects": row.corrects_id, "corrected_by": corrected_by,
        "correction_reason": row.correction_reason, "change": change,
    }


def flag_out(flag: SafetyFlag) -> dict[str, Any]:
    return {"id": flag.pk, "code": flag.code, "status": flag.status,
            "assessment": flag.assessment_id, "raised_at": flag.raised_at,
            "reviewed_at": flag.reviewed_at, "reviewed_by": flag.reviewed_by_name,
            "review_note": flag.review_note, "version": flag.version}
