"""Who may see and do what with assessments, and the state tables (pure: no Django).

Visibility is per instrument (its ``audience``), applied in the query after the gate let
the reader open the record, so keyset pages stay full and an assessment the reader may not
see answers 404 like one that does not exist:

- ``care_team``: every care role the gate lets read the record (emergency access too);
- ``professional``: the professional roles only (clinicians, nurses, social workers,
  coordinators), not care workers: a depression or anxiety score and its risk answer.

Data-quality officers read records to find duplicates, never assessments.

State tables (one each, tested as tables): a response goes draft -> submitted (or
discarded); a submitted response is never changed (a correction is a new version). A safety
flag goes open -> reviewed, by a clinician or a nurse. A self-completion link is usable
until it is used, revoked or expires.
"""

from __future__ import annotations

import datetime as dt

from careweave.access.policy import CARE_ROLES, PROFESSIONAL_ROLES

RULES_VERSION = "1"

CARE_TEAM = "care_team"
PROFESSIONAL = "professional"
AUDIENCES = (CARE_TEAM, PROFESSIONAL)

# Who records a review of a safety flag: the clinical roles.
CLINICAL_ROLES = frozenset({"clinician", "nurse"})


def visible_audiences(role: str) -> frozenset[str]:
    """The audiences whose assessments a reader in this role sees (on a record the gate
    let them read)."""
    out: set[str] = set()
    if role in CARE_ROLES:
        out.add(CARE_TEAM)
    if role in PROFESSIONAL_ROLES:
        out.add(PROFESSIONAL)
    return frozenset(out)


def may_see(audience: str, role: str) -> bool:
    return audience in visible_audiences(role)


def may_record(audience: str, role: str) -> bool:
    """Recording an instrument needs seeing its answers."""
    return may_see(audience, role)


# -- responses ------------------------------------------------------------------------------

DRAFT = "draft"
SUBMITTED = "submitted"
DISCARDED = "discarded"
RESPONSE_STATUSES = (DRAFT, SUBMITTED, DISCARDED)

RESPONSE_TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, "save"): DRAFT,
    (DRAFT, "submit"): SUBMITTED,
    (DRAFT, "discard"): DISCARDED,
}


def response_next(status: str, event: str) -> str | None:
    """The status after ``event``, or None when it is not allowed (a submitted or discarded
    response takes no event: a correction is a new version)."""
    return RESPONSE_TRANSITIONS.get((status, event))


# -- safety flags ---------------------------------------------------------------------------

OPEN = "open"
REVIEWED = "reviewed"
FLAG_STATUSES = (OPEN, REVIEWED)

FLAG_TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (OPEN, "review"): (REVIEWED, CLINICAL_ROLES),
}


def flag_next(status: str, event: str, role: str) -> str | None:
    """The flag's status after ``event`` by someone in ``role``, or None if not allowed."""
    found = FLAG_TRANSITIONS.get((status, event))
    if found is None or role not in found[1]:
        return None
    return found[0]


# -- self-completion links --------------------------------------------------------------------

USABLE = "usable"
EXPIRED = "expired"
USED = "used"
REVOKED = "revoked"
LINK_DAYS_DEFAULT = 7
LINK_DAYS_MAX = 28


def link_state(*, now: dt.datetime, expires_at: dt.datetime, used_at: dt.datetime | None,
               revoked_at: dt.datetime | None) -> str:
    if used_at is not None:
        return USED
    if revoked_at is not None:
        return REVOKED
    if now >= expires_at:
        return EXPIRED
    return USABLE


# -- when a repeat is due -------------------------------------------------------------------------


def due_on(taken_on: dt.date, repeat_days: int | None) -> dt.date | None:
    """When the next one is due (None: the instrument is not repeated on a schedule)."""
    if not repeat_days:
        return None
    return taken_on + dt.timedelta(days=int(repeat_days))


def overdue(due: dt.date | None, today: dt.date) -> bool:
    return due is not None and due < today
