"""Versions of a plan: what is compared and how (pure: no Django).

A version is a snapshot (a plain dict, see :func:`careweave.plans.selectors.snapshot`)
taken when the person agrees. :func:`compare` lists exactly what changed between two
snapshots: the plan's own fields, and each goal, action, section and participant added,
removed or changed (with the fields that changed). An action's *status* is delivery, not
content: it is kept in the snapshot to show how things stood, but a status change does
not make a new draft and is not a difference between versions.

:func:`actions_digest` is what an organisation agrees to: its own actions, as they read.
When they change, its agreement no longer applies to them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

VERSION = 1  # of the snapshot layout

PLAN_FIELDS = ("plan_type", "language", "situation", "what_matters", "coordinating_organisation",
               "coordinator", "contingency", "follow_up_date")
ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "goals": ("kind", "own_words", "measurable", "target_date", "level_m2", "level_m1",
              "level_0", "level_p1", "level_p2"),
    "actions": ("goal", "description", "organisation", "staff", "start_date", "due_date"),
    "sections": ("heading", "body", "sensitive"),
    "participants": ("kind", "name", "organisation", "role"),
}
KINDS = tuple(ITEM_FIELDS)


@dataclass(frozen=True)
class ItemChange:
    id: str
    change: str  # "added" | "removed" | "changed"
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    plan_fields: tuple[tuple[str, Any, Any], ...] = ()
    items: dict[str, tuple[ItemChange, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.plan_fields and not any(self.items.values())


def _value(item: Mapping[str, Any], name: str) -> Any:
    value = item.get(name)
    if isinstance(value, Mapping):  # a reference: {"id": ..., "name": ...}
        return value.get("id")
    return value


def _items(snapshot: Mapping[str, Any], kind: str,
           keep: Callable[[Mapping[str, Any]], bool]) -> dict[str, Mapping[str, Any]]:
    return {str(i["id"]): i for i in snapshot.get(kind, ()) if keep(i)}


def compare(before: Mapping[str, Any], after: Mapping[str, Any], *,
            keep: Callable[[str, Mapping[str, Any]], bool] | None = None) -> Comparison:
    """What changed from ``before`` to ``after``. ``keep(kind, item)`` leaves items out
    (sections the reader may not see): they are neither shown nor counted."""
    plan_fields = tuple((name, before.get(name), after.get(name)) for name in PLAN_FIELDS
                        if _value(before, name) != _value(after, name))
    items: dict[str, tuple[ItemChange, ...]] = {}
    for kind, names in ITEM_FIELDS.items():
        def kept(item: Mapping[str, Any], kind: str = kind) -> bool:
            return keep is None or keep(kind, item)

        old, new = _items(before, kind, kept), _items(after, kind, kept)
        changes: list[ItemChange] = []
        for item_id, item in new.items():
            if item_id not in old:
                changes.append(ItemChange(item_id, "added", None, item))
                continue
            differing = tuple(n for n in names if _value(old[item_id], n) != _value(item, n))
            if differing:
                changes.append(ItemChange(item_id, "changed", old[item_id], item, differing))
        changes += [ItemChange(item_id, "removed", item, None)
                    for item_id, item in old.items() if item_id not in new]
        items[kind] = tuple(changes)
    return Comparison(plan_fields, items)


def content_equal(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    return compare(before, after).empty


def actions_digest(actions: Sequence[Mapping[str, Any]], organisation_id: str) -> str:
    """A digest of one organisation's actions as they read (not their status)."""
    own = sorted(
        ([str(a["id"])] + [str(_value(a, n) or "") for n in ITEM_FIELDS["actions"]]
         for a in actions if str(_value(a, "organisation")) == organisation_id),
    )
    blob = json.dumps(own, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
