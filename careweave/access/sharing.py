"""The sharing summary (:class:`careweave.access.models.Sharing`): who may read whose record,
as intervals, recomputed for a person whenever their care team, consents, registration or
country change, in the same transaction as the change.

:func:`recompute` is what services call; :func:`rows_for` is the pure part (given plain
facts), which the scale seeder uses to write the summary for people it creates in bulk.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from careweave.access import policy
from careweave.access.models import CareTeamMember, Consent, Sharing
from careweave.people.models import Person


def day_start(day: dt.date) -> dt.datetime:
    """Local midnight at the start of ``day``: a care-team place counts from the start of
    its first day until the start of its end date (as ``gate.active_team_q`` has it)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def rows_for(
    *,
    person_id: uuid.UUID,
    country: str,
    registered_by_id: Any,
    team: Iterable[tuple[Any, dt.date, dt.date | None]],
    consents: Sequence[policy.ConsentFact],
    now: dt.datetime,
    names: tuple[str, str, str] = ("", "", ""),
    model: Any = Sharing,
) -> list[Any]:
    """Unsaved Sharing rows for one person. ``team``: (organisation id, start date, end
    date) of every care-team place; ``consents``: the person's consents as policy facts
    (with the ids of the organisations each names, as strings); ``names``: the person's
    sort_name, sort_name_sv and search_name, copied onto each row."""
    places: dict[str, list[tuple[dt.datetime, dt.datetime | None]]] = {}
    for org_id, start, end in team:
        places.setdefault(str(org_id), []).append(
            (day_start(start), day_start(end) if end is not None else None))
    rows: list[Any] = []
    for org_id, intervals in places.items():
        for start, end in policy.visibility_intervals(
                country=country, organisation_id=org_id, registered_by_id=str(registered_by_id),
                team=intervals, consents=consents, now=now):
            rows.append(model(person_id=person_id, organisation_id=uuid.UUID(org_id),
                              valid_from=start, valid_until=end, sort_name=names[0],
                              sort_name_sv=names[1], search_name=names[2]))
    return rows


def recompute(person_ids: Iterable[uuid.UUID], *, now: dt.datetime | None = None,
              models: dict[str, Any] | None = None) -> int:
    """Rewrite the summary for these people from their records (call inside the change's
    transaction). A fixed number of queries, whatever the number of people. ``models``:
    the data migration's historical models (Person, CareTeamMember, Consent, Sharing)."""
    ids = list({uuid.UUID(str(p)) for p in person_ids})
    if not ids:
        return 0
    now = now or timezone.now()
    m = models or {"Person": Person, "CareTeamMember": CareTeamMember, "Consent": Consent,
                   "Sharing": Sharing}
    people = {p: (c, r, (n, sv, q)) for p, c, r, n, sv, q in
              m["Person"].objects.filter(pk__in=ids).values_list(
                  "pk", "country", "registered_by_id", "sort_name", "sort_name_sv",
                  "search_name")}
    team: dict[uuid.UUID, list[tuple[Any, dt.date, dt.date | None]]] = {}
    for pid, org, start, end in m["CareTeamMember"].objects.filter(person_id__in=ids).values_list(
            "person_id", "organisation_id", "start_date", "end_date"):
        team.setdefault(pid, []).append((org, start, end))
    consents: dict[uuid.UUID, dict[Any, tuple[list[Any], set[str]]]] = {}
    for row in m["Consent"].objects.filter(person_id__in=ids).values_list(
            "person_id", "id", "decision", "purpose", "covers_all_organisations", "valid_from",
            "valid_to", "withdrawn_at", "organisations__id"):
        pid, cid, *fields, org = row
        entry = consents.setdefault(pid, {}).setdefault(cid, (fields, set()))
        if org is not None:
            entry[1].add(str(org))
    rows: list[Sharing] = []
    for pid in ids:
        if pid not in people:
            continue
        country, registered_by, names = people[pid]
        facts = [policy.ConsentFact(decision=d, purpose=p, covers_all=a,
                                    organisation_ids=frozenset(orgs), valid_from=f,
                                    valid_to=t, withdrawn_at=w)
                 for (d, p, a, f, t, w), orgs in consents.get(pid, {}).values()]
        rows += rows_for(person_id=pid, country=country, registered_by_id=registered_by,
                         team=team.get(pid, []), consents=facts, now=now, names=names,
                         model=m["Sharing"])
    m["Sharing"].objects.filter(person_id__in=ids).delete()
    m["Sharing"].objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def recompute_everyone(*, batch: int = 2000, models: dict[str, Any] | None = None) -> int:
    """The whole summary, in batches of people (the data migration, ``careweave demo``)."""
    person = (models or {}).get("Person", Person)
    written = 0
    ids = list(person.objects.order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(ids), batch):
        written += recompute(ids[i:i + batch], models=models)
    return written


def rename(person: Person) -> None:
    """The person's keys changed (a new name): copy them onto their sharing rows."""
    Sharing.objects.filter(person_id=person.pk).update(
        sort_name=person.sort_name, sort_name_sv=person.sort_name_sv,
        search_name=person.search_name)


def names_of(person: Person) -> tuple[str, str, str]:
    return (person.sort_name, person.sort_name_sv, person.search_name)
