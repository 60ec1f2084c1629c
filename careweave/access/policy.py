"""The access policy: who may read or change a person's record, and why.

Pure Python over plain values, no Django, so that the rules can be read in one
place and tested as a table. ``careweave.access.gate`` gathers the facts from the
database and asks :func:`decide`; ``careweave.access.gate.people_visible_to`` expresses
the same rules as a query for lists (a test checks the two agree).

Country rules (see docs/adr/0004-country-consent-policy-as-pure-module.md):

UK (GB)
    Implied consent for direct care within the care team (common law duty of
    confidentiality; UK GDPR 6(1)(e) and 9(2)(h)). An organisation on the care
    team may see the record unless the person objected for that organisation:
    an active opt-out covering it, or a consent covering it that the person
    withdrew (and has not given again).

Sweden (SE)
    Sharing between organisations needs the person's explicit consent
    (patientdatalagen 6 kap. for sammanhållen journalföring, SoL/HSL for SIP).
    The organisation that registered the person sees its own record; any other
    organisation on the care team needs an active consent that covers it.

Everywhere
    Analysts, privacy leads and administrators never see a person's record
    through the gate. A clinician outside the care team may break the glass:
    stated reason, time-limited, audited and reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

GB = "GB"
SE = "SE"

# Roles that provide care and so may see records of people their organisation cares for.
CARE_ROLES = frozenset({"clinician", "nurse", "social_worker", "care_worker", "coordinator"})
# Roles that may break the glass in an emergency.
BREAK_GLASS_ROLES = frozenset({"clinician", "nurse", "social_worker"})


class Action(StrEnum):
    READ = "read"
    CHANGE = "change"


class Basis(StrEnum):
    """Why access was allowed (or the reason it was refused). Values are stable codes."""

    OWN_ORGANISATION = "own-organisation"
    IMPLIED_CONSENT_DIRECT_CARE = "implied-consent-direct-care"
    EXPLICIT_CONSENT = "explicit-consent"
    BREAK_GLASS = "break-glass"
    # refusals
    ROLE_HAS_NO_RECORD_ACCESS = "role-has-no-record-access"
    NOT_IN_CARE_TEAM = "not-in-care-team"
    OBJECTED = "person-objected"
    NO_CONSENT = "no-consent"
    NOT_FOUND = "not-found"


@dataclass(frozen=True)
class ConsentFact:
    decision: str  # "permit" | "deny"
    purpose: str
    covers_all: bool  # True: every organisation on the care team
    organisation_ids: frozenset[str]
    valid_from: dt.datetime
    valid_to: dt.datetime | None = None
    withdrawn_at: dt.datetime | None = None

    def covers(self, organisation_id: str) -> bool:
        return self.covers_all or organisation_id in self.organisation_ids

    def in_force(self, now: dt.datetime) -> bool:
        return (
            self.withdrawn_at is None
            and self.valid_from <= now
            and (self.valid_to is None or self.valid_to > now)
        )


@dataclass(frozen=True)
class Facts:
    country: str
    role: str
    organisation_id: str
    registered_by_id: str
    in_care_team: bool
    break_glass_until: dt.datetime | None = None
    consents: tuple[ConsentFact, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: Basis

    def __bool__(self) -> bool:
        return self.allowed


def objected(facts: Facts, now: dt.datetime) -> bool:
    """Has the person objected to sharing with this organisation (UK rule)?"""
    org = facts.organisation_id
    covering = [c for c in facts.consents if c.covers(org)]
    if any(c.decision == "deny" and c.in_force(now) for c in covering):
        return True
    withdrawn = any(c.decision == "permit" and c.withdrawn_at is not None for c in covering)
    permitted_again = any(c.decision == "permit" and c.in_force(now) for c in covering)
    return withdrawn and not permitted_again


def explicitly_consented(facts: Facts, now: dt.datetime) -> bool:
    """Is there consent in force covering this organisation, and no objection in force?"""
    org = facts.organisation_id
    covering = [c for c in facts.consents if c.covers(org) and c.in_force(now)]
    if any(c.decision == "deny" for c in covering):
        return False
    return any(c.decision == "permit" for c in covering)


def decide(facts: Facts, action: Action, now: dt.datetime) -> Decision:
    if facts.role not in CARE_ROLES:
        return Decision(False, Basis.ROLE_HAS_NO_RECORD_ACCESS)
    if facts.break_glass_until is not None and facts.break_glass_until > now:
        return Decision(True, Basis.BREAK_GLASS)
    if not facts.in_care_team:
        return Decision(False, Basis.NOT_IN_CARE_TEAM)
    if facts.organisation_id == facts.registered_by_id:
        return Decision(True, Basis.OWN_ORGANISATION)
    if facts.country == SE:
        if explicitly_consented(facts, now):
            return Decision(True, Basis.EXPLICIT_CONSENT)
        return Decision(False, Basis.NO_CONSENT)
    # GB and any other country default to the UK's implied-consent model.
    if objected(facts, now):
        return Decision(False, Basis.OBJECTED)
    return Decision(True, Basis.IMPLIED_CONSENT_DIRECT_CARE)


def may_break_glass(role: str) -> bool:
    return role in BREAK_GLASS_ROLES
