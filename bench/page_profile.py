"""Where the CPU of one person page goes (GET /people/<id>/), in process, one thread.

    CAREWEAVE_TEST=1 scripts/pg-test.sh bash -c \\
        'env -u CAREWEAVE_TEST uv run --frozen python bench/page_profile.py'
    uv run --frozen python bench/page_profile.py            # SQLite in a temporary file

Like bench/audit_inprocess.py: migrates the (throwaway) database named by DATABASE_URL (a
temporary SQLite file without it), loads the demo (``careweave.demo.loader.load_demo``:
every app's demo step, so Arthur Penrose has a care team, consents, a warning, notes,
medicines, a plan and assessments), logs gp.uk in with Django's test client
(``force_login``, a real session), warms up and then reads Arthur's page N times. DEBUG is
off (the cached template loader, no query log). It prints:

- wall ms and CPU ms per page, SQL statements per page (without the profiler);
- Python calls per page and the top functions by cumulative and by own time (cProfile);
- own time per group: template rendering, ORM / SQL compile, database driver, i18n and
  formatting, middleware and sessions, Careweave's own code, the rest.

No timings are asserted; bench/README.md records what the figures were.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careweave.settings")
# DEBUG off, plain http on loopback (the bench's gunicorn settings), the test client's host.
os.environ.pop("CAREWEAVE_DEBUG", None)
os.environ.pop("CAREWEAVE_TEST", None)
os.environ.setdefault("CAREWEAVE_INSECURE_HTTP", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")

# Where a function's own time is counted, by the file it is in (first match wins).
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("template rendering", ("django/template/", "django/templatetags/", "/templatetags/")),
    ("i18n and formatting", ("django/utils/translation", "django/utils/formats",
                             "django/utils/dateformat", "django/utils/numberformat",
                             "gettext.py", "django/utils/functional")),
    ("ORM / SQL compile", ("django/db/models/", "django/db/backends/base/",
                           "django/db/backends/utils", "django/db/utils",
                           "django/db/backends/postgresql", "django/db/backends/sqlite3",
                           "django/db/transaction", "django/db/__init__")),
    ("database driver", ("psycopg/", "psycopg_c", "psycopg_pool", "sqlite3/")),
    ("middleware, sessions, auth", ("django/middleware/", "django/contrib/sessions",
                                    "django/contrib/auth", "django/contrib/messages",
                                    "django_otp", "django_htmx", "whitenoise",
                                    "/middleware.py", "django/core/signing",
                                    "django/core/handlers", "django/http/")),
    ("test client", ("django/test/",)),
    ("Careweave's code", ("careweave/",)),
]


def group_of(filename: str) -> str:
    if filename.startswith("~") or filename == "<built-in>":
        return "builtins (C)"
    for name, parts in GROUPS:
        if any(p in filename for p in parts):
            return name
    return "rest (stdlib, other libraries)"


def short(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename.startswith("~"):
        return name
    for marker in ("site-packages/", "/careweave/", "/lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            if marker == "/careweave/":
                filename = "careweave/" + filename
            break
    return f"{filename}:{line}({name})"


def table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    out = [head, ["-" * w for w in widths], *rows]
    return "\n".join("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))
                     + " |" for r in out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--pages", type=int, default=300, help="pages measured (300)")
    p.add_argument("--warmup", type=int, default=30, help="pages before measuring (30)")
    p.add_argument("--user", default="gp.uk", help="who reads the page (gp.uk)")
    p.add_argument("--top", type=int, default=25, help="functions in each top list (25)")
    p.add_argument("--no-seed", action="store_true",
                   help="the database is migrated and has the demo already")
    p.add_argument("--save", metavar="FILE", help="also write the cProfile stats to FILE")
    args = p.parse_args()

    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="page_profile.")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/careweave.sqlite3"

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from careweave.demo.loader import load_demo
    from careweave.people.models import Person

    assert not settings.DEBUG, "DEBUG must be off for the profile"
    if not args.no_seed:
        call_command("migrate", verbosity=0, interactive=False)
        load_demo(reset=True, log=lambda _m: None)
    person = Person.objects.get(given_name="Arthur", family_name="Penrose")
    client = Client()
    client.force_login(get_user_model().objects.get(username=args.user))
    path = f"/people/{person.pk}/"

    def page() -> None:
        response = client.get(path)
        assert response.status_code == 200, response.status_code

    counted = [0]

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool,
              context: dict[str, Any]) -> Any:
        counted[0] += 1
        return execute(sql, params, many, context)

    for _ in range(args.warmup):
        page()

    # 1. Plain: wall, CPU, statements (no profiler).
    with connection.execute_wrapper(count):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(args.pages):
            page()
        wall = (time.perf_counter() - wall0) / args.pages * 1000
        cpu = (time.process_time() - cpu0) / args.pages * 1000
    statements = counted[0] / args.pages
    size = len(client.get(path).content)

    # 2. Profiled.
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.pages):
        page()
    profiler.disable()
    if args.save:
        profiler.dump_stats(args.save)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    calls = sum(nc for (_cc, nc, _tt, _ct, _callers) in raw.values()) / args.pages
    total_own = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values())

    vendor = connection.vendor
    print(f"GET /people/<id>/ as {args.user} on {vendor}, {args.pages} pages after "
          f"{args.warmup} warm-up, DEBUG off, {size:,} bytes of HTML")
    print(table(["wall ms/page", "CPU ms/page", "SQL statements/page", "Python calls/page",
                 "profiled ms/page"],
                [[f"{wall:.2f}", f"{cpu:.2f}", f"{statements:.1f}", f"{calls:,.0f}",
                  f"{total_own / args.pages * 1000:.2f}"]]))

    by_group: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for func, (_cc, nc, tt, _ct, _callers) in raw.items():
        g = by_group[group_of(func[0])]
        g[0] += tt
        g[1] += nc
    print("\nOwn time by group (cProfile; C builtins are counted on their own):")
    rows = [[name, f"{tt / args.pages * 1000:.2f}", f"{tt / total_own * 100:.0f}%",
             f"{nc / args.pages:,.0f}"]
            for name, (tt, nc) in sorted(by_group.items(), key=lambda kv: -kv[1][0])]
    print(table(["group", "own ms/page", "share", "calls/page"], rows))

    def top(key: int, title: str) -> None:
        items = sorted(raw.items(), key=lambda kv: -kv[1][key])[:args.top]
        rows = [[short(func), group_of(func[0]), f"{nc / args.pages:,.0f}",
                 f"{tt / args.pages * 1000:.3f}", f"{ct / args.pages * 1000:.3f}"]
                for func, (_cc, nc, tt, ct, _callers) in items]
        print(f"\nTop {args.top} by {title}:")
        print(table(["function", "group", "calls/page", "own ms/page", "cumulative ms/page"],
                    rows))

    top(3, "cumulative time")
    top(2, "own time")

    # 3. Which templates are rendered how often on one page (includes in loops show here).
    from django.template.base import Template

    rendered: dict[str, int] = defaultdict(int)
    original = Template._render  # type: ignore[attr-defined]

    def counting(self: Template, context: Any) -> Any:
        rendered[str(self.origin.template_name or self.name or "?")] += 1
        return original(self, context)

    Template._render = counting  # type: ignore[attr-defined]
    try:
        page()
    finally:
        Template._render = original  # type: ignore[attr-defined]
    print(f"\nTemplates rendered for one page: {sum(rendered.values())}")
    print(table(["template", "renders"],
                [[str(k), str(v)] for k, v in sorted(rendered.items(), key=lambda kv: -kv[1])]))

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
