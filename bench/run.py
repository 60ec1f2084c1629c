"""Careweave benchmark: `make bench` (or `python bench/run.py --people 20000` for a quick one).

What it does, end to end, on this machine:

1. Starts a throwaway PostgreSQL 15 (scripts/pg-test.sh) and re-runs itself inside it
   with --inner; everything below happens in there, and the server is removed at the end.
2. Migrates and seeds N synthetic people (`careweave seed --people N`, default 100,000).
3. Prepares: an API token for gp.uk (Riverside Surgery, the largest caseload), a sample of
   people gp.uk may see, search terms, and unique people to create.
4. Starts gunicorn (gthread, 4 workers x 4 threads) with production settings (DEBUG off,
   a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1; CAREWEAVE_INSECURE_HTTP=1 because it is
   plain http on loopback), logs gp.uk in through the real login form (a pool of sessions).
5. Drives each scenario with wrk (16 connections, a Lua script replaying request lines;
   a Python thread-based generator if wrk is missing), then runs the person read again
   against a second gunicorn started with CAREWEAVE_BENCH_AUDIT_OFF=1.
6. Prints the table (and writes it to bench/results/latest.md, which is gitignored).

Only loopback addresses are used; every run is bounded in time. Figures depend on what
else the machine is doing: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
HOST = "127.0.0.1"
USERNAME = "gp.uk"
STATIC_ROOT = Path(tempfile.gettempdir()) / "careweave-bench-static"


# -- options --------------------------------------------------------------------------------


def parse(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--people", type=int, default=100_000, help="people to seed (100000)")
    p.add_argument("--seed", type=int, default=1, help="random seed for careweave seed")
    p.add_argument("--duration", type=int, default=20, help="seconds per scenario (20)")
    p.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per scenario (3)")
    p.add_argument("--clients", type=int, default=16, help="concurrent connections (16)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    p.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (4)")
    p.add_argument("--only", default="", help="comma-separated scenario keys to run")
    p.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    p.add_argument("--out", default=str(RESULTS / "latest.md"), help="results file")
    p.add_argument("--inner", action="store_true",
                   help="DATABASE_URL already points at an empty PostgreSQL: run there")
    args = p.parse_args(argv)
    if not 1 <= args.people <= 1_000_000:
        p.error("--people must be between 1 and 1,000,000")
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60:
        p.error("--duration must be 1..600 and --warmup 0..60 seconds")
    if not 1 <= args.clients <= 256 or not 1 <= args.workers <= 32 or not 1 <= args.threads <= 32:
        p.error("--clients 1..256, --workers 1..32, --threads 1..32")
    return args


def log(msg: str) -> None:
    print(f"bench: {msg}", flush=True)


# -- scenarios and targets -------------------------------------------------------------------


@dataclass
class Target:
    p50_ms: float | None = None
    p95_ms: float | None = None
    min_rps: float | None = None

    def describe(self) -> str:
        parts = []
        if self.p50_ms is not None:
            parts.append(f"p50 ≤ {self.p50_ms:g} ms")
        if self.p95_ms is not None:
            parts.append(f"p95 ≤ {self.p95_ms:g} ms")
        if self.min_rps is not None:
            parts.append(f"≥ {self.min_rps:g}/s")
        return ", ".join(parts) or "—"


@dataclass
class Scenario:
    key: str
    title: str
    items: list[str]  # METHOD\tPATH[\tBODY]
    auth: str = ""  # "token" or "session"
    target: Target = field(default_factory=Target)
    audit_off: bool = False
    expect: tuple[int, ...] = (200,)


@dataclass
class Result:
    scenario: Scenario
    requests: int = 0
    seconds: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    bad: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def met(self) -> str:
        if self.note:
            return "n/a"
        if self.requests == 0 or self.bad > max(5, self.requests // 100):
            return "ERRORS"
        t = self.scenario.target
        checks = []
        if t.p50_ms is not None:
            checks.append(self.p50 <= t.p50_ms)
        if t.p95_ms is not None:
            checks.append(self.p95 <= t.p95_ms)
        if t.min_rps is not None:
            checks.append(self.rps >= t.min_rps)
        if not checks:
            return "—"
        return "yes" if all(checks) else "NO"


# -- the outer run: a throwaway PostgreSQL ----------------------------------------------------


def outer(argv: Sequence[str]) -> int:
    pg = ROOT / "scripts" / "pg-test.sh"
    cmd = [str(pg), sys.executable, str(Path(__file__).resolve()), "--inner", *argv]
    log("starting a throwaway PostgreSQL 15 (scripts/pg-test.sh)")
    return subprocess.call(cmd, cwd=ROOT)


# -- the inner run ----------------------------------------------------------------------------


def server_env(*, audit: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"CAREWEAVE_DEBUG", "CAREWEAVE_TEST", "CAREWEAVE_BENCH_AUDIT_OFF"}}
    env.update(
        DJANGO_SETTINGS_MODULE="careweave.settings",
        SECRET_KEY=os.environ["SECRET_KEY"],
        CAREWEAVE_INSECURE_HTTP="1",
        ALLOWED_HOSTS=HOST,
        CAREWEAVE_LOG_LEVEL="ERROR",
        CAREWEAVE_CONN_MAX_AGE="600",
        CAREWEAVE_STATIC_ROOT=str(STATIC_ROOT),
    )
    if not audit:
        env["CAREWEAVE_BENCH_AUDIT_OFF"] = "1"
    return env


def careweave(*args: str) -> None:
    cmd = [sys.executable, "-m", "careweave.cli", *args]
    subprocess.run(cmd, cwd=ROOT, env=server_env(audit=True), check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, args: argparse.Namespace, *, audit: bool, workdir: Path) -> None:
        self.port = free_port()
        self.audit = audit
        cmd = [
            sys.executable, "-m", "gunicorn", "careweave.wsgi:application",
            "--bind", f"{HOST}:{self.port}", "--workers", str(args.workers),
            "--worker-class", "gthread", "--threads", str(args.threads),
            "--keep-alive", "10", "--worker-tmp-dir", "/dev/shm" if Path("/dev/shm").is_dir()
            else tempfile.gettempdir(), "--log-level", "warning", "--graceful-timeout", "5",
        ]
        STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"gunicorn-{'on' if audit else 'off'}.log"
        self.log_file = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=server_env(audit=audit),
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up:\n" + self.log_tail())
            try:
                status, _h, _b = http_request(self.port, "GET", "/healthz")
                if status < 500:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError("gunicorn did not answer within 60 s")
        log(f"gunicorn on {HOST}:{self.port}: {args.workers} workers x {args.threads} threads, "
            f"audit {'on' if audit else 'OFF'}")

    def log_tail(self, lines: int = 30) -> str:
        self.log_file.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


def http_request(port: int, method: str, path: str, *, body: str | bytes | None = None,
                 headers: dict[str, str] | None = None
                 ) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def login(port: int) -> str:
    """Log gp.uk in through the real form; return the Cookie header value."""
    import re

    status, headers, body = http_request(port, "GET", "/login/")
    if status != 200:
        raise RuntimeError(f"GET /login/ answered {status}")
    cookies = _cookies(headers)
    m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not m or "csrftoken" not in cookies:
        raise RuntimeError("the login page has no CSRF token")
    from careweave.demo.loader import demo_password

    form = urlencode({"csrfmiddlewaretoken": m.group(1).decode(), "username": USERNAME,
                      "password": demo_password()})
    status, headers, _b = http_request(
        port, "POST", "/login/", body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Cookie": _cookie_header(cookies), "Referer": f"http://{HOST}:{port}/login/"})
    cookies.update(_cookies(headers))
    if status not in (302, 303) or "sessionid" not in cookies:
        raise RuntimeError(f"logging in as {USERNAME} failed (HTTP {status})")
    header = _cookie_header(cookies)
    status, _h, _b = http_request(port, "GET", "/caseload/", headers={"Cookie": header})
    if status != 200:
        raise RuntimeError(f"after logging in, /caseload/ answered {status}")
    return header


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    out = {}
    for value in headers.get_all("Set-Cookie") or []:
        name, _sep, rest = value.partition("=")
        out[name.strip()] = rest.split(";", 1)[0]
    return out


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


@dataclass
class Fixtures:
    token: str
    person_ids: list[str]
    queries: list[str]
    creates: list[str]
    people_total: int
    caseload_size: int


def prepare(args: argparse.Namespace) -> Fixtures:
    """Token, people gp.uk may see, search terms and unique new people (in-process Django)."""
    import django

    os.environ.update(server_env(audit=True))
    django.setup()
    from django.db import connection

    from careweave.access.gate import people_visible_to
    from careweave.access.services import token_create
    from careweave.core.context import Actor
    from careweave.demo.loader import make_nhs_number
    from careweave.orgs.models import Membership
    from careweave.people.models import Person, PersonIdentifier

    membership = (Membership.objects.select_related("user", "organisation")
                  .get(user__username=USERNAME))
    _token, raw = token_create(membership=membership, name="bench", days=1)
    actor = Actor(user=membership.user, membership=membership)
    visible = people_visible_to(actor)
    caseload_size = visible.count()
    rng = random.Random(args.seed)
    sample = list(visible.order_by("?").values_list("pk", "given_name", "family_name")[:5000])
    if not sample:
        raise RuntimeError(f"{USERNAME} sees nobody: did the seed run?")
    person_ids = [str(pk) for pk, _g, _f in sample]
    queries = []
    for _pk, given, family in sample[:2000]:
        queries.append(family if rng.random() < 0.5 else f"{given} {family}")
    used = set(PersonIdentifier.objects.filter(system="nhs").values_list("value", flat=True))
    creates = []
    n_creates = max(2000, args.duration * 1500)
    from careweave.seed.generator import UK_FAMILY, UK_GIVEN

    while len(creates) < n_creates:
        nhs = make_nhs_number(rng)
        if nhs in used:
            continue
        used.add(nhs)
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 75))
        creates.append(json.dumps({
            "given_name": rng.choice(UK_GIVEN), "family_name": rng.choice(UK_FAMILY),
            "birth_date": born.isoformat(), "identifiers": [{"system": "nhs", "value": nhs}],
        }, ensure_ascii=False))
    total = Person.objects.count()
    connection.close()
    return Fixtures(f"Bearer {raw}", person_ids, queries, creates, total, caseload_size)


def scenarios(fx: Fixtures) -> list[Scenario]:
    person_read = Target(p95_ms=50)
    return [
        Scenario("caseload_page", "caseload page (GET /caseload/)", ["GET\t/caseload/"],
                 auth="session"),
        Scenario("caseload_api", "caseload API (GET /api/v1/people)", ["GET\t/api/v1/people"],
                 auth="token"),
        Scenario("person_page", "person page (GET /people/<id>/)",
                 [f"GET\t/people/{pk}/" for pk in fx.person_ids], auth="session",
                 target=person_read),
        Scenario("person_api", "person API (GET /api/v1/people/<id>)",
                 [f"GET\t/api/v1/people/{pk}" for pk in fx.person_ids], auth="token",
                 target=person_read),
        Scenario("search_api", "search API (GET /api/v1/people?q=name)",
                 [f"GET\t/api/v1/people?q={quote(q)}" for q in fx.queries], auth="token",
                 target=Target(p50_ms=20, p95_ms=100)),
        Scenario("create_api", "create API (POST /api/v1/people)",
                 [f"POST\t/api/v1/people\t{body}" for body in fx.creates], auth="token",
                 target=Target(min_rps=300), expect=(201,)),
    ]


def audit_pair(fx: Fixtures) -> tuple[Scenario, Scenario]:
    items = [f"GET\t/api/v1/people/{pk}" for pk in fx.person_ids]
    return (Scenario("audit_on", "person API, audit on (interleaved)", items, auth="token"),
            Scenario("audit_off", "person API, audit OFF (interleaved)", items, auth="token",
                     audit_off=True))


def merge(sc: Scenario, parts: list[Result]) -> Result:
    """Several runs of one scenario as one row (percentiles: request-weighted means)."""
    total = sum(r.requests for r in parts)
    out = Result(sc, requests=total, seconds=sum(r.seconds for r in parts),
                 bad=sum(r.bad for r in parts))
    if total:
        out.p50 = sum(r.p50 * r.requests for r in parts) / total
        out.p95 = sum(r.p95 * r.requests for r in parts) / total
        out.p99 = sum(r.p99 * r.requests for r in parts) / total
    for r in parts:
        for k, v in r.statuses.items():
            out.statuses[k] = out.statuses.get(k, 0) + v
    return out


# -- load generators -----------------------------------------------------------------------


def run_wrk(port: int, sc: Scenario, headers: dict[str, str], cookies: list[str],
            seconds: int, clients: int, workdir: Path) -> Result:
    items = workdir / f"{sc.key}.items"
    items.write_text("\n".join(sc.items) + "\n", encoding="utf-8")
    cookie_file = workdir / "cookies"
    cookie_file.write_text("\n".join(cookies) + "\n", encoding="utf-8")
    out = workdir / f"{sc.key}.json"
    out.unlink(missing_ok=True)
    threads = max(1, min(2, clients))
    env = dict(os.environ, BENCH_ITEMS=str(items), BENCH_OUT=str(out),
               BENCH_THREADS=str(threads), BENCH_AUTH=headers.get("Authorization", ""),
               BENCH_COOKIES=str(cookie_file) if cookies else "")
    cmd = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s",
           "--timeout", "10s", "-s", str(BENCH / "wrk.lua"), f"http://{HOST}:{port}"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed: {proc.stderr.strip() or proc.stdout.strip()}")
    data = json.loads(out.read_text())
    ok = sum(v for k, v in data["statuses"].items() if int(k) in sc.expect)
    return Result(sc, requests=data["requests"], seconds=data["duration_s"],
                  p50=data["p50_ms"], p95=data["p95_ms"], p99=data["p99_ms"],
                  bad=data["requests"] - ok + data["socket_errors"],
                  statuses=data["statuses"])


def run_python(port: int, sc: Scenario, headers: dict[str, str], cookies: list[str],
               seconds: int, clients: int, workdir: Path) -> Result:
    """Fallback load generator: one thread and one keep-alive connection per client."""
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[dict[str, int]] = [{} for _ in range(clients)]
    errors = [0] * clients

    def client(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        i = n
        while time.monotonic() < deadline:
            method, path, *rest = sc.items[i % len(sc.items)].split("\t", 2)
            i += clients
            h = dict(headers)
            if cookies:
                h["Cookie"] = rng.choice(cookies)
            body = rest[0].encode() if rest else None
            if body is not None:
                h["Content-Type"] = "application/json"
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=h)
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException):
                errors[n] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            latencies[n].append((time.perf_counter() - t0) * 1000)
            key = str(resp.status)
            statuses[n][key] = statuses[n].get(key, 0) + 1
        conn.close()

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 30)
    elapsed = time.monotonic() - started
    lat = sorted(x for per in latencies for x in per)
    merged: dict[str, int] = {}
    for per in statuses:
        for k, v in per.items():
            merged[k] = merged.get(k, 0) + v

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(len(lat) * p))] if lat else 0.0

    ok = sum(v for k, v in merged.items() if int(k) in sc.expect)
    return Result(sc, requests=len(lat), seconds=elapsed, p50=pct(0.50), p95=pct(0.95),
                  p99=pct(0.99), bad=len(lat) - ok + sum(errors), statuses=merged)


# -- the run ------------------------------------------------------------------------------------


def check_once(port: int, sc: Scenario, headers: dict[str, str], cookies: list[str]) -> str:
    """One request before the load: '' if it answers as expected, else why not."""
    method, path, *rest = sc.items[-1].split("\t", 2)
    h = dict(headers)
    if cookies:
        h["Cookie"] = cookies[0]
    if rest:
        h["Content-Type"] = "application/json"
    status, _hdr, body = http_request(port, method, path, body=rest[0] if rest else None,
                                      headers=h)
    if status in sc.expect or (status == 409 and method == "POST"):
        return ""
    return f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}"


def inner(args: argparse.Namespace) -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        log("--inner needs DATABASE_URL pointing at PostgreSQL (run without --inner)")
        return 2
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
    if loadgen == "wrk" and not shutil.which("wrk"):
        log("wrk is not installed (scripts/install-system-deps.sh --with-bench)")
        return 2
    only = {s.strip() for s in args.only.split(",") if s.strip()}

    t0 = time.monotonic()
    careweave("migrate", "--no-input", "-v", "0")
    log(f"migrated in {time.monotonic() - t0:.1f}s; seeding {args.people:,} people")
    t0 = time.monotonic()
    careweave("seed", "--people", str(args.people), "--seed", str(args.seed))
    seed_seconds = time.monotonic() - t0
    log(f"seeded {args.people:,} people in {seed_seconds:.1f}s")
    fx = prepare(args)
    log(f"{USERNAME}'s caseload: {fx.caseload_size:,} of {fx.people_total:,} people; "
        f"{len(fx.person_ids):,} sampled, {len(fx.queries):,} searches, "
        f"{len(fx.creates):,} new people ready")

    results: list[Result] = []
    runner = run_wrk if loadgen == "wrk" else run_python
    with tempfile.TemporaryDirectory(prefix="careweave-bench-") as tmp:
        workdir = Path(tmp)
        servers: list[Server] = []
        try:
            on = Server(args, audit=True, workdir=workdir)
            servers.append(on)
            cookies = [login(on.port) for _ in range(min(args.clients, 16))]

            def measure(server: Server, sc: Scenario, seconds: int, warm: int) -> Result:
                headers = {"Authorization": fx.token} if sc.auth == "token" else {}
                jar = cookies if sc.auth == "session" else []
                problem = check_once(server.port, sc, headers, jar)
                if problem:
                    log(f"{sc.key}: skipped, {problem}")
                    return Result(sc, note=problem)
                main_sc, warm_sc = sc, sc
                if sc.items[0].startswith("POST"):
                    # New people are sent once each: warm-up and run use separate halves.
                    half = len(sc.items) // 2
                    main_sc = Scenario(**{**sc.__dict__, "items": sc.items[:half]})
                    warm_sc = Scenario(**{**sc.__dict__, "items": sc.items[half:]})
                if warm:
                    runner(server.port, warm_sc, headers, jar, warm, args.clients, workdir)
                load = os.getloadavg()[0]
                r = runner(server.port, main_sc, headers, jar, seconds, args.clients, workdir)
                r.scenario = sc
                log(f"{sc.key}: {r.requests:,} requests, {r.rps:,.0f}/s, p50 {r.p50:.1f} ms, "
                    f"p95 {r.p95:.1f} ms, p99 {r.p99:.1f} ms, unexpected {r.bad} "
                    f"{r.statuses} (load before {load:.2f})")
                return r

            for sc in scenarios(fx):
                if not only or sc.key in only:
                    results.append(measure(on, sc, args.duration, args.warmup))

            if not only or {"audit_on", "audit_off"} & only:
                # Audit on vs off: the same person reads against two servers, alternating
                # in short rounds so that other load on the machine hits both alike.
                off = Server(args, audit=False, workdir=workdir)
                servers.append(off)
                sc_on, sc_off = audit_pair(fx)
                rounds = max(1, min(4, args.duration // 5))
                chunk = max(1, args.duration // rounds)
                parts: dict[str, list[Result]] = {"on": [], "off": []}
                for n in range(rounds):
                    warm = args.warmup if n == 0 else 0
                    parts["on"].append(measure(on, sc_on, chunk, warm))
                    parts["off"].append(measure(off, sc_off, chunk, warm))
                for sc, got in ((sc_on, parts["on"]), (sc_off, parts["off"])):
                    noted = [r for r in got if r.note]
                    results.append(noted[0] if noted else merge(sc, got))
        except Exception:
            for server in servers:
                log(f"gunicorn log ({server.log_path.name}):\n{server.log_tail()}")
            raise
        finally:
            for server in servers:
                server.stop()

    report = render(args, fx, results, seed_seconds, loadgen)
    print()
    print(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n", encoding="utf-8")
    log(f"results written to {out}")
    return 0


def render(args: argparse.Namespace, fx: Fixtures, results: list[Result], seed_seconds: float,
           loadgen: str) -> str:
    head = ["scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "target", "met?"]
    rows = []
    for r in results:
        if r.note:
            rows.append([r.scenario.title, "—", "—", "—", "—", "—", r.scenario.target.describe(),
                         "n/a"])
            continue
        rows.append([r.scenario.title, f"{r.requests:,}", f"{r.rps:,.1f}", f"{r.p50:.1f}",
                     f"{r.p95:.1f}", f"{r.p99:.1f}", r.scenario.target.describe(), r.met()])
    by_key = {r.scenario.key: r for r in results if not r.note and r.requests}
    on, off = by_key.get("audit_on"), by_key.get("audit_off")
    if on and off and off.rps:
        ratio = on.rps / off.rps
        rows.append(["audit overhead (req/s on / off)", "", f"{ratio:.2f}x", "", "", "",
                     "≥ 0.7x", "yes" if ratio >= 0.7 else "NO"])
    seed_ok = seed_seconds <= 300 or args.people < 100_000
    rows.append([f"seed {args.people:,} people", "", f"{args.people / seed_seconds:,.0f}/s", "",
                 "", "", "100,000 < 300 s", f"{'yes' if seed_ok else 'NO'} ({seed_seconds:.0f} s)"])
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    table = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    table += [line(r) for r in rows]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    notes = [
        f"# Careweave benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- commit {commit}; {platform.python_implementation()} {platform.python_version()}; "
        f"{os.cpu_count()} CPUs; load average at the end {load}",
        f"- PostgreSQL 15 (throwaway, fsync off); {fx.people_total:,} people; "
        f"{USERNAME} (Riverside Surgery) sees {fx.caseload_size:,}",
        f"- gunicorn gthread {args.workers} workers x {args.threads} threads, DEBUG off; "
        f"load generator {loadgen}, {args.clients} connections, {args.duration} s per scenario "
        f"after {args.warmup} s warm-up",
        "- pages use a logged-in session (pool of sessions), the API a bearer token",
        "",
        *table,
    ]
    skipped = [r for r in results if r.note]
    if skipped:
        notes += ["", "Skipped:"] + [f"- {r.scenario.key}: {r.note}" for r in skipped]
    return "\n".join(notes)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    if not args.inner:
        return outer([a for a in argv if a != "--inner"])
    sys.path.insert(0, str(ROOT))
    return inner(args)


if __name__ == "__main__":
    sys.exit(main())
