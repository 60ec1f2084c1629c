"""The action state table, as a table: every move between every two statuses, by every
combination of parties (pure: no database). The table below restates
careweave.plans.states.TRANSITIONS in plain terms, so a change must be made in both."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careweave.plans import states
from careweave.plans.states import Party, Status

OWN, CO = Party.OWNER, Party.COORDINATOR
NOBODY: frozenset[Party] = frozenset()
WHO = {"nobody": NOBODY, "owner": frozenset({OWN}), "coordinator": frozenset({CO}),
       "both": frozenset({OWN, CO})}

# from -> to -> who may (owner "O", coordinator "C"); anything missing: nobody.
EXPECTED = {
    "planned": {"in_progress": "O", "done": "O", "cancelled": "OC"},
    "in_progress": {"on_hold": "O", "done": "O", "cancelled": "OC"},
    "on_hold": {"in_progress": "O", "cancelled": "OC"},
    "done": {"in_progress": "OC"},
    "cancelled": {"planned": "C"},
}


def allowed(current: str, target: str, who: str) -> bool:
    letters = EXPECTED.get(current, {}).get(target, "")
    parties = WHO[who]
    return (OWN in parties and "O" in letters) or (CO in parties and "C" in letters)


CASES = [(a.value, b.value, who) for a, b in itertools.product(Status, Status) for who in WHO]


@pytest.mark.parametrize("current,target,who", CASES,
                         ids=[f"{a}->{b} by {w}" for a, b, w in CASES])
def test_every_transition_by_every_party(current: str, target: str, who: str) -> None:
    assert states.may_move(current, target, WHO[who]) == allowed(current, target, who)


def test_the_expected_table_names_only_real_statuses() -> None:
    names = {s.value for s in Status}
    assert set(EXPECTED) <= names
    assert all(set(targets) <= names for targets in EXPECTED.values())
    assert {(Status(a), Status(b)) for a, t in EXPECTED.items() for b in t} == set(
        states.TRANSITIONS)


def test_nobody_stays_put_and_nobody_moves_without_a_party() -> None:
    for status in Status:
        for who in WHO.values():
            assert not states.may_move(status, status, who)
        for target in Status:
            assert not states.may_move(status, target, NOBODY)


@given(st.text(max_size=12), st.text(max_size=12))
def test_unknown_statuses_never_move(current: str, target: str) -> None:
    known = {s.value for s in Status}
    if current in known and target in known:
        return
    for who in WHO.values():
        assert not states.may_move(current, target, who)


@given(st.sampled_from(list(Status)), st.sampled_from(list(WHO.values())))
def test_next_statuses_are_exactly_the_allowed_moves(current: Status,
                                                     who: frozenset[Party]) -> None:
    assert set(states.next_statuses(current, who)) == {
        t for t in Status if states.may_move(current, t, who)}


@pytest.mark.parametrize("actor,owner,coordinating,professional,expected", [
    ("org-a", "org-a", "org-b", True, {OWN}),
    ("org-a", "org-a", "org-b", False, {OWN}),  # a care worker of the owner
    ("org-b", "org-a", "org-b", True, {CO}),
    ("org-b", "org-a", "org-b", False, set()),  # a care worker of the coordinator
    ("org-a", "org-a", "org-a", True, {OWN, CO}),
    ("org-c", "org-a", "org-b", True, set()),  # another organisation on the care team
    ("", "", "", True, set()),
])
def test_who_the_actor_is_for_an_action(actor: str, owner: str, coordinating: str,
                                        professional: bool, expected: set[Party]) -> None:
    assert states.parties(actor_organisation=actor, owner_organisation=owner,
                          coordinating_organisation=coordinating,
                          professional=professional) == expected


def test_the_model_stores_the_same_statuses() -> None:
    from careweave.plans.models import PlanAction

    assert set(PlanAction.Status.values) == {s.value for s in Status}
    assert states.INITIAL.value in PlanAction.Status.values
