"""How warnings, case notes (with attachments) and care-team contacts follow a merge of
record B into record A, and go back on an unmerge (core.registry.MergeHandler).

Notes and attachments are append-only: a merge changes their ``person`` and nothing else,
which is the one change the PostgreSQL trigger lets through. Contacts move with their
care-team places; where A already has the organisation's key worker or a lead coordinator,
B's contact gives up that flag (and gets it back on an unmerge).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from careweave.core.registry import MergeHandler, registry
from careweave.notes.models import Attachment, CaseNote, PersonWarning, TeamContact
from careweave.people.merging import moves

CHUNK = 500


def _append_only_moves(model: type[CaseNote] | type[Attachment]) -> tuple[Any, Any]:
    """Move rows whose manager refuses every update: only ``person_id`` changes."""

    def rows() -> QuerySet[Any]:
        return QuerySet(model=model)

    def move(merged_id: uuid.UUID, survivor_id: uuid.UUID) -> list[Any]:
        pks = [str(pk) for pk in rows().filter(person_id=merged_id).order_by("pk")
               .values_list("pk", flat=True)]
        for start in range(0, len(pks), CHUNK):
            rows().filter(pk__in=pks[start:start + CHUNK]).update(person_id=survivor_id)
        return pks

    def restore(survivor_id: uuid.UUID, merged_id: uuid.UUID, moved: list[Any]) -> int:
        done = 0
        for start in range(0, len(moved), CHUNK):
            done += rows().filter(pk__in=moved[start:start + CHUNK],
                                  person_id=survivor_id).update(person_id=merged_id)
        return done

    return move, restore


def move_contacts(merged_id: uuid.UUID, survivor_id: uuid.UUID) -> list[Any]:
    on_survivor = list(TeamContact.objects.filter(person_id=survivor_id))
    has_lead = any(c.lead_coordinator for c in on_survivor)
    key_orgs = {c.organisation_id for c in on_survivor if c.key_worker}
    moved = []
    for contact in TeamContact.objects.filter(person_id=merged_id).order_by("pk"):
        entry: dict[str, Any] = {"id": str(contact.pk)}
        fields: dict[str, Any] = {"person_id": survivor_id}
        if contact.lead_coordinator and has_lead:
            entry["lead_coordinator"] = True
            fields["lead_coordinator"] = False
        if contact.key_worker and contact.organisation_id in key_orgs:
            entry["key_worker"] = True
            fields["key_worker"] = False
        TeamContact.objects.filter(pk=contact.pk).update(**fields)
        moved.append(entry)
    return moved


def restore_contacts(survivor_id: uuid.UUID, merged_id: uuid.UUID, moved: list[Any]) -> int:
    done = 0
    for entry in moved:
        fields: dict[str, Any] = {"person_id": merged_id}
        for flag in ("lead_coordinator", "key_worker"):
            if entry.get(flag):
                fields[flag] = True
        done += TeamContact.objects.filter(pk=entry["id"], person_id=survivor_id).update(
            **fields)
    return done


def register() -> None:
    warnings_move, warnings_restore = moves(PersonWarning)
    notes_move, notes_restore = _append_only_moves(CaseNote)
    files_move, files_restore = _append_only_moves(Attachment)
    for handler in (
        MergeHandler(key="notes.warnings", label=gettext_lazy("Warnings"), move=warnings_move,
                     restore=warnings_restore, order=50, app="notes"),
        MergeHandler(key="notes.case_notes", label=gettext_lazy("Case notes"), move=notes_move,
                     restore=notes_restore, order=51, app="notes"),
        MergeHandler(key="notes.attachments", label=gettext_lazy("Attachments"),
                     move=files_move, restore=files_restore, order=52, app="notes"),
        # after the care team (order 20), whose places the contacts belong to
        MergeHandler(key="notes.contacts", label=gettext_lazy("Care-team contacts"),
                     move=move_contacts, restore=restore_contacts, order=53, app="notes"),
    ):
        registry.merge_handler(handler)
