"""How assessments follow a merge of record B into record A, and go back on an unmerge
(core.registry.MergeHandler).

Assessments, safety flags, notifications and self-completion links change their ``person``
and nothing else (the one change the PostgreSQL trigger lets through for a submitted
assessment). The latest-score rows are derived: they are computed again for both records
after the move (and after the move back).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext_lazy

from careweave.assessments.models import (
    Assessment,
    LatestScore,
    Notification,
    SafetyFlag,
    SelfCompletionLink,
)
from careweave.core.registry import MergeHandler, registry
from careweave.people.merging import moves


def _refresh(*person_ids: uuid.UUID) -> None:
    from careweave.assessments.services import refresh_latest

    LatestScore.objects.filter(person_id__in=person_ids).delete()
    pairs = set(Assessment.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "instrument_id"))
    for person_id, instrument_id in sorted(pairs, key=str):
        refresh_latest(person_id, instrument_id)


def register() -> None:
    move_rows, restore_rows = moves(Assessment)

    def move(merged_id: uuid.UUID, survivor_id: uuid.UUID) -> list[Any]:
        moved = move_rows(merged_id, survivor_id)
        _refresh(merged_id, survivor_id)
        return moved

    def restore(survivor_id: uuid.UUID, merged_id: uuid.UUID, moved: list[Any]) -> int:
        done = restore_rows(survivor_id, merged_id, moved)
        _refresh(merged_id, survivor_id)
        return int(done)

    handlers = [MergeHandler(key="assessments.assessments",
                             label=gettext_lazy("Assessments"), move=move, restore=restore,
                             order=60, app="assessments")]
    for model, key, label in ((SafetyFlag, "safety_flags", gettext_lazy("Safety flags")),
                              (Notification, "notifications", gettext_lazy("Notifications")),
                              (SelfCompletionLink, "links",
                               gettext_lazy("Self-completion links"))):
        m, r = moves(model)
        handlers.append(MergeHandler(key=f"assessments.{key}", label=label, move=m,
                                     restore=r, order=61, app="assessments"))
    for handler in handlers:
        registry.merge_handler(handler)
