"""Timeline entries for records made before the timeline existed, or made in bulk (the demo
and the scale seeder), from the rows themselves: a person registered, care-team members
joining and leaving, consents recorded and withdrawn, emergency access.

The model classes are parameters so that the data migration can pass its historical
models; services write entries as they go and never need this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils import timezone


def _morning(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def _consent_data(consent: Any, names: list[str]) -> dict[str, Any]:
    return {"purpose": consent.purpose, "decision": consent.decision,
            "organisations": sorted(names), "given_by": consent.given_by,
            "representative_name": consent.representative_name}


def timeline_rows(*, Person: Any, RelatedPerson: Any, CareTeamMember: Any, Consent: Any,
                  BreakGlass: Any, TimelineEntry: Any,
                  person_ids: Iterable[Any] | None = None) -> Iterator[Any]:
    """Unsaved TimelineEntry objects for every record of these people (or everyone)."""
    def scoped(qs: Any, field: str = "person_id") -> Any:
        return qs.filter(**{f"{field}__in": list(person_ids)}) if person_ids is not None else qs

    for p in scoped(Person.objects.select_related("registered_by"), "pk").iterator(2000):
        yield TimelineEntry(person_id=p.pk, at=p.created_at, kind="people.registered",
                            organisation_id=p.registered_by_id, object_type="Person",
                            object_id=str(p.pk), data={"organisation": p.registered_by.name})
    for r in scoped(RelatedPerson.objects.all()).iterator(2000):
        yield TimelineEntry(person_id=r.person_id, at=r.created_at, kind="people.network_added",
                            object_type="RelatedPerson", object_id=str(r.pk),
                            data={"name": r.name, "relationship": r.relationship})
    members = scoped(CareTeamMember.objects.select_related("organisation", "added_by",
                                                           "staff__user"))
    for m in members.iterator(2000):
        by = m.added_by.organisation_id if m.added_by_id else m.organisation_id
        # Historical models (in the migration) have no get_full_name().
        staff = f"{m.staff.user.first_name} {m.staff.user.last_name}".strip() if m.staff_id else ""
        yield TimelineEntry(
            person_id=m.person_id, at=_morning(m.start_date), kind="access.care_team_joined",
            organisation_id=by, object_type="CareTeamMember", object_id=str(m.pk),
            data={"organisation": m.organisation.name, "role": m.role, "staff": staff,
                  "start_date": m.start_date.isoformat()})
        if m.end_date is not None:
            yield TimelineEntry(
                person_id=m.person_id, at=_morning(m.end_date), kind="access.care_team_left",
                organisation_id=by, object_type="CareTeamMember", object_id=str(m.pk),
                data={"organisation": m.organisation.name, "role": m.role,
                      "reason": m.end_reason, "end_date": m.end_date.isoformat()})
    consents = scoped(Consent.objects.select_related("recorded_by", "withdrawn_by")
                      .prefetch_related("organisations"))
    for c in consents.iterator(2000):
        names = [o.name for o in c.organisations.all()]
        recorded_by = c.recorded_by.organisation_id if c.recorded_by_id else None
        yield TimelineEntry(person_id=c.person_id, at=c.valid_from, kind="access.consent_recorded",
                            organisation_id=recorded_by, object_type="Consent",
                            object_id=str(c.pk), data=_consent_data(c, names))
        if c.withdrawn_at is not None:
            yield TimelineEntry(
                person_id=c.person_id, at=c.withdrawn_at, kind="access.consent_withdrawn",
                organisation_id=c.withdrawn_by.organisation_id if c.withdrawn_by_id else None,
                object_type="Consent", object_id=str(c.pk),
                data={**_consent_data(c, names), "reason": c.withdrawn_reason})
    for bg in scoped(BreakGlass.objects.select_related("membership__organisation")).iterator(2000):
        yield TimelineEntry(
            person_id=bg.person_id, at=bg.started_at, kind="access.break_glass",
            organisation_id=bg.membership.organisation_id, actor_role=bg.membership.role,
            object_type="BreakGlass", object_id=str(bg.pk),
            data={"organisation": bg.membership.organisation.name, "reason": bg.reason,
                  "expires_at": bg.expires_at.isoformat()})


def backfill(*, models: dict[str, Any], person_ids: Iterable[Any] | None = None,
             batch: int = 2000) -> int:
    """Write the entries of :func:`timeline_rows` in batches; return how many."""
    entry = models["TimelineEntry"]
    buffer: list[Any] = []
    written = 0
    for row in timeline_rows(person_ids=person_ids, **models):
        buffer.append(row)
        if len(buffer) >= batch:
            entry.objects.bulk_create(buffer)
            written += len(buffer)
            buffer = []
    if buffer:
        entry.objects.bulk_create(buffer)
        written += len(buffer)
    return written


def live_models() -> dict[str, Any]:
    from careweave.access.models import BreakGlass, CareTeamMember, Consent
    from careweave.people.models import Person, RelatedPerson, TimelineEntry

    return {"Person": Person, "RelatedPerson": RelatedPerson, "CareTeamMember": CareTeamMember,
            "Consent": Consent, "BreakGlass": BreakGlass, "TimelineEntry": TimelineEntry}
