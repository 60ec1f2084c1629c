"""The caseload's name search on PostgreSQL, under both the custom plan (the first
executions) and the generic plan psycopg's prepared statement gets later.

Its first part, the family names that start with the first word, is a range of the
(organisation, sort key, person) index read in page order. Its second part, the other
matches, finds them all first (the trigram index at scale; at test size PostgreSQL may
rather filter the organisation's few rows), then sorts them: never a walk of the caseload in
name order that tests each row until a page is full, which read 40,168 rows for "smith" at
100,000 people (bench/README.md)."""

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


def search_statements(actor: Any, q: str, language: str) -> list[tuple[str, list[Any]]]:
    """The statements caseload() sends for a name search (the family-name part, then the
    other matches when the first part does not fill the page), with their parameters."""
    seen: list[tuple[str, list[Any]]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "access_sharing" in sql and "JOIN" in sql:
            seen.append((sql, list(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        caseload(actor=actor, q=q, size=20, audit=False, language=language)
    assert 1 <= len(seen) <= 2, seen
    return seen


def plan_of(sql: str, params: list[Any], mode: str) -> dict[str, Any]:
    with connection.cursor() as c:
        c.execute(f"SET LOCAL plan_cache_mode = {mode}")
        c.execute(f"PREPARE cw_search AS {_placeholders(sql)}")
        c.execute("EXPLAIN (FORMAT JSON) EXECUTE cw_search("
                  + ", ".join(_literal(p) for p in params) + ")")
        (raw,) = c.fetchone()
        c.execute("DEALLOCATE cw_search")
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]


def range_reads(sharing: list[dict[str, Any]]) -> list[str]:
    """The indexes the sharing scans read, each bounded above and below by the family-name
    range. At scale PostgreSQL reads the range in page order and stops after a page (21
    rows, bench/README.md); at test size, where the range holds a few rows, it may rather
    take them all and sort them. Either way it reads the range and no more."""
    out = []
    for node in sharing:
        probes = [node] if "Index Name" in node else [
            child for child in node.get("Plans", []) if "Index Name" in child]
        for probe in probes:
            cond = probe.get("Index Cond", "")
            if ">=" in cond and "<" in cond.replace("<=", ""):
                out.append(probe["Index Name"])
            else:
                out.append(f"{probe['Index Name']} without the range: {cond}")
    return out


TERMS = ["smith", "wright", "begum", "ek", "ö", "smith ek", "ek smith"]


def test_a_name_search_reads_family_names_in_order_then_finds_the_rest(actor_for: Any) -> None:
    # Enough seeded people that a walk of the caseload and an index probe cost apart.
    seed_people(people=2000, seed=5, batch=1000, log=lambda _m: None)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    actor = actor_for("gp.uk")
    parts = {"family": 0, "matches": 0}
    for language, index in (("en", "sharing_caseload_idx"), ("sv", "sharing_caseload_sv_idx")):
        for q in TERMS:
            for sql, params in search_statements(actor, q, language):
                part = "matches" if "MATERIALIZED" in sql else "family"
                parts[part] += 1
                for mode in ("force_custom_plan", "force_generic_plan"):
                    plan = plan_of(sql, params, mode)
                    shape = f"{q!r} {language} {part}, {mode}:\n" + json.dumps(plan, indent=1)[:3000]
                    sharing = [n for n in nodes(plan) if n.get("Relation Name") == "access_sharing"]
                    assert sharing, shape
                    if part == "family":  # the range of the family names, nothing more
                        assert range_reads(sharing) == [index], shape
                        continue
                    walks = [n for n in sharing
                             if n.get("Index Name", "").startswith("sharing_caseload")]
                    assert not walks, shape  # no walk in name order
                    assert all(n["Node Type"] in ("Bitmap Heap Scan", "Seq Scan")
                               for n in sharing), shape
                    assert any(n.get("Subplan Name") == "CTE m" for n in nodes(plan)), shape
    assert parts["family"] and parts["matches"], parts
