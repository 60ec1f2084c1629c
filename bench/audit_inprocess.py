"""The audit's cost per person read, in process, one thread (docs/adr/0012).

    CAREWEAVE_TEST=1 scripts/pg-test.sh uv run --frozen python bench/audit_inprocess.py

Migrates the (throwaway) database, loads the demo, makes a bearer token for gp.uk and reads
one person through GET /api/v1/people/<id> with Django's test client, in rounds that
alternate the modes: audit off, audit chained in the request (CAREWEAVE_AUDIT_SEAL=request,
what main did before docs/adr/0012) and audit sealed after commit (the default), the last
with the token cache off and on (careweave/access/tokencache.py). Per request it reports the SQL
statements, wall time, this process's CPU time and the database backend's CPU time (read
from /proc: PostgreSQL runs on this machine). After each after-commit round it seals that
round's events and reports the sealer's cost per event the same way.

On a tree without sealing (main), the modes are off and on. No timings are asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careweave.settings")


@dataclass
class Tally:
    requests: int = 0
    statements: int = 0
    wall: list[float] = field(default_factory=list)  # seconds per round / requests
    cpu: float = 0.0
    db_cpu: float = 0.0

    def row(self, name: str) -> list[str]:
        n = max(self.requests, 1)
        per = [w * 1000 for w in self.wall]
        spread = f" (rounds {min(per):.2f}-{max(per):.2f})" if len(per) > 1 else ""
        return [name, f"{self.requests}", f"{self.statements / n:.2f}",
                f"{statistics.median(per) if per else 0:.3f}{spread}",
                f"{self.cpu / n * 1000:.3f}", f"{self.db_cpu / n * 1000:.3f}"]


def backend_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (the PostgreSQL backend), 0 if unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=500, help="requests per mode (500)")
    p.add_argument("--rounds", type=int, default=5, help="rounds the requests are split in (5)")
    args = p.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from careweave.access.services import token_create
    from careweave.demo.loader import load_demo
    from careweave.orgs.models import Membership
    from careweave.people.models import Person

    try:
        from careweave.audit.services import audit_seal
    except ImportError:  # main: chained in the request only
        audit_seal = None

    if connection.vendor != "postgresql":
        print("needs PostgreSQL (scripts/pg-test.sh)", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0, interactive=False)
    load_demo(reset=True, log=lambda _m: None)
    if audit_seal is not None:
        audit_seal()
    membership = Membership.objects.select_related("organisation").filter(
        user__username="gp.uk").order_by("organisation__name").first()
    assert membership is not None
    _token, raw = token_create(membership=membership, name="inprocess")
    person = Person.objects.get(given_name="Arthur", family_name="Penrose")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    path = f"/api/v1/people/{person.pk}"

    counted = [0]

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool,
              context: dict[str, Any]) -> Any:
        counted[0] += 1
        return execute(sql, params, many, context)

    base = dict(settings.CAREWEAVE)
    modes: dict[str, dict[str, Any]] = {"audit off": {"AUDIT_ENABLED": False}}
    if audit_seal is None:
        modes["audit on (main: chained in the request)"] = {}
    else:
        modes["chained in the request (CAREWEAVE_AUDIT_SEAL=request)"] = {
            "AUDIT_SEAL_IN_REQUEST": True}
        modes["sealed after commit, token cache off"] = {"AUDIT_SEAL_IN_REQUEST": False,
                                                         "TOKEN_CACHE_SECONDS": 0}
        modes["sealed after commit, token cache on (the default)"] = {
            "AUDIT_SEAL_IN_REQUEST": False, "TOKEN_CACHE_SECONDS": 10}
    tallies = {name: Tally() for name in modes}
    sealing = Tally()

    def read(n: int) -> None:
        for _ in range(n):
            response = client.get(path)
            assert response.status_code == 200, response.status_code

    def switch(overrides: dict[str, Any]) -> None:
        settings.CAREWEAVE = {**base, **overrides}
        if overrides.get("TOKEN_CACHE_SECONDS"):
            from careweave.access import tokencache

            assert tokencache.wait_until_listening(), "the token cache's listener"

    for overrides in modes.values():  # warm up every path (and the prepared statements)
        switch(overrides)
        read(50)
    if audit_seal is not None:
        audit_seal()
    pid = connection.connection.info.backend_pid
    per_round = max(1, args.requests // args.rounds)
    with connection.execute_wrapper(count):
        for _round in range(args.rounds):
            for name, overrides in modes.items():
                switch(overrides)
                t = tallies[name]
                counted[0] = 0
                db0, cpu0, wall0 = backend_cpu(pid), time.process_time(), time.perf_counter()
                read(per_round)
                wall = time.perf_counter() - wall0
                t.cpu += time.process_time() - cpu0
                t.db_cpu += backend_cpu(pid) - db0
                t.wall.append(wall / per_round)
                t.statements += counted[0]
                t.requests += per_round
                assert connection.connection.info.backend_pid == pid  # one connection
                if audit_seal is not None and not overrides.get("AUDIT_SEAL_IN_REQUEST", True):
                    counted[0] = 0
                    db0, cpu0, wall0 = backend_cpu(pid), time.process_time(), \
                        time.perf_counter()
                    n = audit_seal()
                    sealing.wall.append((time.perf_counter() - wall0) / max(n, 1))
                    sealing.cpu += time.process_time() - cpu0
                    sealing.db_cpu += backend_cpu(pid) - db0
                    sealing.statements += counted[0]
                    sealing.requests += n
    settings.CAREWEAVE = base
    from careweave.access import tokencache

    tokencache.stop()

    head = ["mode", "requests", "statements/request", "wall ms/request (median of rounds)",
            "CPU ms/request (Python)", "CPU ms/request (PostgreSQL backend)"]
    rows = [t.row(name) for name, t in tallies.items()]
    if sealing.requests:
        rows.append(sealing.row("the sealer, per event (audit_seal after each round)"))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{args.requests} requests per mode in {args.rounds} alternating rounds; "
          f"GET {path.replace(str(person.pk), '<id>')}, bearer token, one thread; "
          f"load average {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
