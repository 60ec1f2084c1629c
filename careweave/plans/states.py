"""The status of an action in a plan: one state table, and who may move an action along it.

Pure Python (no Django), versioned, tested as a table of every allowed and forbidden
transition by whom (tests/plans/test_states.py). A transition is a service call
(:func:`careweave.plans.services.action_transition`), never a field assignment.

Who, for one action:

- the **owner**: anyone in a care role of the organisation that owns the action (care
  workers included: they deliver much of what plans ask for);
- the **coordinator**: a professional (not a care worker) of the plan's coordinating
  organisation (huvudansvarig), who keeps the whole plan moving.

An actor can be both (the coordinating organisation owns some actions). Anybody else on
the care team reads the status but does not change it. Whether the actor may touch the
plan at all is the gate's question (``Action.UPDATE_ACTION_STATUS``); this table answers
the next one: this move, by this party.
"""

from __future__ import annotations

from enum import StrEnum

VERSION = 1


class Status(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"  # started, held up (waiting for something)
    DONE = "done"
    CANCELLED = "cancelled"


class Party(StrEnum):
    OWNER = "owner"
    COORDINATOR = "coordinator"


OWNER = frozenset({Party.OWNER})
EITHER = frozenset({Party.OWNER, Party.COORDINATOR})
COORDINATOR = frozenset({Party.COORDINATOR})

# (from, to) -> the parties who may make that move. Anything not listed is forbidden.
TRANSITIONS: dict[tuple[Status, Status], frozenset[Party]] = {
    (Status.PLANNED, Status.IN_PROGRESS): OWNER,
    (Status.PLANNED, Status.DONE): OWNER,  # a one-off done at once
    (Status.PLANNED, Status.CANCELLED): EITHER,
    (Status.IN_PROGRESS, Status.ON_HOLD): OWNER,
    (Status.IN_PROGRESS, Status.DONE): OWNER,
    (Status.IN_PROGRESS, Status.CANCELLED): EITHER,
    (Status.ON_HOLD, Status.IN_PROGRESS): OWNER,
    (Status.ON_HOLD, Status.CANCELLED): EITHER,
    (Status.DONE, Status.IN_PROGRESS): EITHER,  # reopened: it was not done after all
    (Status.CANCELLED, Status.PLANNED): COORDINATOR,  # reinstated
}

INITIAL = Status.PLANNED
# Statuses in which an action still asks something of its owner.
OPEN = frozenset({Status.PLANNED, Status.IN_PROGRESS, Status.ON_HOLD})


def parties(*, actor_organisation: str, owner_organisation: str, coordinating_organisation: str,
            professional: bool) -> frozenset[Party]:
    """The parties the actor is, for one action."""
    found: set[Party] = set()
    if actor_organisation and actor_organisation == owner_organisation:
        found.add(Party.OWNER)
    if professional and actor_organisation and actor_organisation == coordinating_organisation:
        found.add(Party.COORDINATOR)
    return frozenset(found)


def may_move(current: str, target: str, who: frozenset[Party]) -> bool:
    """May someone who is ``who`` move an action from ``current`` to ``target``?"""
    try:
        key = (Status(current), Status(target))
    except ValueError:
        return False
    allowed = TRANSITIONS.get(key)
    return allowed is not None and bool(allowed & who)


def next_statuses(current: str, who: frozenset[Party]) -> list[Status]:
    """The statuses ``who`` may move an action to from ``current``, in table order."""
    return [to for (frm, to), allowed in TRANSITIONS.items()
            if frm == current and allowed & who]
