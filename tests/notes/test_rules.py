"""The sensitivity rule, as a table and with hypothesis: who may see a note or a warning,
and the query's reading of it (``in_scope``) always agrees with ``may_see``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careweave.notes import rules
from careweave.notes.rules import Item, Viewer

ME, OTHER = "org-me", "org-other"


def viewer(org: str = OTHER, kind: str = "gp_practice", role: str = "clinician",
           relation: str = "care_team", purpose: str = "direct_care") -> Viewer:
    return Viewer(organisation_id=org, organisation_kind=kind, role=role, relation=relation,
                  purpose=purpose)


def item(level: str, roles: tuple[str, ...] = (), kinds: tuple[str, ...] = ()) -> Item:
    return Item(sensitivity=level, organisation_id=ME, roles=frozenset(roles),
                organisation_kinds=frozenset(kinds))


CASES = [
    # (description, viewer, item, may see)
    ("care team: another organisation", viewer(), item("care_team"), True),
    ("care team: emergency access", viewer(relation="break_glass", purpose="emergency_care"),
     item("care_team"), True),
    ("care team: coordination only", viewer(purpose="coordination"), item("care_team"), True),
    ("organisation: the writer's", viewer(org=ME), item("organisation"), True),
    ("organisation: another", viewer(), item("organisation"), False),
    ("organisation: emergency access by another", viewer(relation="break_glass",
                                                          purpose="emergency_care"),
     item("organisation"), False),
    ("restricted roles: the writer's, a named role", viewer(org=ME), item("restricted",
                                                                        ("clinician",)), True),
    ("restricted roles: the writer's, another role", viewer(org=ME, role="care_worker"),
     item("restricted", ("clinician",)), False),
    ("restricted roles: another organisation, named role, no kinds", viewer(),
     item("restricted", ("clinician",)), False),
    ("restricted kinds: named kind", viewer(kind="mental_health"),
     item("restricted", (), ("mental_health", "gp_practice")), True),
    ("restricted kinds: another kind", viewer(kind="social_care"),
     item("restricted", (), ("mental_health", "gp_practice")), False),
    ("restricted kinds: the writer's organisation, whatever its kind", viewer(org=ME,
                                                                            kind="hospital"),
     item("restricted", (), ("mental_health",)), True),
    ("restricted kinds and roles: kind right, role wrong", viewer(kind="mental_health",
                                                                  role="care_worker"),
     item("restricted", ("clinician", "nurse"), ("mental_health",)), False),
    ("restricted kinds and roles: both right", viewer(kind="mental_health", role="nurse"),
     item("restricted", ("clinician", "nurse"), ("mental_health",)), True),
    ("restricted: named kind, but only reads for coordination (consent)",
     viewer(kind="social_care", purpose="coordination"),
     item("restricted", (), ("social_care",)), False),
    ("restricted: named kind, but emergency access",
     viewer(kind="gp_practice", relation="break_glass", purpose="emergency_care"),
     item("restricted", (), ("gp_practice",)), False),
    ("unknown level: nobody", viewer(org=ME), item("secret"), False),
]


@pytest.mark.parametrize("description,the_viewer,the_item,allowed", CASES,
                         ids=[c[0] for c in CASES])
def test_sensitivity_table(description: str, the_viewer: Viewer, the_item: Item,
                           allowed: bool) -> None:
    assert rules.may_see(the_viewer, the_item) is allowed, description
    assert rules.in_scope(rules.scope(the_viewer), the_item) is allowed, description


ROLES = st.sampled_from(["clinician", "nurse", "social_worker", "care_worker", "coordinator"])
KINDS = st.sampled_from(["gp_practice", "hospital", "social_care", "care_home",
                         "mental_health", "home_care"])
ORGS = st.sampled_from([ME, OTHER, "org-third"])
viewers = st.builds(Viewer, organisation_id=ORGS, organisation_kind=KINDS, role=ROLES,
                    relation=st.sampled_from(["registering", "care_team", "break_glass"]),
                    purpose=st.sampled_from(["direct_care", "coordination", "emergency_care"]))
items = st.builds(Item, sensitivity=st.sampled_from([*rules.LEVELS, "other"]),
                  organisation_id=ORGS, roles=st.frozensets(ROLES, max_size=3),
                  organisation_kinds=st.frozensets(KINDS, max_size=3))


@given(viewers, items)
def test_the_query_reading_agrees_with_the_rule(v: Viewer, i: Item) -> None:
    assert rules.in_scope(rules.scope(v), i) == rules.may_see(v, i)


@given(viewers, items)
def test_the_writer_always_sees_what_it_wrote_unless_its_role_is_not_named(
        v: Viewer, i: Item) -> None:
    own = Viewer(organisation_id=i.organisation_id, organisation_kind=v.organisation_kind,
                 role=v.role, relation=v.relation, purpose=v.purpose)
    if i.sensitivity in rules.LEVELS and (not i.roles or v.role in i.roles):
        assert rules.may_see(own, i)


@given(viewers, items)
def test_emergency_access_never_sees_more_than_the_care_team_level(v: Viewer, i: Item) -> None:
    glass = Viewer(organisation_id=v.organisation_id, organisation_kind=v.organisation_kind,
                   role=v.role, relation="break_glass", purpose="emergency_care")
    if i.organisation_id != v.organisation_id:
        assert rules.may_see(glass, i) == (i.sensitivity == rules.CARE_TEAM)


@given(st.frozensets(st.text(alphabet="abcdefghij_", min_size=1, max_size=12), max_size=5))
def test_pack_and_unpack(codes: frozenset[str]) -> None:
    packed = rules.pack(codes)
    assert rules.unpack(packed) == codes
    for code in codes:
        assert rules.needle(code) in packed
    assert (packed == "") == (not codes)


def test_pack_refuses_the_separator() -> None:
    with pytest.raises(ValueError):
        rules.pack(["a|b"])


KNOWN_ROLES = frozenset({"clinician", "nurse"})
KNOWN_KINDS = frozenset({"gp_practice", "mental_health"})
AUDIENCE = [
    ("care_team", (), (), {}),
    ("organisation", (), (), {}),
    ("restricted", ("clinician",), (), {}),
    ("restricted", (), ("mental_health",), {}),
    ("restricted", (), (), {"sensitivity": "restricted_needs_audience"}),
    ("care_team", ("clinician",), (), {"sensitivity": "audience_only_when_restricted"}),
    ("restricted", ("pilot",), (), {"roles": "unknown_role"}),
    ("restricted", (), ("zoo",), {"organisation_kinds": "unknown_kind"}),
    ("everyone", (), (), {"sensitivity": "unknown_level"}),
]


@pytest.mark.parametrize("level,roles,kinds,problems", AUDIENCE)
def test_audience_problems(level: str, roles: tuple[str, ...], kinds: tuple[str, ...],
                           problems: dict[str, str]) -> None:
    assert rules.audience_problems(level, frozenset(roles), frozenset(kinds),
                                   known_roles=KNOWN_ROLES, known_kinds=KNOWN_KINDS) == problems


# -- the warning's state table: every allowed and every forbidden transition ----------------

STATES = (rules.ACTIVE, rules.ENDED)
EVENTS = ("change", "review", "end")
EXPECTED = {
    (rules.ACTIVE, "change"): rules.ACTIVE,
    (rules.ACTIVE, "review"): rules.ACTIVE,
    (rules.ACTIVE, "end"): rules.ENDED,
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", EVENTS)
def test_warning_transitions(state: str, event: str) -> None:
    assert rules.warning_next(state, event) == EXPECTED.get((state, event))


def test_warning_order_puts_resuscitation_and_allergies_first() -> None:
    kinds = ["communication", "access", "allergy", "dnacpr", "unknown"]
    assert sorted(kinds, key=rules.warning_sort_key) == [
        "dnacpr", "allergy", "access", "communication", "unknown"]
