"""Reads of people, always scoped by the access gate."""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import get_language

from careweave.access import policy
from careweave.access.gate import (
    AccessDenied,
    Action,
    Basis,
    ProbeExists,
    decide,
    deny,
    open_person,
)
from careweave.access.gate import people_visible_to as gate_people_visible_to
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record, reads_commit_without_waiting
from careweave.core import rawsql
from careweave.core.context import Actor
from careweave.core.db import atomic, pipelined
from careweave.core.pagination import Page, decode_cursor, encode_cursor, keyset_page
from careweave.core.registry import registry
from careweave.people import duplicates, matching
from careweave.people import identifiers as ids
from careweave.people.models import (
    DuplicateCandidate,
    Person,
    PersonIdentifier,
    PersonMerge,
    RelatedPerson,
)
from careweave.people.names import (
    search_words,
    sort_key,
    sorts_swedish,
    swedish_prefix,
)

MAX_QUERY = 100
# A search word of three letters or more matches anywhere in a name ("berg" finds Åberg and
# Bergström); a shorter one matches the start of a name's word ("ek" finds Ek and Ekström,
# not Hedeke): a trigram index can find both, where "contains two letters" would read the
# whole caseload and find names that have nothing to do with the search.
CONTAINS_FROM = 3  # letters from which a search word may match anywhere in a name
_NAME_CONTAINS = "s.search_name LIKE %s ESCAPE '\\'"
_NAME_WORD_STARTS = "(s.search_name LIKE %s ESCAPE '\\' OR s.search_name LIKE %s ESCAPE '\\')"
# How far a chain of merges (C into B, then B into A) is followed to find the record kept.
MAX_MERGE_HOPS = 10


class MergedRecord(Exception):
    """The record asked for was merged into ``into`` (the record kept), which the actor may
    see: pages redirect there. An actor who may not see it gets a plain 404 instead."""

    def __init__(self, into: uuid.UUID) -> None:
        super().__init__(str(into))
        self.into = into


def people_visible_to(actor: Actor) -> QuerySet[Person]:
    """The gate's rule as a query, without records merged into another (they are kept only
    so that a merge can be undone): what every list of people starts from."""
    return gate_people_visible_to(actor).filter(merged_into__isnull=True)


def sort_field(language: str | None = None) -> str:
    """The stored key lists of people sort by, for the reader's language: Swedish puts Å,
    Ä and Ö after Z, English files them with A and O (docs/adr/0009-swedish-collation.md)."""
    return "sort_name_sv" if sorts_swedish(language or get_language() or "") else "sort_name"


def _search_filter(qs: QuerySet[Person], q: str) -> QuerySet[Person]:
    q = (q or "").strip()[:MAX_QUERY]
    if not q:
        return qs
    ident = ids.guess(q)
    if ident is not None:
        return qs.filter(
            Exists(PersonIdentifier.objects.filter(person=OuterRef("pk"), system=ident.system,
                                                   value=ident.value))
        )
    for token in search_words(q)[:5]:
        if len(token) >= CONTAINS_FROM:
            qs = qs.filter(search_name__contains=token)
        else:  # a short word matches the start of a name's word (see _NAME_WORD_STARTS)
            qs = qs.filter(Q(search_name__startswith=token)
                           | Q(search_name__contains=" " + token))
    return qs


def caseload(
    *, actor: Actor, q: str = "", cursor: str | None = None, size: int = 25,
    audit: bool = True, language: str | None = None,
) -> Page[Person]:
    """The actor's caseload (their organisation's care teams), optionally searched, in the
    alphabetical order of the reader's language (the active one unless given).

    A search is audited (what was searched, how many were shown); plain browsing of
    the caseload is too, as a search with no terms.
    """
    size = max(1, min(size, 100))
    outermost = not connection.in_atomic_block
    with atomic():
        if outermost:  # a read: its one write is the search's audit row
            reads_commit_without_waiting()
        if actor.membership is not None and actor.role in policy.CARE_ROLES:
            page = _caseload_page(actor, q, cursor, size, sort_field(language))
        else:  # data-quality roles and the like: the gate's rule (none for most roles)
            qs = _search_filter(people_visible_to(actor), q).prefetch_related(
                Prefetch("identifiers", queryset=PersonIdentifier.objects.order_by("system")))
            page = keyset_page(qs, fields=(sort_field(language), "id"), cursor=cursor,
                               size=size)
        if audit:
            audit_record(
                actor=actor, action=AuditEvent.Action.SEARCH, object_type="Person",
                purpose="direct_care",
                detail={"q_length": len(q or ""), "results": len(page.items),
                        "kind": "identifier" if ids.guess(q or "") else "name"},
            )
    return page


# A condition of a hand-written statement and its parameters.
Condition = tuple[str, list[Any]]


def _caseload_page(actor: Actor, q: str, cursor: str | None, size: int,
                   key: str) -> Page[Person]:
    """One page of a care organisation's caseload, read from the sharing summary: an
    ordered range of (organisation, sort key, person) for browsing, an identifier lookup
    for a number, and for a name search two parts in turn (:func:`_name_search_page`).
    The rule is the gate's (people_visible_to), kept in the summary by the services; the
    page's people in one hand-written statement (two where a search's page crosses from
    one part to the other), then their identifiers in one."""
    from careweave.access.models import Sharing

    now = timezone.now()
    caseload_rule: list[Condition] = [
        ("s.organisation_id = %s", [rawsql.prep(Sharing, "organisation", actor.organisation_id)]),
        ("s.valid_from <= %s", [rawsql.prep(Sharing, "valid_from", now)]),
        ("(s.valid_until IS NULL OR s.valid_until > %s)",
         [rawsql.prep(Sharing, "valid_until", now)]),
    ]
    q = (q or "").strip()[:MAX_QUERY]
    ident = ids.guess(q) if q else None
    if ident is None and search_words(q):
        return _name_search_page(q, caseload_rule, cursor, size, key)
    conditions = list(caseload_rule)
    if ident is not None:
        conditions.append((f"EXISTS (SELECT 1 FROM {rawsql.table(PersonIdentifier)} i WHERE "
                           "i.person_id = s.person_id AND i.system = %s AND i.value = %s)",
                           [ident.system, ident.value]))
    after = _after(decode_cursor(cursor, 2))
    if after is not None:
        conditions.append(_keyset(key, after))
    rows = _sharing_people(conditions, key, size + 1)
    return _page([(0, person, value) for person, value in rows], size, with_part=False)


# A name search lists first the people whose family name starts with the search's first
# word, in name order, then every other match, in name order ("smith": Smith and Smithson,
# then Goldsmith and the Smiths by given name). The first part is one range of the
# (organisation, sort key, person) index read in page order: 21 rows for a page of 20,
# however many Smiths the caseload holds. Only when it runs out does the second part take
# the other matches from the trigram index, every one of them before the page is sorted,
# so its cost grows with the number of matches inside names (bench/README.md).
FAMILY_FIRST, OTHER_MATCHES = 0, 1


def family_prefix(q: str, key: str) -> str:
    """The sort-key prefix of the family names a name search ``q`` lists first: its first
    word folded for the English key (accent-blind: "oberg" and "Öberg" alike), in Swedish
    letters for the Swedish one (a typed Ö is Ö there; "oberg" finds Öberg among the other
    matches). Empty when the first word has nothing to sort by."""
    words = (q or "").replace(",", " ").split()
    if not words:
        return ""
    if key == "sort_name_sv":
        return swedish_prefix(words[0])
    folded = search_words(words[0])
    return folded[0] if folded else ""


def family_first_word(q: str) -> str:
    """The word, as typed, whose family names a name search lists first; empty for an
    identifier search or none (for the page to say why its order is not plain A to Z)."""
    q = (q or "").strip()[:MAX_QUERY]
    if not q or ids.guess(q) is not None or not family_prefix(q, "sort_name"):
        return ""
    return q.replace(",", " ").split()[0]


def _prefix_range(key: str, prefix: str) -> Condition:
    """"The sort key starts with ``prefix``" as an index range: from the prefix to the first
    string after all that start with it, which is exact because the keys compare by code
    point (SQLite's binary collation; on PostgreSQL the columns are ``COLLATE "C"``,
    ``SortKeyField``, whatever the server's locale). The second part of a search excludes
    exactly this condition, so each match is in one part. No LIKE beside the range where it
    has an end: PostgreSQL multiplies the two estimates, thinks a common name's range holds
    one row, and sorts all of it (8,617 rows for "hall" at 1,000,000 people, 120 ms) where
    reading it in order stops after 21."""
    upper = _prefix_upper(prefix)
    if upper is None:
        return (f"s.{key} >= %s AND s.{key} LIKE %s ESCAPE '\\'",
                [prefix, _like_escape(prefix) + "%"])
    return (f"s.{key} >= %s AND s.{key} < %s", [prefix, upper])


def _prefix_upper(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix``, by code point. A
    trailing z is carried (smiz: smj), so that for keys of lowercase letters the bound is a
    string of letters too, which every collation orders alike. None: no upper bound."""
    prefix = prefix.rstrip("z")
    if not prefix:
        return None
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF or following > 0x10FFFF:
        return None
    return prefix[:-1] + chr(following)


def _name_search_page(q: str, caseload_rule: list[Condition], cursor: str | None, size: int,
                      key: str) -> Page[Person]:
    """A page of a name search: the family-name range first, then the other matches (see
    FAMILY_FIRST). The cursor holds the part, the sort key and the person."""
    words: list[Condition] = []
    for token in search_words(q)[:5]:
        escaped = _like_escape(token)
        if len(token) >= CONTAINS_FROM:
            words.append((_NAME_CONTAINS, ["%" + escaped + "%"]))
        else:
            words.append((_NAME_WORD_STARTS, [escaped + "%", "% " + escaped + "%"]))
    decoded = decode_cursor(cursor, 3) or ["", "", ""]
    after = _after(decoded) if decoded[0] in ("0", "1") else None
    part = int(decoded[0]) if after is not None else FAMILY_FIRST
    prefix = family_prefix(q, key)
    family = _prefix_range(key, prefix) if prefix else None
    rows: list[tuple[int, Person, str]] = []
    if family is not None and part == FAMILY_FIRST:
        # The English key starts with the folded first word exactly when the family name
        # does, which implies that word's own condition: left out, so that nothing tempts
        # the planner from the range to the trigram index. The Swedish key's letters are
        # not the search key's (ü is y there, u here), so its first word's condition stays.
        own = words[1:] if key == "sort_name" else words
        conditions = [*caseload_rule, family, *own]
        if after is not None:
            conditions.append(_keyset(key, after))
            after = None
        rows = [(FAMILY_FIRST, person, value)
                for person, value in _sharing_people(conditions, key, size + 1)]
    if len(rows) <= size:
        conditions = [*caseload_rule, *words]
        if family is not None:
            conditions.append((f"NOT ({family[0]})", family[1]))
        if after is not None:
            conditions.append(_keyset(key, after))
        rows += [(OTHER_MATCHES, person, value)
                 for person, value in _matches_people(conditions, key, size + 1 - len(rows))]
    return _page(rows, size, with_part=True)


def _page(rows: list[tuple[int, Person, str]], size: int, *, with_part: bool) -> Page[Person]:
    """The page of ``rows`` (part, person, sort key) and the cursor after it: (sort key,
    person), with the part first for a name search."""
    people = [person for _part, person, _value in rows[:size]]
    _attach_identifiers(people)
    next_cursor = None
    if len(rows) > size:
        part, last, value = rows[size - 1]
        next_cursor = encode_cursor([*([str(part)] if with_part else []), value, str(last.pk)])
    return Page(items=people, next_cursor=next_cursor)


def _after(values: list[str] | None) -> tuple[str, Any] | None:
    """A keyset cursor's (sort key, person) as parameters; None (the first page) for a
    forged person."""
    from careweave.access.models import Sharing

    if values is None:
        return None
    try:
        last = uuid.UUID(values[-1])
    except ValueError:
        return None
    return values[-2], rawsql.prep(Sharing, "person", last)


def _keyset(key: str, after: tuple[str, Any]) -> Condition:
    return (f"(s.{key} > %s OR (s.{key} = %s AND s.person_id > %s))",
            [after[0], after[0], after[1]])


def _sql(conditions: list[Condition]) -> tuple[str, list[Any]]:
    return (" AND ".join(sql for sql, _params in conditions),
            [param for _sql, params in conditions for param in params])


def _sharing_people(conditions: list[Condition], key: str,
                    limit: int) -> list[tuple[Person, str]]:
    """The people of the sharing rows that meet ``conditions``, with their sort key, in its
    order: a range of the (organisation, key, person) index read in page order."""
    from careweave.access.models import Sharing

    where, params = _sql(conditions)
    return _people(f"SELECT {rawsql.select_list(Person, 'p')}, s.{key} "
                   f"FROM {rawsql.table(Sharing)} s "
                   f"JOIN {rawsql.table(Person)} p ON p.id = s.person_id "
                   f"WHERE {where} ORDER BY s.{key}, s.person_id LIMIT %s", [*params, limit])


def _matches_people(conditions: list[Condition], key: str,
                    limit: int) -> list[tuple[Person, str]]:
    """:func:`_sharing_people` for a name search's conditions: every match first, from the
    (organisation, trigram) index, then the page of them in name order, and only then the
    page's people. Left to itself, PostgreSQL may instead walk the caseload in name order
    and test each row, which for a name late in the alphabet reads most of the caseload
    (40,000 rows for "smith" at 100,000 people): MATERIALIZED keeps the two apart."""
    from careweave.access.models import Sharing

    where, params = _sql(conditions)
    return _people(f"WITH m AS MATERIALIZED (SELECT s.person_id, s.{key} "
                   f"FROM {rawsql.table(Sharing)} s WHERE {where}) "
                   f"SELECT {rawsql.select_list(Person, 'p')}, t.{key} "
                   f"FROM (SELECT m.person_id, m.{key} FROM m "
                   f"ORDER BY m.{key}, m.person_id LIMIT %s) t "
                   f"JOIN {rawsql.table(Person)} p ON p.id = t.person_id "
                   f"ORDER BY t.{key}, t.person_id", [*params, limit])


def _people(sql: str, params: list[Any]) -> list[tuple[Person, str]]:
    with connection.cursor() as c:
        c.execute(sql, params)
        rows = c.fetchall()
    out = []
    for row in rows:
        (values,), rest = rawsql.split(row, Person)
        person = rawsql.build(Person, values)
        assert isinstance(person, Person)
        out.append((person, rest[0]))
    return out


def _like_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _attach_identifiers(people: list[Person]) -> None:
    _attach_rows(people, PersonIdentifier, "identifiers", "system")


def _attach_rows(people: list[Person], model: Any, related: str, order: str) -> None:
    """``person.<related>.all()`` for a page of people without a query each: one
    hand-written statement, cached as Django's prefetch would cache it."""
    _attach_many(people, [(model, related, order)])


def _attach_many(people: list[Person], relations: list[tuple[Any, str, str]]) -> None:
    """:func:`_attach_rows` for several relations, one statement each, all sent before any
    answer is read (careweave.core.db.pipelined: one round trip on PostgreSQL; a single
    statement gains nothing from it, so it goes as it is)."""
    if not people:
        return
    marks = ", ".join(["%s"] * len(people))
    with pipelined() if len(relations) > 1 else nullcontext():
        cursors = []
        for model, _related, order in relations:
            column = connection.ops.quote_name(model._meta.get_field(order).column)
            sql = (f"SELECT {rawsql.select_list(model, 'r')} "
                   f"FROM {rawsql.table(model)} r WHERE r.person_id IN ({marks}) "
                   f"ORDER BY r.person_id, r.{column}")
            c = connection.cursor()
            c.execute(sql, [rawsql.prep(model, "person", p.pk) for p in people])
            cursors.append(c)
        try:
            fetched = [c.fetchall() for c in cursors]
        finally:
            for c in cursors:
                c.close()
    for (model, related, _order), rows in zip(relations, fetched, strict=True):
        _cache_rows(people, model, related, rows)


def _cache_rows(people: list[Person], model: Any, related: str, rows: list[Any]) -> None:
    by_person: dict[uuid.UUID, list[Any]] = {p.pk: [] for p in people}
    for row in rows:
        item: Any = rawsql.build(model, row)
        by_person[item.person_id].append(item)
    # What Django's prefetch leaves, without building a filtered queryset per person (the
    # related manager's filter costs more than the statement): an evaluated queryset.
    # A caller that refines it (order_by, filter) gets a new, empty one: none do.
    empty = model._default_manager.none()
    for person in people:
        cached = empty._chain()
        cached._result_cache = by_person[person.pk]
        cached._prefetch_done = True
        cache = getattr(person, "_prefetched_objects_cache", None)
        if cache is None:
            cache = person._prefetched_objects_cache = {}  # type: ignore[attr-defined]
        cache[related] = cached


def person_detail(*, actor: Actor, person_id: uuid.UUID | str) -> dict[str, Any]:
    """The person with their identifiers and social network, audited as one read. What
    other apps show about the person comes from their registered panels.

    A record merged into another raises :class:`MergedRecord` for an actor who may see the
    record kept, and is a 404 for everyone else."""
    try:
        person, decision = open_person(actor, person_id)
    except AccessDenied as refused:
        # A merged record has no care team left, so the gate refuses it: is it one?
        _follow_merge(actor, person_id, refused)
        raise
    if person.merged_into_id is not None:
        # Still readable (emergency access to it): never shown, but it may lead on.
        _follow_merge(actor, person.pk, None)
        deny(actor, person.pk, "read", Basis.NOT_FOUND, "Person", str(person.pk))
    # Cached on the person: the network panel reads the same rows.
    _attach_many([person], [(PersonIdentifier, "identifiers", "system"),
                            (RelatedPerson, "network", "name")])
    network = sorted(person.network.all(), key=lambda r: (
        not r.is_next_of_kin, sort_key(r.name, "", get_language() or "")))
    return {
        "person": person,
        "decision": decision,
        "identifiers": list(person.identifiers.all()),
        "network": network,
    }


def _follow_merge(actor: Actor, person_id: uuid.UUID | str, refused: AccessDenied | None,
                  ) -> None:
    """Raise MergedRecord if ``person_id`` was merged into a record the actor may see."""
    try:
        start = uuid.UUID(str(person_id))
    except ValueError:
        return
    current = start
    for _hop in range(MAX_MERGE_HOPS):
        into = Person.objects.filter(pk=current).values_list("merged_into_id", flat=True).first()
        if into is None:
            break
        current = into
    if current == start:
        return
    kept = Person.objects.select_related("registered_by").filter(pk=current).first()
    if kept is not None and kept.merged_into_id is None and decide(actor, kept).allowed:
        if refused is not None:
            refused.record()  # the refused read of the merged record stays in the log
        raise MergedRecord(kept.pk)


def similar_people(*, actor: Actor, ids: list[str]) -> list[Person]:
    """The people a possible-duplicate warning named, as far as the actor may see them."""
    return list(people_visible_to(actor).filter(pk__in=ids))


def visible_by_identifier(*, actor: Actor, system: str, value: str) -> Person | None:
    """The record holding this (normalised) identifier, only if the gate lets the actor see
    it: a duplicate-identifier answer links to it, or says nothing more."""
    row = PersonIdentifier.objects.select_related("person").filter(system=system,
                                                                     value=value).first()
    if row is not None and decide(actor, row.person).allowed:
        return row.person
    return None


# -- possible duplicates, for the data-quality role ---------------------------------------------


def may_review_duplicates(actor: Actor) -> bool:
    return actor.role in policy.DATA_QUALITY_ROLES


def _data_quality_only(actor: Actor, object_type: str, object_id: str = "") -> None:
    """Anyone but a data-quality role gets the same 404 as for a page that does not exist."""
    if not may_review_duplicates(actor):
        deny(actor, None, "read", Basis.ROLE_MAY_NOT, object_type, object_id)


def duplicate_pairs(*, actor: Actor, cursor: str | None = None,
                    size: int = 25) -> Page[DuplicateCandidate]:
    """Open pairs of possible duplicates among the people the actor may see (both of them),
    most likely first, keyset-paginated on (score, id). Audited as a search."""
    _data_quality_only(actor, "DuplicateCandidate")
    size = max(1, min(size, 100))
    with atomic():
        # Walk the open pairs by score (duplicate_open_idx) and probe each person's
        # visibility through the index: the cost follows the pairs read, never the size of
        # the caseload (an IN over the visible people may build the whole caseload first).
        visible = people_visible_to(actor)
        qs = (DuplicateCandidate.objects.filter(dismissed_at__isnull=True)
              .filter(ProbeExists(visible.filter(pk=OuterRef("person_a_id"))),
                      ProbeExists(visible.filter(pk=OuterRef("person_b_id"))))
              .select_related("person_a__registered_by", "person_b__registered_by"))
        page = keyset_page(qs, fields=("score", "id"), cursor=cursor, size=size,
                           descending=True)
        people = [p for pair in page.items for p in (pair.person_a, pair.person_b)]
        prefetch_related_objects(people, Prefetch(
            "identifiers", queryset=PersonIdentifier.objects.order_by("system")))
        for pair in page.items:
            _describe(actor, pair)
        audit_record(actor=actor, action=AuditEvent.Action.SEARCH,
                     object_type="DuplicateCandidate", purpose="direct_care",
                     detail={"results": len(page.items), "kind": "duplicates"})
    return page


def _describe(actor: Actor, pair: DuplicateCandidate) -> None:
    pair.reason_texts = duplicates.reason_texts(pair.reasons)  # type: ignore[attr-defined]
    pair.likely = pair.score >= matching.LIKELY  # type: ignore[attr-defined]
    # What the page may offer (the gate decides again when it is done).
    pair.mergeable = (  # type: ignore[attr-defined]
        may_review_duplicates(actor)
        and pair.person_a.registered_by_id == actor.organisation_id
        and pair.person_b.registered_by_id == actor.organisation_id)


def duplicate_pair(*, actor: Actor, pair_id: uuid.UUID | str) -> dict[str, Any]:
    """One pair, both records opened through the gate (two audited reads; 404 if either
    may not be seen), with what the actor may do about it."""
    _data_quality_only(actor, "DuplicateCandidate", str(pair_id)[:64])
    try:
        pk: uuid.UUID | None = uuid.UUID(str(pair_id))
    except ValueError:
        pk = None
    pair = DuplicateCandidate.objects.filter(pk=pk).first() if pk is not None else None
    if pair is None:
        deny(actor, None, "read", Basis.NOT_FOUND, "DuplicateCandidate", str(pair_id)[:64])
    assert pair is not None
    people = []
    for person_id in (pair.person_a_id, pair.person_b_id):
        person, _decision = open_person(actor, person_id, object_type="DuplicateCandidate",
                                        object_id=str(pair.pk))
        if person.merged_into_id is not None:
            deny(actor, person.pk, "read", Basis.NOT_FOUND, "DuplicateCandidate", str(pair.pk))
        people.append(person)
    prefetch_related_objects(people, Prefetch(
        "identifiers", queryset=PersonIdentifier.objects.order_by("system")))
    pair.person_a, pair.person_b = people
    match = matching.compare(*(duplicates.demographics_of(p) for p in people))
    may_merge = all(decide(actor, p, Action.MERGE_RECORDS).allowed for p in people)
    _describe(actor, pair)
    return {"pair": pair, "a": people[0], "b": people[1], "match": match,
            "reasons": duplicates.reason_texts(match.reasons), "may_merge": may_merge}


def merge_detail(*, actor: Actor, merge_id: uuid.UUID | str) -> dict[str, Any]:
    """A merge and what moved, for the record kept (opened through the gate, audited)."""
    _data_quality_only(actor, "PersonMerge", str(merge_id)[:64])
    try:
        pk: uuid.UUID | None = uuid.UUID(str(merge_id))
    except ValueError:
        pk = None
    merge = (PersonMerge.objects.select_related("merged", "organisation").filter(pk=pk).first()
             if pk is not None else None)
    if merge is None:
        deny(actor, None, "read", Basis.NOT_FOUND, "PersonMerge", str(merge_id)[:64])
    assert merge is not None
    survivor, _decision = open_person(actor, merge.survivor_id, object_type="PersonMerge",
                                      object_id=str(merge.pk))
    merge.survivor = survivor
    moved = []
    for handler in registry.merge_handlers():
        rows = merge.moved.get(handler.key) or []
        moved.append({"key": handler.key, "label": str(handler.label), "count": len(rows)})
    may_undo = (merge.unmerged_at is None and survivor.merged_into_id is None
                and decide(actor, survivor, Action.MERGE_RECORDS).allowed)
    return {"merge": merge, "survivor": survivor, "merged": merge.merged, "moved": moved,
            "reasons": duplicates.reason_texts(merge.reasons), "may_undo": may_undo}


def recent_merges(*, actor: Actor, size: int = 10) -> list[PersonMerge]:
    """The latest merges by the actor's organisation into records the actor may see."""
    if not may_review_duplicates(actor) or actor.organisation_id is None:
        return []
    return list(PersonMerge.objects.filter(
        organisation_id=actor.organisation_id,
        survivor__in=people_visible_to(actor).values("pk"),
    ).select_related("survivor", "merged").order_by("-merged_at", "-id")[:size])
