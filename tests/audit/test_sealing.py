"""Sealing after commit (docs/adr/0012): a request writes its event unsealed, in its own
transaction; the sealer chains it; the triggers allow exactly that one change."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from careweave.audit.models import AuditEvent, ChainHead
from careweave.audit.services import (
    append_only_lifted,
    audit_pending,
    audit_record,
    audit_seal,
    audit_verify,
)
from careweave.people.selectors import person_detail

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table
PG = connection.vendor == "postgresql"


def heads() -> dict[int, tuple[int, str]]:
    return {c: (s, h) for c, s, h in ChainHead.objects.values_list("chain", "seq", "hash")}


class Rollback(Exception):
    pass


def test_a_read_writes_its_event_unsealed_in_its_own_transaction(actor_for,  # noqa: ANN001
                                                                 person_named) -> None:
    gp, arthur = actor_for("gp.uk"), person_named("Arthur")
    start, before = AuditEvent.objects.count(), heads()
    with pytest.raises(Rollback), transaction.atomic():
        person_detail(actor=gp, person_id=arthur.pk)
        event = AuditEvent.objects.latest("id")
        assert (event.action, event.person_id, event.username) == ("read", arthur.pk, "gp.uk")
        assert (event.seq, event.prev_hash, event.hash) == (None, "", "")
        assert heads() == before  # the request never touches a chain's head
        raise Rollback
    assert AuditEvent.objects.count() == start  # rolled back together with the read

    person_detail(actor=gp, person_id=arthur.pk)
    assert AuditEvent.objects.latest("id").seq is None
    assert heads() == before


def test_sealing_chains_the_waiting_events_and_verify_passes(actor_for,  # noqa: ANN001
                                                             person_named) -> None:
    gp = actor_for("gp.uk")
    audit_seal()  # what the demo wrote
    for given in ("Arthur", "Maya", "Arthur"):
        person_detail(actor=gp, person_id=person_named(given).pk)
    pending = audit_pending()
    assert pending.count == 3 and pending.oldest is not None
    checked, problems = audit_verify()  # waiting events are not problems
    assert problems == [] and checked == AuditEvent.objects.count() - 3

    assert audit_seal() == 3
    assert audit_seal() == 0
    assert audit_pending().count == 0
    checked, problems = audit_verify()
    assert problems == [] and checked == AuditEvent.objects.count()
    # Each chain runs 1..n with no gap, and ends where its head says.
    for chain, (seq, head_hash) in heads().items():
        seqs = list(AuditEvent.objects.filter(chain=chain).order_by("seq")
                    .values_list("seq", "hash"))
        assert [s for s, _h in seqs] == list(range(1, seq + 1))
        if seq:
            assert seqs[-1][1] == head_hash


def test_verify_seals_first_and_detects_a_tampered_sealed_row(actor_for,  # noqa: ANN001
                                                              person_named, capsys) -> None:
    person_detail(actor=actor_for("gp.uk"), person_id=person_named("Maya").pk)
    call_command("audit", "verify")
    assert "every chain intact" in capsys.readouterr().out
    assert audit_pending().count == 0
    victim = AuditEvent.objects.latest("id")
    with append_only_lifted(), connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET purpose = 'other' WHERE id = %s", [victim.id])
    assert [(p.event_id, p.problem) for p in audit_verify()[1]] == [
        (victim.id, "content altered")]


def test_a_removed_tail_is_detected_through_the_head(actor_for, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur")
    person_detail(actor=actor_for("gp.uk"), person_id=arthur.pk)
    audit_seal()
    last = AuditEvent.objects.latest("id")
    with append_only_lifted(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE id = %s", [last.id])
    problems = audit_verify()[1]
    assert [(p.chain, p.problem) for p in problems] == [
        (last.chain, f"chain ends at seq {last.seq - 1}, its head says {last.seq}")]


def test_request_mode_chains_in_the_request(actor_for, person_named) -> None:  # noqa: ANN001
    audit_seal()
    with override_settings(CAREWEAVE={**_careweave(), "AUDIT_SEAL_IN_REQUEST": True}):
        person_detail(actor=actor_for("gp.uk"), person_id=person_named("Arthur").pk)
    event = AuditEvent.objects.latest("id")
    assert event.seq is not None and len(event.hash) == 64
    assert heads()[event.chain] == (event.seq, event.hash)
    person_detail(actor=actor_for("gp.uk"), person_id=person_named("Maya").pk)  # after commit
    assert audit_seal() == 1
    assert audit_verify()[1] == []


def _careweave() -> dict[str, object]:
    from django.conf import settings

    return dict(settings.CAREWEAVE)


# -- the append-only triggers, on both databases ---------------------------------------------


def _refused(sql: str, params: list[object]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cur:
        cur.execute(sql.format(table=TABLE), params)


def test_the_database_allows_only_the_seal_of_an_unsealed_row(actor_for,  # noqa: ANN001
                                                              person_named) -> None:
    gp = actor_for("gp.uk")
    person_detail(actor=gp, person_id=person_named("Arthur").pk)
    audit_seal()
    sealed = AuditEvent.objects.latest("id")
    person_detail(actor=gp, person_id=person_named("Maya").pk)
    unsealed = AuditEvent.objects.latest("id")
    assert sealed.seq is not None and unsealed.seq is None
    h = "a" * 64

    # An unsealed row: another column, even together with a seal, or half a seal.
    _refused("UPDATE {table} SET username = 'someone.else' WHERE id = %s", [unsealed.id])
    _refused("UPDATE {table} SET detail = %s, seq = 99, prev_hash = %s, hash = %s "
             "WHERE id = %s", ['{"x": 1}', h, h, unsealed.id])
    _refused("UPDATE {table} SET at = at, chain = chain + 1, seq = 99, prev_hash = %s, "
             "hash = %s WHERE id = %s", [h, h, unsealed.id])
    _refused("UPDATE {table} SET seq = 99 WHERE id = %s", [unsealed.id])
    _refused("UPDATE {table} SET hash = %s WHERE id = %s", [h, unsealed.id])
    # A sealed row: a re-seal, an unseal, any other column.
    _refused("UPDATE {table} SET seq = 99, prev_hash = %s, hash = %s WHERE id = %s",
             [h, h, sealed.id])
    _refused("UPDATE {table} SET seq = NULL, prev_hash = '', hash = '' WHERE id = %s",
             [sealed.id])
    _refused("UPDATE {table} SET username = 'x' WHERE id = %s", [sealed.id])
    # No DELETE, sealed or not.
    _refused("DELETE FROM {table} WHERE id = %s", [unsealed.id])
    _refused("DELETE FROM {table} WHERE id = %s", [sealed.id])
    _refused("DELETE FROM {table}", [])

    # The one change allowed: unsealed -> sealed, nothing else.
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET seq = 99, prev_hash = %s, hash = %s WHERE id = %s",
                    [h, h, unsealed.id])
    assert AuditEvent.objects.get(id=unsealed.id).seq == 99
    # ... and the ORM's guards stay.
    with pytest.raises(ValueError):
        unsealed.save()
    with pytest.raises(ValueError):
        unsealed.delete()


def test_a_forged_seal_is_caught_by_verify(actor_for, person_named) -> None:  # noqa: ANN001
    """The application role may seal a row, but only verify-ably: a seal that is not the
    chain's next link with the row's own digest is reported."""
    audit_seal()
    person_detail(actor=actor_for("gp.uk"), person_id=person_named("Arthur").pk)
    unsealed = AuditEvent.objects.latest("id")
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET seq = 9999, prev_hash = %s, hash = %s WHERE id = %s",
                    ["b" * 64, "c" * 64, unsealed.id])
    problems = [p.problem for p in audit_verify()[1]]
    assert "content altered" in problems and any("missing" in p for p in problems)


# -- the bound on the delay ------------------------------------------------------------------


def _age(event_id: int, seconds: float) -> None:
    old = timezone.now() - dt.timedelta(seconds=seconds)
    with append_only_lifted(), connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET at = %s WHERE id = %s",
                    [connection.ops.adapt_datetimefield_value(old), event_id])


def test_events_waiting_longer_than_the_bound_are_a_problem(actor_for, person_named,  # noqa: ANN001
                                                            capsys) -> None:
    audit_seal()
    gp = actor_for("gp.uk")
    person_detail(actor=gp, person_id=person_named("Arthur").pk)
    fresh = AuditEvent.objects.latest("id")
    assert audit_verify()[1] == []  # waiting, within the bound: not a problem
    soon = timezone.now() + dt.timedelta(seconds=61)
    assert [(p.chain, p.event_id) for p in audit_verify(now=soon)[1]] == [
        (fresh.chain, fresh.id)]

    _age(fresh.id, 120)
    client = Client()
    body = client.get("/healthz").json()
    assert body["status"] == "degraded" and body["audit"]["state"] == "behind"
    assert body["audit"]["oldest_unsealed_seconds"] >= 119
    assert body["audit"]["max_delay_seconds"] == 60

    with pytest.raises(CommandError, match="FAILED"):
        call_command("audit", "verify", "--no-seal")
    assert "not sealed for longer than 60 s" in capsys.readouterr().err
    assert audit_pending().count == 1
    # verify seals first, and still reports that the bound was exceeded, once.
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit", "verify")
    assert audit_pending().count == 0
    call_command("audit", "verify")
    assert "every chain intact" in capsys.readouterr().out
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["audit"] == {
        "state": "ok", "oldest_unsealed_seconds": 0.0, "max_delay_seconds": 60}


def test_the_bound_is_a_setting(actor_for, person_named) -> None:  # noqa: ANN001
    audit_seal()
    person_detail(actor=actor_for("gp.uk"), person_id=person_named("Arthur").pk)
    _age(AuditEvent.objects.latest("id").id, 20)
    assert audit_verify()[1] == []
    with override_settings(CAREWEAVE={**_careweave(), "AUDIT_SEAL_MAX_DELAY": 10}):
        assert len(audit_verify()[1]) == 1
        assert Client().get("/healthz").json()["status"] == "degraded"


def test_seal_once_from_the_command(actor_for, person_named, capsys) -> None:  # noqa: ANN001
    audit_seal()
    person_detail(actor=actor_for("gp.uk"), person_id=person_named("Arthur").pk)
    call_command("audit", "seal")
    assert "Sealed 1 audit events." in capsys.readouterr().out


# -- two sealers at once (PostgreSQL: each thread has its own connection) -------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not PG, reason="needs PostgreSQL: concurrent connections")
def test_two_sealers_at_once_leave_no_gap_and_no_duplicate() -> None:
    people = [uuid.uuid4() for _ in range(40)]
    for n in range(1500):
        audit_record(actor=None, action=AuditEvent.Action.READ, person_id=people[n % 40],
                     username=f"user{n}")
    total = AuditEvent.objects.filter(seq__isnull=True).count()
    assert total == 1500
    start = threading.Barrier(3)
    sealed: list[int] = []
    errors: list[BaseException] = []

    def sealer() -> None:
        try:
            start.wait()
            count = 0
            for _ in range(3):
                count += audit_seal(limit=40)  # small batches: the sealers interleave
            sealed.append(count)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    def writer() -> None:  # and new events arrive meanwhile
        try:
            start.wait()
            for n in range(200):
                audit_record(actor=None, action=AuditEvent.Action.READ,
                             person_id=people[n % 40], username=f"late{n}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sealer), threading.Thread(target=sealer),
               threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(sealed) == 2 and sum(sealed) >= 1500
    sealed.append(audit_seal())
    assert sum(sealed) == 1700 and audit_pending().count == 0
    rows = list(AuditEvent.objects.values_list("chain", "seq"))
    assert len(rows) == 1700
    by_chain = Counter(chain for chain, _s in rows)
    for chain, n in by_chain.items():
        assert sorted(s for c, s in rows if c == chain) == list(range(1, n + 1))
    checked, problems = audit_verify()
    assert problems == [] and checked == 1700


# -- the long-running sealer, as `make demo` and the bench run it ------------------------------


def test_seal_follow_seals_and_stops_cleanly_on_sigterm(tmp_path) -> None:  # noqa: ANN001
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CAREWEAVE_TEST", "CAREWEAVE_DEBUG")}
    env.update(CAREWEAVE_DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'follow.sqlite3'}")

    def careweave(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "careweave.cli", *args], env=env,
                              capture_output=True, text=True, timeout=300, check=False)

    assert careweave("demo", "--reset").returncode == 0
    waiting = careweave("audit", "verify", "--no-seal")
    assert waiting.returncode == 0 and "waiting to be sealed" in waiting.stdout
    sealer = subprocess.Popen([sys.executable, "-m", "careweave.cli", "audit", "seal",
                               "--follow", "--every", "0.2"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert sealer.stdout is not None
        assert "Sealing the audit log every 0.2 s" in sealer.stdout.readline()
        for _ in range(30):
            time.sleep(1)  # a round is 0.2 s: the first look should find it done
            done = careweave("audit", "verify", "--no-seal")
            if "waiting to be sealed" not in done.stdout:
                break
        assert done.returncode == 0 and "every chain intact" in done.stdout
        assert "waiting to be sealed" not in done.stdout
        sealer.send_signal(signal.SIGTERM)
        out, err = sealer.communicate(timeout=30)
    finally:
        if sealer.poll() is None:
            sealer.kill()
            sealer.wait()
    assert sealer.returncode == 0, err
    assert "Stopped sealing the audit log." in out
