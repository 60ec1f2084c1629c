"""Reads of warnings, case notes and care-team contacts, always through the gate and
always filtered by the sensitivity rule (:mod:`careweave.notes.rules`) in the query, so
keyset pages stay full and nothing the reader may not see is ever loaded.

An item the reader may not see answers exactly like one that does not exist: a 404,
audited as a refused read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch, Q
from django.utils import timezone

from careweave.access import policy
from careweave.access.gate import (
    Basis,
    active_team_q,
    active_team_sql,
    deny,
    people_visible_to,
    require,
)
from careweave.access.models import CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core import rawsql
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.pagination import Page, keyset_page
from careweave.notes import rules
from careweave.notes.models import (
    Attachment,
    CaseNote,
    OutOfHours,
    PersonWarning,
    TeamContact,
)
from careweave.orgs.models import Membership, Organisation
from careweave.people.models import Person

T = TypeVar("T")
MAX_PAGE = 100


# -- the rule as a query -----------------------------------------------------------------


def viewer_of(actor: Actor, decision: Any) -> rules.Viewer:
    """The reader as the sensitivity rule needs them (the gate's decision gives the
    relation and the purpose)."""
    membership = actor.membership
    assert membership is not None
    return rules.Viewer(
        organisation_id=str(membership.organisation_id),
        organisation_kind=membership.organisation.kind, role=membership.role,
        relation=str(getattr(decision, "relation", "")),
        purpose=str(getattr(decision, "purpose", "")))


def scope_q(scope: rules.Scope) -> Q:
    """:func:`careweave.notes.rules.in_scope` as a query condition."""
    role_ok = Q(audience_roles="") | Q(audience_roles__contains=rules.needle(scope.role))
    own = Q(organisation_id=scope.organisation_id) & (
        Q(sensitivity=rules.ORGANISATION) | (Q(sensitivity=rules.RESTRICTED) & role_ok))
    q = Q(sensitivity=rules.CARE_TEAM) | own
    if scope.others_restricted:
        q |= Q(sensitivity=rules.RESTRICTED) & role_ok & Q(
            audience_kinds__contains=rules.needle(scope.organisation_kind))
    return q


def visible_q(actor: Actor, decision: Any) -> Q:
    return scope_q(rules.scope(viewer_of(actor, decision)))


def open_item(actor: Actor, person_id: Any, object_type: str, object_id: Any,
              find: Callable[[Person, Any], T | None]) -> tuple[Person, Any, T]:
    """The person and one item of their record, audited as one read of the item; a 404
    (audited as refused) when the gate says no, or the item is not theirs, or the reader
    may not see it."""
    with atomic():
        person, decision = require(actor, person_id, audit_action="read",
                                   object_type=object_type, object_id=str(object_id))
        item = find(person, decision)
        if item is None:
            deny(actor, person.pk, "read", Basis.NOT_FOUND, object_type, str(object_id))
        assert item is not None
        audit_record(actor=actor, action=AuditEvent.Action.READ, person_id=person.pk,
                     object_type=object_type, object_id=str(object_id),
                     purpose=decision.purpose or "direct_care",
                     legal_basis=str(decision.basis))
    return person, decision, item


# -- warnings ------------------------------------------------------------------------------


def warnings_for(*, actor: Actor, person: Person, decision: Any,
                 include_ended: bool = False) -> list[PersonWarning]:
    """The person's warnings the actor may see, most urgent first (one query)."""
    qs = PersonWarning.objects.filter(visible_q(actor, decision), person_id=person.pk)
    if not include_ended:
        qs = qs.filter(status=rules.ACTIVE)
    rows = list(qs.select_related("organisation").order_by("-raised_at", "id"))
    rows.sort(key=lambda w: (w.status != rules.ACTIVE, rules.warning_sort_key(w.kind)))
    return rows


def find_warning(actor: Actor, warning_id: Any) -> Callable[[Person, Any], PersonWarning | None]:
    def find(person: Person, decision: Any) -> PersonWarning | None:
        try:
            wid = uuid.UUID(str(warning_id))
        except ValueError:
            return None
        return (PersonWarning.objects.filter(visible_q(actor, decision), pk=wid,
                                             person_id=person.pk)
                .select_related("organisation", "raised_by__user").first())
    return find


def warning_detail(*, actor: Actor, person_id: Any,
                   warning_id: Any) -> tuple[Person, Any, PersonWarning]:
    return open_item(actor, person_id, "Warning", warning_id, find_warning(actor, warning_id))


def reviews_due(*, actor: Actor, cursor: str | None = None, size: int = 25,
                today: dt.date | None = None) -> Page[PersonWarning]:
    """The actor's organisation's active warnings past their review date, on people the
    actor may still see (earliest first), audited as a search."""
    if actor.membership is None or actor.role not in policy.CARE_ROLES:
        return Page(items=[], next_cursor=None)
    today = today or timezone.localdate()
    with atomic():
        assert actor.organisation_id is not None
        qs = (PersonWarning.objects.filter(organisation_id=actor.organisation_id,
                                           status=rules.ACTIVE, review_date__lt=today)
              .filter(person__in=people_visible_to(actor))
              .select_related("person", "organisation"))
        page = keyset_page(qs, fields=("review_date", "id"), cursor=cursor,
                           size=max(1, min(size, MAX_PAGE)))
        audit_record(actor=actor, action=AuditEvent.Action.SEARCH, object_type="Warning",
                     purpose="direct_care",
                     detail={"list": "reviews_due", "results": len(page.items)})
    return page


def flag_warnings(actor: Actor, people: Sequence[Person]) -> dict[Any, list[PersonWarning]]:
    """Active warnings of the people on one caseload page that the actor may see: one query
    for the warnings, one for the consents of the few people who have a restricted warning
    from another organisation (to know whether the actor reads them for direct care)."""
    if not people or actor.membership is None:
        return {}
    membership = actor.membership
    # On the caseload the actor is on the care team: never emergency access, and the
    # purpose is per person. First everything the rule could allow for direct care...
    broad = rules.Scope(organisation_id=str(membership.organisation_id), role=membership.role,
                        organisation_kind=membership.organisation.kind,
                        others_restricted=True)
    rows = list(PersonWarning.objects.filter(scope_q(broad), status=rules.ACTIVE,
                                             person_id__in=[p.pk for p in people])
                .only("id", "person_id", "kind", "title", "sensitivity", "organisation_id",
                      "audience_roles", "audience_kinds"))
    own = str(membership.organisation_id)
    doubtful = {w.person_id for w in rows
                if w.sensitivity == rules.RESTRICTED and str(w.organisation_id) != own}
    direct = _reads_for_direct_care(actor, [p for p in people if p.pk in doubtful])
    out: dict[Any, list[PersonWarning]] = {}
    for w in rows:
        if w.person_id in doubtful and w.sensitivity == rules.RESTRICTED and \
                str(w.organisation_id) != own and w.person_id not in direct:
            continue
        out.setdefault(w.person_id, []).append(w)
    for items in out.values():
        items.sort(key=lambda w: rules.warning_sort_key(w.kind))
    return out


def _reads_for_direct_care(actor: Actor, people: Sequence[Person]) -> set[Any]:
    """Which of these people (on the actor's caseload) the actor reads for direct care, by
    the gate's own pure rule, from one query of their consents."""
    if not people:
        return set()
    now = timezone.now()
    rows = (Consent.objects.filter(person_id__in=[p.pk for p in people])
            .values_list("id", "person_id", "decision", "purpose", "covers_all_organisations",
                         "valid_from", "valid_to", "withdrawn_at", "organisations__id"))
    grouped: dict[Any, dict[Any, list[Any]]] = {}
    for cid, pid, decision, purpose, covers_all, vf, vt, wd, org in rows:
        entry = grouped.setdefault(pid, {}).setdefault(
            cid, [decision, purpose, covers_all, vf, vt, wd, set()])
        if org is not None:
            entry[6].add(str(org))
    assert actor.membership is not None
    out = set()
    for person in people:
        consents = tuple(
            policy.ConsentFact(decision=d, purpose=p, covers_all=c, organisation_ids=frozenset(o),
                               valid_from=vf, valid_to=vt, withdrawn_at=wd)
            for d, p, c, vf, vt, wd, o in grouped.get(person.pk, {}).values())
        facts = policy.Facts(country=person.country, role=actor.role,
                             organisation_id=str(actor.organisation_id),
                             registered_by_id=str(person.registered_by_id), in_care_team=True,
                             consents=consents)
        read = policy.read_decision(facts, now)
        if read.allowed and read.purpose == policy.Purpose.DIRECT_CARE:
            out.add(person.pk)
    return out


# -- case notes ----------------------------------------------------------------------------


def _latest_first() -> Prefetch[Any]:
    return Prefetch("amendments", queryset=CaseNote.objects.order_by("-recorded_at", "-id")
                    .select_related("organisation"), to_attr="amendment_list")


def with_current(notes: list[CaseNote]) -> list[CaseNote]:
    """``note.current``: the latest amendment, or the note itself; ``note.amended``."""
    for note in notes:
        amendments = getattr(note, "amendment_list", [])
        note.current = amendments[0] if amendments else note  # type: ignore[attr-defined]
        note.amended = bool(amendments)  # type: ignore[attr-defined]
    return notes


def notes_page(*, actor: Actor, person: Person, decision: Any, kind: str = "",
               organisation_id: Any = None, author_id: Any = None, cursor: str | None = None,
               size: int = 25) -> Page[CaseNote]:
    """A page of the person's notes the actor may see, newest first (two queries: the
    notes, and their amendments). The caller opened the person through the gate."""
    qs = (CaseNote.objects.filter(visible_q(actor, decision), person_id=person.pk,
                                  amends__isnull=True)
          .select_related("organisation").prefetch_related(_latest_first()))
    if kind:
        qs = qs.filter(kind=kind)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    if author_id:
        qs = qs.filter(author_id=author_id)
    page = keyset_page(qs, fields=("occurred_at", "id"), cursor=cursor,
                       size=max(1, min(size, MAX_PAGE)), descending=True)
    with_current(page.items)
    return page


def note_authors(*, actor: Actor, person: Person, decision: Any) -> list[tuple[Any, str]]:
    """Who wrote the notes the actor may see (for the author filter)."""
    rows = (CaseNote.objects.filter(visible_q(actor, decision), person_id=person.pk,
                                    amends__isnull=True)
            .values_list("author_id", "author_name", "organisation__name").distinct())
    return sorted(((a, f"{n} ({o})") for a, n, o in rows), key=lambda r: r[1])


def note_organisations(*, actor: Actor, person: Person, decision: Any) -> list[tuple[Any, str]]:
    rows = (CaseNote.objects.filter(visible_q(actor, decision), person_id=person.pk,
                                    amends__isnull=True)
            .values_list("organisation_id", "organisation__name").distinct())
    return sorted(rows, key=lambda r: r[1])


def find_note(actor: Actor, note_id: Any) -> Callable[[Person, Any], CaseNote | None]:
    def find(person: Person, decision: Any) -> CaseNote | None:
        try:
            nid = uuid.UUID(str(note_id))
        except ValueError:
            return None
        note = (CaseNote.objects.filter(visible_q(actor, decision), pk=nid,
                                        person_id=person.pk, amends__isnull=True)
                .select_related("organisation")
                .prefetch_related(_latest_first(),
                                  Prefetch("attachments",
                                           queryset=Attachment.objects.order_by("uploaded_at"),
                                           to_attr="attachment_list"))
                .first())
        if note is not None:
            with_current([note])
        return note
    return find


def note_detail(*, actor: Actor, person_id: Any, note_id: Any) -> tuple[Person, Any, CaseNote]:
    """The note with every amendment (newest first) and its attachments."""
    return open_item(actor, person_id, "CaseNote", note_id, find_note(actor, note_id))


def note_version(note: CaseNote) -> int:
    """A note's version: 1, plus one per amendment (its ETag)."""
    return 1 + len(getattr(note, "amendment_list", []))


def attachment_file(*, actor: Actor, person_id: Any, note_id: Any,
                    attachment_id: Any) -> tuple[Person, Attachment]:
    """An attachment of a note the actor may see (audited as a read of the attachment)."""
    def find(person: Person, decision: Any) -> Attachment | None:
        try:
            nid, aid = uuid.UUID(str(note_id)), uuid.UUID(str(attachment_id))
        except ValueError:
            return None
        visible = CaseNote.objects.filter(visible_q(actor, decision), pk=nid,
                                          person_id=person.pk, amends__isnull=True)
        return Attachment.objects.filter(pk=aid, note__in=visible, person_id=person.pk).first()

    person, _decision, attachment = open_item(actor, person_id, "Attachment", attachment_id,
                                              find)
    return person, attachment


# -- care-team contacts --------------------------------------------------------------------


def team_contacts(person: Person) -> list[CareTeamMember]:
    """The active care team with each member's contact details and their organisation's
    out-of-hours number, by organisation name, start date and id (one hand-written
    statement, careweave.core.rawsql: the person page runs it on every view; the same
    members and cached relations as ``select_related("organisation",
    "organisation__out_of_hours", "staff__user", "contact")``).
    ``member.contact_or_none``, ``member.out_of_hours_or_none``."""
    active, active_params = active_team_sql("m", timezone.now())
    user = get_user_model()
    sql = (
        f"SELECT {rawsql.select_list(CareTeamMember, 'm')}, "
        f"{rawsql.select_list(Organisation, 'o')}, {rawsql.select_list(OutOfHours, 'h')}, "
        f"{rawsql.select_list(Membership, 's')}, {rawsql.select_list(user, 'u')}, "
        f"{rawsql.select_list(TeamContact, 'c')} "
        f"FROM {rawsql.table(CareTeamMember)} m "
        f"JOIN {rawsql.table(Organisation)} o ON o.id = m.organisation_id "
        f"LEFT JOIN {rawsql.table(OutOfHours)} h ON h.organisation_id = o.id "
        f"LEFT JOIN {rawsql.table(Membership)} s ON s.id = m.staff_id "
        f"LEFT JOIN {rawsql.table(user)} u ON u.id = s.user_id "
        f"LEFT JOIN {rawsql.table(TeamContact)} c ON c.member_id = m.id "
        f"WHERE m.person_id = %s AND {active} "
        "ORDER BY o.name, m.start_date, m.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [rawsql.prep(CareTeamMember, "person", person.pk), *active_params])
        rows = cursor.fetchall()
    members = []
    for row in rows:
        (m, o, h, s, u, c), _rest = rawsql.split(row, CareTeamMember, Organisation,
                                                 OutOfHours, Membership, user, TeamContact)
        member: Any = rawsql.build(CareTeamMember, m)
        organisation = rawsql.build(Organisation, o)
        out_of_hours = rawsql.build_or_none(OutOfHours, h)
        rawsql.relate(organisation, "out_of_hours", out_of_hours)
        if out_of_hours is not None:
            rawsql.relate(out_of_hours, "organisation", organisation)
        rawsql.relate(member, "organisation", organisation)
        staff = rawsql.build_or_none(Membership, s)
        if staff is not None:
            rawsql.relate(staff, "user", rawsql.build(user, u))
        rawsql.relate(member, "staff", staff)
        contact = rawsql.build_or_none(TeamContact, c)
        if contact is not None:
            rawsql.relate(contact, "member", member)
        rawsql.relate(member, "contact", contact)
        member.contact_or_none = contact
        member.out_of_hours_or_none = out_of_hours
        members.append(member)
    return members


def active_team_member(person: Person, member_id: Any) -> CareTeamMember | None:
    try:
        mid = uuid.UUID(str(member_id))
    except ValueError:
        return None
    now = timezone.now()
    return (CareTeamMember.objects.filter(active_team_q(now), pk=mid, person=person)
            .select_related("organisation", "staff__user").first())

