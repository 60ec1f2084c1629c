"""Who may see a case note or a warning, on a record the gate already let them read.

Pure Python over plain values (no Django), versioned, tested as a table and with
hypothesis. The selectors turn :func:`scope` into a query, so that lists and keyset pages
only ever hold what the reader may see (a test checks the query and :func:`may_see` agree).

Sensitivity levels (``RULES_VERSION`` 1):

care team (``care_team``)
    Everyone the gate lets read the record: registering and care-team organisations, and
    emergency (break-glass) access, which must see a DNACPR form or an allergy.
my organisation only (``organisation``)
    Only staff of the organisation that wrote it.
restricted (``restricted``)
    Only the named roles (for example clinicians) and, for warnings, the named kinds of
    organisation (for example the mental-health team and the GP practice). The author's
    organisation is always among the kinds; the named roles apply to it too. Another
    organisation sees a restricted item only when it reads the record **for direct care**:
    an organisation reading only for care coordination (a SIP consent after an objection to
    direct care) or on emergency access does not. That is how the person's consent
    decisions reach the item: the gate decides the purpose, this rule respects it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

RULES_VERSION = "1"

CARE_TEAM = "care_team"
ORGANISATION = "organisation"
RESTRICTED = "restricted"
LEVELS = (CARE_TEAM, ORGANISATION, RESTRICTED)

DIRECT_CARE = "direct_care"  # access.policy.Purpose.DIRECT_CARE
BREAK_GLASS = "break_glass"  # access.policy.Relation.BREAK_GLASS

SEPARATOR = "|"


@dataclass(frozen=True)
class Viewer:
    """The reader, as the gate decided: their organisation, its kind, their role, and the
    relation and purpose of their read."""

    organisation_id: str
    organisation_kind: str
    role: str
    relation: str
    purpose: str


@dataclass(frozen=True)
class Item:
    sensitivity: str
    organisation_id: str  # the organisation that wrote it
    roles: frozenset[str] = frozenset()
    organisation_kinds: frozenset[str] = frozenset()


def may_see(viewer: Viewer, item: Item) -> bool:
    """May this reader see this note or warning?"""
    if item.sensitivity == CARE_TEAM:
        return True
    own = viewer.organisation_id == item.organisation_id
    if item.sensitivity == ORGANISATION:
        return own
    if item.sensitivity != RESTRICTED:
        return False  # an unknown level: deny by default
    if item.roles and viewer.role not in item.roles:
        return False
    if own:
        return True
    if viewer.relation == BREAK_GLASS or viewer.purpose != DIRECT_CARE:
        return False
    return viewer.organisation_kind in item.organisation_kinds


@dataclass(frozen=True)
class Scope:
    """:func:`may_see` as the conditions a query states: an item is visible when it is at
    care-team level; or written by ``organisation_id`` and either at organisation level or
    restricted to roles that include ``role`` (or to none); or, when ``others_restricted``,
    restricted, naming ``organisation_kind`` and naming ``role`` or no role."""

    organisation_id: str
    role: str
    organisation_kind: str
    others_restricted: bool


def scope(viewer: Viewer) -> Scope:
    return Scope(organisation_id=viewer.organisation_id, role=viewer.role,
                 organisation_kind=viewer.organisation_kind,
                 others_restricted=viewer.relation != BREAK_GLASS
                 and viewer.purpose == DIRECT_CARE)


def in_scope(s: Scope, item: Item) -> bool:
    """The query's reading of a scope, in Python (the selectors' Q is the same sentence)."""
    if item.sensitivity == CARE_TEAM:
        return True
    role_ok = not item.roles or s.role in item.roles
    if item.organisation_id == s.organisation_id:
        if item.sensitivity == ORGANISATION:
            return True
        if item.sensitivity == RESTRICTED:
            return role_ok
        return False
    return (s.others_restricted and item.sensitivity == RESTRICTED and role_ok
            and s.organisation_kind in item.organisation_kinds)


# -- the audience of a restricted item, stored as "|a|b|" so a query can ask for "|a|" -----


def pack(values: Iterable[str]) -> str:
    """Codes as one string a query can search: "|clinician|nurse|" (empty: none)."""
    codes = sorted({v for v in values if v})
    if any(SEPARATOR in code for code in codes):
        raise ValueError("a code may not contain the separator")
    return f"{SEPARATOR}{SEPARATOR.join(codes)}{SEPARATOR}" if codes else ""


def unpack(value: str) -> frozenset[str]:
    return frozenset(part for part in (value or "").split(SEPARATOR) if part)


def needle(code: str) -> str:
    """What a packed string contains when it names ``code``."""
    return f"{SEPARATOR}{code}{SEPARATOR}"


def audience_problems(sensitivity: str, roles: frozenset[str],
                      kinds: frozenset[str], *, known_roles: frozenset[str],
                      known_kinds: frozenset[str]) -> dict[str, str]:
    """What is wrong with a level and its audience: field -> a problem code
    ("unknown_level", "unknown_role", "unknown_kind", "restricted_needs_audience",
    "audience_only_when_restricted")."""
    problems: dict[str, str] = {}
    if sensitivity not in LEVELS:
        problems["sensitivity"] = "unknown_level"
        return problems
    if roles - known_roles:
        problems["roles"] = "unknown_role"
    if kinds - known_kinds:
        problems["organisation_kinds"] = "unknown_kind"
    if sensitivity == RESTRICTED and not roles and not kinds:
        problems["sensitivity"] = "restricted_needs_audience"
    if sensitivity != RESTRICTED and (roles or kinds):
        problems["sensitivity"] = "audience_only_when_restricted"
    return problems


# -- warnings ---------------------------------------------------------------------------------

# Warning types, most urgent first: the banner and the caseload flag show them in this order.
WARNING_ORDER = (
    "dnacpr",  # DNACPR, ReSPECT form, advance decision to refuse treatment
    "allergy",
    "lone_worker",
    "safeguarding",
    "risk_to_self",
    "infection",
    "access",  # key safe and access instructions
    "communication",
)

ACTIVE = "active"
ENDED = "ended"

# The warning's state table: (state, event) -> next state. Anything else is refused.
# Who may send the events is the policy's RECORD_WARNING row (access.policy).
WARNING_TRANSITIONS: dict[tuple[str, str], str] = {
    (ACTIVE, "change"): ACTIVE,  # details, sensitivity kept, review date
    (ACTIVE, "review"): ACTIVE,  # reviewed: a new review date
    (ACTIVE, "end"): ENDED,  # with a reason
}
WARNING_EVENTS = frozenset(event for _state, event in WARNING_TRANSITIONS)


def warning_next(state: str, event: str) -> str | None:
    """The state after ``event``, or None when the table does not allow it."""
    return WARNING_TRANSITIONS.get((state, event))


def warning_sort_key(kind: str) -> int:
    return WARNING_ORDER.index(kind) if kind in WARNING_ORDER else len(WARNING_ORDER)
