"""How person-keyed rows follow a merge of record B into record A, and go back on an
unmerge: the merge handlers of :mod:`careweave.core.registry`, for people's own rows
(identifiers, family and carers, the timeline) and, until ``access`` registers its own,
for the care team and consents (``people`` may use ``access``'s models; ``access`` may
not be edited from here).

Each handler moves exactly the rows of B, and returns their ids (and anything it changed)
so that :func:`careweave.people.services.person_unmerge` can give them back. What stays
behind on B, on purpose:

- emergency access (break-glass) episodes: they opened B, and B alone, for a reason that
  was reviewed as given; moving one would open A too;
- the audit log: it is append-only and says what happened to the record as it was then.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careweave.access.models import CareTeamMember, Consent
from careweave.core.registry import MergeHandler, registry
from careweave.people.models import PersonIdentifier, RelatedPerson, TimelineEntry

CHUNK = 500


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def moves(model: type[Model]) -> tuple[Any, Any]:
    """A handler's move and restore for rows that only need their ``person`` changed."""
    manager = model._default_manager

    def move(merged_id: uuid.UUID, survivor_id: uuid.UUID) -> list[Any]:
        pks = [str(pk) for pk in manager.filter(person_id=merged_id).order_by("pk")
               .values_list("pk", flat=True)]
        for chunk in _chunks(pks):
            manager.filter(pk__in=chunk).update(person_id=survivor_id)
        return pks

    def restore(survivor_id: uuid.UUID, merged_id: uuid.UUID, moved: list[Any]) -> int:
        done = 0
        for chunk in _chunks([str(pk) for pk in moved]):
            done += manager.filter(pk__in=chunk, person_id=survivor_id).update(
                person_id=merged_id)
        return done

    return move, restore


def identifiers_conflict(merged_id: uuid.UUID, survivor_id: uuid.UUID) -> list[str]:
    """Two numbers in one system (two NHS numbers) belong to two people, or one is wrong:
    a person decides which before the records can be merged."""
    rows = PersonIdentifier.objects.filter(person_id__in=[merged_id, survivor_id]).values_list(
        "person_id", "system")
    systems: dict[str, set[Any]] = {}
    for person_id, system in rows:
        systems.setdefault(system, set()).add(person_id)
    labels = dict(PersonIdentifier.System.choices)
    return [_("Both records have a %(system)s, and they are different. Correct the wrong one "
              "before merging.") % {"system": labels.get(system, system)}
            for system in sorted(systems) if len(systems[system]) > 1]


# -- the care team: a place the survivor already has is ended, not doubled -----------------


def _active(member: CareTeamMember, today: Any) -> bool:
    """On the team today (as the gate counts it)."""
    return member.start_date <= today and (member.end_date is None or member.end_date > today)


def move_care_team(merged_id: uuid.UUID, survivor_id: uuid.UUID) -> list[Any]:
    today = timezone.localdate()
    on_survivor = {m.organisation_id for m in CareTeamMember.objects.filter(
        person_id=survivor_id).only("organisation_id", "start_date", "end_date")
        if _active(m, today)}
    moved: list[Any] = []
    ending: list[Any] = []
    for member in CareTeamMember.objects.filter(person_id=merged_id).order_by("pk"):
        entry: dict[str, Any] = {"id": str(member.pk)}
        if _active(member, today) and member.organisation_id in on_survivor:
            # The organisation is on A's team already: its place on B ends at the merge.
            entry.update(ended=True, end_date=member.end_date.isoformat()
                         if member.end_date else None, end_reason=member.end_reason)
            ending.append(member.pk)
        moved.append(entry)
    pks = [m["id"] for m in moved]
    for chunk in _chunks(pks):
        CareTeamMember.objects.filter(pk__in=chunk).update(person_id=survivor_id)
    if ending:
        CareTeamMember.objects.filter(pk__in=ending).update(
            end_date=today, end_reason=_("Records merged")[:200])
    return moved


def restore_care_team(survivor_id: uuid.UUID, merged_id: uuid.UUID, moved: list[Any]) -> int:
    done = 0
    for entry in moved:
        fields: dict[str, Any] = {"person_id": merged_id}
        if entry.get("ended"):
            fields.update(end_date=entry.get("end_date"), end_reason=entry.get("end_reason", ""))
        done += CareTeamMember.objects.filter(pk=entry["id"], person_id=survivor_id).update(
            **fields)
    return done


def register() -> None:
    identifiers_move, identifiers_restore = moves(PersonIdentifier)
    network_move, network_restore = moves(RelatedPerson)
    timeline_move, timeline_restore = moves(TimelineEntry)
    consent_move, consent_restore = moves(Consent)
    for handler in (
        MergeHandler(key="people.identifiers", label=gettext_lazy("Identifiers"),
                     move=identifiers_move, restore=identifiers_restore,
                     check=identifiers_conflict, order=10, app="people"),
        MergeHandler(key="people.network", label=gettext_lazy("Family, carers and friends"),
                     move=network_move, restore=network_restore, order=40, app="people"),
        MergeHandler(key="people.timeline", label=gettext_lazy("Timeline entries"),
                     move=timeline_move, restore=timeline_restore, order=90, app="people"),
        # access's rows, until access registers its own handlers (then remove these).
        MergeHandler(key="access.care_team", label=gettext_lazy("Care team"),
                     move=move_care_team, restore=restore_care_team, order=20, app="access"),
        MergeHandler(key="access.consents", label=gettext_lazy("Consent"),
                     move=consent_move, restore=consent_restore, order=30, app="access"),
    ):
        registry.merge_handler(handler)

