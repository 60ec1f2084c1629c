"""The caseload's name search on PostgreSQL, under both the custom plan (the first
executions) and the generic plan psycopg's prepared statement gets later: the matches are
found first (the trigram index at scale; at test size PostgreSQL may rather filter the
organisation's few rows), then sorted. Never a walk of the caseload in name order that
tests each row until a page is full, which read 40,168 rows for "smith" at 100,000 people
(bench/README.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from careweave.people.selectors import caseload
from careweave.seed.generator import seed_people
from tests.test_generic_plans import _literal, _placeholders, nodes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="plans are PostgreSQL's; SQLite has no trigram index"),
]


def search_statement(actor: Any, q: str) -> tuple[str, list[Any]]:
    """The statement caseload() sends for a name search, with its parameters."""
    seen: list[tuple[str, list[Any]]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "access_sharing" in sql and "search_name LIKE" in sql:
            seen.append((sql, list(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        caseload(actor=actor, q=q, size=20, audit=False)
    assert len(seen) == 1, seen
    return seen[0]


def plan_of(sql: str, params: list[Any], mode: str) -> dict[str, Any]:
    with connection.cursor() as c:
        c.execute(f"SET LOCAL plan_cache_mode = {mode}")
        c.execute(f"PREPARE cw_search AS {_placeholders(sql)}")
        c.execute("EXPLAIN (FORMAT JSON) EXECUTE cw_search("
                  + ", ".join(_literal(p) for p in params) + ")")
        (raw,) = c.fetchone()
        c.execute("DEALLOCATE cw_search")
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]


TERMS = ["smith", "wright", "begum", "ek", "ö", "smith ek"]


def test_a_name_search_finds_its_matches_before_it_sorts(actor_for: Any) -> None:
    # Enough seeded people that a walk of the caseload and an index probe cost apart.
    seed_people(people=2000, seed=5, batch=1000, log=lambda _m: None)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    actor = actor_for("gp.uk")
    for q in TERMS:
        sql, params = search_statement(actor, q)
        for mode in ("force_custom_plan", "force_generic_plan"):
            plan = plan_of(sql, params, mode)
            shape = f"{q!r}, {mode}:\n" + json.dumps(plan, indent=1)[:3000]
            sharing = [n for n in nodes(plan) if n.get("Relation Name") == "access_sharing"]
            assert sharing, shape
            walks = [n for n in sharing
                     if n.get("Index Name", "").startswith("sharing_caseload")]
            assert not walks, shape  # no walk in name order
            assert all(n["Node Type"] in ("Bitmap Heap Scan", "Seq Scan") for n in sharing), shape
            assert any(n.get("Subplan Name") == "CTE m" for n in nodes(plan)), shape

