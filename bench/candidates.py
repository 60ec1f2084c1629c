"""`bench/run.py --candidates`: issue 11's read-path candidates, each switched off (or the
server changed) one at a time, measured against the default in interleaved rounds.

Every variant is the same code and the same database; it differs from the default in one
thing only: an environment switch (the token cache, psycopg's pipeline mode, server-side
binding with prepared statements) or the server (worker type, workers x threads, Granian).
Per round, each variant in turn (the order rotates each round, so that a slow moment of the
machine does not always fall on the same one) gets a fresh server, a warm-up, the person read
and the search through wrk, and is stopped again. The table gives each variant's figures
over all rounds and its read throughput as a ratio of the default's.

Like run.py, this imports nothing from careweave: the switches are the documented
environment variables (careweave/settings.py).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

KEYS = ("person_api", "search_api")


@dataclass(frozen=True)
class Variant:
    key: str
    what: str
    env: dict[str, str] = field(default_factory=dict)
    server: str = "gunicorn"
    worker_class: str = "gthread"
    workers: int = 4
    threads: int = 4


DEFAULT = Variant("default", "gunicorn gthread 4 workers x 4 threads; token cache, pipeline "
                             "and prepared statements on (what the bench measures elsewhere)")
VARIANTS: tuple[Variant, ...] = (
    DEFAULT,
    Variant("token_cache_off", "token lookups not cached (CAREWEAVE_TOKEN_CACHE_SECONDS=0)",
            env={"CAREWEAVE_TOKEN_CACHE_SECONDS": "0"}),
    Variant("pipeline_off", "no psycopg pipeline mode: one round trip per statement "
                            "(CAREWEAVE_DB_PIPELINE=0)", env={"CAREWEAVE_DB_PIPELINE": "0"}),
    Variant("prepare_off", "client-side binding, nothing prepared (CAREWEAVE_DB_PREPARE=0)",
            env={"CAREWEAVE_DB_PREPARE": "0"}),
    Variant("sync_8", "gunicorn sync workers, 8 processes", worker_class="sync", workers=8,
            threads=1),
    Variant("gthread_2x8", "gunicorn gthread 2 workers x 8 threads", workers=2, threads=8),
    Variant("gthread_8x2", "gunicorn gthread 8 workers x 2 threads", workers=8, threads=2),
    Variant("granian_4x4", "Granian (HTTP in Rust), 4 workers x 4 blocking threads",
            server="granian"),
)


def by_key(keys: str) -> list[Variant]:
    """The variants named (comma-separated), the default always first; all when empty."""
    wanted = [k.strip() for k in keys.split(",") if k.strip()]
    known = {v.key: v for v in VARIANTS}
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise ValueError(f"unknown candidates {', '.join(unknown)} "
                         f"(known: {', '.join(known)})")
    chosen = [known[k] for k in wanted if k != DEFAULT.key]
    return [DEFAULT, *chosen] if wanted else list(VARIANTS)


def order(variants: Sequence[Variant], round_no: int) -> list[Variant]:
    """Round r starts with the r-th variant: each goes first once every len() rounds."""
    n = len(variants)
    return [variants[(round_no + i) % n] for i in range(n)]


def options_for(args: argparse.Namespace, v: Variant) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "server": v.server,
                                 "worker_class": v.worker_class, "workers": v.workers,
                                 "threads": v.threads})


def measure_all(b: Any, args: argparse.Namespace, variants: Sequence[Variant], workdir: Any,
                app: str, measure: Any, scs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{variant key: {scenario key: merged Result}} over ``args.rounds`` rounds."""
    parts: dict[str, dict[str, list[Any]]] = {v.key: {k: [] for k in KEYS} for v in variants}
    seconds = max(1, int(args.round_seconds))
    for round_no in range(args.rounds):
        for v in order(variants, round_no):
            b.log(f"candidates round {round_no + 1}/{args.rounds}: {v.key}")
            server = b.Server(options_for(args, v), audit=True, workdir=workdir, app=app,
                              env=v.env)
            try:
                for key in KEYS:
                    parts[v.key][key].append(measure(server, scs[key], seconds, args.warmup))
            finally:
                with b.shielded():
                    server.stop()
    return {key: {k: b.merge(scs[k], rs) for k, rs in per.items()}
            for key, per in parts.items()}


def table(b: Any, variants: Sequence[Variant], got: dict[str, dict[str, Any]]) -> list[str]:
    base = got[DEFAULT.key]["person_api"].rps or 1.0
    head = ["variant", "what differs from the default", "read req/s", "read p50 / p95 ms",
            "read vs default", "search req/s", "search p50 / p95 ms"]
    rows = []
    for v in variants:
        read, search = got[v.key]["person_api"], got[v.key]["search_api"]
        rows.append([v.key, v.what, f"{read.rps:,.1f}", f"{read.p50:.1f} / {read.p95:.1f}",
                     f"{read.rps / base:.2f}×", f"{search.rps:,.1f}",
                     f"{search.p50:.1f} / {search.p95:.1f}"])
    return list(b.md_table(head, rows))


def environment_note() -> str:
    switches = ("CAREWEAVE_TOKEN_CACHE_SECONDS", "CAREWEAVE_DB_PIPELINE", "CAREWEAVE_DB_PREPARE")
    set_here = [f"{k}={os.environ[k]}" for k in switches if k in os.environ]
    return ("the default's switches are the settings' defaults" if not set_here else
            "set in the bench's own environment (every variant inherits them): "
            + ", ".join(set_here))
