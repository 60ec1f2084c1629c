"""Writing the audit log. Every read and write of personal data calls :func:`audit_record`
inside the same transaction as the act it records."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
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
) -> AuditEvent | None:
    """Append one event to the log, in the caller's transaction. A request that reads the
    same person's record more than once (a page and its panels, a form shown again) is
    recorded as one read."""
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
    with transaction.atomic(savepoint=False):
        event.seq, event.prev_hash = _next_in_chain(chain)
        event.hash = event_digest(event)
        _append(event)
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


def _append(event: AuditEvent) -> None:
    """INSERT the event and move the chain's head hash to it, in one statement: a
    data-modifying WITH on PostgreSQL, a trigger on SQLite."""
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    cols = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    marks = ", ".join(["%s"] * len(fields))
    table, head = rawsql.table(AuditEvent), rawsql.table(ChainHead)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH e AS (INSERT INTO {table} ({cols}) VALUES ({marks}) RETURNING id) "
                f"UPDATE {head} SET hash = %s WHERE chain = %s RETURNING (SELECT id FROM e)",
                [*values, event.hash, event.chain])
            event.pk = cursor.fetchone()[0]
        else:  # the trigger of migration 0006 moves the head
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


def audit_verify(*, chunk_size: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk every chain; return the number of events checked and any problems found."""
    problems: list[ChainProblem] = []
    checked = 0
    current_chain = -1
    expected_seq = 1
    prev = GENESIS
    tails: dict[int, tuple[int, str]] = {}
    for event in AuditEvent.objects.order_by("chain", "seq").iterator(chunk_size=chunk_size):
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
        tails[event.chain] = (event.seq, event.hash)
    # Every chain must end where its head says: newest events removed are a problem too.
    for chain, seq, head_hash in ChainHead.objects.values_list("chain", "seq", "hash"):
        if tails.get(chain, (0, GENESIS)) != (seq, head_hash if seq else GENESIS):
            problems.append(ChainProblem(chain, seq, None,
                                         f"chain ends at seq {tails.get(chain, (0, ''))[0]}, "
                                         f"its head says {seq}"))
    return checked, problems
