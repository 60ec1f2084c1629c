"""The medicines list's rules: its state table, its dates, and reconciliation (the list as
each organisation knows it). Pure (no Django), versioned, tested as tables and with
hypothesis."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

RULES_VERSION = "1"

ACTIVE = "active"
STOPPED = "stopped"

# (state, event) -> next state; anything else is refused. Who may send the events is the
# policy's CHANGE_MEDICINES row (access.policy); a stopped medicine is started again as a
# new entry, so that its history stays readable.
TRANSITIONS: dict[tuple[str, str], str] = {
    (ACTIVE, "change"): ACTIVE,
    (ACTIVE, "stop"): STOPPED,
}
EVENTS = frozenset(event for _s, event in TRANSITIONS)


def next_state(state: str, event: str) -> str | None:
    return TRANSITIONS.get((state, event))


EARLIEST = dt.date(1900, 1, 1)


def date_problems(started: dt.date | None, stopped: dt.date | None, *,
                  today: dt.date) -> dict[str, str]:
    """field -> problem code: "started_missing", "started_too_early", "started_too_late"
    (more than a year ahead: planned starts only), "stopped_before_started",
    "stopped_in_future"."""
    problems: dict[str, str] = {}
    if started is None:
        problems["started"] = "started_missing"
    elif started < EARLIEST:
        problems["started"] = "started_too_early"
    elif started > today + dt.timedelta(days=366):
        problems["started"] = "started_too_late"
    if stopped is not None:
        if stopped > today:
            problems["stopped"] = "stopped_in_future"
        elif started is not None and "started" not in problems and stopped < started:
            problems["stopped"] = "stopped_before_started"
    return problems


def list_version(rows: Iterable[tuple[str, int]]) -> str:
    """The version of a person's whole list (its ETag): a digest of every medicine's id and
    version, so any change to any medicine changes it."""
    blob = ";".join(f"{mid}:{version}" for mid, version in sorted(rows))
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Known:
    """One organisation's view: the version of each medicine it last wrote or confirmed,
    and when it last confirmed the list (None: never)."""

    versions: Mapping[str, int]
    confirmed_at: dt.datetime | None


def known_by_organisation(
    changes: Iterable[tuple[str, str, int]],
    confirmations: Iterable[tuple[str, dt.datetime, Mapping[str, int]]],
) -> dict[str, Known]:
    """The list as each organisation knows it, from every change (medicine id, organisation
    id, version after the change) and every confirmation (organisation id, when, {medicine
    id: version confirmed}). An organisation knows the latest version it wrote or
    confirmed."""
    versions: dict[str, dict[str, int]] = {}
    confirmed: dict[str, dt.datetime] = {}
    for medicine, organisation, version in changes:
        seen = versions.setdefault(organisation, {})
        seen[medicine] = max(seen.get(medicine, 0), version)
    for organisation, at, snapshot in confirmations:
        seen = versions.setdefault(organisation, {})
        for medicine, version in snapshot.items():
            seen[medicine] = max(seen.get(medicine, 0), version)
        if organisation not in confirmed or at > confirmed[organisation]:
            confirmed[organisation] = at
    return {org: Known(versions=dict(v), confirmed_at=confirmed.get(org))
            for org, v in versions.items()}


NOT_KNOWN = "not_known"  # the organisation has never seen this medicine
OUT_OF_DATE = "out_of_date"  # it knows an older version
UP_TO_DATE = "up_to_date"


def standing(current_version: int, known_version: int | None) -> str:
    if not known_version:
        return NOT_KNOWN
    return UP_TO_DATE if known_version >= current_version else OUT_OF_DATE


def unreviewed(current: Mapping[str, int], last_confirmed: Mapping[str, int] | None) -> set[str]:
    """Medicines changed (or added) since the list was last confirmed by anyone."""
    if last_confirmed is None:
        return set(current)
    return {mid for mid, version in current.items() if last_confirmed.get(mid, 0) < version}
