"""The access policy as a table (pure: no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from careweave.access.policy import Action, Basis, ConsentFact, Facts, decide

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
@pytest.mark.parametrize("action", [Action.READ, Action.CHANGE])
def test_access_policy_table(description: str, the_facts: Facts, allowed: bool, basis: Basis,
                             action: Action) -> None:
    decision = decide(the_facts, action, NOW)
    assert (decision.allowed, decision.basis) == (allowed, basis), description
