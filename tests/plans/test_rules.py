"""Who sees a section marked sensitive, goal attainment scores, overdue follow-ups and the
dates a plan may hold (pure: no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careweave.access.policy import ConsentFact, Relation
from careweave.plans import rules
from careweave.plans.rules import Viewer

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
PAST = NOW - dt.timedelta(days=30)
ME, REG, COORD, OTHER = "org-me", "org-registering", "org-coordinating", "org-other"


def consent(decision: str = "permit", orgs: tuple[str, ...] = (ME,), purpose: str = "coordination",
            **kw: object) -> ConsentFact:
    return ConsentFact(decision=decision, purpose=purpose, covers_all=not orgs,
                       organisation_ids=frozenset(orgs), valid_from=kw.pop("valid_from", PAST),
                       **kw)  # type: ignore[arg-type]


def viewer(relation: str = Relation.CARE_TEAM, org: str = ME,
           consents: tuple[ConsentFact, ...] = ()) -> Viewer:
    return Viewer(organisation_id=org, relation=relation, registering_id=REG,
                  coordinating_id=COORD, consents=consents)


SENSITIVE = [
    # (description, viewer, sees every sensitive section)
    ("the registering organisation", viewer(Relation.REGISTERING, REG), True),
    ("the coordinating organisation", viewer(org=COORD), True),
    ("care team, implied consent only", viewer(), False),
    ("care team, coordination consent naming it", viewer(consents=(consent(),)), True),
    ("care team, direct-care consent naming it",
     viewer(consents=(consent(purpose="direct_care"),)), True),
    ("care team, consent covering the whole team", viewer(consents=(consent(orgs=()),)), True),
    ("care team, consent for another organisation", viewer(consents=(consent(orgs=(OTHER,)),)),
     False),
    ("care team, consent withdrawn", viewer(consents=(consent(withdrawn_at=PAST),)), False),
    ("care team, consent expired",
     viewer(consents=(consent(valid_to=NOW - dt.timedelta(days=1)),)), False),
    ("care team, consent not yet in force",
     viewer(consents=(consent(valid_from=NOW + dt.timedelta(days=1)),)), False),
    ("care team, consent and an objection", viewer(consents=(consent(), consent("deny"))),
     False),
    ("emergency access", viewer(Relation.BREAK_GLASS, consents=(consent(),)), False),
    ("no relation", viewer(Relation.NONE, REG), False),
]


@pytest.mark.parametrize("description,the_viewer,sees", SENSITIVE,
                         ids=[c[0] for c in SENSITIVE])
def test_who_sees_sensitive_sections(description: str, the_viewer: Viewer, sees: bool) -> None:
    assert rules.sees_sensitive(the_viewer, NOW) is sees


@pytest.mark.parametrize("the_viewer,sensitive,author,sees_all,visible", [
    (viewer(), False, OTHER, False, True),  # not sensitive: everyone who reads the plan
    (viewer(), True, OTHER, False, False),
    (viewer(), True, ME, False, True),  # its own organisation wrote it
    (viewer(), True, "", False, False),
    (viewer(), True, OTHER, True, True),
    (viewer(Relation.BREAK_GLASS), True, ME, False, False),
])
def test_one_section(the_viewer: Viewer, sensitive: bool, author: str, sees_all: bool,
                     visible: bool) -> None:
    assert rules.section_visible(the_viewer, sensitive=sensitive, author_id=author,
                                 sees_all=sees_all) is visible


@given(st.sampled_from([Relation.BREAK_GLASS, Relation.NONE]), st.booleans(), st.booleans())
def test_emergency_access_never_sees_sensitive_detail(relation: str, permit: bool,
                                                      own: bool) -> None:
    the_viewer = viewer(relation, REG if own else ME, (consent(),) if permit else ())
    assert not rules.sees_sensitive(the_viewer, NOW)
    assert not rules.section_visible(the_viewer, sensitive=True, author_id=ME, sees_all=False)


@pytest.mark.parametrize("value,valid", [(-2, True), (0, True), (2, True), (3, False),
                                         (-3, False), (True, False), (1.0, False), ("1", False),
                                         (None, False)])
def test_attainment_scores(value: object, valid: bool) -> None:
    assert rules.valid_score(value) is valid


def test_each_score_has_its_wording() -> None:
    assert [rules.level_field(s) for s in rules.GAS_SCORES] == list(rules.GAS_LEVELS)
    assert rules.mean_score([2, None, -1]) == 0.5
    assert rules.mean_score([None]) is None


TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize("follow_up,closed,overdue", [
    (TODAY - dt.timedelta(days=1), False, True),
    (TODAY, False, False),
    (TODAY + dt.timedelta(days=1), False, False),
    (None, False, False),
    (TODAY - dt.timedelta(days=30), True, False),
])
def test_review_overdue(follow_up: dt.date | None, closed: bool, overdue: bool) -> None:
    assert rules.review_overdue(follow_up, TODAY, closed=closed) is overdue


@given(st.dates())
def test_dates_a_plan_may_hold(day: dt.date) -> None:
    planned = rules.date_problem(day, TODAY)
    happened = rules.date_problem(day, TODAY, past_only=True)
    assert (planned is None) == (rules.EARLIEST <= day <= TODAY + rules.AHEAD)
    assert (happened is None) == (rules.EARLIEST <= day <= TODAY)
    if day < rules.EARLIEST:
        assert planned == happened == "too_early"
