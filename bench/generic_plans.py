"""The statements that partial indexes served, under PostgreSQL's generic plan: before and
after the indexes were made usable by it (tests/test_generic_plans.py checks the shapes).

    CAREWEAVE_TEST=1 scripts/pg-test.sh uv run --frozen python bench/generic_plans.py

Migrates the (throwaway) database, loads the demo and seeds --people synthetic people, then
per statement, in one transaction that is rolled back: adds --rows rows for the demo's GP
(warnings of its organisation, mostly ended; decided join requests; notes and assessments
with idempotency keys), ANALYZEs, PREPAREs the statement as Django compiles it, and runs
EXPLAIN (ANALYZE) EXECUTE under plan_cache_mode = force_generic_plan --repeat times with
the current indexes ("after"), then again as it was before: the indexes recreated in the
same transaction (the partial ones, and the foreign-key indexes the new ones replace), and
for the join requests the statement with the status as a parameter. It prints the median
execution time PostgreSQL reports, the indexes (or seq scans) the plan ran and the rows its
scans read (returned + removed by a filter).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import uuid
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careweave.settings")

# The indexes before this change, as DDL (what the migrations removed or replaced).
BEFORE = {
    "reviews_due": [
        "DROP INDEX warning_org_review_idx",
        "CREATE INDEX warning_review_idx ON notes_personwarning "
        "(organisation_id, review_date, id) WHERE status = 'active'",
        "CREATE INDEX warning_org_fk ON notes_personwarning (organisation_id)",
    ],
    "join_requests_to_decide": [],  # the index is as it was; the query passed the status
    "note_replay": [
        "DROP INDEX note_author_key_idx",
        "CREATE INDEX note_author_fk ON notes_casenote (author_id)",
    ],
    "assessment_replay": [
        "DROP INDEX assessment_recorder_key_idx",
        "CREATE INDEX assessment_recorded_by_fk ON assessments_assessment (recorded_by_id)",
    ],
}


def _placeholders(sql: str) -> str:
    n = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal n
        if m.group(0) == "%%":
            return "%"
        n += 1
        return f"${n}"

    return re.sub(r"%%|%s", repl, sql)


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    stack = [plan]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("Plans", []))


def measure(qs: Any, repeat: int) -> tuple[float, str, int]:
    """Median execution ms of the generic plan, its indexes, rows its scans read."""
    from django.db import connection
    from psycopg import sql as psql

    compiler = qs.query.get_compiler(using=qs.db)
    text, params = compiler.as_sql()
    name = f"cw_{uuid.uuid4().hex[:8]}"
    args = ", ".join(psql.Literal(p).as_string(connection.connection) for p in params)
    times: list[float] = []
    with connection.cursor() as c:
        c.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        c.execute(f"PREPARE {name} AS {_placeholders(text)}")
        for _ in range(repeat):
            c.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {name}({args})")
            (raw,) = c.fetchone()
            out = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            times.append(out["Execution Time"])
        c.execute(f"DEALLOCATE {name}")
    scans = [n for n in nodes(out["Plan"]) if "Relation Name" in n and n.get("Actual Loops")]
    indexes = ", ".join(sorted({n.get("Index Name") or f"Seq Scan {n['Relation Name']}"
                                for n in scans}))
    read = sum(n["Actual Rows"] * n.get("Actual Loops", 1)
               + n.get("Rows Removed by Filter", 0) * n.get("Actual Loops", 1) for n in scans)
    return statistics.median(times), indexes, int(read)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--people", type=int, default=5000, help="synthetic people to seed (5000)")
    p.add_argument("--rows", type=int, default=10_000, help="rows per table (10000)")
    p.add_argument("--repeat", type=int, default=21, help="executions per measurement (21)")
    args = p.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from careweave.access.models import JoinRequest
    from careweave.access.services import join_requests_to_decide
    from careweave.assessments.models import Assessment, InstrumentVersion
    from careweave.core.context import Actor
    from careweave.demo.loader import load_demo
    from careweave.notes import rules
    from careweave.notes.models import CaseNote, PersonWarning
    from careweave.orgs.models import Membership
    from careweave.people.models import Person
    from careweave.seed.generator import seed_people

    assert connection.vendor == "postgresql", "run it on PostgreSQL (scripts/pg-test.sh)"
    call_command("migrate", verbosity=0, interactive=False)
    load_demo(reset=True, log=lambda _m: None)
    if args.people:
        seed_people(people=args.people, log=lambda _m: None)
    with connection.cursor() as c:
        c.execute("ANALYZE")  # the seeded tables' statistics, as autovacuum would have them
    membership = (Membership.objects.select_related("organisation", "user")
                  .filter(user__username="gp.uk").order_by("organisation__name").first())
    assert membership is not None
    actor = Actor(user=membership.user, membership=membership)
    org = membership.organisation_id
    mine = list(Person.objects.filter(registered_by_id=org).values_list("id", flat=True))
    other_org = Person.objects.exclude(registered_by_id=org).values_list(
        "registered_by_id", flat=True).first()
    n, now, today = args.rows, timezone.now(), timezone.localdate()
    version = InstrumentVersion.objects.select_related("instrument").first()
    assert version is not None

    def warnings() -> Any:
        PersonWarning.objects.bulk_create(
            [PersonWarning(person_id=mine[i % len(mine)], kind="risk", title="t",
                           organisation_id=org, raised_by=membership, raised_by_name="x",
                           raised_at=now, review_date=today - dt.timedelta(days=i % 700),
                           status=rules.ENDED if i % 100 else rules.ACTIVE)
             for i in range(n)], batch_size=2000)
        return (PersonWarning.objects.filter(organisation_id=org, status=rules.ACTIVE,
                                             review_date__lt=today)
                .order_by("review_date", "id")[:26])

    def joins() -> Any:
        JoinRequest.objects.bulk_create(
            [JoinRequest(person_id=mine[i % len(mine)], organisation_id=other_org,
                         requested_by=membership, role="r", reason="r",
                         status="accepted" if i % 2 else "declined") for i in range(n)]
            + [JoinRequest(person_id=pid, organisation_id=other_org, requested_by=membership,
                           role="r", reason="r") for pid in mine[:5]], batch_size=2000)
        after = join_requests_to_decide(actor).order_by("created_at", "id")[:26]
        # before: the status as a parameter
        before = (JoinRequest.objects.filter(status=JoinRequest.Status.PENDING,
                                             person__registered_by_id=org)
                  .select_related("person", "organisation", "requested_by__user")
                  .order_by("created_at", "id")[:26])
        return after, before

    def notes() -> Any:
        CaseNote.objects.bulk_create(
            [CaseNote(person_id=mine[i % len(mine)], kind="visit", occurred_at=now,
                      organisation_id=org, author=membership, author_name="x",
                      author_role="clinician", summary="s", body="b", recorded_at=now,
                      idempotency_key=f"k{i}") for i in range(n)], batch_size=2000)
        return CaseNote.objects.filter(author=membership, idempotency_key="k7").order_by("pk")[:1]

    def assessments() -> Any:
        Assessment.objects.bulk_create(
            [Assessment(person_id=mine[i % len(mine)], instrument=version.instrument,
                        instrument_version=version, organisation_id=org,
                        recorded_by=membership, taken_on=today, started_at=now,
                        idempotency_key=f"k{i}") for i in range(n)], batch_size=2000)
        return (Assessment.objects.filter(recorded_by=membership, idempotency_key="k7")
                .order_by("pk")[:1])

    cases: dict[str, tuple[Callable[[], Any], Any]] = {
        "reviews_due": (warnings, PersonWarning), "join_requests_to_decide": (joins, JoinRequest),
        "note_replay": (notes, CaseNote), "assessment_replay": (assessments, Assessment)}
    print(f"{len(mine):,} people registered by the GP's organisation, {n:,} rows per table, "
          f"median of {args.repeat} executions of the generic plan (EXPLAIN ANALYZE)")
    for name, (build, model) in cases.items():
        with transaction.atomic():
            qs = build()
            qs, old = qs if isinstance(qs, tuple) else (qs, qs)
            table = model._meta.db_table
            with connection.cursor() as c:
                c.execute(f'ANALYZE "{table}"')
            after = measure(qs, args.repeat)
            with connection.cursor() as c:
                c.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no DDL with pending FK checks
                for ddl in BEFORE[name]:
                    c.execute(ddl)
                c.execute(f'ANALYZE "{table}"')
            before = measure(old, args.repeat)
            transaction.set_rollback(True)
        print(f"{name}:\n  before {before[0]:7.3f} ms  read {before[2]:>6,} rows  {before[1]}\n"
              f"  after  {after[0]:7.3f} ms  read {after[2]:>6,} rows  {after[1]}")


if __name__ == "__main__":
    main()
