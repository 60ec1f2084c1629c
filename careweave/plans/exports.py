"""The plan as a document: for the print page, the PDF (WeasyPrint) and the API's export,
from one snapshot (an agreed version, or the plan as it reads now), in English or
Swedish, with an easy-read layout (larger type, short sentences, the person's words
first).

Cached PDFs: an agreed version never changes, so its PDF is rendered once per variant and
kept (:class:`plans.models.PlanPdf`); :func:`pdf_of` serves it from there afterwards. The
variant's key (:func:`pdf_key`) is a SHA-256 over the renderer's fingerprint, the version,
the language, easy read, and the canonical JSON of the document exactly as this reader may
see it (:func:`document`): a reader who may not see a sensitive section gets another key,
and so another PDF, than one who may. A draft (the plan as it reads now) is rendered every
time. Bump ``RENDERER_VERSION`` when the output changes in a way the fingerprint cannot
see (the templates, the stylesheet, the translations and WeasyPrint's version it sees).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import uuid
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.template.loader import get_template, render_to_string
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from careweave.plans import rules
from careweave.plans.models import (
    AgreementMethod,
    GivenBy,
    Goal,
    Participant,
    PlanAction,
    PlanPdf,
    PlanType,
    PlanVersion,
)

LEVEL_LABELS = ("−2", "−1", "0", "+1", "+2")
RENDERER_VERSION = 1  # bump when the PDF changes in a way _fingerprint() does not see
TEMPLATES = ("plans/document/pdf.html", "plans/document/_document.html")


def _date(value: str | None) -> str:
    if not value:
        return ""
    return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")


def _name(ref: Mapping[str, Any] | None) -> str:
    return str(ref.get("name", "")) if ref else ""


def document(snap: Mapping[str, Any], *, person: Any, version: PlanVersion | None,
             withheld: int, agreements: Mapping[str, Mapping[str, Any]] | None = None
             ) -> dict[str, Any]:
    """Display-ready content of a snapshot, in the active language (call it inside
    ``translation.override``)."""
    goals = []
    numbers: dict[str, int] = {}
    sub = 0
    for g in snap.get("goals", []):
        if g["kind"] == Goal.Kind.SUB:
            sub += 1
            numbers[g["id"]] = sub
        goals.append({
            **g, "overall": g["kind"] == Goal.Kind.OVERALL, "number": numbers.get(g["id"]),
            "target": _date(g.get("target_date")),
            "levels": [(label, g[field]) for label, field in zip(LEVEL_LABELS, rules.GAS_LEVELS,
                                                                 strict=True)],
        })
    statuses = dict(PlanAction.Status.choices)
    by_org: dict[str, dict[str, Any]] = {}
    for a in snap.get("actions", []):
        org = a.get("organisation") or {}
        group = by_org.setdefault(str(org.get("id")), {"name": org.get("name", ""), "actions": []})
        goal_id = (a.get("goal") or {}).get("id")
        group["actions"].append({
            **a, "staff_name": _name(a.get("staff")), "start": _date(a.get("start_date")),
            "due": _date(a.get("due_date")), "status_label": str(statuses.get(a["status"], "")),
            "goal_number": numbers.get(str(goal_id)) if goal_id else None,
        })
    for key, group in by_org.items():
        agreed = (agreements or {}).get(key)
        group["agreed"] = agreed.get("agreed") if agreed else None
    kinds = dict(Participant.Kind.choices)
    agreement = None
    if version is not None:
        agreement = {
            "number": version.number, "on": formats.date_format(version.agreed_on, "DATE_FORMAT"),
            "by_person": version.given_by == GivenBy.PERSON,
            "representative": version.representative_name,
            "method": str(dict(AgreementMethod.choices).get(version.method, "")),
            "recorded_by": version.organisation_name, "note": version.note,
        }
    return {
        # plain values only, so that the document has one canonical JSON (pdf_key)
        "person": {"id": str(person.pk), "display_name": person.display_name,
                   "birth_date": person.birth_date},
        "plan_type": str(dict(PlanType.choices).get(snap["plan_type"], snap["plan_type"])),
        "situation": snap.get("situation", ""), "what_matters": snap.get("what_matters", ""),
        "coordinating_organisation": _name(snap.get("coordinating_organisation")),
        "coordinator": _name(snap.get("coordinator")),
        "follow_up": _date(snap.get("follow_up_date")),
        "contingency": snap.get("contingency", ""),
        "goals": goals, "organisations": sorted(by_org.values(), key=lambda o: o["name"]),
        "sections": snap.get("sections", []),
        "participants": [{**p, "kind_label": str(kinds.get(p["kind"], "")),
                          "organisation_name": _name(p.get("organisation"))}
                         for p in snap.get("participants", [])],
        "agreement": agreement, "withheld": withheld,
        "draft": version is None,
    }


def render_html(doc: Mapping[str, Any], *, language: str, easy_read: bool,
                for_pdf: bool) -> str:
    with translation.override(language):
        return render_to_string("plans/document/pdf.html" if for_pdf else
                                "plans/document/_document.html",
                                {"doc": doc, "easy_read": easy_read, "language": language})


def _stylesheet() -> str:
    found = finders.find("plans/document.css")
    assert found, "plans/document.css is missing from the static files"
    return str(found if isinstance(found, str) else found[0])


def render_pdf(doc: Mapping[str, Any], *, language: str, easy_read: bool) -> bytes:
    """The document as a PDF (WeasyPrint, fonts from the system; nothing fetched)."""
    import weasyprint

    html = render_html(doc, language=language, easy_read=easy_read, for_pdf=True)

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError(f"the plan's PDF fetches nothing: {url[:80]}")

    stylesheet = weasyprint.CSS(filename=_stylesheet())
    pdf = weasyprint.HTML(string=html, base_url=str(Path(_stylesheet()).parent),
                          url_fetcher=no_fetch).write_pdf(stylesheets=[stylesheet])
    assert pdf is not None
    return bytes(pdf)


def pdf_filename(doc: Mapping[str, Any], version: PlanVersion | None, language: str) -> str:
    with translation.override(language):
        what = _("plan")
    suffix = f"v{version.number}" if version is not None else "draft"
    return f"{what}-{suffix}.pdf"


# -- cached PDFs of agreed versions -------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Promise):  # a lazy translation
        return str(value)
    raise TypeError(f"the plan's document holds a {type(value).__name__}: no canonical form")


@functools.cache
def _fingerprint() -> str:
    """The renderer as it is deployed: its version, WeasyPrint's, and the bytes of the
    templates, the stylesheet and the Swedish messages the PDF is made from."""
    digest = hashlib.sha256(f"{RENDERER_VERSION}|{metadata.version('weasyprint')}".encode())
    files = [Path(str(get_template(name).origin.name))  # type: ignore[attr-defined]
             for name in TEMPLATES]
    files += [Path(_stylesheet()),
              Path(__file__).resolve().parents[1] / "locale/sv/LC_MESSAGES/django.po"]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


def pdf_key(doc: Mapping[str, Any], *, version: PlanVersion, language: str,
            easy_read: bool) -> str:
    """SHA-256 of everything the PDF of an agreed version depends on (see the module)."""
    canonical = json.dumps(
        {"renderer": _fingerprint(), "version": str(version.pk), "language": language,
         "easy_read": bool(easy_read), "doc": doc},
        default=_plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def pdf_of(doc: Mapping[str, Any], *, version: PlanVersion | None, language: str,
           easy_read: bool) -> bytes:
    """The document as a PDF: a draft rendered now; an agreed version rendered once per
    variant and served from :class:`PlanPdf` after that (one index probe on the key).

    Two requests that miss at once both render; the first to store wins, and the other
    serves the stored bytes, so every reader of a variant gets the same file."""
    if version is None:
        return render_pdf(doc, language=language, easy_read=easy_read)
    key = pdf_key(doc, version=version, language=language, easy_read=easy_read)
    stored = _stored(key)
    if stored is not None:
        return stored
    pdf = render_pdf(doc, language=language, easy_read=easy_read)
    try:
        with transaction.atomic():
            PlanPdf.objects.create(version=version, person_id=version.person_id, key=key,
                                   language=language, easy_read=bool(easy_read), content=pdf,
                                   size=len(pdf))
    except IntegrityError:
        stored = _stored(key)
        if stored is not None:
            return stored
        raise
    return pdf


def _stored(key: str) -> bytes | None:
    found = list(PlanPdf.objects.filter(key=key).values_list("content", flat=True)[:1])
    return bytes(found[0]) if found else None
