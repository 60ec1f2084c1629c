"""The plan's rules that are not the state table: who sees a section marked sensitive,
goal attainment scaling, when a review is overdue, and which dates a plan may hold.

Pure Python (no Django), versioned, tested as tables and with hypothesis. The queries
that apply them are in :mod:`careweave.plans.selectors`; the services ask them too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from careweave.access.policy import ConsentFact, Relation
from careweave.core import dates

VERSION = 1

# -- sensitive sections: sharing follows consent --------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """An organisation reading a plan, and what the gate found about it."""

    organisation_id: str
    relation: str  # careweave.access.policy.Relation
    registering_id: str
    coordinating_id: str
    consents: tuple[ConsentFact, ...] = ()


def consent_covers(viewer: Viewer, now: dt.datetime) -> bool:
    """Is there an explicit consent in force (for any purpose) that covers the viewer's
    organisation, with no objection in force that covers it?"""
    covering = [c for c in viewer.consents if c.covers(viewer.organisation_id) and c.in_force(now)]
    if any(c.decision == "deny" for c in covering):
        return False
    return any(c.decision == "permit" for c in covering)


def sees_sensitive(viewer: Viewer, now: dt.datetime) -> bool:
    """May the viewer read every section marked sensitive (for example mental-health
    detail)? The registering organisation and the coordinating organisation may; another
    care-team organisation only when the person's explicit consent covers it (implied
    consent for direct care is not enough); emergency access never."""
    if viewer.relation not in (Relation.REGISTERING, Relation.CARE_TEAM):
        return False
    if viewer.organisation_id in (viewer.registering_id, viewer.coordinating_id):
        return True
    return consent_covers(viewer, now)


def section_visible(viewer: Viewer, *, sensitive: bool, author_id: str, sees_all: bool) -> bool:
    """One section: not sensitive, or the viewer sees sensitive sections, or the viewer's
    organisation wrote it (``sees_all`` is :func:`sees_sensitive`, worked out once)."""
    if not sensitive or sees_all:
        return True
    return (viewer.relation in (Relation.REGISTERING, Relation.CARE_TEAM)
            and bool(author_id) and author_id == viewer.organisation_id)


# -- goal attainment scaling ------------------------------------------------------------------

GAS_SCORES = (-2, -1, 0, 1, 2)
GAS_LEVELS = ("level_m2", "level_m1", "level_0", "level_p1", "level_p2")


def valid_score(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in GAS_SCORES


def level_field(score: int) -> str:
    """The goal's field that holds the wording of ``score`` (-2 -> "level_m2")."""
    return GAS_LEVELS[GAS_SCORES.index(score)]


def mean_score(scores: Iterable[int | None]) -> float | None:
    """The mean of the scores given (None when nobody rated)."""
    given = [s for s in scores if s is not None]
    return round(sum(given) / len(given), 2) if given else None


# -- follow-up ---------------------------------------------------------------------------------


def review_overdue(follow_up: dt.date | None, today: dt.date, *, closed: bool = False) -> bool:
    """A plan whose follow-up date has passed (and that is still open) is overdue."""
    return not closed and follow_up is not None and follow_up < today


# -- dates a plan may hold ---------------------------------------------------------------------

EARLIEST = dt.date(1900, 1, 1)
AHEAD = dt.timedelta(days=366)


def date_problem(day: dt.date | None, today: dt.date, *, past_only: bool = False) -> str | None:
    """"too_early", "too_late" or None: planned dates (targets, due dates, follow-ups) run
    from 1900 to a year from today; things that happened (a review held, an agreement
    given) not after today."""
    if day is None:
        return None
    found = dates.out_of_range(day, earliest=EARLIEST,
                               latest=today if past_only else today + AHEAD)
    return str(found) if found is not None else None
