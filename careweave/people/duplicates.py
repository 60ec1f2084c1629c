"""Possible duplicates in the database: the pure rules of :mod:`careweave.people.matching`
applied to people, with the candidates narrowed by an index first.

- :func:`matches` scores the people of a queryset (already scoped by the gate when what it
  finds is shown to someone) against one set of demographics. Candidates are those born on
  one of the dates :func:`~careweave.people.matching.birth_date_variants` gives: one probe
  of ``person_birth_idx`` with about 60 dates, never a scan. Nobody born on another date
  counts as a possible duplicate, so nothing else needs to be read.
- :func:`refresh_pairs` keeps :class:`~careweave.people.models.DuplicateCandidate` up to date
  for one person (the people services call it when a name, date of birth, postcode or
  identifier changes), so that the data-quality list is one indexed read.
- :func:`scan` does it for everyone (``careweave duplicates scan``), after an import or a
  change of the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careweave.people import matching
from careweave.people.matching import Demographics, Match, Reason
from careweave.people.models import DuplicateCandidate, Person, PersonIdentifier
from careweave.people.names import search_key

# Candidates of one person at most. A million people share about 40 a day, so the 60 or so
# dates of one person give some 2,500; a placeholder date (1 January 1900) shared by many
# more says little, and only the first by name are scored.
CANDIDATE_LIMIT = 5000
FIELDS = ("id", "given_name", "family_name", "birth_date", "postcode", "sort_name",
          "registered_by_id", "country", "merged_into_id")

REASON_LABELS: dict[str, Any] = {
    Reason.SAME_IDENTIFIER: _("Same NHS number or personnummer"),
    Reason.DIFFERENT_IDENTIFIER: _("Different NHS numbers or personnummer"),
    Reason.SAME_NAME: _("Same name"),
    Reason.SAME_FAMILY_NAME: _("Same family name"),
    Reason.SAME_GIVEN_NAME: _("Same given name"),
    Reason.NAME_SWAPPED: _("Given and family names swapped"),
    Reason.SPELLING_VARIANT: _("Name spelt another way (such as Mohammed and Muhammad)"),
    Reason.SHORT_FORM: _("A short form of the name (such as Bill for William)"),
    Reason.NAME_PART: _("Part of a double or hyphenated name"),
    Reason.SIMILAR_NAME: _("Similar spelling of the name"),
    Reason.INITIAL: _("An initial instead of the given name"),
    Reason.SAME_BIRTH_DATE: _("Same date of birth"),
    Reason.BIRTH_DAY_MONTH_SWAPPED: _("Day and month of birth swapped"),
    Reason.BIRTH_DATE_ONE_DIGIT: _("Date of birth one digit different"),
    Reason.SAME_POSTCODE: _("Same postcode"),
}


def reason_texts(codes: Iterable[str]) -> list[str]:
    """The reasons in the reader's language (an unknown code, from newer rules, as is)."""
    return [str(REASON_LABELS.get(code, code)) for code in codes]


def demographics_of(person: Person,
                    identifiers: Iterable[tuple[str, str]] | None = None) -> Demographics:
    """What matching compares. ``person.identifiers`` is read unless given (prefetch it)."""
    if identifiers is None:
        identifiers = [(i.system, i.value) for i in person.identifiers.all()]
    return Demographics(given_name=person.given_name, family_name=person.family_name,
                        birth_date=person.birth_date, postcode=person.postcode or "",
                        identifiers=frozenset(identifiers))


# On PostgreSQL, candidates whose names share too few trigrams with the probe's cannot
# reach a possible match (a name must bring at least 20 of the 70 points), so the database
# drops them before Python compares: the set stays small however many share a birthday.
NAME_SIMILARITY_FLOOR = 0.12


def candidates(qs: QuerySet[Person], birth_dates: Iterable[dt.date],
               name_key: str = "") -> list[Person]:
    """People of ``qs`` born on one of ``birth_dates``, not merged (one indexed query);
    on PostgreSQL only those whose name is at all like ``name_key`` (trigram similarity)."""
    dates = sorted(set(birth_dates))
    if not dates:
        return []
    qs = qs.filter(birth_date__in=dates, merged_into__isnull=True)
    if name_key and connection.vendor == "postgresql":
        qs = qs.annotate(cw_similar=TrigramSimilarity("search_name", name_key)).filter(
            cw_similar__gt=NAME_SIMILARITY_FLOOR)
    return list(qs.only(*FIELDS).order_by("sort_name", "id")[:CANDIDATE_LIMIT])


def identifiers_of(people: Iterable[Person]) -> dict[Any, list[tuple[str, str]]]:
    """(system, value) of each person's identifiers, in one query."""
    found: dict[Any, list[tuple[str, str]]] = {}
    pks = [p.pk for p in people]
    if pks:
        for pid, system, value in PersonIdentifier.objects.filter(person_id__in=pks) \
                .values_list("person_id", "system", "value"):
            found.setdefault(pid, []).append((system, value))
    return found


def score(probe: Demographics, people: Iterable[Person]) -> list[tuple[Person, Match]]:
    """Those of ``people`` who may be ``probe``, with their match. Names and dates first;
    identifiers (which can only rule a pair out: no two records share one) are read for
    those still in the running only."""
    bare = replace(probe, identifiers=frozenset())
    running = [p for p in people if matching.compare(bare, demographics_of(p, ())).possible]
    idents = identifiers_of(running) if probe.identifiers else {}
    found = []
    for person in running:
        match = matching.compare(probe, demographics_of(person, idents.get(person.pk, ())))
        if match.possible:
            found.append((person, match))
    return found


def matches(qs: QuerySet[Person], probe: Demographics, *, exclude: Any = None,
            limit: int | None = None) -> list[tuple[Person, Match]]:
    """People of ``qs`` who may be the same person as ``probe`` (score at least
    :data:`~careweave.people.matching.POSSIBLE`), most likely first."""
    if probe.birth_date is None:
        return []
    name_key = search_key(f"{probe.given_name} {probe.family_name}")
    pool = [p for p in candidates(qs, matching.birth_date_variants(probe.birth_date), name_key)
            if exclude is None or p.pk != exclude]
    found = score(probe, pool)
    found.sort(key=lambda pm: (-pm[1].score, pm[0].sort_name, str(pm[0].pk)))
    return found[:limit] if limit is not None else found


def _pair(x: Any, y: Any) -> tuple[Any, Any]:
    return (x, y) if x < y else (y, x)


def store_pairs(person: Person, found: Iterable[tuple[Person, Match]], *,
                now: dt.datetime | None = None) -> int:
    """Pairs for a new record, from matches already found (no query when there are none)."""
    now = now or timezone.now()
    rows = []
    for other, match in found:
        a, b = _pair(person.pk, other.pk)
        rows.append(DuplicateCandidate(person_a_id=a, person_b_id=b, score=match.score,
                                       reasons=[str(r) for r in match.reasons],
                                       rules_version=matching.VERSION, found_at=now))
    if rows:
        DuplicateCandidate.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def refresh_pairs(person: Person, *, now: dt.datetime | None = None) -> int:
    """Bring the stored pairs of ``person`` up to date with its demographics: pairs that no
    longer match go (unless dismissed: a dismissal stays), scores change, new pairs come.
    Returns how many open pairs the person is now in."""
    now = now or timezone.now()
    mine = DuplicateCandidate.objects.filter(Q(person_a=person) | Q(person_b=person))
    if person.merged_into_id is not None:
        mine.filter(dismissed_at__isnull=True).delete()
        return 0
    probe = demographics_of(person, identifiers_of([person]).get(person.pk, ()))
    found = {other.pk: match for other, match in matches(
        Person.objects.all(), probe, exclude=person.pk)}
    existing = {(row.person_a_id, row.person_b_id): row for row in mine}
    stale = [row.pk for key, row in existing.items()
             if (key[1] if key[0] == person.pk else key[0]) not in found
             and row.dismissed_at is None]
    if stale:
        DuplicateCandidate.objects.filter(pk__in=stale).delete()
    changed, new = [], []
    for other_id, match in found.items():
        a, b = _pair(person.pk, other_id)
        reasons = [str(r) for r in match.reasons]
        row = existing.get((a, b))
        if row is None:
            new.append(DuplicateCandidate(person_a_id=a, person_b_id=b, score=match.score,
                                          reasons=reasons, rules_version=matching.VERSION,
                                          found_at=now))
        elif row.score != match.score or row.reasons != reasons:
            row.score, row.reasons, row.rules_version = match.score, reasons, matching.VERSION
            row.found_at = now
            changed.append(row)
    if changed:
        DuplicateCandidate.objects.bulk_update(changed, ["score", "reasons", "rules_version",
                                                         "found_at"])
    if new:
        # ignore_conflicts: a concurrent change of the other person may add the same pair.
        DuplicateCandidate.objects.bulk_create(new, ignore_conflicts=True)
    return len(found)


def scan(*, batch: int = 500, log: Callable[[str], None] = print) -> dict[str, int]:
    """Find every possible duplicate among everyone not merged and store the pairs; open
    pairs not found again go. People are taken in batches by date of birth, with one
    candidate query per batch."""
    started = timezone.now()
    seen = pairs = 0
    after: tuple[dt.date, Any] | None = None
    while True:
        qs = Person.objects.filter(merged_into__isnull=True).only(*FIELDS)
        if after is not None:
            qs = qs.filter(Q(birth_date__gt=after[0]) | Q(birth_date=after[0], id__gt=after[1]))
        people: Sequence[Person] = list(qs.order_by("birth_date", "id")[:batch])
        if not people:
            break
        after = (people[-1].birth_date, people[-1].pk)
        wanted: set[dt.date] = set()
        for p in people:
            wanted |= matching.birth_date_variants(p.birth_date)
        by_date: dict[dt.date, list[Person]] = {}
        for other in Person.objects.filter(birth_date__in=sorted(wanted),
                                           merged_into__isnull=True).only(*FIELDS):
            by_date.setdefault(other.birth_date, []).append(other)
        idents = identifiers_of(people)
        rows = []
        for p in people:
            pool = [other for day in matching.birth_date_variants(p.birth_date)
                    for other in by_date.get(day, [])[:CANDIDATE_LIMIT]
                    if p.pk < other.pk]  # each pair once, from the smaller id
            for other, match in score(demographics_of(p, idents.get(p.pk, ())), pool):
                rows.append(DuplicateCandidate(
                    person_a_id=p.pk, person_b_id=other.pk, score=match.score,
                    reasons=[str(r) for r in match.reasons], rules_version=matching.VERSION,
                    found_at=timezone.now()))
        DuplicateCandidate.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["person_a", "person_b"],
            update_fields=["score", "reasons", "rules_version", "found_at"])
        seen += len(people)
        pairs += len(rows)
        log(f"{seen} people checked, {pairs} possible duplicate pairs")
    gone, _by_model = DuplicateCandidate.objects.filter(dismissed_at__isnull=True,
                                                        found_at__lt=started).delete()
    return {"people": seen, "pairs": pairs, "removed": gone}
