"""What ``people`` adds to its own hub through the registry, exactly as any other app does:
the social-network and timeline panels, the timeline kinds its services write, and the
"interpreter" flag on the caseload."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.core.registry import CaseloadFlag, Panel, TimelineKind, registry
from careweave.orgs.models import Country
from careweave.people import identifiers as ids
from careweave.people.models import PersonIdentifier, RelatedPerson
from careweave.people.timeline import timeline_page

TIMELINE_ON_PAGE = 10


def network_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    return {"network": list(person.network.all())}


def timeline_panel(actor: Any, person: Any, decision: Any) -> dict[str, Any]:
    page = timeline_page(actor=actor, person_id=person.pk, decision=decision,
                         size=TIMELINE_ON_PAGE)
    return {"entries": page.items, "more": page.next_cursor is not None}


def describe_registered(entry: Any) -> str:
    return _("%(organisation)s registered the record.") % {
        "organisation": entry.data["organisation"]}


def _identifier(system: str, value: str) -> str:
    return ids.format_identifier(system, value) if value else "–"


def describe_identifier(entry: Any) -> str:
    data = entry.data
    label = str(dict(PersonIdentifier.System.choices).get(data["system"], data["system"]))
    if not data.get("before"):
        return _("%(system)s added: %(after)s.") % {
            "system": label, "after": _identifier(data["system"], data["after"])}
    if not data.get("after"):
        return _("%(system)s removed (was %(before)s).") % {
            "system": label, "before": _identifier(data["system"], data["before"])}
    return _("%(system)s changed from %(before)s to %(after)s.") % {
        "system": label, "before": _identifier(data["system"], data["before"]),
        "after": _identifier(data["system"], data["after"])}


def describe_address(entry: Any) -> str:
    address = ", ".join(part for part in entry.data.get("after", []) if part)
    return _("Address changed to: %(address)s.") % {"address": address or "–"}


def describe_identity(entry: Any) -> str:
    data = entry.data
    labels = {"country": _("Country"), "birth_date": _("Date of birth")}
    values = [data.get("before"), data.get("after")]
    if data["field"] == "birth_date":
        values = [formats.date_format(dt.date.fromisoformat(v), "DATE_FORMAT") if v else "–"
                  for v in values]
    elif data["field"] == "country":
        names = dict(Country.choices)
        values = [str(names.get(v, v)) for v in values]
    return _("%(field)s changed from %(before)s to %(after)s.") % {
        "field": labels.get(data["field"], data["field"]), "before": values[0],
        "after": values[1]}


def describe_network(entry: Any) -> str:
    return _("%(name)s (%(relationship)s) was added to family, friends and carers.") % {
        "name": entry.data["name"],
        "relationship": str(dict(RelatedPerson.Relationship.choices).get(
            entry.data["relationship"], entry.data["relationship"])).lower()}


def _other(entry: Any) -> dict[str, str]:
    data = entry.data
    born = data.get("other_birth_date") or ""
    try:
        born = formats.date_format(dt.date.fromisoformat(born), "DATE_FORMAT")
    except ValueError:
        pass
    return {"name": data["other_name"], "born": born,
            "organisation": data.get("organisation") or "–"}


def describe_merged(entry: Any) -> str:
    if entry.data.get("role") == "merged":
        return _("This record was merged into the record of %(name)s (born %(born)s) by "
                 "%(organisation)s.") % _other(entry)
    return _("The record of %(name)s (born %(born)s) was merged into this record by "
             "%(organisation)s.") % _other(entry)


def describe_unmerged(entry: Any) -> str:
    if entry.data.get("role") == "merged":
        return _("This record was separated again from the record of %(name)s (born "
                 "%(born)s) by %(organisation)s.") % _other(entry)
    return _("The merge with the record of %(name)s (born %(born)s) was undone by "
             "%(organisation)s.") % _other(entry)


def interpreter_flags(actor: Any, people: Sequence[Any]) -> dict[Any, str]:
    """No query: the flag is on the person row the caseload already read."""
    return {p.pk: _("Interpreter: %(language)s") % {"language": p.interpreter_language}
            if p.interpreter_language else _("Needs an interpreter")
            for p in people if p.interpreter_needed}


PERSON = gettext_lazy("Person")


def register() -> None:
    registry.panel(Panel(key="people.network", title=gettext_lazy("Family, carers and friends"),
                         template="people/panels/network.html", load=network_panel, order=40,
                         app="people"))
    registry.panel(Panel(key="people.timeline", title=gettext_lazy("Timeline"),
                         template="people/panels/timeline.html", load=timeline_panel,
                         order=90, app="people"))
    for key, label, describe in (
        ("people.registered", gettext_lazy("Record registered"), describe_registered),
        ("people.identifier_changed", gettext_lazy("Identifier changed"), describe_identifier),
        ("people.address_changed", gettext_lazy("Address changed"), describe_address),
        ("people.identity_changed", gettext_lazy("Country or date of birth changed"),
         describe_identity),
        ("people.network_added", gettext_lazy("Added to family, friends and carers"),
         describe_network),
        ("people.merged", gettext_lazy("Records merged"), describe_merged),
        ("people.unmerged", gettext_lazy("Merge undone"), describe_unmerged),
    ):
        registry.timeline_kind(TimelineKind(key=key, label=label, describe=describe,
                                            group=PERSON, app="people"))
    registry.caseload_flag(CaseloadFlag(key="people.interpreter",
                                        label=gettext_lazy("Needs an interpreter"),
                                        load=interpreter_flags, colour="blue", order=90,
                                        app="people"))
