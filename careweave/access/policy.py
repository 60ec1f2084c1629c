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

Purposes are separate decisions (direct care; care coordination, SIP). An objection
to one purpose, or withdrawing consent for it, leaves the other as it was.

Everywhere
    Analysts, privacy leads and administrators never see a person's record
    through the gate. A clinician outside the care team may break the glass:
    stated reason, time-limited, audited and reported. Break-glass reads, never
    changes, and is never a way into the care team or the consent records.

Change, per action and relation: :data:`POLICY` is the table. Each action names the
roles that may take it and the relations (of the actor's organisation to the person)
it needs: the registering organisation, another organisation on the care team that may
read the record, or emergency access only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

GB = "GB"
SE = "SE"

# Roles that provide care and so may see records of people their organisation cares for.
CARE_ROLES = frozenset({"clinician", "nurse", "social_worker", "care_worker", "coordinator"})
# Roles that may break the glass in an emergency.
BREAK_GLASS_ROLES = frozenset({"clinician", "nurse", "social_worker"})
# Roles that change who is involved, what was agreed and who the person is (not care
# workers, who deliver care on a plan others agree).
PROFESSIONAL_ROLES = frozenset({"clinician", "nurse", "social_worker", "coordinator"})
# Roles that look after the quality of the records (duplicates and merges).
DATA_QUALITY_ROLES = frozenset({"data_quality", "coordinator"})
# Roles that prescribe or manage medicines (change the shared list).
MEDICINE_ROLES = frozenset({"clinician", "nurse"})
# The role that confirms the shared medicines list in reconciliation.
RECONCILING_ROLES = frozenset({"clinician"})


class Action(StrEnum):
    """What an actor may want to do to a person's record. Each later domain adds its own."""

    READ = "read"
    CHANGE_DEMOGRAPHICS = "change_demographics"  # names, contacts, address, languages, network
    CHANGE_IDENTITY = "change_identity"  # identifiers, country, date of birth
    TRANSFER_REGISTRATION = "transfer_registration"
    ADD_TO_CARE_TEAM = "add_to_care_team"
    LEAVE_CARE_TEAM = "leave_care_team"  # end one's own organisation's place
    END_CARE_TEAM_PLACE = "end_care_team_place"  # end another organisation's place
    RECORD_CONSENT = "record_consent"  # record or withdraw a consent or an objection
    DECIDE_JOIN_REQUEST = "decide_join_request"
    MERGE_RECORDS = "merge_records"
    # notes: warnings on the record, case notes (and amendments, attachments), contacts
    RECORD_WARNING = "record_warning"  # raise, review or end a warning
    WRITE_NOTE = "write_note"  # record a case note, amend one's own, attach files
    CHANGE_TEAM_CONTACTS = "change_team_contacts"  # phones, hours, key worker, lead
    # medicines: the shared list and its reconciliation
    CHANGE_MEDICINES = "change_medicines"  # add, change, stop a medicine
    RECONCILE_MEDICINES = "reconcile_medicines"  # confirm the list as reviewed
    # plans (careweave.plans): the co-produced plan and the crisis plan
    CHANGE_PLAN = "change_plan"  # create, change or close a plan, its goals and actions
    AGREE_PLAN = "agree_plan"  # record the person's agreement, or one's organisation's
    UPDATE_ACTION_STATUS = "update_action_status"  # the state table decides who, per action
    REVIEW_PLAN = "review_plan"  # a follow-up with goal attainment ratings
    EXPORT_PLAN = "export_plan"  # a PDF or print copy of the plan
    CHANGE_CRISIS_PLAN = "change_crisis_plan"
    RECORD_CRISIS = "record_crisis"  # start or end a crisis (the plan shows first)
    # assessments: record (drafts, submit, correct, a self-completion link), review a flag
    RECORD_ASSESSMENT = "record_assessment"
    REVIEW_SAFETY_FLAG = "review_safety_flag"
    # Kept for callers that only ask "may this actor change the record at all?"
    CHANGE = "change"


class Relation(StrEnum):
    """The actor's organisation to the person."""

    REGISTERING = "registering"  # registered the person and is on the care team
    CARE_TEAM = "care_team"  # on the care team and may read the record (consent or implied)
    BREAK_GLASS = "break_glass"  # only emergency access
    NONE = "none"


class Purpose(StrEnum):
    DIRECT_CARE = "direct_care"
    COORDINATION = "coordination"
    EMERGENCY = "emergency_care"
    DATA_QUALITY = "data_quality"  # finding and merging duplicate records


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
    BREAK_GLASS_READ_ONLY = "break-glass-read-only"
    ROLE_MAY_NOT = "role-may-not-do-this"
    NOT_REGISTERING_ORGANISATION = "not-registering-organisation"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    relations: frozenset[Relation]
    explains: str  # for people reading the table (docs and the closing note)


_READERS = frozenset({Relation.REGISTERING, Relation.CARE_TEAM, Relation.BREAK_GLASS})
_TEAM = frozenset({Relation.REGISTERING, Relation.CARE_TEAM})
_REGISTERING = frozenset({Relation.REGISTERING})

POLICY: dict[Action, Rule] = {
    Action.READ: Rule(CARE_ROLES | DATA_QUALITY_ROLES, _READERS,
                      "care roles of the registering organisation, of care-team organisations "
                      "with a basis to share, or with emergency access in force; data-quality "
                      "officers of the registering organisation"),
    Action.CHANGE_DEMOGRAPHICS: Rule(CARE_ROLES, _TEAM,
                                     "care roles of the registering or a care-team organisation"),
    Action.CHANGE_IDENTITY: Rule(PROFESSIONAL_ROLES, _REGISTERING,
                                 "professionals of the registering organisation only"),
    Action.TRANSFER_REGISTRATION: Rule(PROFESSIONAL_ROLES, _REGISTERING,
                                       "professionals of the registering organisation only"),
    Action.ADD_TO_CARE_TEAM: Rule(PROFESSIONAL_ROLES, _TEAM,
                                  "professionals of the registering or a care-team organisation"),
    Action.LEAVE_CARE_TEAM: Rule(CARE_ROLES, frozenset({Relation.CARE_TEAM}),
                                 "care roles of a care-team organisation, for its own place "
                                 "(the registering organisation transfers registration first)"),
    Action.END_CARE_TEAM_PLACE: Rule(PROFESSIONAL_ROLES, _REGISTERING,
                                     "professionals of the registering organisation, for another "
                                     "organisation's place"),
    Action.RECORD_CONSENT: Rule(PROFESSIONAL_ROLES, _TEAM,
                                "professionals of the registering or a care-team organisation"),
    Action.DECIDE_JOIN_REQUEST: Rule(PROFESSIONAL_ROLES, _REGISTERING,
                                     "professionals of the registering organisation only"),
    Action.MERGE_RECORDS: Rule(DATA_QUALITY_ROLES, _REGISTERING,
                               "data-quality roles of the organisation registering both records"),
    Action.RECORD_WARNING: Rule(CARE_ROLES, _TEAM,
                                "care roles of the registering or a care-team organisation "
                                "(a care worker may warn of a key safe or a risk)"),
    Action.WRITE_NOTE: Rule(CARE_ROLES, _TEAM,
                            "care roles of the registering or a care-team organisation"),
    Action.CHANGE_TEAM_CONTACTS: Rule(PROFESSIONAL_ROLES, _TEAM,
                                      "professionals of the registering or a care-team "
                                      "organisation (their own organisation's contacts)"),
    Action.CHANGE_MEDICINES: Rule(MEDICINE_ROLES, _TEAM,
                                  "clinicians and nurses of the registering or a care-team "
                                  "organisation"),
    Action.RECONCILE_MEDICINES: Rule(RECONCILING_ROLES, _TEAM,
                                     "clinicians of the registering or a care-team "
                                     "organisation"),
    Action.CHANGE_PLAN: Rule(PROFESSIONAL_ROLES, _TEAM,
                             "professionals of the registering or a care-team organisation"),
    Action.AGREE_PLAN: Rule(PROFESSIONAL_ROLES, _TEAM,
                            "professionals of the registering or a care-team organisation"),
    Action.UPDATE_ACTION_STATUS: Rule(CARE_ROLES, _TEAM,
                                      "care roles of the registering or a care-team "
                                      "organisation (the action state table says which moves)"),
    Action.REVIEW_PLAN: Rule(PROFESSIONAL_ROLES, _TEAM,
                             "professionals of the registering or a care-team organisation"),
    Action.EXPORT_PLAN: Rule(CARE_ROLES, _TEAM, "care roles of the registering or a care-team "
                             "organisation, never emergency access"),
    Action.CHANGE_CRISIS_PLAN: Rule(PROFESSIONAL_ROLES, _TEAM,
                                    "professionals of the registering or a care-team "
                                    "organisation"),
    Action.RECORD_CRISIS: Rule(CARE_ROLES, _TEAM,
                               "care roles of the registering or a care-team organisation"),
    Action.RECORD_ASSESSMENT: Rule(CARE_ROLES, _TEAM,
                                   "care roles of the registering or a care-team "
                                   "organisation, for the instruments their role may see "
                                   "(assessments.rules: care workers not the clinical ones)"),
    Action.REVIEW_SAFETY_FLAG: Rule(frozenset({"clinician", "nurse"}), _TEAM,
                                    "clinicians and nurses of the registering or a "
                                    "care-team organisation"),
    Action.CHANGE: Rule(CARE_ROLES, _TEAM, "any change: the registering or a care-team "
                        "organisation, never emergency access"),
}


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
    relation: Relation = Relation.NONE
    purpose: str = ""  # the purpose the read is for (direct care, coordination, emergency)
    # Every action the actor may take on the record (filled in by the gate).
    permitted: frozenset[Action] = frozenset()

    def may(self, action: str) -> bool:
        return action in self.permitted

    def __bool__(self) -> bool:
        return self.allowed


def _covering(facts: Facts, purpose: str) -> list[ConsentFact]:
    org = facts.organisation_id
    return [c for c in facts.consents if c.purpose == purpose and c.covers(org)]


def objected(facts: Facts, now: dt.datetime, purpose: str = Purpose.DIRECT_CARE) -> bool:
    """Has the person objected to sharing with this organisation for this purpose (UK)?

    An objection in force, or a consent for the purpose that was withdrawn and has not
    been given again. Other purposes do not count."""
    covering = _covering(facts, purpose)
    if any(c.decision == "deny" and c.in_force(now) for c in covering):
        return True
    withdrawn = any(c.decision == "permit" and c.withdrawn_at is not None for c in covering)
    permitted_again = any(c.decision == "permit" and c.in_force(now) for c in covering)
    return withdrawn and not permitted_again


def explicitly_consented(facts: Facts, now: dt.datetime, purpose: str) -> bool:
    """Consent in force for this purpose covering this organisation, and no objection to
    it in force."""
    covering = [c for c in _covering(facts, purpose) if c.in_force(now)]
    if any(c.decision == "deny" for c in covering):
        return False
    return any(c.decision == "permit" for c in covering)


def read_decision(facts: Facts, now: dt.datetime) -> Decision:
    """May the actor read the record, on what basis, for which purpose, and so in which
    relation to the person."""
    if facts.role not in CARE_ROLES:
        if facts.role in DATA_QUALITY_ROLES and facts.organisation_id == facts.registered_by_id:
            # A data-quality officer reads the records their organisation registered (to
            # find and merge duplicates), whether or not it is on the care team now.
            return Decision(True, Basis.OWN_ORGANISATION, Relation.REGISTERING,
                            Purpose.DATA_QUALITY)
        return Decision(False, Basis.ROLE_HAS_NO_RECORD_ACCESS)
    refusal = Basis.NOT_IN_CARE_TEAM
    if facts.in_care_team:
        if facts.organisation_id == facts.registered_by_id:
            return Decision(True, Basis.OWN_ORGANISATION, Relation.REGISTERING,
                            Purpose.DIRECT_CARE)
        if facts.country == SE:
            # Sammanhållen journalföring (direct care) and SIP (coordination) each need
            # explicit consent.
            for purpose in (Purpose.DIRECT_CARE, Purpose.COORDINATION):
                if explicitly_consented(facts, now, purpose):
                    return Decision(True, Basis.EXPLICIT_CONSENT, Relation.CARE_TEAM, purpose)
            refusal = Basis.NO_CONSENT
        else:
            # GB and any other country default to the UK's implied-consent model.
            if not objected(facts, now, Purpose.DIRECT_CARE):
                return Decision(True, Basis.IMPLIED_CONSENT_DIRECT_CARE, Relation.CARE_TEAM,
                                Purpose.DIRECT_CARE)
            if explicitly_consented(facts, now, Purpose.COORDINATION):
                return Decision(True, Basis.EXPLICIT_CONSENT, Relation.CARE_TEAM,
                                Purpose.COORDINATION)
            refusal = Basis.OBJECTED
    if facts.break_glass_until is not None and facts.break_glass_until > now:
        return Decision(True, Basis.BREAK_GLASS, Relation.BREAK_GLASS, Purpose.EMERGENCY)
    return Decision(False, refusal)


def decide(facts: Facts, action: Action, now: dt.datetime) -> Decision:
    """The answer for one action: the read decision, then the action's rule (its roles and
    the relations it needs). A refused change keeps the relation, so callers can say why."""
    read = read_decision(facts, now)
    if not read.allowed:
        return read
    rule = POLICY[Action(action)]
    if read.relation not in rule.relations:
        basis = (Basis.BREAK_GLASS_READ_ONLY if read.relation == Relation.BREAK_GLASS
                 else Basis.NOT_REGISTERING_ORGANISATION)
        return Decision(False, basis, read.relation, read.purpose)
    if facts.role not in rule.roles:
        return Decision(False, Basis.ROLE_MAY_NOT, read.relation, read.purpose)
    return read


def permitted(facts: Facts, now: dt.datetime) -> frozenset[Action]:
    """Every action the actor may take on the record (for showing only the links they
    may follow)."""
    return frozenset(a for a in Action if decide(facts, a, now).allowed)


# The beginning of time for a sharing interval already open before it was computed.
BEGINNING = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


def visibility_intervals(
    *,
    country: str,
    organisation_id: str,
    registered_by_id: str,
    team: Sequence[tuple[dt.datetime, dt.datetime | None]],
    consents: Sequence[ConsentFact],
    now: dt.datetime,
) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """When, from ``now`` on, the care staff of one organisation may read the record (no
    emergency access): the read rule evaluated at every moment something it depends on
    changes (the organisation's care-team places starting or ending, consents starting or
    ending), merged into intervals ``[start, end)``; ``end`` None means open-ended, and an
    interval already open at ``now`` starts at :data:`BEGINNING`.

    The decision is constant between two such moments, so the intervals are exact."""
    moments = {now}
    for start, end in team:
        moments.update(m for m in (start, end) if m is not None and m > now)
    for c in consents:
        moments.update(m for m in (c.valid_from, c.valid_to) if m is not None and m > now)
    intervals: list[tuple[dt.datetime, dt.datetime | None]] = []
    open_since: dt.datetime | None = None
    for moment in sorted(moments):
        in_team = any(start <= moment and (end is None or moment < end) for start, end in team)
        facts = Facts(country=country, role="clinician", organisation_id=organisation_id,
                      registered_by_id=registered_by_id, in_care_team=in_team,
                      consents=tuple(consents))
        visible = read_decision(facts, moment).allowed
        if visible and open_since is None:
            open_since = BEGINNING if moment == now else moment
        elif not visible and open_since is not None:
            intervals.append((open_since, moment))
            open_since = None
    if open_since is not None:
        intervals.append((open_since, None))
    return intervals


def may_break_glass(role: str) -> bool:
    return role in BREAK_GLASS_ROLES
