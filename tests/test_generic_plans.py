"""The hot statements that a partial index serves, under PostgreSQL's generic plan.

psycopg prepares a statement it has run a few times on a connection (settings:
``prepare_threshold``), and after five executions PostgreSQL may switch to a generic plan,
planned without the parameters' values. A partial index whose condition compares a column
with a constant (``status = 'active'``, ``idempotency_key <> ''``) is then unusable when the
query passes that constant as a parameter (``status = $2``): the planner cannot prove the
index's condition. Conditions on ``IS NULL`` / ``IS NOT NULL`` (and booleans, which Django
writes as ``WHERE "flag"``) have no parameter, so they survive.

Each test builds enough rows that an index and a scan cost differently, ANALYZEs, PREPAREs
the statement as Django compiles it (placeholders ``$1``…), forces the generic plan and
checks the plan's shape (EXPLAIN (FORMAT JSON)). No timings. ``qs.explain()`` is not used:
PostgreSQL plans an EXPLAIN with the bound values as constants (a custom plan), whatever
``plan_cache_mode`` says (a test below shows that on the same statement).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="generic plans are PostgreSQL's; SQLite has no prepared-plan cache"),
]

N = 4000  # rows per table that the trap would scan


def _placeholders(sql: str) -> str:
    """Django's %s placeholders as $1, $2, … (and %% as %)."""
    n = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal n
        if m.group(0) == "%%":
            return "%"
        n += 1
        return f"${n}"

    return re.sub(r"%%|%s", repl, sql)


def _literal(value: Any) -> str:
    from psycopg import sql

    return sql.Literal(value).as_string(connection.connection)


def generic_plan(qs: QuerySet[Any], *, analyze: bool = False) -> dict[str, Any]:
    """The generic plan PostgreSQL uses for ``qs`` once psycopg has prepared it."""
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    name = f"cw_generic_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as c:
        c.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        c.execute(f"PREPARE {name} AS {_placeholders(sql)}")
        args = ", ".join(_literal(p) for p in params)
        options = "ANALYZE, TIMING OFF, FORMAT JSON" if analyze else "FORMAT JSON"
        c.execute(f"EXPLAIN ({options}) EXECUTE {name}" + (f"({args})" if params else ""))
        (raw,) = c.fetchone()
        c.execute(f"DEALLOCATE {name}")
    plan = json.loads(raw) if isinstance(raw, str) else raw
    return plan[0]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    stack = [plan["Plan"] if "Plan" in plan else plan]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("Plans", []))


def index_names(plan: dict[str, Any]) -> set[str]:
    return {n["Index Name"] for n in nodes(plan) if "Index Name" in n}


def seq_scanned(plan: dict[str, Any]) -> set[str]:
    return {n["Relation Name"] for n in nodes(plan) if n["Node Type"] == "Seq Scan"}


def assert_uses(plan: dict[str, Any], index: str, table: str) -> None:
    shape = json.dumps(plan, indent=1)[:4000]
    assert index in index_names(plan), f"generic plan does not use {index}:\n{shape}"
    assert table not in seq_scanned(plan), f"generic plan scans {table}:\n{shape}"


def analyze(*models: Any) -> None:
    with connection.cursor() as c:
        for model in models:
            c.execute(f'ANALYZE "{model._meta.db_table}"')


def first(qs: QuerySet[Any]) -> QuerySet[Any]:
    """The statement ``qs.first()`` runs."""
    return (qs if qs.ordered else qs.order_by("pk"))[:1]


@pytest.fixture
def cast(demo, actor_for):  # noqa: ANN001, ANN201
    from careweave.people.models import Person

    actor = actor_for("gp.uk")
    people = list(Person.objects.filter(registered_by_id=actor.organisation_id)
                  .order_by("id")[:40])
    others = list(Person.objects.exclude(registered_by_id=actor.organisation_id)
                  .order_by("id")[:40])
    assert len(people) >= 5 and others
    return actor, people, others


# -- parameterised constants: the traps ----------------------------------------------------


def test_reviews_due_uses_the_review_index(cast) -> None:  # noqa: ANN001
    """reviews_due: an organisation's active warnings past review. Most warnings have ended
    (status 'ended'): the plan must go straight to the active ones by review date."""
    from careweave.notes import rules
    from careweave.notes.models import PersonWarning

    actor, people, _others = cast
    now = timezone.now()
    today = timezone.localdate()
    rows = [PersonWarning(person=people[i % len(people)], kind="risk", title="t",
                          organisation_id=actor.organisation_id, raised_by=actor.membership,
                          raised_by_name="x", raised_at=now,
                          review_date=today - dt.timedelta(days=i % 400),
                          status=rules.ENDED if i % 100 else rules.ACTIVE)
            for i in range(N)]
    PersonWarning.objects.bulk_create(rows, batch_size=1000)
    analyze(PersonWarning)
    qs = (PersonWarning.objects.filter(organisation_id=actor.organisation_id,
                                       status=rules.ACTIVE, review_date__lt=today)
          .order_by("review_date", "id")[:26])
    assert_uses(generic_plan(qs), "warning_org_review_idx", PersonWarning._meta.db_table)


def test_join_requests_to_decide_use_the_pending_index(cast) -> None:  # noqa: ANN001
    """The registering organisation's pending requests, oldest first: decided requests
    pile up, pending ones are few. The status is written as a constant (rawsql.constant);
    as a parameter, the generic plan probed every person the organisation registered."""
    from careweave.access.models import JoinRequest
    from careweave.access.services import join_requests_to_decide
    from careweave.people.models import Person

    actor, people, others = cast
    # the organisation registered many people (the old plan probed each for its requests)
    Person.objects.bulk_create(
        [Person(country="uk", given_name="g", family_name=f"f{i}", search_name=f"g f{i}",
                sort_name=f"f{i} g", birth_date=dt.date(1950, 1, 1),
                registered_by_id=actor.organisation_id if i % 2 else others[0].registered_by_id)
         for i in range(N)], batch_size=1000)
    people = list(Person.objects.filter(registered_by_id=actor.organisation_id))
    rows = [JoinRequest(person=people[i % len(people)], organisation_id=others[0].registered_by_id,
                        requested_by=actor.membership, role="r", reason="r",
                        status=JoinRequest.Status.ACCEPTED if i % 2 else JoinRequest.Status.DECLINED)
            for i in range(N)]
    rows += [JoinRequest(person=p, organisation_id=others[0].registered_by_id,
                         requested_by=actor.membership, role="r", reason="r")
             for p in people[:5]]
    JoinRequest.objects.bulk_create(rows, batch_size=1000)
    analyze(JoinRequest, Person)
    qs = join_requests_to_decide(actor).order_by("created_at", "id")[:26]
    assert_uses(generic_plan(qs), "join_pending_idx", JoinRequest._meta.db_table)


def _notes(actor: Any, people: list[Any], n: int) -> None:
    from careweave.notes.models import CaseNote

    now = timezone.now()
    CaseNote.objects.bulk_create(
        [CaseNote(person=people[i % len(people)], kind="visit", occurred_at=now,
                  organisation_id=actor.organisation_id, author=actor.membership,
                  author_name="x", author_role="clinician", summary="s", body="b",
                  recorded_at=now, idempotency_key=f"k{i}" if i % 4 else "")
         for i in range(n)], batch_size=1000)
    analyze(CaseNote)


def test_note_replay_lookup_uses_the_author_key_index(cast) -> None:  # noqa: ANN001
    """A note written with an idempotency key (every form post) first looks for the
    author's earlier note with that key: one index probe, not every note of the author."""
    from careweave.notes.models import CaseNote

    actor, people, _others = cast
    _notes(actor, people, N)
    qs = first(CaseNote.objects.filter(author=actor.membership, idempotency_key="k7"))
    assert_uses(generic_plan(qs), "note_author_key_idx", CaseNote._meta.db_table)
    plan = generic_plan(qs, analyze=True)
    probe = [n for n in nodes(plan) if n.get("Index Name") == "note_author_key_idx"]
    assert probe[0]["Actual Rows"] <= 1 and probe[0].get("Rows Removed by Filter", 0) == 0


def test_assessment_replay_lookup_uses_the_recorder_key_index(cast) -> None:  # noqa: ANN001
    from careweave.assessments.models import Assessment, InstrumentVersion

    actor, people, _others = cast
    version = InstrumentVersion.objects.select_related("instrument").first()
    assert version is not None
    now = timezone.now()
    Assessment.objects.bulk_create(
        [Assessment(person=people[i % len(people)], instrument=version.instrument,
                    instrument_version=version, organisation_id=actor.organisation_id,
                    recorded_by=actor.membership, taken_on=now.date(), started_at=now,
                    idempotency_key=f"k{i}" if i % 4 else "")
         for i in range(N)], batch_size=1000)
    analyze(Assessment)
    qs = first(Assessment.objects.filter(recorded_by=actor.membership, idempotency_key="k7"))
    assert_uses(generic_plan(qs), "assessment_recorder_key_idx", Assessment._meta.db_table)


# -- no parameter in the condition: partial indexes that survive ---------------------------


def test_a_persons_notes_use_the_partial_person_index(cast) -> None:  # noqa: ANN001
    """``amends IS NULL`` is written as is (no parameter): the generic plan proves it."""
    from careweave.notes.models import CaseNote

    actor, people, _others = cast
    _notes(actor, people, N)
    qs = (CaseNote.objects.filter(person=people[0], amends__isnull=True)
          .order_by("-occurred_at", "-id")[:26])
    assert_uses(generic_plan(qs), "note_person_idx", CaseNote._meta.db_table)


def test_explain_of_a_queryset_is_a_custom_plan(cast) -> None:  # noqa: ANN001
    """Why the tests PREPARE: ``qs.explain()`` under force_generic_plan still plans with the
    values (the key's value proves the partial constraint's "key <> ''"), so it cannot
    show the trap: without note_author_key_idx it shows the partial unique index, which the
    generic plan cannot use."""
    from careweave.notes.models import CaseNote

    actor, people, _others = cast
    _notes(actor, people, N)
    qs = first(CaseNote.objects.filter(author=actor.membership, idempotency_key="k7"))
    with connection.cursor() as c:
        c.execute("DROP INDEX note_author_key_idx")  # as before the fix (the test rolls back)
        c.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        custom = json.loads(qs.explain(format="json"))[0]
    assert "note_idempotency_unique" in index_names(custom)
    assert "note_idempotency_unique" not in index_names(generic_plan(qs))
