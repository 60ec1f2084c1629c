"""Writing the audit log. Every read and write of personal data calls :func:`audit_record`
inside the same transaction as the act it records; the event is written unsealed and
:func:`audit_seal` chains it shortly after commit (docs/adr/0012-audit-sealed-after-commit.md).
``CAREWEAVE_AUDIT_SEAL=request`` chains it in the request instead, as before."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, connections, models, transaction
from django.utils import timezone

from careweave.audit.models import AuditEvent, ChainHead
from careweave.core import rawsql
from careweave.core.context import Actor, current_request

CHAINS = 64
GENESIS = "0" * 64


def chain_for(person_id: uuid.UUID | None, user_id: int | None) -> int:
    if person_id is not None:
        return person_id.int % CHAINS
    return (user_id or 0) % CHAINS


def event_digest(event: AuditEvent) -> str:
    """SHA-256 over the previous hash and every recorded field, canonically serialised."""
    payload = {
        "chain": event.chain,
        "seq": event.seq,
        "prev": event.prev_hash,
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "user_id": event.user_id,
        "username": event.username,
        "membership_id": str(event.membership_id) if event.membership_id else None,
        "organisation_id": str(event.organisation_id) if event.organisation_id else None,
        "organisation_name": event.organisation_name,
        "role": event.role,
        "action": event.action,
        "outcome": event.outcome,
        "person_id": str(event.person_id) if event.person_id else None,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "purpose": event.purpose,
        "legal_basis": event.legal_basis,
        "channel": event.channel,
        "request_id": event.request_id,
        "detail": event.detail,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def audit_enabled() -> bool:
    return bool(settings.CAREWEAVE.get("AUDIT_ENABLED", True))


def sealed_in_request() -> bool:
    """CAREWEAVE_AUDIT_SEAL=request: chain every event in its own transaction (the head
    row locked until commit), as before docs/adr/0012; the default seals after commit."""
    return bool(settings.CAREWEAVE.get("AUDIT_SEAL_IN_REQUEST", False))


def seal_max_delay() -> int:
    """Seconds an event may wait to be sealed before the health check and ``audit verify``
    report it (CAREWEAVE_AUDIT_SEAL_MAX_DELAY)."""
    return int(settings.CAREWEAVE.get("AUDIT_SEAL_MAX_DELAY", 60))


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    outcome: str = AuditEvent.Outcome.ALLOWED,
    person_id: uuid.UUID | None = None,
    object_type: str = "",
    object_id: str = "",
    purpose: str = "",
    legal_basis: str = "",
    detail: dict[str, Any] | None = None,
    username: str = "",
    keep_id: bool = True,
) -> AuditEvent | None:
    """Append one event to the log, in the caller's transaction. A request that reads the
    same person's record more than once (a page and its panels, a form shown again) is
    recorded as one read. ``keep_id=False``: the caller does not need the event's key, so
    an unsealed event's INSERT is not waited for (in a pipeline it goes with the COMMIT)."""
    if not audit_enabled():
        return None
    ctx = current_request()
    if action == AuditEvent.Action.READ and outcome == AuditEvent.Outcome.ALLOWED and \
            person_id is not None and ctx.request_id:
        if person_id in ctx.read_people:
            return None
        ctx.read_people.add(person_id)
    user = actor.user if actor else None
    membership = actor.membership if actor else None
    user_id = user.pk if user is not None and user.pk else None
    chain = chain_for(person_id, user_id)
    event = AuditEvent(
        chain=chain,
        at=timezone.now(),
        user_id=user_id,
        username=username or (user.get_username() if user is not None and user_id else ""),
        membership_id=membership.pk if membership else None,
        organisation_id=membership.organisation_id if membership else None,
        organisation_name=membership.organisation.name if membership else "",
        role=membership.role if membership else "",
        action=action,
        outcome=outcome,
        person_id=person_id,
        object_type=object_type,
        object_id=str(object_id)[:64],
        purpose=purpose,
        legal_basis=legal_basis,
        channel=ctx.channel,
        request_id=ctx.request_id,
        detail=detail or {},
    )
    if sealed_in_request():
        with transaction.atomic(savepoint=False):
            event.seq, event.prev_hash = _next_in_chain(chain)
            event.hash = event_digest(event)
            _append(event)
    else:
        _append(event, keep_id=keep_id)  # unsealed: audit_seal chains it after commit
    return event


def reads_commit_without_waiting() -> None:
    """Inside a transaction that only *reads* personal data (its one write is the read's
    audit row): on PostgreSQL, commit it without waiting for the write-ahead log to reach
    the disk. The row is written in the same transaction as the read, atomically; what is
    given up is only that a crash within a fraction of a second of the commit (at most
    three times wal_writer_delay) may lose the newest reads' audit rows, never a change
    and never half a row. Changes keep the synchronous commit. Call it only as the
    outermost transaction (a SET LOCAL applies to the whole of it).
    CAREWEAVE_AUDIT_READS_DURABLE=1 keeps reads synchronous too (docs/adr/0011)."""
    if connection.vendor != "postgresql" or settings.CAREWEAVE.get("AUDIT_READS_DURABLE"):
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


# The chain's next number and the previous hash, taking the head row's lock until commit.
_NEXT = "UPDATE {head} SET seq = seq + 1 WHERE chain = %s RETURNING seq, hash"
_START = "INSERT INTO {head} (chain, seq, hash) VALUES (%s, 0, %s) ON CONFLICT DO NOTHING"


_PEEK = "SELECT seq + 1, hash FROM {head} WHERE chain = %s"


def _next_in_chain(chain: int) -> tuple[int, str]:
    head = rawsql.table(ChainHead)
    # On SQLite every writer already holds the database's write lock (BEGIN IMMEDIATE), and
    # a trigger moves the head as the event is inserted; PostgreSQL takes the row's lock.
    step = _NEXT if connection.vendor == "postgresql" else _PEEK
    with connection.cursor() as cursor:
        cursor.execute(step.format(head=head), [chain])
        row = cursor.fetchone()
        if row is None:  # a database whose heads were emptied (tests flush every table)
            cursor.execute(_START.format(head=head), [chain, GENESIS])
            cursor.execute(step.format(head=head), [chain])
            row = cursor.fetchone()
    seq, prev = row
    if seq == 1:
        prev = GENESIS
    return int(seq), str(prev)


@cache
def _insert_columns() -> tuple[tuple[Any, ...], str, str]:
    """The event's columns but the key, their quoted names and placeholders (fixed: built
    once, as core.rawsql does for the other hot statements)."""
    fields = tuple(f for f in AuditEvent._meta.concrete_fields if not f.primary_key)
    cols = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    return fields, cols, ", ".join(["%s"] * len(fields))


def _append(event: AuditEvent, *, keep_id: bool = True) -> None:
    """INSERT the event. A sealed one (CAREWEAVE_AUDIT_SEAL=request) also moves the chain's
    head hash to it, in the same statement: a data-modifying WITH on PostgreSQL, a trigger
    on SQLite. An unsealed one is the INSERT alone."""
    fields, cols, marks = _insert_columns()
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    table, head = rawsql.table(AuditEvent), rawsql.table(ChainHead)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and event.seq is not None:
            cursor.execute(
                f"WITH e AS (INSERT INTO {table} ({cols}) VALUES ({marks}) RETURNING id) "
                f"UPDATE {head} SET hash = %s WHERE chain = %s RETURNING (SELECT id FROM e)",
                [*values, event.hash, event.chain])
            event.pk = cursor.fetchone()[0]
        elif not keep_id and event.seq is None:
            cursor.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", values)
        else:  # unsealed, or SQLite: the trigger of migration 0008 moves a sealed one's head
            cursor.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks}) RETURNING id",
                           values)
            event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias


def audit_after_rollback(exc: Exception, **event: Any) -> Exception:
    """Have ``exc`` record this (denied) event once the transaction it aborts has rolled
    back: the outermost ``careweave.core.db.atomic()`` calls ``exc.record()``. A refused
    attempt stays in the log while everything else it did is undone."""
    done: list[bool] = []

    def record() -> None:
        if done:
            return
        with transaction.atomic():
            audit_record(**event)
        done.append(True)

    exc.record = record  # type: ignore[attr-defined]
    return exc


@dataclass(frozen=True)
class ChainProblem:
    chain: int
    seq: int
    event_id: int | None
    problem: str


def audit_verify(*, chunk_size: int = 5000, seal: bool = False,
                 now: dt.datetime | None = None) -> tuple[int, list[ChainProblem]]:
    """Walk every chain; return the number of sealed events checked and any problems found.

    Events waiting to be sealed are not problems, unless they have waited longer than
    :func:`seal_max_delay` (checked first, so that ``seal=True``, which seals them before
    the walk, still reports the delay)."""
    problems = audit_overdue(now=now)
    if seal:
        audit_seal()
    # Heads before and after the walk: a sealer may move them meanwhile. Every chain must
    # reach its head as it was before (removing the newest events is a problem too) and
    # go no further than its head as it is after.
    before = _heads()
    checked = 0
    current_chain = -1
    expected_seq = 1
    prev = GENESIS
    tails: dict[int, int] = {}
    at_head: dict[int, str] = {}
    for event in AuditEvent.objects.filter(seq__isnull=False).order_by("chain", "seq") \
            .iterator(chunk_size=chunk_size):
        assert event.seq is not None
        if event.chain != current_chain:
            current_chain, expected_seq, prev = event.chain, 1, GENESIS
        checked += 1
        if event.seq != expected_seq:
            problems.append(
                ChainProblem(event.chain, expected_seq, None,
                             f"events missing before seq {event.seq}")
            )
        elif event.prev_hash != prev:
            problems.append(ChainProblem(event.chain, event.seq, event.id, "broken link"))
        if event_digest(event) != event.hash:
            problems.append(ChainProblem(event.chain, event.seq, event.id, "content altered"))
        expected_seq = event.seq + 1
        prev = event.hash
        tails[event.chain] = event.seq
        if event.seq == before.get(event.chain, (0, ""))[0]:
            at_head[event.chain] = event.hash
    after = _heads()
    for chain in sorted(before.keys() | after.keys() | tails.keys()):
        seq, head_hash = before.get(chain, (0, GENESIS))
        last, _h = after.get(chain, (seq, head_hash))
        tail = tails.get(chain, 0)
        if tail < seq or tail > last:
            problems.append(ChainProblem(chain, seq, None,
                                         f"chain ends at seq {tail}, its head says "
                                         f"{seq if tail < seq else last}"))
        elif seq and at_head.get(chain) != head_hash:
            problems.append(ChainProblem(chain, seq, None,
                                         f"chain ends at seq {seq} with another hash than "
                                         "its head's"))
    return checked, problems


def _heads() -> dict[int, tuple[int, str]]:
    return {chain: (seq, h) for chain, seq, h in
            ChainHead.objects.values_list("chain", "seq", "hash")}


# -- sealing -------------------------------------------------------------------------------


def audit_seal(*, limit: int = 1000) -> int:
    """Seal the events committed unsealed so far; return how many were sealed.

    Reads them in id order, ``limit`` at a time, and seals each batch in one short
    transaction: the head rows of the batch's chains locked, in chain order (``SELECT …
    FOR UPDATE`` on PostgreSQL; SQLite holds its write lock), the events re-read (a
    concurrent sealer may have sealed some: those are skipped), each chain's numbered on
    from its head in id order and hashed with :func:`event_digest`, then the events and the
    heads updated. Two sealers at once are safe: they take the heads in the same order and
    the second finds nothing left to seal. An event committed while this runs, with an id
    below ones already sealed, is sealed by the next call, after them."""
    table = rawsql.table(AuditEvent)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {table} WHERE seq IS NULL")
        row = cursor.fetchone()
    high = row[0] if row else None
    sealed, after = 0, 0
    while high is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, chain FROM {table} WHERE seq IS NULL AND id > %s "
                           "AND id <= %s ORDER BY id LIMIT %s", [after, high, limit])
            batch = cursor.fetchall()
        if batch:
            sealed += _seal_batch([event_id for event_id, _c in batch],
                                  sorted({chain for _i, chain in batch}))
        if len(batch) < limit:
            break
        after = batch[-1][0]
    return sealed


# VALUES names its columns column1, column2, ... on PostgreSQL and SQLite alike (and the
# UPDATEs do not start with WITH, so that SQLite reports their row count).
_LOCK = "SELECT chain, seq, hash FROM {head} WHERE chain IN ({chains}) ORDER BY chain"
_SEAL = ("UPDATE {table} SET seq = v.column2, prev_hash = v.column3, hash = v.column4 "
         "FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1 AND {table}.seq IS NULL")
_SEAL_ROW = "(CAST(%s AS BIGINT), CAST(%s AS BIGINT), %s, %s)"
_MOVE = ("UPDATE {head} SET seq = v.column2, hash = v.column3 FROM (VALUES {rows}) AS v "
         "WHERE {head}.chain = v.column1")
_MOVE_ROW = "(CAST(%s AS INTEGER), CAST(%s AS BIGINT), %s)"


def _seal_batch(ids: list[int], chains: list[int]) -> int:
    table, head = rawsql.table(AuditEvent), rawsql.table(ChainHead)
    lock = _LOCK.format(head=head, chains=", ".join(["%s"] * len(chains)))
    if connection.vendor == "postgresql":
        lock += " FOR UPDATE"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(lock, chains)
        heads = {chain: (int(seq), str(h)) for chain, seq, h in cursor.fetchall()}
        if len(heads) < len(chains):  # heads emptied (tests flush every table): start them
            for chain in chains:
                if chain not in heads:
                    cursor.execute(_START.format(head=head), [chain, GENESIS])
            cursor.execute(lock, chains)
            heads = {chain: (int(seq), str(h)) for chain, seq, h in cursor.fetchall()}
        # Re-read after the locks: only what no other sealer has sealed meanwhile.
        events = list(AuditEvent.objects.filter(pk__in=ids, seq__isnull=True).order_by("id"))
        if not events:
            return 0
        params: list[Any] = []
        moved: dict[int, tuple[int, str]] = {}
        for event in events:
            seq, prev = moved.get(event.chain) or heads[event.chain]
            event.seq, event.prev_hash = seq + 1, prev if seq else GENESIS
            event.hash = event_digest(event)
            moved[event.chain] = (event.seq, event.hash)
            params += [event.pk, event.seq, event.prev_hash, event.hash]
        cursor.execute(_SEAL.format(table=table, rows=", ".join([_SEAL_ROW] * len(events))),
                       params)
        if cursor.rowcount != len(events):  # cannot happen while the heads are locked
            raise RuntimeError(f"audit: sealed {cursor.rowcount} events of {len(events)}; "
                               "nothing was sealed")
        cursor.execute(_MOVE.format(head=head, rows=", ".join([_MOVE_ROW] * len(moved))),
                       [v for chain, (seq, h) in sorted(moved.items()) for v in (chain, seq, h)])
    return len(events)


@dataclass(frozen=True)
class Pending:
    """Events not sealed yet: how many, and when the oldest was recorded."""

    count: int
    oldest: dt.datetime | None

    def age(self, now: dt.datetime | None = None) -> float:
        if self.oldest is None:
            return 0.0
        return max(0.0, ((now or timezone.now()) - self.oldest).total_seconds())


def oldest_unsealed() -> dt.datetime | None:
    """When the oldest event still waiting to be sealed was recorded (one index probe)."""
    row = AuditEvent.objects.filter(seq__isnull=True).order_by("id").values_list(
        "at", flat=True).first()
    return row


def audit_pending() -> Pending:
    return Pending(AuditEvent.objects.filter(seq__isnull=True).count(), oldest_unsealed())


def audit_overdue(*, now: dt.datetime | None = None) -> list[ChainProblem]:
    """One problem per chain with events waiting to be sealed longer than the bound."""
    bound = seal_max_delay()
    now = now or timezone.now()
    rows = (AuditEvent.objects.filter(seq__isnull=True, at__lt=now - dt.timedelta(seconds=bound))
            .values("chain").order_by("chain")
            .annotate(n=models.Count("id"), first=models.Min("id"), since=models.Min("at")))
    return [ChainProblem(r["chain"], 0, r["first"],
                         f"{r['n']} event(s) not sealed for longer than {bound} s "
                         f"(the oldest for {(now - r['since']).total_seconds():.0f} s)")
            for r in rows]


@contextmanager
def append_only_lifted(using: str = "default") -> Iterator[None]:
    """Lift the append-only guard for the body, in one transaction (rolled back with it):
    for the owner of the database erasing everything (``demo --reset`` and ``flush`` on
    SQLite; PostgreSQL's TRUNCATE passes row triggers anyway) and for tests that tamper.
    On PostgreSQL it needs the table's owner: the application role cannot."""
    conn = connections[using]
    table = conn.ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic(using=using), conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_append_only")
            yield
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_append_only")
        elif conn.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                           "name IN ('audit_append_only_update', 'audit_append_only_delete')")
            guards = cursor.fetchall()
            for name, _sql in guards:
                cursor.execute(f"DROP TRIGGER {conn.ops.quote_name(name)}")
            yield
            for _name, sql in guards:
                cursor.execute(sql)
        else:
            yield
