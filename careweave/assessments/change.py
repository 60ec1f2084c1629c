"""Reliable change, recovery and deterioration between two scores (pure, versioned).

The thresholds are NHS Talking Therapies' (the NHS Talking Therapies Manual and data
handbook): a change of at least the instrument's *reliable change* value (PHQ-9: 6
points, GAD-7: 4) is reliable; *caseness* is a score at or above the clinical cut-off
(PHQ-9: 10, GAD-7: 8). Each score is compared with the one before it on the same
instrument:

- ``reliable_improvement``: down by at least the reliable change;
- ``reliable_deterioration``: up by at least the reliable change;
- ``recovery``: from caseness to below it (``reliable_recovery`` when that is also a
  reliable improvement);
- ``no_reliable_change`` otherwise, ``first`` for the first score.

Lower is better on every instrument that has these thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CHANGE_VERSION = "1"

FIRST = "first"
IMPROVEMENT = "reliable_improvement"
DETERIORATION = "reliable_deterioration"
RECOVERY = "recovery"
RELIABLE_RECOVERY = "reliable_recovery"
NO_CHANGE = "no_reliable_change"
KINDS = (FIRST, IMPROVEMENT, DETERIORATION, RECOVERY, RELIABLE_RECOVERY, NO_CHANGE)


@dataclass(frozen=True)
class Thresholds:
    reliable_change: int
    caseness: int


def thresholds_of(definition: Mapping[str, Any]) -> Thresholds | None:
    rules = definition.get("scoring", {})
    if rules.get("reliable_change") is None or rules.get("caseness") is None:
        return None
    return Thresholds(int(rules["reliable_change"]), int(rules["caseness"]))


def is_case(total: int, thresholds: Thresholds) -> bool:
    return total >= thresholds.caseness


def classify(previous: int | None, total: int, thresholds: Thresholds | None) -> str:
    """How ``total`` compares with the score before it."""
    if thresholds is None:
        return FIRST if previous is None else NO_CHANGE
    if previous is None:
        return FIRST
    difference = total - previous
    reliable_down = -difference >= thresholds.reliable_change
    recovered = is_case(previous, thresholds) and not is_case(total, thresholds)
    if recovered:
        return RELIABLE_RECOVERY if reliable_down else RECOVERY
    if reliable_down:
        return IMPROVEMENT
    if difference >= thresholds.reliable_change:
        return DETERIORATION
    return NO_CHANGE


def series(totals: Sequence[int], thresholds: Thresholds | None) -> list[str]:
    """The classification of each score of a series, oldest first."""
    out = []
    previous: int | None = None
    for total in totals:
        out.append(classify(previous, total, thresholds))
        previous = total
    return out
