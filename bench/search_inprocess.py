"""The caseload's name search, in process, one thread, against a seeded database.

    PG_DURABLE=1 scripts/pg-test.sh bash -c 'uv run --frozen careweave migrate &&
        uv run --frozen careweave seed --people 100000 --jobs 2 &&
        SECRET_KEY=x uv run --frozen python bench/search_inprocess.py'

Calls ``people.selectors.caseload(actor=<gp.uk>, q=term, size=20)`` (what the search API
and page call; not audited here, so that the database does not grow between runs) for
three kinds of term, each over gp.uk's caseload:

- **family**: the most common family names on the caseload, whole ("smith"): the page is
  the range of family names that start with the word;
- **prefix**: the first three letters of other common family names ("tho"): the same,
  over a wider range;
- **inner**: three letters from inside names ("son", "ers"): few family names start with
  them, so the page is the other matches, from the trigram index.

Per kind: the median, mean and 95th percentile of the calls' wall time, the statements a
call sent, and how many calls' pages came from each part. No timings are asserted; the
figures go to bench/README.md. Runs on any tree that has ``caseload`` (to compare a change
with the tree before it: PYTHONPATH=<other tree> with the same database).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careweave.settings")

INNER = ["son", "ers", "ell", "and", "ham", "ber", "ton", "ins"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=15, help="timed calls per term (15)")
    p.add_argument("--terms", type=int, default=8, help="family names and prefixes (8 each)")
    p.add_argument("--language", default="en", choices=["en", "sv"])
    p.add_argument("--user", default="gp.uk")
    args = p.parse_args()
    if args.runs < 1 or args.terms < 1:
        print("search_inprocess: --runs and --terms must be at least 1", file=sys.stderr)
        return 1

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from careweave.core.context import Actor
    from careweave.orgs.models import Membership
    from careweave.people.selectors import caseload

    user = get_user_model().objects.filter(username=args.user).first()
    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    if user is None or membership is None:
        print(f"search_inprocess: no user {args.user!r} with a membership (seed first)",
              file=sys.stderr)
        return 1
    actor = Actor(user=user, membership=membership)
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM access_sharing WHERE organisation_id = %s",
                  [membership.organisation_id])
        (caseload_rows,) = c.fetchone()
        c.execute("SELECT lower(p.family_name), count(*) FROM access_sharing s "
                  "JOIN people_person p ON p.id = s.person_id WHERE s.organisation_id = %s "
                  "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %s",
                  [membership.organisation_id, args.terms * 2])
        common = [(name, n) for name, n in c.fetchall()]
    family = [name for name, _n in common[:args.terms]]
    prefixes = sorted({name[:3] for name, _n in common[args.terms:]} - {f[:3] for f in family})
    kinds = {"family": family, "prefix": prefixes, "inner": INNER}
    print(f"{args.user}: {caseload_rows:,} sharing rows; most common family names: "
          + ", ".join(f"{name} ({n:,})" for name, n in common[:args.terms]))

    statements = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    print("\n| kind | terms | calls | median ms | mean ms | p95 ms | statements per call |")
    print("|---|---|---|---|---|---|---|")
    for kind, terms in kinds.items():
        times: list[float] = []
        statements = 0
        calls = 0
        for term in terms:
            caseload(actor=actor, q=term, size=20, audit=False, language=args.language)
            with connection.execute_wrapper(count):
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    page = caseload(actor=actor, q=term, size=20, audit=False,
                                    language=args.language)
                    times.append((time.perf_counter() - t0) * 1000)
                    calls += 1
            assert page.items or kind == "inner", term
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"| {kind} | {', '.join(terms)} | {calls} | {statistics.median(times):.2f} | "
              f"{statistics.fmean(times):.2f} | {p95:.2f} | {statements / calls:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
