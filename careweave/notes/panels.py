"""What ``notes`` adds to the person's pages through the registry: the warnings banner on
every page of the person, the case-notes and care-team-contacts panels, the timeline kinds
its services write, the warnings flag on the caseload, and its part of the demo and of
the seeded population."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.access.policy import Action
from careweave.core.registry import (
    CaseloadFlag,
    DemoStep,
    Panel,
    PersonBanner,
    TimelineKind,
    registry,
)
from careweave.notes import selectors
from careweave.notes.models import WARNING_TAGS, ContactKind, WarningKind

NOTES_ON_PAGE = 5
FLAG_TAGS = 3


def warnings_banner(actor: Any, person: Any, decision: Any) -> dict[str, Any] | None:
    """The person's active warnings the actor may see (one query); no banner without."""
    warnings = selectors.warnings_for(actor=actor, person=person, decision=decision)
    if not warnings:
        return None
    return {"warnings": warnings, "may_record": decision.may(Action.RECORD_WARNING)}


def warnings_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    """Links only (no query): the warnings themselves are on the banner above."""
    return {"may_record": decision.may(Action.RECORD_WARNING)}


def notes_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    page = selectors.notes_page(actor=actor, person=person, decision=decision,
                                size=NOTES_ON_PAGE)
    return {"notes": page.items, "more": page.next_cursor is not None,
            "may_write": decision.may(Action.WRITE_NOTE)}


def contacts_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    members = selectors.team_contacts(person)
    may = decision.may(Action.CHANGE_TEAM_CONTACTS)
    for member in members:
        member.may_change = (  # type: ignore[attr-defined]
            may and member.organisation_id == actor.organisation_id)
    return {"members": members, "may_change_any": may}


def warning_flags(actor: Any, people: Sequence[Any]) -> dict[Any, str]:
    """"Warnings: DNACPR / ReSPECT, Allergy" beside each person with warnings the actor
    may see (two queries for the whole page, whatever its size)."""
    out: dict[Any, str] = {}
    for pk, warnings in selectors.flag_warnings(actor, people).items():
        tags = []
        for w in warnings:
            if w.tag not in tags:
                tags.append(w.tag)
        text = ", ".join(tags[:FLAG_TAGS])
        if len(tags) > FLAG_TAGS:
            text += " " + _("and %(n)d more") % {"n": len(tags) - FLAG_TAGS}
        out[pk] = _("Warnings: %(tags)s") % {"tags": text}
    return out


# -- timeline ----------------------------------------------------------------------------------


def _warning_kind(code: str) -> str:
    return str(WARNING_TAGS.get(code, dict(WarningKind.choices).get(code, code)))


def describe_warning_raised(entry: Any) -> str:
    return _("%(organisation)s put a warning on the record (%(kind)s): %(title)s") % {
        "organisation": entry.data["organisation"], "kind": _warning_kind(entry.data["kind"]),
        "title": entry.data["title"]}


def describe_warning_reviewed(entry: Any) -> str:
    day = entry.data.get("review_date")
    when = formats.date_format(dt.date.fromisoformat(day), "DATE_FORMAT") if day else "–"
    return _("Warning reviewed and kept (%(kind)s): %(title)s. Next review by %(date)s.") % {
        "kind": _warning_kind(entry.data["kind"]), "title": entry.data["title"], "date": when}


def describe_warning_ended(entry: Any) -> str:
    return _("%(organisation)s ended a warning (%(kind)s): %(title)s. Reason: %(reason)s") % {
        "organisation": entry.data["organisation"], "kind": _warning_kind(entry.data["kind"]),
        "title": entry.data["title"], "reason": entry.data["reason"]}


def describe_note(entry: Any) -> str:
    kind = str(dict(ContactKind.choices).get(entry.data["kind"], entry.data["kind"]))
    return _("%(kind)s noted by %(author)s: %(summary)s") % {
        "kind": kind, "author": entry.data["author"], "summary": entry.data["summary"]}


def describe_amended(entry: Any) -> str:
    return _("%(author)s amended a note (%(summary)s). Why: %(reason)s") % {
        "author": entry.data["author"], "summary": entry.data["summary"],
        "reason": entry.data["reason"]}


def describe_lead(entry: Any) -> str:
    who = entry.data.get("name") or entry.data["role"]
    return _("%(who)s (%(organisation)s) is now the lead coordinator.") % {
        "who": who, "organisation": entry.data["organisation"]}


def describe_key_worker(entry: Any) -> str:
    who = entry.data.get("name") or entry.data["role"]
    return _("%(who)s is now %(organisation)s's key worker.") % {
        "who": who, "organisation": entry.data["organisation"]}


WARNINGS = gettext_lazy("Warnings")
NOTES = gettext_lazy("Case notes")
CONTACTS = gettext_lazy("Care-team contacts")


def register() -> None:
    from careweave.notes import demo, merging

    merging.register()

    registry.person_banner(PersonBanner(key="notes.warnings", template="notes/banner.html",
                                        load=warnings_banner, order=10, app="notes"))
    registry.panel(Panel(key="notes.warnings", title=WARNINGS,
                         template="notes/panels/warnings.html", load=warnings_panel, order=15,
                         app="notes"))
    registry.panel(Panel(key="notes.contacts", title=CONTACTS,
                         template="notes/panels/contacts.html", load=contacts_panel, order=25,
                         app="notes"))
    registry.panel(Panel(key="notes.notes", title=NOTES, template="notes/panels/notes.html",
                         load=notes_panel, order=50, app="notes"))
    for key, label, describe, group in (
        ("notes.warning_raised", gettext_lazy("Warning raised"), describe_warning_raised,
         WARNINGS),
        ("notes.warning_reviewed", gettext_lazy("Warning reviewed"), describe_warning_reviewed,
         WARNINGS),
        ("notes.warning_ended", gettext_lazy("Warning ended"), describe_warning_ended, WARNINGS),
        ("notes.note_recorded", gettext_lazy("Case note"), describe_note, NOTES),
        ("notes.note_amended", gettext_lazy("Case note amended"), describe_amended, NOTES),
        ("notes.lead_coordinator", gettext_lazy("Lead coordinator"), describe_lead, CONTACTS),
        ("notes.key_worker", gettext_lazy("Key worker"), describe_key_worker, CONTACTS),
    ):
        registry.timeline_kind(TimelineKind(key=key, label=label, describe=describe,
                                            group=group, app="notes"))
    registry.caseload_flag(CaseloadFlag(key="notes.warnings", label=WARNINGS,
                                        load=warning_flags, colour="red", order=10,
                                        app="notes"))
    registry.demo_step(DemoStep(key="notes.demo", run=demo.run, order=50, app="notes"))
    registry.seed_step(DemoStep(key="notes.seed", run=demo.seed, order=50, app="notes"))
