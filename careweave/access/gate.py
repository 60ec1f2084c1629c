"""THE access gate: the only place that decides whether an actor may read or change a
person's record. Pages, the JSON API, FHIR and the CLI all ask it.

- :func:`decide` answers "may this actor do this to this person, and on what basis".
- :func:`open_person` loads a person for an actor, audits the access in the same
  transaction, and raises :class:`AccessDenied` (a 404) when the answer is no.
- :func:`people_visible_to` is the same rule as a queryset, for lists and search.

A refusal is always a 404: nobody learns whether a record they may not see exists.
"""

from __future__ import annotations

import datetime as dt
import uuid
from contextlib import nullcontext
from dataclasses import replace
from typing import Any, NoReturn

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from careweave.access import policy
from careweave.access.models import BreakGlass, CareTeamMember, Consent, Sharing
from careweave.access.policy import Action, Basis, ConsentFact, Decision, Facts
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record, reads_commit_without_waiting
from careweave.core import rawsql
from careweave.core.context import Actor
from careweave.core.db import atomic, in_application_transaction, pipelined
from careweave.orgs.models import Area, Organisation
from careweave.people.models import Person

__all__ = [
    "AccessDenied",
    "Action",
    "Basis",
    "Decision",
    "check",
    "decide",
    "deny",
    "open_person",
    "people_visible_to",
    "require",
]


class AccessDenied(Http404):
    """A refusal. Renders as a plain 404; the denial is audited exactly once."""

    def __init__(
        self,
        *,
        actor: Actor | None,
        person_id: uuid.UUID | None,
        action: str,
        basis: Basis,
        object_type: str = "Person",
        object_id: str = "",
    ) -> None:
        super().__init__("Not found")
        self.actor = actor
        self.person_id = person_id
        self.action = action
        self.basis = basis
        self.object_type = object_type
        self.object_id = object_id
        self.recorded = False

    def record(self) -> None:
        """Write the denied event. Call outside the failed transaction (after its rollback)."""
        if self.recorded:
            return
        with transaction.atomic():
            audit_record(
                actor=self.actor,
                action=self.action,
                outcome=AuditEvent.Outcome.DENIED,
                person_id=self.person_id,
                object_type=self.object_type,
                object_id=self.object_id,
                legal_basis=str(self.basis),
            )
        self.recorded = True


def _today(now: dt.datetime) -> dt.date:
    return timezone.localdate(now)


def active_team_q(now: dt.datetime) -> Q:
    today = _today(now)
    return Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gt=today))


def active_team_sql(alias: str, now: dt.datetime) -> tuple[str, list[Any]]:
    """:func:`active_team_q` for a hand-written statement over the care-team rows ``alias``:
    the condition and its parameters."""
    today = _today(now)
    return (f"{alias}.start_date <= %s AND ({alias}.end_date IS NULL OR {alias}.end_date > %s)",
            [rawsql.prep(CareTeamMember, "start_date", today),
             rawsql.prep(CareTeamMember, "end_date", today)])


def _break_glass(actor: Actor, now: dt.datetime) -> QuerySet[BreakGlass, dt.datetime]:
    """Expiry times of the actor's break-glass episodes in force (newest first)."""
    return (
        BreakGlass.objects.filter(membership=actor.membership, ended_at__isnull=True,
                                  expires_at__gt=now)
        .order_by("-expires_at")
        .values_list("expires_at", flat=True)
    )


def consent_facts(person_id: uuid.UUID) -> tuple[ConsentFact, ...]:
    """The person's consents as policy facts, in one hand-written statement (a row per
    covered organisation)."""
    through = Consent.organisations.through
    sql = (
        "SELECT c.id, c.decision, c.purpose, c.covers_all_organisations, c.valid_from, "
        f"c.valid_to, c.withdrawn_at, co.organisation_id FROM {rawsql.table(Consent)} c "
        f"LEFT JOIN {rawsql.table(through)} co ON co.consent_id = c.id "
        "WHERE c.person_id = %s ORDER BY c.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [rawsql.prep(Consent, "person", person_id)])
        raw = cursor.fetchall()
    rows = [(cid, d, p, bool(a), rawsql.convert(Consent, "valid_from", f),
             rawsql.convert(Consent, "valid_to", t), rawsql.convert(Consent, "withdrawn_at", w),
             o) for cid, d, p, a, f, t, w, o in raw]
    grouped: dict[Any, list[Any]] = {}
    for cid, decision, purpose, covers_all, valid_from, valid_to, withdrawn_at, org in rows:
        entry = grouped.setdefault(
            cid, [decision, purpose, covers_all, valid_from, valid_to, withdrawn_at, set()])
        if org is not None:
            entry[6].add(str(rawsql.convert(through, "organisation", org)))
    return tuple(
        ConsentFact(
            decision=decision, purpose=purpose, covers_all=covers_all,
            organisation_ids=frozenset(orgs), valid_from=valid_from, valid_to=valid_to,
            withdrawn_at=withdrawn_at,
        )
        for decision, purpose, covers_all, valid_from, valid_to, withdrawn_at, orgs
        in grouped.values()
    )


def with_access_facts(qs: QuerySet[Person], actor: Actor, now: dt.datetime) -> QuerySet[Person]:
    """Annotate the actor's care-team membership and break-glass expiry onto each person."""
    if actor.membership is None or actor.organisation_id is None:
        return qs
    return qs.annotate(
        cw_in_team=Exists(CareTeamMember.objects.filter(
            active_team_q(now), person=OuterRef("pk"), organisation_id=actor.organisation_id)),
        cw_break_glass_until=Subquery(
            _break_glass(actor, now).filter(person=OuterRef("pk"))[:1]),
    )


def load_with_facts(actor: Actor, pid: uuid.UUID, now: dt.datetime, *,
                    for_update: bool = False) -> Person | None:
    """The person (with the registering organisation and the area), and the actor's two
    facts about them (on the care team today? emergency access until when?), in one
    hand-written statement: what :func:`with_access_facts` annotates, without the ORM's
    compiling on every request."""
    org = actor.organisation_id
    membership = actor.membership.pk if actor.membership is not None else None
    active, active_params = active_team_sql("m", now)
    sql = (
        f"SELECT {rawsql.select_list(Person, 'p')}, {rawsql.select_list(Organisation, 'r')}, "
        f"{rawsql.select_list(Area, 'a')}, "
        f"EXISTS (SELECT 1 FROM {rawsql.table(CareTeamMember)} m WHERE m.person_id = p.id "
        f"AND m.organisation_id = %s AND {active}), "
        f"(SELECT MAX(b.expires_at) FROM {rawsql.table(BreakGlass)} b "
        "WHERE b.person_id = p.id AND b.membership_id = %s AND b.ended_at IS NULL "
        "AND b.expires_at > %s) "
        f"FROM {rawsql.table(Person)} p "
        f"JOIN {rawsql.table(Organisation)} r ON r.id = p.registered_by_id "
        f"LEFT JOIN {rawsql.table(Area)} a ON a.id = p.area_id "
        "WHERE p.id = %s"
    )
    if for_update and connection.vendor == "postgresql":
        sql += " FOR UPDATE OF p"
    params = [
        rawsql.prep(CareTeamMember, "organisation", org) if org else None,
        *active_params,
        rawsql.prep(BreakGlass, "membership", membership) if membership else None,
        rawsql.prep(BreakGlass, "expires_at", now),
        rawsql.prep(Person, "id", pid),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    (p, r, a), (in_team, bg_until) = rawsql.split(row, Person, Organisation, Area)
    person = rawsql.build(Person, p)
    assert isinstance(person, Person)
    rawsql.relate(person, "registered_by", rawsql.build(Organisation, r))
    rawsql.relate(person, "area", rawsql.build(Area, a) if a[0] is not None else None)
    if org is not None:
        person.cw_in_team = bool(in_team)  # type: ignore[attr-defined]
        person.cw_break_glass_until = rawsql.convert(  # type: ignore[attr-defined]
            BreakGlass, "expires_at", bg_until)
    return person


def facts_for(actor: Actor, person: Person, now: dt.datetime) -> Facts:
    org_id = actor.organisation_id
    if actor.membership is None or org_id is None:
        return Facts(
            country=person.country, role="", organisation_id="",
            registered_by_id=str(person.registered_by_id), in_care_team=False,
        )
    # require() loads the person with these two facts annotated (one query, not three).
    in_team = getattr(person, "cw_in_team", None)
    if in_team is None:
        in_team = CareTeamMember.objects.filter(active_team_q(now), person=person,
                                                organisation_id=org_id).exists()
    if hasattr(person, "cw_break_glass_until"):
        bg_until = person.cw_break_glass_until
    else:
        bg_until = _break_glass(actor, now).filter(person=person).first()
    consents: tuple[ConsentFact, ...] = ()
    if in_team and org_id != person.registered_by_id:
        consents = consent_facts(person.pk)
    return Facts(
        country=person.country,
        role=actor.role,
        organisation_id=str(org_id),
        registered_by_id=str(person.registered_by_id),
        in_care_team=in_team,
        break_glass_until=bg_until,
        consents=consents,
    )


def decide(
    actor: Actor, person: Person, action: Action = Action.READ, *, now: dt.datetime | None = None
) -> Decision:
    """The policy's answer for this actor, person and action, with every action the actor
    may take on the record (``decision.permitted``, for showing only the links they may
    follow), from one set of facts."""
    now = now or timezone.now()
    facts = facts_for(actor, person, now)
    return replace(policy.decide(facts, action, now), permitted=policy.permitted(facts, now))


def require(
    actor: Actor,
    person_id: uuid.UUID | str,
    action: Action = Action.READ,
    *,
    audit_action: str = "read",
    object_type: str = "Person",
    object_id: str = "",
    for_update: bool = False,
) -> tuple[Person, Decision]:
    """Load the person and check access, raising AccessDenied (404) on refusal.

    Does not write the allowed event: callers that only read use :func:`open_person`;
    services that write record their own event with the decision's basis.
    """
    try:
        pid = person_id if isinstance(person_id, uuid.UUID) else uuid.UUID(str(person_id))
    except (ValueError, AttributeError):
        raise AccessDenied(actor=actor, person_id=None, action=audit_action,
                           basis=Basis.NOT_FOUND, object_type=object_type,
                           object_id=str(person_id)[:64]) from None
    now = timezone.now()
    person = load_with_facts(actor, pid, now, for_update=for_update)
    if person is None:
        deny(actor, pid, audit_action, Basis.NOT_FOUND, object_type, object_id)
    assert person is not None
    decision = decide(actor, person, action, now=now)
    # The annotated facts were true at `now`: later decisions on this instance (after a
    # change to the care team or consent) must look again.
    for name in ("cw_in_team", "cw_break_glass_until"):
        person.__dict__.pop(name, None)
    if not decision.allowed:
        deny(actor, pid, audit_action, decision.basis, object_type, object_id)
    return person, decision


def check(
    actor: Actor, person: Person, action: Action, *, audit_action: str = "update",
    object_type: str = "Person", object_id: str = "",
) -> Decision:
    """The decision for ``action`` on a person already loaded (by :func:`require` for
    reading, say): refuse with AccessDenied (404) when the policy says no."""
    decision = decide(actor, person, action)
    if not decision.allowed:
        deny(actor, person.pk, audit_action, decision.basis, object_type, object_id)
    return decision


def deny(
    actor: Actor, pid: uuid.UUID | None, action: str, basis: Basis, object_type: str,
    object_id: str,
) -> NoReturn:
    """Refuse: record the denial now, or let the enclosing application transaction do it
    after its rollback (careweave.core.db.atomic)."""
    exc = AccessDenied(actor=actor, person_id=pid, action=action, basis=basis,
                       object_type=object_type, object_id=object_id or (str(pid) if pid else ""))
    if not in_application_transaction():
        exc.record()
    raise exc


def open_person(
    actor: Actor,
    person_id: uuid.UUID | str,
    *,
    object_type: str = "Person",
    object_id: str = "",
    purpose: str = "",
    detail: dict[str, Any] | None = None,
    action: Action = Action.READ,
) -> tuple[Person, Decision]:
    """Read access to a person's record, audited in the same transaction. ``action``: the
    page shows a form for that action (a change), so the actor must be allowed it too."""
    outermost = not connection.in_atomic_block
    # Outermost: BEGIN, SET LOCAL and the gate's statement travel together, and the audit
    # INSERT goes with the COMMIT (careweave.core.db.pipelined).
    with pipelined() if outermost else nullcontext(), atomic():
        if outermost:  # nothing but this read (and its audit row) in the transaction
            reads_commit_without_waiting()
        person, decision = require(actor, person_id, action, audit_action="read",
                                   object_type=object_type, object_id=object_id)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.READ,
            person_id=person.pk,
            object_type=object_type,
            object_id=object_id or str(person.pk),
            purpose=purpose or decision.purpose or "direct_care",
            legal_basis=str(decision.basis),
            detail=detail,
            keep_id=False,
        )
    return person, decision


# -- the same rule as a query ----------------------------------------------------------------


class ProbeExists(Exists):
    """EXISTS evaluated per candidate row, through the index on the correlated column.

    PostgreSQL may turn a correlated EXISTS under OR into a *hashed* subplan: it reads and
    hashes the whole table (every consent in the database) once per query, whatever the
    page size. That is cheaper only when most rows of the outer table are examined; a
    keyset page of the caseload examines a few dozen. ``OFFSET 0`` stops the planner from
    simplifying the sub-select into a hashable form, so it probes the index per row.
    """

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXISTS(%(subquery)s OFFSET 0)",
                           **extra)


def _covering(org_id: uuid.UUID) -> Q:
    return Q(covers_all_organisations=True) | Q(organisations__id=org_id)


def people_visible_to(actor: Actor, *, now: dt.datetime | None = None) -> QuerySet[Person]:
    """Everyone on the actor's organisation's care teams whose record the actor may read:
    one probe per candidate person into the sharing summary (``access.models.Sharing``),
    which the services keep exact with the same pure rule the gate applies
    (:func:`careweave.access.policy.visibility_intervals`). The seed and access-table tests
    check that this list and :func:`decide` agree for every person.

    Break-glass access is deliberately not included: it opens one record, it does
    not put anybody on a caseload.
    """
    if actor.membership is None:
        return Person.objects.none()
    if actor.role not in policy.CARE_ROLES:
        if actor.role in policy.DATA_QUALITY_ROLES:  # the records their organisation holds
            return Person.objects.filter(registered_by_id=actor.organisation_id,
                                         merged_into__isnull=True)
        return Person.objects.none()
    now = now or timezone.now()
    org_id = actor.organisation_id
    assert org_id is not None
    shared = Sharing.objects.filter(person=OuterRef("pk"), organisation_id=org_id,
                                    valid_from__lte=now).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    return Person.objects.filter(ProbeExists(shared))


def people_visible_by_rule(actor: Actor, *, now: dt.datetime | None = None) -> QuerySet[Person]:
    """The read rule itself as a query, without the sharing summary: the reference the
    tests compare the summary with (it probes care team and consents per person)."""
    if actor.membership is None or actor.role not in policy.CARE_ROLES:
        return Person.objects.none()
    now = now or timezone.now()
    org_id = actor.organisation_id
    assert org_id is not None
    in_team = ProbeExists(
        CareTeamMember.objects.filter(active_team_q(now), person=OuterRef("pk"),
                                      organisation_id=org_id)
    )
    consents = Consent.objects.filter(person=OuterRef("pk")).filter(_covering(org_id))
    in_force = Q(withdrawn_at__isnull=True, valid_from__lte=now) & (
        Q(valid_to__isnull=True) | Q(valid_to__gt=now)
    )

    def deny_in_force(purpose: str) -> ProbeExists:
        return ProbeExists(consents.filter(in_force, purpose=purpose,
                                           decision=Consent.Decision.DENY))

    def permit_in_force(purpose: str) -> ProbeExists:
        return ProbeExists(consents.filter(in_force, purpose=purpose,
                                           decision=Consent.Decision.PERMIT))

    def consented(purpose: str) -> Q:
        return Q(permit_in_force(purpose)) & ~Q(deny_in_force(purpose))

    direct, coordination = policy.Purpose.DIRECT_CARE, policy.Purpose.COORDINATION
    withdrawn_direct = ProbeExists(consents.filter(purpose=direct, decision=Consent.Decision.PERMIT,
                                                   withdrawn_at__isnull=False))
    objected_direct = Q(deny_in_force(direct)) | (Q(withdrawn_direct)
                                                 & ~Q(permit_in_force(direct)))
    own = Q(registered_by_id=org_id)
    uk_ok = ~Q(country=policy.SE) & (~objected_direct | consented(coordination))
    se_ok = Q(country=policy.SE) & (consented(direct) | consented(coordination))
    return Person.objects.filter(in_team).filter(own | uk_ok | se_ok)
