"""Reads of assessments, always through the gate and the audience rule
(:mod:`careweave.assessments.rules`), applied in the query, so keyset pages stay full and an
assessment the reader may not see answers 404 like one that does not exist.

Drafts are seen only by the organisation that started them. Lists show the current version
of each assessment (a corrected one shows its correction, with the history a click away).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from careweave.access import policy
from careweave.access.gate import Basis, deny, people_visible_to, require
from careweave.access.models import Sharing
from careweave.assessments import change, rules
from careweave.assessments.definitions import text_in
from careweave.assessments.models import (
    Assessment,
    Instrument,
    InstrumentVersion,
    LatestScore,
    Notification,
    SafetyFlag,
)
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core import rawsql
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import ValidationFailed
from careweave.core.pagination import Page, keyset_page
from careweave.orgs.models import Organisation
from careweave.people.models import Person

MAX_PAGE = 100


def audience_q(actor: Actor, prefix: str = "") -> Q:
    return Q(**{f"{prefix}audience__in": sorted(rules.visible_audiences(actor.role))})


def visible_q(actor: Actor) -> Q:
    """Submitted assessments of the audiences the actor's role sees, and the drafts of the
    actor's own organisation."""
    return audience_q(actor) & (~Q(status=rules.DRAFT)
                                | Q(organisation_id=str(actor.organisation_id)))


# -- instruments --------------------------------------------------------------------------------


def instruments(*, actor: Actor | None = None) -> list[Instrument]:
    """Every instrument with its current version (those the actor's role may record first,
    if an actor is given)."""
    rows = list(Instrument.objects.select_related("current").filter(current__isnull=False)
                .order_by("code"))
    if actor is not None:
        rows = [i for i in rows if i.current is not None
                and rules.may_see(i.current.audience, actor.role)]
    return rows


def instrument(code: Any, version: Any = None) -> InstrumentVersion:
    from careweave.assessments.services import resolve_version

    return resolve_version(code, version)


def versions_of(found: Instrument) -> list[InstrumentVersion]:
    return list(InstrumentVersion.objects.filter(instrument=found).order_by("-imported_at"))


# -- a person's assessments -----------------------------------------------------------------------


def open_for_assessments(actor: Actor, person_id: Any) -> tuple[Person, Any]:
    """The person, for a page or answer about their assessments: the gate, and a 404 too
    for a role that sees no assessments at all (a data-quality officer reads the record to
    find duplicates, never its assessments). Audited as a read."""
    from careweave.access.gate import open_person

    if not rules.visible_audiences(actor.role):
        with atomic():
            person, _decision = require(actor, person_id, audit_action="read",
                                        object_type="Assessment")
            deny(actor, person.pk, "read", Basis.ROLE_MAY_NOT, "Assessment", "")
    return open_person(actor, person_id, object_type="Assessment")


def assessments_page(*, actor: Actor, person: Person, decision: Any, instrument_code: str = "",
                     include_drafts: bool = True, cursor: str | None = None,
                     size: int = 25) -> Page[Assessment]:
    """The person's assessments the actor may see, newest first, current versions only
    (one query)."""
    qs = (Assessment.objects.filter(visible_q(actor), person_id=person.pk,
                                    correction__isnull=True)
          .exclude(status=rules.DISCARDED)
          .select_related("instrument", "instrument_version", "organisation", "correction"))
    if not include_drafts:
        qs = qs.exclude(status=rules.DRAFT)
    if instrument_code:
        qs = qs.filter(instrument__code=instrument_code)
    return keyset_page(qs, fields=("started_at", "id"), cursor=cursor,
                       size=max(1, min(size, MAX_PAGE)), descending=True)


def find(actor: Actor, person: Person, assessment_id: Any) -> Assessment | None:
    try:
        aid = uuid.UUID(str(assessment_id))
    except ValueError:
        return None
    return (Assessment.objects.filter(visible_q(actor), pk=aid, person_id=person.pk)
            .exclude(status=rules.DISCARDED)
            .select_related("instrument", "instrument_version", "organisation",
                            "correction").first())


@dataclass
class Detail:
    person: Person
    decision: Any
    assessment: Assessment
    history: list[Assessment]  # every version, oldest first
    current: Assessment
    flags: list[SafetyFlag]


def assessment_detail(*, actor: Actor, person_id: Any, assessment_id: Any) -> Detail:
    """One assessment with every version (the original and its corrections) and the flags
    it raised, audited as one read; 404 when the actor may not see it."""
    with atomic():
        person, decision = require(actor, person_id, audit_action="read",
                                   object_type="Assessment", object_id=str(assessment_id))
        found = find(actor, person, assessment_id)
        if found is None:
            deny(actor, person.pk, "read", Basis.NOT_FOUND, "Assessment", str(assessment_id))
        assert found is not None
        root = found.root_id or found.pk
        history = list(Assessment.objects.filter(Q(pk=root) | Q(root_id=root),
                                                 person_id=person.pk)
                       .select_related("instrument", "instrument_version", "organisation",
                                       "correction")
                       .order_by("version"))
        flags = list(SafetyFlag.objects.filter(assessment__in=[h.pk for h in history])
                     .order_by("raised_at"))
        audit_record(actor=actor, action=AuditEvent.Action.READ, person_id=person.pk,
                     object_type="Assessment", object_id=str(found.pk),
                     purpose=decision.purpose or "direct_care",
                     legal_basis=str(decision.basis))
    return Detail(person, decision, found, history, history[-1] if history else found, flags)


@dataclass
class Point:
    assessment: Assessment
    total: int
    band: str
    change: str


def trend(*, actor: Actor, person: Person, instrument_code: str) -> list[Point]:
    """The person's scored, current submissions of one instrument, oldest first, each with
    how it compares with the one before (reliable change, recovery). One query. The caller
    opened the person through the gate."""
    rows = list(Assessment.objects.filter(
        audience_q(actor), person_id=person.pk, instrument__code=instrument_code,
        status=rules.SUBMITTED, correction__isnull=True, total__isnull=False)
        .select_related("instrument_version").order_by("taken_on", "submitted_at"))
    if not rows:
        return []
    thresholds = change.thresholds_of(rows[-1].definition)
    kinds = change.series([r.total for r in rows if r.total is not None], thresholds)
    return [Point(r, int(r.total or 0), r.band, k) for r, k in zip(rows, kinds, strict=True)]


def _audience_in(actor: Actor, alias: str) -> tuple[str, list[str]] | None:
    """:func:`audience_q` for a hand-written statement: the condition on ``alias`` and its
    parameters, or None when the actor may see no audience (what ``audience__in=[]``
    gives: nothing, and no query)."""
    audiences = sorted(rules.visible_audiences(actor.role))
    if not audiences:
        return None
    return f"{alias}.audience IN ({', '.join(['%s'] * len(audiences))})", audiences


def latest_for(*, actor: Actor, person: Person) -> list[LatestScore]:
    """The latest score of each instrument the actor may see, by instrument code, with the
    instrument and the assessment's version cached (one hand-written statement,
    careweave.core.rawsql: what ``select_related("instrument",
    "assessment__instrument_version")`` gives; the person page runs it on every view)."""
    audience = _audience_in(actor, "l")
    if audience is None:
        return []
    seen, audiences = audience
    sql = (
        f"SELECT {rawsql.select_list(LatestScore, 'l')}, "
        f"{rawsql.select_list(Instrument, 'i')}, {rawsql.select_list(Assessment, 'a')}, "
        f"{rawsql.select_list(InstrumentVersion, 'v')} "
        f"FROM {rawsql.table(LatestScore)} l "
        f"JOIN {rawsql.table(Instrument)} i ON i.id = l.instrument_id "
        f"JOIN {rawsql.table(Assessment)} a ON a.id = l.assessment_id "
        f"JOIN {rawsql.table(InstrumentVersion)} v ON v.id = a.instrument_version_id "
        f"WHERE {seen} AND l.person_id = %s ORDER BY i.code"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*audiences, rawsql.prep(LatestScore, "person", person.pk)])
        rows = cursor.fetchall()
    out = []
    for row in rows:
        (lv, iv, av, vv), _rest = rawsql.split(row, LatestScore, Instrument, Assessment,
                                               InstrumentVersion)
        latest = rawsql.build(LatestScore, lv)
        assert isinstance(latest, LatestScore)
        assessment = rawsql.build(Assessment, av)
        rawsql.relate(assessment, "instrument_version", rawsql.build(InstrumentVersion, vv))
        rawsql.relate(latest, "instrument", rawsql.build(Instrument, iv))
        rawsql.relate(latest, "assessment", assessment)
        out.append(latest)
    return out


def drafts_for(*, actor: Actor, person: Person) -> list[Assessment]:
    """The actor's organisation's drafts for the person (one query)."""
    return list(Assessment.objects.filter(audience_q(actor), person_id=person.pk,
                                          status=rules.DRAFT,
                                          organisation_id=str(actor.organisation_id))
                .select_related("instrument", "instrument_version", "link")
                .order_by("-started_at")[:20])


# -- safety flags ------------------------------------------------------------------------------


def open_flags(*, actor: Actor, person: Person) -> list[SafetyFlag]:
    """The person's open safety flags the actor may see, oldest first, with the
    assessment's version and the organisation cached (one hand-written statement,
    careweave.core.rawsql: what ``select_related("assessment__instrument_version",
    "organisation")`` gives; the banner is on every page about the person)."""
    audience = _audience_in(actor, "f")
    if audience is None:
        return []
    seen, audiences = audience
    sql = (
        f"SELECT {rawsql.select_list(SafetyFlag, 'f')}, "
        f"{rawsql.select_list(Assessment, 'a')}, "
        f"{rawsql.select_list(InstrumentVersion, 'v')}, "
        f"{rawsql.select_list(Organisation, 'o')} "
        f"FROM {rawsql.table(SafetyFlag)} f "
        f"JOIN {rawsql.table(Assessment)} a ON a.id = f.assessment_id "
        f"JOIN {rawsql.table(InstrumentVersion)} v ON v.id = a.instrument_version_id "
        f"JOIN {rawsql.table(Organisation)} o ON o.id = f.organisation_id "
        f"WHERE {seen} AND f.person_id = %s AND f.status = %s "
        "ORDER BY f.raised_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*audiences, rawsql.prep(SafetyFlag, "person", person.pk),
                             rawsql.prep(SafetyFlag, "status", rules.OPEN)])
        rows = cursor.fetchall()
    out = []
    for row in rows:
        (fv, av, vv, ov), _rest = rawsql.split(row, SafetyFlag, Assessment,
                                               InstrumentVersion, Organisation)
        flag = rawsql.build(SafetyFlag, fv)
        assert isinstance(flag, SafetyFlag)
        assessment = rawsql.build(Assessment, av)
        rawsql.relate(assessment, "instrument_version", rawsql.build(InstrumentVersion, vv))
        rawsql.relate(flag, "assessment", assessment)
        rawsql.relate(flag, "organisation", rawsql.build(Organisation, ov))
        out.append(flag)
    return out


def flag_for(*, actor: Actor, person_id: Any, flag_id: Any) -> tuple[Person, Any, SafetyFlag]:
    with atomic():
        person, decision = require(actor, person_id, audit_action="read",
                                   object_type="SafetyFlag", object_id=str(flag_id))
        try:
            fid = uuid.UUID(str(flag_id))
        except ValueError:
            fid = None
        flag = None
        if fid is not None:
            flag = (SafetyFlag.objects.filter(audience_q(actor), pk=fid, person_id=person.pk)
                    .select_related("assessment__instrument_version", "organisation").first())
        if flag is None:
            deny(actor, person.pk, "read", Basis.NOT_FOUND, "SafetyFlag", str(flag_id))
        assert flag is not None
        audit_record(actor=actor, action=AuditEvent.Action.READ, person_id=person.pk,
                     object_type="SafetyFlag", object_id=str(flag.pk),
                     purpose=decision.purpose or "direct_care",
                     legal_basis=str(decision.basis))
    return person, decision, flag


def flagged_people(actor: Actor, people: Sequence[Person]) -> set[Any]:
    """Which of the people on one caseload page have an open safety flag the actor may see
    (one query for the page)."""
    if not people or actor.membership is None or not rules.visible_audiences(actor.role):
        return set()
    return set(SafetyFlag.objects.filter(audience_q(actor), status=rules.OPEN,
                                         person_id__in=[p.pk for p in people])
               .values_list("person_id", flat=True))


# -- the team view ----------------------------------------------------------------------------


def _caseload_probe(actor: Actor, now: dt.datetime) -> Exists:
    from careweave.access.gate import ProbeExists

    shared = Sharing.objects.filter(person=OuterRef("person_id"),
                                    organisation_id=str(actor.organisation_id),
                                    valid_from__lte=now).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    return ProbeExists(shared)


def team_view(*, actor: Actor, cursor: str | None = None, size: int = 25,
              today: dt.date | None = None) -> Page[LatestScore]:
    """People on the actor's caseload whose latest score deteriorated reliably, or who are
    overdue a repeat, longest waiting first: one ordered range of the latest-score rows
    (``latestscore_attention_idx``) with a probe per row into the sharing summary, so a page
    costs the same at any number of people. Audited as a search."""
    if actor.membership is None or actor.role not in policy.CARE_ROLES:
        return Page(items=[], next_cursor=None)
    today = today or timezone.localdate()
    with atomic():
        qs = (LatestScore.objects.filter(audience_q(actor), attention_on__isnull=False,
                                         attention_on__lte=today)
              .filter(_caseload_probe(actor, timezone.now()))
              .select_related("person", "instrument", "assessment__instrument_version"))
        page = keyset_page(qs, fields=("attention_on", "id"), cursor=cursor,
                           size=max(1, min(size, MAX_PAGE)))
        audit_record(actor=actor, action=AuditEvent.Action.SEARCH, object_type="Assessment",
                     purpose="direct_care",
                     detail={"list": "team_view", "results": len(page.items)})
    return page


# -- notifications ----------------------------------------------------------------------------


def _mine(actor: Actor) -> Q:
    """Notifications for the actor by name, or for their organisation when nobody was named
    (professionals of that organisation)."""
    mine = Q(recipient=actor.membership)
    if actor.role in policy.PROFESSIONAL_ROLES:
        mine |= Q(recipient__isnull=True, organisation_id=actor.organisation_id)
    return mine


def notifications(*, actor: Actor, unread_only: bool = False, cursor: str | None = None,
                  size: int = 25) -> Page[Notification]:
    """The actor's notifications about people they may still see, newest first (audited as
    a search)."""
    if actor.membership is None or actor.role not in policy.CARE_ROLES:
        return Page(items=[], next_cursor=None)
    with atomic():
        qs: QuerySet[Notification] = (
            Notification.objects.filter(_mine(actor), audience_q(actor))
            .filter(person__in=people_visible_to(actor))
            .select_related("person", "flag__assessment__instrument_version", "organisation"))
        if unread_only:
            qs = qs.filter(read_at__isnull=True)
        page = keyset_page(qs, fields=("created_at", "id"), cursor=cursor,
                           size=max(1, min(size, MAX_PAGE)), descending=True)
        audit_record(actor=actor, action=AuditEvent.Action.SEARCH, object_type="Notification",
                     purpose="direct_care",
                     detail={"list": "notifications", "results": len(page.items)})
    return page


def unread_count(actor: Actor) -> int:
    if actor.membership is None or actor.role not in policy.CARE_ROLES:
        return 0
    return (Notification.objects.filter(_mine(actor), audience_q(actor), read_at__isnull=True)
            .filter(person__in=people_visible_to(actor)).count())


def notification_for(actor: Actor, notification_id: Any) -> Notification:
    try:
        nid = uuid.UUID(str(notification_id))
    except ValueError:
        nid = None
    note = None
    if nid is not None and actor.membership is not None:
        note = (Notification.objects.filter(_mine(actor), audience_q(actor), pk=nid)
                .filter(person__in=people_visible_to(actor)).first())
    if note is None:
        deny(actor, None, "update", Basis.NOT_FOUND, "Notification", str(notification_id))
    assert note is not None
    return note


def label(texts: Any, language: str) -> str:
    return text_in(texts, language)


def check_instrument_code(code: str) -> None:
    if code and not Instrument.objects.filter(code=code[:40]).exists():
        raise ValidationFailed(_("There is no such instrument."),
                               errors={"instrument": [_("Choose an instrument from the list.")]})
