"""Careweave side by side with the GNU Health peer (../shared/peers), for bench/run.py.

The peer's code is never copied into this repository: `gnuhealth.py` and `load.py` are
imported from ROOT.parent/shared/peers at run time. When that folder is absent (or does not
import), `import_peer()` says so and returns None, and bench/run.py runs Careweave's own
scenarios only.

Both sides are driven by the same generator, load.py's closed-loop `run()` (N client threads
on keep-alive connections, each sending its next request as soon as the last one answered),
operation by operation, in interleaved rounds: for each operation, round 1 runs Careweave
then GNU Health, round 2 GNU Health then Careweave, and so on, so that other load on the
machine falls on both alike. Reads and searches run before creates, so that searches on
both sides see the seeded population only.

Careweave is reached only over HTTP (its JSON API with gp.uk's bearer token); nothing here
imports careweave.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT.parent / "shared" / "peers"
OPS = ("read", "search", "create")
SEARCH_SIZE = 20  # the peer's search_read limit (gnuhealth.SEARCH_LIMIT)

# gnuhealth.person()'s gender codes, as Careweave's free-text gender field holds them.
GENDER = {"f": "female", "m": "male", "nb": "non-binary", "u": ""}

# What each side does per request (GNU Health's from gnuhealth.py's docstring).
CAREWEAVE_DOES = (
    "Careweave ({server}, Django, PostgreSQL; JSON API as gp.uk with a bearer "
    "token): every request looks the token up (kept per worker for a few seconds, cleared "
    "by NOTIFY on any change, docs/adr/0013) and goes through the access gate (care team, "
    "consent, break-glass), and inserts an audit row in the same transaction (chained into "
    "its hash chain after commit by the sealer, docs/adr/0012). read = GET "
    "/api/v1/people/<id>, the whole record "
    "(identifiers, network) as JSON; search = GET /api/v1/people?q=<term>&size=20, over "
    "gp.uk's caseload only (care teams + consent rules), a name *contains* match, a keyset "
    "page of 20 in name order; create = POST /api/v1/people with an NHS number: duplicate "
    "checks (the NHS number anywhere; same name and date of birth on the caseload), then "
    "person + identifier + care-team row + audit row in one transaction."
)
GNUHEALTH_DOES = (
    "GNU Health (trytond JSON-RPC under gunicorn, {server}; admin's session): one RPC call "
    "per request, no per-request audit row, no consent rules. read = "
    "model.party.party.read([id], 8 fields); search = model.party.party.search_read("
    "is_person, lastname ILIKE '<term>%', limit 20, ordered by lastname, name), over "
    "*everyone*; create = model.party.party.create([...]): the party, its official person "
    "name and the gnuhealth.patient record."
)


def log(msg: str) -> None:
    print(f"bench: {msg}", flush=True)


def import_peer(where: Path = PEERS) -> tuple[ModuleType, ModuleType] | None:
    """(gnuhealth, load) from ../shared/peers, or None (with a printed reason)."""
    if not ((where / "gnuhealth.py").is_file() and (where / "load.py").is_file()):
        log(f"GNU Health peer: {where} is absent, so the side-by-side comparison is SKIPPED "
            "(Careweave's own scenarios still run)")
        return None
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))
    try:
        import gnuhealth
        import load
    except Exception as exc:  # noqa: BLE001 - any import failure means: no peer this run
        log(f"GNU Health peer: importing {where}/gnuhealth.py failed ({type(exc).__name__}: "
            f"{exc}), so the side-by-side comparison is SKIPPED")
        return None
    return gnuhealth, load


def careweave_person(p: dict[str, Any], nhs: str | None = None) -> dict[str, Any]:
    """gnuhealth.person(i) as a Careweave create body."""
    body: dict[str, Any] = {
        "given_name": p["given"], "family_name": p["family"],
        "birth_date": p["dob"].isoformat() if isinstance(p["dob"], dt.date) else str(p["dob"]),
        "gender": GENDER.get(p["gender"], ""),
    }
    if nhs:
        body["identifiers"] = [{"system": "nhs", "value": nhs}]
    return body


# -- the peer's life cycle ------------------------------------------------------------------


class Peer:
    """The GNU Health peer: brought up by this run (and then taken down by it) or reused."""

    def __init__(self, gnuhealth: ModuleType, load: ModuleType) -> None:
        self.gh = gnuhealth
        self.load = load
        self.state: dict[str, Any] | None = None
        self.started_here = False
        self.rpc: Any = None

    def up(self, *, seed_n: int, workers: int, threads: int) -> dict[str, Any]:
        if self.gh.is_up(self.gh.load_state()):
            log("GNU Health peer: already up, not started by this run: it is used as it is "
                "and left running afterwards")
        else:
            # Set before up(): an interrupt during up() must still lead to down().
            self.started_here = True
            log(f"GNU Health peer: bringing it up with {seed_n:,} people (the first time this "
                "installs gnuhealth from PyPI and seeds: minutes; later a cached copy: seconds)")
        t0 = time.monotonic()
        self.state = self.gh.up(seed_n=seed_n, workers=workers, threads=threads)
        log(f"GNU Health peer: up at {self.state['url']} in {time.monotonic() - t0:.0f}s, "
            f"{self.state.get('population', 0):,} people; {self.state['server']['describe']}")
        return self.state

    def down(self) -> None:
        if self.rpc is not None:
            try:
                self.rpc.logout()
            except Exception:  # noqa: BLE001 - the peer may already be gone
                pass
            self.rpc = None
        if self.started_here:
            self.started_here = False
            self.gh.down()

    @property
    def population(self) -> int:
        return int((self.state or {}).get("population") or 0)

    def ops(self) -> dict[str, Callable[[], None]]:
        """The peer's read/search/create callables (after one checked smoke round)."""
        assert self.state is not None
        gh = self.gh
        self.rpc = gh.GnuHealthRpc(self.state["url"], gh.DB).login()
        person_ids = self.rpc.call("model.party.party.search", [("is_person", "=", True)],
                                   0, None, [["id", "ASC"]])
        # New people are person(i) past the seeded range; a random offset keeps reruns from
        # repeating names (as gnuhealth.bench() does).
        start = int(self.state.get("seed") or 0) + random.randrange(1, 10**9)
        sm = gh.smoke(self.rpc, start)
        log(f"GNU Health peer: smoke ok (person {sm['person']} -> patient {sm['patient']}); "
            f"{len(person_ids):,} people to read")
        ops: dict[str, Callable[[], None]] = gh.make_ops(self.rpc, person_ids, start + 1)
        return ops


# -- Careweave's side -----------------------------------------------------------------------


def load_population(load: ModuleType, gnuhealth: ModuleType, base_url: str, token: str,
                    count: int, clients: int) -> tuple[list[str], dict[str, Any]]:
    """Create gnuhealth.person(0..count-1) in Careweave through POST /api/v1/people as gp.uk.

    Through the API rather than the database, so that each person gets exactly what a
    create gives them (gp.uk's organisation on the care team, registered by it, an audit
    row) and nothing here depends on Careweave's tables. A 409 for "same name and date of
    birth on your caseload" is answered with confirm_similar, as a user would after checking.
    Returns the new people's ids and load.run's figures (rps = people per second).
    """
    auth = {"Authorization": token}
    counter = itertools.count(0)
    ids: list[str] = []
    lock = threading.Lock()

    def create() -> None:
        body = careweave_person(gnuhealth.person(next(counter)))
        client = load.client(base_url)
        st, _h, obj = client.json("POST", "/api/v1/people", body, headers=auth)
        if st == 409 and isinstance(obj, dict) and (obj.get("confirmable") or obj.get("similar")):
            body["confirm_similar"] = True
            st, _h, obj = client.json("POST", "/api/v1/people", body, headers=auth)
        if st != 201 or not isinstance(obj, dict) or "id" not in obj:
            raise RuntimeError(f"POST /api/v1/people: HTTP {st} {str(obj)[:200]}")
        with lock:
            ids.append(str(obj["id"]))

    stats = load.run(create, concurrency=clients, seconds=6 * 3600, max_requests=count)
    return ids, stats


def careweave_ops(load: ModuleType, gnuhealth: ModuleType, base_url: str, token: str,
                  read_ids: list[str], nhs: Callable[[], str],
                  seed: int = 3) -> dict[str, Callable[[], None]]:
    """Careweave's read/search/create as zero-argument callables for load.run."""
    auth = {"Authorization": token}
    rng = random.Random(seed)
    terms = gnuhealth.search_terms()
    # New people: person(i) far past the loaded population, a fresh offset each run.
    counter = itertools.count(10**9 + random.randrange(10**9))

    def read() -> None:
        pid = rng.choice(read_ids)
        st, _h, obj = load.client(base_url).json("GET", f"/api/v1/people/{pid}", headers=auth)
        if st != 200 or not isinstance(obj, dict) or str(obj.get("id")) != pid:
            raise RuntimeError(f"read {pid}: HTTP {st} {str(obj)[:200]}")

    def search() -> None:
        q = rng.choice(terms)
        st, _h, obj = load.client(base_url).json(
            "GET", f"/api/v1/people?q={quote(q)}&size={SEARCH_SIZE}", headers=auth)
        if st != 200 or not isinstance(obj, dict) or not isinstance(obj.get("items"), list):
            raise RuntimeError(f"search {q}: HTTP {st} {str(obj)[:200]}")

    def create() -> None:
        body = careweave_person(gnuhealth.person(next(counter)), nhs())
        st, _h, obj = load.client(base_url).json("POST", "/api/v1/people", body, headers=auth)
        if st != 201:
            raise RuntimeError(f"create: HTTP {st} {str(obj)[:200]}")

    return {"read": read, "search": search, "create": create}


HITS_CAP = 1000  # matches counted per term on Careweave (pages of 100 over the API)


def search_hits(load: ModuleType, gnuhealth: ModuleType, base_url: str, token: str,
                rpc: Any) -> tuple[float, float]:
    """Mean number of matches per search term on each side (Careweave's counted up to
    HITS_CAP by paging through the API, which has no count)."""
    cw, ghn = [], []
    for term in gnuhealth.search_terms():
        n, cursor = 0, ""
        while n < HITS_CAP:
            path = f"/api/v1/people?q={quote(term)}&size=100" + (
                f"&cursor={quote(cursor)}" if cursor else "")
            st, _h, obj = load.client(base_url).json("GET", path, headers={"Authorization": token})
            if st != 200 or not isinstance(obj, dict):
                break
            n += len(obj.get("items") or [])
            cursor = obj.get("next_cursor") or ""
            if not cursor:
                break
        cw.append(min(n, HITS_CAP))
        if rpc is not None:
            ghn.append(rpc.call("model.party.party.search_count",
                                [("is_person", "=", True), ("lastname", "ilike", term + "%")]))
    return (sum(cw) / len(cw) if cw else 0.0), (sum(ghn) / len(ghn) if ghn else 0.0)


# -- interleaved rounds ----------------------------------------------------------------------


@dataclass
class Merged:
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    samples: list[str] = field(default_factory=list)
    rounds: list[float] = field(default_factory=list)  # req/s of each round

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def merge(parts: list[dict[str, Any]]) -> Merged:
    """Rounds of one operation on one side as one figure: req/s over the total time,
    percentiles as request-weighted means of the rounds' (load.run keeps no raw latencies)."""
    m = Merged()
    for r in parts:
        m.requests += int(r["requests"])
        m.seconds += float(r["seconds"])
        m.errors += int(r["errors"])
        m.rounds.append(float(r["rps"]))
        m.samples += r.get("error_samples") or []
    if m.requests:
        for key in ("p50", "p95", "p99"):
            setattr(m, key, sum((r[key] or 0.0) * r["requests"] for r in parts) / m.requests)
    return m


def interleave(load: ModuleType, sides: dict[str, dict[str, Callable[[], None]]],
               *, ops: tuple[str, ...] = OPS, rounds: int, seconds: float, warmup: float,
               clients: int) -> dict[tuple[str, str], Merged]:
    names = list(sides)
    parts: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for op in ops:
        if warmup > 0:
            for name in names:  # prime connections and caches, unrecorded
                load.run(sides[name][op], concurrency=clients, seconds=warmup)
        for n in range(rounds):
            order = names if n % 2 == 0 else names[::-1]
            for name in order:
                before = os.getloadavg()[0]
                r = load.run(sides[name][op], concurrency=clients, seconds=seconds)
                parts.setdefault((name, op), []).append(r)
                log(f"side by side {op} round {n + 1}/{rounds} {name}: {r['rps']:,.0f}/s, "
                    f"p50 {r['p50'] or 0:.1f} ms, p95 {r['p95'] or 0:.1f} ms, errors "
                    f"{r['errors']}" + (f" e.g. {r['error_samples'][0]}" if r["error_samples"]
                                        else "") + f" (load before {before:.2f})")
    return {key: merge(got) for key, got in parts.items()}


# -- the table ----------------------------------------------------------------------------------


@dataclass
class Goal:
    ratio: float
    p50_ms: float | None = None
    p95_ms: float | None = None

    def describe(self) -> str:
        parts = [f"≥ {self.ratio:g}× GNU Health"]
        if self.p50_ms is not None:
            parts.append(f"p50 ≤ {self.p50_ms:g} ms")
        if self.p95_ms is not None:
            parts.append(f"p95 ≤ {self.p95_ms:g} ms")
        return ", ".join(parts)

    def met(self, cw: Merged, gh: Merged) -> str:
        if not cw.requests or not gh.requests:
            return "n/a"
        if cw.errors > max(5, cw.requests // 100):
            return "ERRORS"
        ok = cw.rps >= self.ratio * gh.rps
        if self.p50_ms is not None:
            ok = ok and (cw.p50 or 0.0) <= self.p50_ms
        if self.p95_ms is not None:
            ok = ok and (cw.p95 or 0.0) <= self.p95_ms
        return "yes" if ok else "NO"


# Issue 11's targets for the side-by-side operations.
GOALS = {
    "read": Goal(ratio=3, p95_ms=50),
    "search": Goal(ratio=2, p50_ms=20, p95_ms=100),
    "create": Goal(ratio=2),
}
TITLES = {
    "read": "read one person",
    "search": "search by surname (page of 20)",
    "create": "create a person",
}


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def render(results: dict[tuple[str, str], Merged], *, notes: list[str], server: str,
           careweave_server: str = "gunicorn gthread") -> str:
    head = ["operation", "Careweave req/s", "p50 ms", "p95 ms", "GNU Health req/s", "p50 ms",
            "p95 ms", "ratio", "errors CW / GH", "target", "met?"]
    rows = []
    for op in OPS:
        cw, gh = results.get(("Careweave", op)), results.get(("GNU Health", op))
        if cw is None or gh is None:
            continue
        ratio = f"{cw.rps / gh.rps:.2f}×" if gh.rps else "—"
        rows.append([TITLES[op], f"{cw.rps:,.1f}", _ms(cw.p50), _ms(cw.p95), f"{gh.rps:,.1f}",
                     _ms(gh.p50), _ms(gh.p95), ratio, f"{cw.errors} / {gh.errors}",
                     GOALS[op].describe(), GOALS[op].met(cw, gh)])
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    out += ["", "What each side does per request:", "", f"- {CAREWEAVE_DOES.format(server=careweave_server)}",
            f"- {GNUHEALTH_DOES.format(server=server)}", "", *notes]
    errors = [(k, m.samples[0]) for k, m in results.items() if m.samples]
    if errors:
        out += ["", "First error of each kind:"] + [f"- {side} {op}: {s}"
                                                    for (side, op), s in errors]
    return "\n".join(out)
