"""Comparing two versions of a plan lists exactly what changed (pure: no database)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from careweave.plans import versions


def goal(i: int, **over: Any) -> dict[str, Any]:
    return {"id": f"g{i}", "kind": "sub", "own_words": f"Goal {i}", "measurable": "m",
            "target_date": "2027-01-01", "level_m2": "a", "level_m1": "b", "level_0": "c",
            "level_p1": "d", "level_p2": "e", **over}


def action(i: int, org: str = "o1", **over: Any) -> dict[str, Any]:
    return {"id": f"a{i}", "goal": {"id": "g1", "name": "Goal 1"}, "description": f"Do {i}",
            "organisation": {"id": org, "name": org.upper()}, "staff": None,
            "start_date": None, "due_date": "2027-02-01", "status": "planned", **over}


def snapshot() -> dict[str, Any]:
    return {"v": 1, "plan_type": "sip", "language": "sv", "situation": "s", "what_matters": "w",
            "coordinating_organisation": {"id": "o1", "name": "O1"}, "coordinator": None,
            "contingency": "", "follow_up_date": "2027-03-01",
            "goals": [goal(1), goal(2), goal(3)], "actions": [action(1), action(2, "o2"),
                                                               action(3)],
            "sections": [{"id": "s1", "heading": "H", "body": "B", "sensitive": True,
                          "organisation": {"id": "o1", "name": "O1"}}],
            "participants": []}


def test_exactly_the_changed_goals_and_actions() -> None:
    before = snapshot()
    after = copy.deepcopy(before)
    after["goals"][1]["own_words"] = "Goal 2, in new words"  # changed
    del after["goals"][2]  # removed
    after["goals"].append(goal(4))  # added
    after["actions"][0]["due_date"] = "2027-04-01"  # changed
    after["actions"][1]["status"] = "done"  # delivery, not content: no difference
    after["actions"][2]["organisation"] = {"id": "o2", "name": "Renamed O2"}  # changed owner
    result = versions.compare(before, after)
    goals = {(c.id, c.change, c.fields) for c in result.items["goals"]}
    assert goals == {("g2", "changed", ("own_words",)), ("g3", "removed", ()),
                     ("g4", "added", ())}
    actions = {(c.id, c.change, c.fields) for c in result.items["actions"]}
    assert actions == {("a1", "changed", ("due_date",)), ("a3", "changed", ("organisation",))}
    assert result.items["sections"] == () and result.plan_fields == ()
    assert not result.empty


def test_a_renamed_organisation_is_not_a_change_but_a_new_owner_is() -> None:
    before = snapshot()
    after = copy.deepcopy(before)
    after["actions"][0]["organisation"]["name"] = "O1 (new name)"
    after["coordinating_organisation"]["name"] = "O1 (new name)"
    assert versions.compare(before, after).empty


def test_plan_fields() -> None:
    before = snapshot()
    after = copy.deepcopy(before)
    after["contingency"] = "Call Per"
    after["coordinator"] = {"id": "m1", "name": "Erik"}
    result = versions.compare(before, after)
    assert [f[0] for f in result.plan_fields] == ["coordinator", "contingency"]


def test_items_the_reader_may_not_see_are_left_out() -> None:
    before = snapshot()
    after = copy.deepcopy(before)
    after["sections"][0]["body"] = "Changed sensitive detail"
    seen = versions.compare(before, after)
    assert [c.id for c in seen.items["sections"]] == ["s1"]
    hidden = versions.compare(before, after, keep=lambda kind, item: not item.get("sensitive"))
    assert hidden.items["sections"] == () and hidden.empty


@given(st.lists(st.text(max_size=20), max_size=5), st.text(max_size=30))
def test_a_snapshot_equals_itself_and_differs_from_any_edit(words: list[str], new: str) -> None:
    before = snapshot()
    before["goals"] = [goal(i, own_words=w) for i, w in enumerate(words)]
    assert versions.content_equal(before, copy.deepcopy(before))
    if before["goals"] and new != before["goals"][0]["own_words"]:
        after = copy.deepcopy(before)
        after["goals"][0]["own_words"] = new
        change = versions.compare(before, after).items["goals"]
        assert [(c.id, c.fields) for c in change] == [("g0", ("own_words",))]


def test_an_organisations_digest_covers_only_its_own_actions_and_not_their_status() -> None:
    actions = snapshot()["actions"]
    digest = versions.actions_digest(actions, "o1")
    other = copy.deepcopy(actions)
    other[1]["description"] = "o2's action changed"
    other[0]["status"] = "done"
    assert versions.actions_digest(other, "o1") == digest
    other[2]["description"] = "o1's action changed"
    assert versions.actions_digest(other, "o1") != digest
    assert versions.actions_digest(actions, "o2") != digest
