"""The access policy as a table (pure: no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from careweave.access.policy import (
    POLICY,
    Action,
    Basis,
    ConsentFact,
    Facts,
    Purpose,
    decide,
    permitted,
)

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
PAST = NOW - dt.timedelta(days=30)
ME, HOME, OTHER = "org-me", "org-registering", "org-other"


def consent(decision: str, orgs: tuple[str, ...] = (), **kw: object) -> ConsentFact:
    return ConsentFact(decision=decision, purpose="direct_care", covers_all=not orgs,
                       organisation_ids=frozenset(orgs), valid_from=kw.pop("valid_from", PAST),
                       **kw)  # type: ignore[arg-type]


def facts(country: str = "GB", role: str = "clinician", in_team: bool = True,
          consents: tuple[ConsentFact, ...] = (), bg: dt.datetime | None = None,
          registered_by: str = HOME) -> Facts:
    return Facts(country=country, role=role, organisation_id=ME, registered_by_id=registered_by,
                 in_care_team=in_team, break_glass_until=bg, consents=consents)


CASES = [
    # (description, facts, allowed, basis)
    ("UK in team, no objection", facts(), True, Basis.IMPLIED_CONSENT_DIRECT_CARE),
    ("UK in team, opted out for my org", facts(consents=(consent("deny", (ME,)),)), False,
     Basis.OBJECTED),
    ("UK in team, opted out for another org", facts(consents=(consent("deny", (OTHER,)),)), True,
     Basis.IMPLIED_CONSENT_DIRECT_CARE),
    ("UK in team, opted out of everyone", facts(consents=(consent("deny"),)), False,
     Basis.OBJECTED),
    ("UK opt-out expired", facts(consents=(consent("deny", (ME,), valid_to=NOW -
                                                     dt.timedelta(days=1)),)), True,
     Basis.IMPLIED_CONSENT_DIRECT_CARE),
    ("UK consent withdrawn for my org",
     facts(consents=(consent("permit", (ME,), withdrawn_at=NOW - dt.timedelta(minutes=1)),)),
     False, Basis.OBJECTED),
    ("UK consent withdrawn then given again",
     facts(consents=(consent("permit", (ME,), withdrawn_at=PAST), consent("permit", (ME,)))),
     True, Basis.IMPLIED_CONSENT_DIRECT_CARE),
    ("UK registering org despite opt-out", facts(consents=(consent("deny"),), registered_by=ME),
     True, Basis.OWN_ORGANISATION),
    ("not in team", facts(in_team=False), False, Basis.NOT_IN_CARE_TEAM),
    ("SE in team, no consent", facts(country="SE"), False, Basis.NO_CONSENT),
    ("SE in team, consent for my org", facts(country="SE", consents=(consent("permit", (ME,)),)),
     True, Basis.EXPLICIT_CONSENT),
    ("SE consent for another org only",
     facts(country="SE", consents=(consent("permit", (OTHER,)),)), False, Basis.NO_CONSENT),
    ("SE consent for whole team", facts(country="SE", consents=(consent("permit"),)), True,
     Basis.EXPLICIT_CONSENT),
    ("SE consent withdrawn",
     facts(country="SE", consents=(consent("permit", (ME,), withdrawn_at=PAST),)), False,
     Basis.NO_CONSENT),
    ("SE consent not yet in force",
     facts(country="SE", consents=(consent("permit", (ME,), valid_from=NOW +
                                           dt.timedelta(days=1)),)), False, Basis.NO_CONSENT),
    ("SE consent and objection", facts(country="SE", consents=(consent("permit"),
                                                               consent("deny", (ME,)))),
     False, Basis.NO_CONSENT),
    ("SE registering org", facts(country="SE", registered_by=ME), True, Basis.OWN_ORGANISATION),
    ("break-glass active, not in team", facts(in_team=False, bg=NOW + dt.timedelta(hours=1)),
     True, Basis.BREAK_GLASS),
    ("break-glass expired", facts(in_team=False, bg=NOW - dt.timedelta(seconds=1)), False,
     Basis.NOT_IN_CARE_TEAM),
    ("analyst in team", facts(role="analyst"), False, Basis.ROLE_HAS_NO_RECORD_ACCESS),
    ("privacy lead in team", facts(role="privacy_lead"), False,
     Basis.ROLE_HAS_NO_RECORD_ACCESS),
    ("admin with break-glass row", facts(role="admin", bg=NOW + dt.timedelta(hours=1)), False,
     Basis.ROLE_HAS_NO_RECORD_ACCESS),
]


@pytest.mark.parametrize("description,the_facts,allowed,basis", CASES,
                         ids=[c[0] for c in CASES])
def test_read_policy_table(description: str, the_facts: Facts, allowed: bool,
                           basis: Basis) -> None:
    decision = decide(the_facts, Action.READ, NOW)
    assert (decision.allowed, decision.basis) == (allowed, basis), description


def coordination(decision: str, orgs: tuple[str, ...] = (), **kw: object) -> ConsentFact:
    return ConsentFact(decision=decision, purpose="coordination", covers_all=not orgs,
                       organisation_ids=frozenset(orgs), valid_from=kw.pop("valid_from", PAST),
                       **kw)  # type: ignore[arg-type]


PURPOSE_CASES = [
    # (description, facts, allowed, basis, purpose)
    ("UK coordination consent withdrawn: direct care stands",
     facts(consents=(coordination("permit", (ME,), withdrawn_at=PAST),)), True,
     Basis.IMPLIED_CONSENT_DIRECT_CARE, Purpose.DIRECT_CARE),
    ("UK objects to direct care but consents to coordination",
     facts(consents=(consent("deny", (ME,)), coordination("permit", (ME,)))), True,
     Basis.EXPLICIT_CONSENT, Purpose.COORDINATION),
    ("UK objects to direct care and to coordination",
     facts(consents=(consent("deny", (ME,)), coordination("deny", (ME,)))), False,
     Basis.OBJECTED, ""),
    ("UK objection to coordination leaves direct care",
     facts(consents=(coordination("deny", (ME,)),)), True,
     Basis.IMPLIED_CONSENT_DIRECT_CARE, Purpose.DIRECT_CARE),
    ("SE direct-care consent (sammanhållen journalföring)",
     facts(country="SE", consents=(consent("permit", (ME,)),)), True, Basis.EXPLICIT_CONSENT,
     Purpose.DIRECT_CARE),
    ("SE SIP consent only", facts(country="SE", consents=(coordination("permit", (ME,)),)),
     True, Basis.EXPLICIT_CONSENT, Purpose.COORDINATION),
    ("SE SIP consent withdrawn, direct care consent stands",
     facts(country="SE", consents=(coordination("permit", (ME,), withdrawn_at=PAST),
                                   consent("permit", (ME,)))), True, Basis.EXPLICIT_CONSENT,
     Purpose.DIRECT_CARE),
    ("SE SIP consent withdrawn, nothing else",
     facts(country="SE", consents=(coordination("permit", (ME,), withdrawn_at=PAST),)), False,
     Basis.NO_CONSENT, ""),
    ("SE objection to direct care, SIP consent in force",
     facts(country="SE", consents=(consent("deny", (ME,)), coordination("permit"))), True,
     Basis.EXPLICIT_CONSENT, Purpose.COORDINATION),
    ("break-glass on a Swedish record without consent",
     facts(country="SE", bg=NOW + dt.timedelta(hours=1)), True, Basis.BREAK_GLASS,
     Purpose.EMERGENCY),
]


@pytest.mark.parametrize("description,the_facts,allowed,basis,purpose", PURPOSE_CASES,
                         ids=[c[0] for c in PURPOSE_CASES])
def test_purposes_are_separate_decisions(description: str, the_facts: Facts, allowed: bool,
                                         basis: Basis, purpose: str) -> None:
    decision = decide(the_facts, Action.READ, NOW)
    assert (decision.allowed, decision.basis, decision.purpose) == (allowed, basis, purpose)


# -- change, per action, relation and role -----------------------------------------------------
#
# The table below restates POLICY in plain terms, so that a change to the policy has to be
# made twice (there and here) to pass. R = the registering organisation, T = another
# organisation on the care team that may read the record, B = emergency access only.

CARE = {"clinician", "nurse", "social_worker", "care_worker", "coordinator"}
PROFESSIONALS = CARE - {"care_worker"}
ROLES = sorted(CARE | {"privacy_lead", "analyst", "admin", "data_quality"})

EXPECTED: dict[Action, dict[str, set[str]]] = {
    Action.READ: {"R": CARE | {"data_quality"}, "T": CARE, "B": CARE},
    Action.CHANGE_DEMOGRAPHICS: {"R": CARE, "T": CARE, "B": set()},
    Action.CHANGE_IDENTITY: {"R": PROFESSIONALS, "T": set(), "B": set()},
    Action.TRANSFER_REGISTRATION: {"R": PROFESSIONALS, "T": set(), "B": set()},
    Action.ADD_TO_CARE_TEAM: {"R": PROFESSIONALS, "T": PROFESSIONALS, "B": set()},
    Action.LEAVE_CARE_TEAM: {"R": set(), "T": CARE, "B": set()},
    Action.END_CARE_TEAM_PLACE: {"R": PROFESSIONALS, "T": set(), "B": set()},
    Action.RECORD_CONSENT: {"R": PROFESSIONALS, "T": PROFESSIONALS, "B": set()},
    Action.DECIDE_JOIN_REQUEST: {"R": PROFESSIONALS, "T": set(), "B": set()},
    Action.MERGE_RECORDS: {"R": {"coordinator", "data_quality"}, "T": set(), "B": set()},
    Action.RECORD_WARNING: {"R": CARE, "T": CARE, "B": set()},
    Action.WRITE_NOTE: {"R": CARE, "T": CARE, "B": set()},
    Action.CHANGE_TEAM_CONTACTS: {"R": PROFESSIONALS, "T": PROFESSIONALS, "B": set()},
    Action.CHANGE_MEDICINES: {"R": {"clinician", "nurse"}, "T": {"clinician", "nurse"},
                              "B": set()},
    Action.RECONCILE_MEDICINES: {"R": {"clinician"}, "T": {"clinician"}, "B": set()},
    Action.CHANGE_PLAN: {"R": PROFESSIONALS, "T": PROFESSIONALS, "B": set()},
    Action.AGREE_PLAN: {"R": PROFESSIONALS, "T": PROFESSIONALS, "B": set()},
    Action.UPDATE_ACTION_STATUS: {"R": CARE, "T": CARE, "B": set()},
    Action.REVIEW_PLAN: {"R": PROFESSIONALS, "T": PROFESSIONALS, "B": set()},
    Action.EXPORT_PLAN: {"R": CARE, "T": CARE, "B": set()},
    Action.CHANGE_CRISIS_PLAN: {"R": PROFESSIONALS, "T": PROFESSIONALS, "B": set()},
    Action.RECORD_CRISIS: {"R": CARE, "T": CARE, "B": set()},
    Action.RECORD_ASSESSMENT: {"R": CARE, "T": CARE, "B": set()},
    Action.REVIEW_SAFETY_FLAG: {"R": {"clinician", "nurse"}, "T": {"clinician", "nurse"},
                                "B": set()},
    Action.CHANGE: {"R": CARE, "T": CARE, "B": set()},
}


def facts_for_relation(relation: str, role: str) -> Facts:
    if relation == "R":
        return facts(role=role, registered_by=ME)
    if relation == "T":
        return facts(role=role)
    return facts(role=role, in_team=False, bg=NOW + dt.timedelta(hours=1))


def test_the_expected_table_covers_every_action() -> None:
    assert set(EXPECTED) == set(Action) == set(POLICY)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("relation", ["R", "T", "B"])
@pytest.mark.parametrize("role", ROLES)
def test_change_policy_by_action_relation_and_role(action: Action, relation: str,
                                                   role: str) -> None:
    decision = decide(facts_for_relation(relation, role), action, NOW)
    assert decision.allowed == (role in EXPECTED[action][relation]), (action, relation, role)
    if relation == "B" and action != Action.READ and role in CARE:
        assert decision.basis == Basis.BREAK_GLASS_READ_ONLY


@pytest.mark.parametrize("action", list(Action))
def test_nobody_outside_the_care_team_may_do_anything(action: Action) -> None:
    for role in ROLES:
        assert not decide(facts(role=role, in_team=False), action, NOW).allowed


def test_permitted_lists_exactly_the_allowed_actions() -> None:
    for relation in ("R", "T", "B"):
        for role in ROLES:
            the_facts = facts_for_relation(relation, role)
            assert permitted(the_facts, NOW) == {
                a for a in Action if decide(the_facts, a, NOW).allowed}


# -- the sharing summary's intervals ------------------------------------------------------------


def test_visibility_intervals_follow_consents_and_team_dates() -> None:
    from careweave.access.policy import BEGINNING, visibility_intervals

    tomorrow, next_week = NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=7)
    future = (consent("permit", (ME,), valid_from=tomorrow, valid_to=next_week),)
    # Sweden: visible only while the consent is in force, from tomorrow until next week
    assert visibility_intervals(country="SE", organisation_id=ME, registered_by_id=HOME,
                                team=[(PAST, None)], consents=future,
                                now=NOW) == [(tomorrow, next_week)]
    # UK: implied consent while on the care team, until the place ends
    assert visibility_intervals(country="GB", organisation_id=ME, registered_by_id=HOME,
                                team=[(PAST, next_week)], consents=(),
                                now=NOW) == [(BEGINNING, next_week)]
    # an objection from tomorrow interrupts it
    objection = (consent("deny", (ME,), valid_from=tomorrow),)
    assert visibility_intervals(country="GB", organisation_id=ME, registered_by_id=HOME,
                                team=[(PAST, None)], consents=objection,
                                now=NOW) == [(BEGINNING, tomorrow)]
    # not on the team: never
    assert visibility_intervals(country="GB", organisation_id=ME, registered_by_id=HOME,
                                team=[], consents=(), now=NOW) == []


@pytest.mark.parametrize("country", ["GB", "SE"])
def test_visibility_intervals_agree_with_the_read_rule_at_every_moment(country: str) -> None:
    """The summary is the read rule sampled at its change points: check it against the rule
    itself at many moments (hypothesis would find the same; a grid is enough here)."""
    from careweave.access.policy import read_decision, visibility_intervals

    day = dt.timedelta(days=1)
    consents = (consent("permit", (ME,), valid_from=NOW + 2 * day, valid_to=NOW + 9 * day),
                consent("deny", (ME,), valid_from=NOW + 5 * day, valid_to=NOW + 6 * day),
                coordination("permit", valid_from=NOW + 8 * day))
    team = [(NOW - day, NOW + 3 * day), (NOW + 4 * day, None)]
    intervals = visibility_intervals(country=country, organisation_id=ME, registered_by_id=HOME,
                                     team=team, consents=consents, now=NOW)
    for hours in range(0, 12 * 24, 7):
        moment = NOW + dt.timedelta(hours=hours)
        in_team = any(s <= moment and (e is None or moment < e) for s, e in team)
        expected = read_decision(Facts(country=country, role="clinician", organisation_id=ME,
                                       registered_by_id=HOME, in_care_team=in_team,
                                       consents=consents), moment).allowed
        listed = any(s <= moment and (e is None or moment < e) for s, e in intervals)
        assert listed == expected, (country, moment)
