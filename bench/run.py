"""Careweave benchmark: `make bench` (or `python bench/run.py --people 20000` for a quick one).

What it does, end to end, on this machine:

1. Starts a throwaway PostgreSQL 15 (scripts/pg-test.sh) in a process group of its own and
   re-runs itself inside it with --inner. Ctrl-C, SIGTERM and SIGHUP are passed on to that
   group; every process the run started is stopped by PID on the way out, on failure too,
   and pg-test.sh removes the database server.
2. Migrates and seeds N synthetic people (`careweave seed --people N`, default 100,000) and
   makes an API token for gp.uk (`careweave token create gp.uk`). Careweave is reached only
   through its `careweave` command and over HTTP: nothing here imports careweave.
3. Brings up the GNU Health peer from ../shared/peers (`gnuhealth.up()`, population
   `gnuhealth.person(0..S-1)`), unless that folder is absent or --no-peer is given.
4. Starts the audit sealer (`careweave audit seal --follow`, docs/adr/0012: the audited
   requests write their rows unsealed and it chains them, as in production) and gunicorn
   (gthread, 4 workers x 4 threads) with production settings (DEBUG off, a
   random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1; CAREWEAVE_INSECURE_HTTP=1 because it is plain
   http on loopback); reads a sample of gp.uk's caseload over the API; creates the peer's
   population in Careweave through POST /api/v1/people as gp.uk (so that the surnames the
   side-by-side search looks for exist on both sides, about as often); logs gp.uk in through
   the real login form (a pool of sessions).
5. Drives each Careweave scenario with wrk (16 connections, bench/wrk.lua replaying request
   lines; a Python thread-based generator if wrk is missing), then the person read against a
   second gunicorn started with CAREWEAVE_BENCH_AUDIT_OFF=1, in alternating rounds.
6. Side by side: read, search and create on Careweave and on GNU Health through the peer's
   own load generator (load.py, the same 16 closed-loop clients for both), in interleaved
   rounds (4 x 10 s per operation and side, alternating which side goes first).
7. Prints the tables and writes them to bench/results/latest.md (gitignored).

With --scale 10000,100000,1000000 it does something else: it grows the population to each
size in turn (`careweave seed` adds to what is there) and reports, per size, the seeding rate,
the person read, search and caseload API figures and the peak RSS of the gunicorn processes
(bench/results/scale.md).

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
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(BENCH) not in sys.path:  # imported as a module (the bookkeeping tests), not run
    sys.path.insert(0, str(BENCH))
import candidates  # noqa: E402
import domains  # noqa: E402
import peer as peer_mod  # noqa: E402

RESULTS = BENCH / "results"
HOST = "127.0.0.1"
USERNAME = "gp.uk"
ORGANISATION = "Riverside Surgery"
STATIC_ROOT = Path(tempfile.gettempdir()) / "careweave-bench-static"
MAX_PEOPLE = 1_000_000  # what one `careweave seed` accepts
DEFAULT_WSGI = "careweave.wsgi:application"

# Names for the wrk create scenario (made up here: nothing is imported from careweave).
GIVEN = ["Margaret", "John", "Patricia", "David", "Susan", "Peter", "Joan", "Michael", "Eileen",
         "George", "Dorothy", "Brian", "Aisha", "Tariq", "Niamh", "Siobhan", "Kwame", "Zofia",
         "Dylan", "Hamza", "Rhiannon", "Edith", "Harold", "Amara", "Priya", "Fiona", "Callum",
         "Ewan", "Morag", "Yusuf", "Bethan", "Gareth", "Ruth", "Stanley", "Imogen", "Kieran"]
FAMILY = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas",
          "Roberts", "Khan", "O'Brien", "Kowalski", "Nowak", "Adeyemi", "MacLeod", "Davies",
          "Singh", "Murphy", "Hughes", "Patel", "Begum", "Mensah", "Fitzgerald", "Campbell",
          "Stewart", "Robinson", "Wright", "Walker", "Edwards", "Green", "Clarke", "Jackson"]


# -- options --------------------------------------------------------------------------------


def parse(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--people", type=int, default=100_000, help="people to seed (100000)")
    p.add_argument("--seed", type=int, default=1, help="random seed for careweave seed")
    p.add_argument("--seed-jobs", type=int, default=2,
                   help="processes careweave seed writes with (--jobs; default 2)")
    p.add_argument("--duration", type=int, default=20, help="seconds per scenario (20)")
    p.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per scenario (3)")
    p.add_argument("--clients", type=int, default=16, help="concurrent connections (16)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    p.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (4)")
    p.add_argument("--server", choices=["gunicorn", "granian"], default="gunicorn",
                   help="the WSGI server (gunicorn; granian parses HTTP in Rust)")
    p.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread",
                   help="gunicorn worker type (gthread)")
    p.add_argument("--only", default="",
                   help="comma-separated scenario keys to run (caseload_page, caseload_api, "
                        "person_page, person_api, search_api, create_api, audit, peer, "
                        + ", ".join(domains.KEYS) + ")")
    p.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto",
                   help="generator for Careweave's own scenarios (the side-by-side rounds "
                        "always use the peer's load.py)")
    p.add_argument("--sample-pages", type=int, default=200,
                   help="caseload pages of 100 read to pick people and names from (200)")
    peer = p.add_argument_group("GNU Health side by side (../shared/peers)")
    peer.add_argument("--no-peer", action="store_true", help="skip the GNU Health comparison")
    peer.add_argument("--peers", default=str(peer_mod.PEERS),
                      help="where gnuhealth.py and load.py are (ROOT/../shared/peers)")
    peer.add_argument("--peer-seed", type=int, default=10_000,
                      help="people in the GNU Health peer (10000; a seeded copy is cached)")
    peer.add_argument("--peer-people", type=int, default=-1,
                      help="gnuhealth.person(i) to create in Careweave through the API "
                           "(default: as many as the peer has; 0: none)")
    peer.add_argument("--peer-workers", type=int, default=2, help="peer gunicorn workers (2)")
    peer.add_argument("--rounds", type=int, default=4, help="side-by-side rounds (4)")
    peer.add_argument("--round-seconds", type=float, default=0,
                      help="seconds per round, operation and side (default min(10, --duration))")
    p.add_argument("--scale", default="",
                   help="comma-separated population sizes, e.g. 10000,100000,1000000: report "
                        "how read, search and caseload cost grow instead of the usual run")
    p.add_argument("--candidates", nargs="?", const="all", default="",
                   help="measure issue 11's read-path candidates instead of the usual run: "
                        "the default against each switched off or another server, in "
                        "interleaved rounds (--rounds x --round-seconds); all, or some of "
                        + ", ".join(v.key for v in candidates.VARIANTS[1:]))
    p.add_argument("--out", default="", help="results file (bench/results/latest.md, or "
                                             "bench/results/scale.md with --scale, "
                                             "bench/results/candidates.md with --candidates)")
    p.add_argument("--inner", action="store_true",
                   help="DATABASE_URL already points at an empty PostgreSQL: run there")
    domains.add_arguments(p)
    args = p.parse_args(argv)
    unknown = {k.strip() for k in args.only.split(",") if k.strip()} - ONLY_KEYS
    if unknown:
        p.error(f"--only: unknown scenario keys {', '.join(sorted(unknown))}")
    domains.check_arguments(p, args)
    if not 1 <= args.people <= MAX_PEOPLE:
        p.error("--people must be between 1 and 1,000,000")
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60:
        p.error("--duration must be 1..600 and --warmup 0..60 seconds")
    if not 1 <= args.clients <= 256 or not 1 <= args.workers <= 32 or not 1 <= args.threads <= 32:
        p.error("--clients 1..256, --workers 1..32, --threads 1..32")
    if not 1 <= args.rounds <= 20 or not 0 <= args.round_seconds <= 600:
        p.error("--rounds 1..20, --round-seconds 0..600")
    if not 1 <= args.peer_seed <= 1_000_000 or args.peer_people > 1_000_000:
        p.error("--peer-seed 1..1,000,000 and --peer-people at most 1,000,000")
    if not 1 <= args.sample_pages <= 10_000:
        p.error("--sample-pages 1..10000")
    if not 1 <= args.seed_jobs <= 8:
        p.error("--seed-jobs 1..8")
    args.round_seconds = args.round_seconds or min(10.0, float(args.duration))
    try:
        args.sizes = [int(x.replace("_", "")) for x in args.scale.split(",") if x.strip()]
    except ValueError:
        p.error("--scale takes sizes like 10000,100000,1000000")
    if args.sizes:
        steps = [b - a for a, b in zip([0, *args.sizes], args.sizes, strict=False)]
        if any(s < 1 or s > MAX_PEOPLE for s in steps) or args.sizes[-1] > 5_000_000:
            p.error("--scale sizes must grow, each by 1 to 1,000,000 people (5,000,000 at most)")
    try:
        args.variants = candidates.by_key("" if args.candidates in ("", "all")
                                          else args.candidates) if args.candidates else []
    except ValueError as exc:
        p.error(f"--candidates: {exc}")
    if args.variants and args.sizes:
        p.error("--candidates and --scale are separate runs: give one of them")
    args.out = args.out or str(RESULTS / ("scale.md" if args.sizes else "candidates.md"
                                          if args.variants else "latest.md"))
    return args


def log(msg: str) -> None:
    print(f"bench: {msg}", flush=True)


# -- signals: every exit path goes through the finally blocks --------------------------------


class Stop(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signal.Signals(signum).name}")
        self.signum = signum


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise Stop(signum)


def install_stop_handlers() -> None:
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)


@contextmanager
def shielded() -> Iterator[None]:
    """While cleaning up, a second Ctrl-C or SIGTERM only says 'wait' instead of aborting it."""
    def wait(signum: int, _frame: FrameType | None) -> None:
        log(f"{signal.Signals(signum).name}: still cleaning up, please wait")

    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    old = {s: signal.getsignal(s) for s in sigs}
    for s in sigs:
        signal.signal(s, wait)
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


# -- processes by PID -------------------------------------------------------------------------


def proc_start(pid: int) -> str | None:
    """The kernel's start time of a live (non-zombie) pid, to tell it from a reused PID."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def proc_children(pid: int) -> list[tuple[int, str]]:
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if len(fields) > 19 and int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            out.append((int(d), fields[19]))
    return out


def vm_hwm_kb(pid: int) -> int:
    """Peak resident set size (VmHWM) of a process, in kB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


# -- scenarios and targets -------------------------------------------------------------------


@dataclass
class Target:
    p50_ms: float | None = None
    p95_ms: float | None = None
    min_rps: float | None = None
    text: str = ""  # a target checked elsewhere (the side-by-side table)

    def describe(self) -> str:
        parts = []
        if self.p50_ms is not None:
            parts.append(f"p50 ≤ {self.p50_ms:g} ms")
        if self.p95_ms is not None:
            parts.append(f"p95 ≤ {self.p95_ms:g} ms")
        if self.min_rps is not None:
            parts.append(f"≥ {self.min_rps:g}/s")
        if self.text:
            parts.append(self.text)
        return ", ".join(parts) or "—"


@dataclass
class Scenario:
    key: str
    title: str
    items: list[str]  # METHOD\tPATH[\tBODY[\tHeader: value...]]; "{seq}": unique per request
    auth: str = ""  # "token" or "session"
    target: Target = field(default_factory=Target)
    audit_off: bool = False
    expect: tuple[int, ...] = (200,)
    # One connection per client, each line's If-Match following its last answer's ETag
    # (a client saving its own record again and again); needs a line per client.
    track_etag: bool = False
    # Called before each run (warm-up, measured run): the items afresh (e.g. current ETags).
    refresh: Callable[[], list[str]] | None = None
    about: str = ""  # the data it runs over, for the notes under the table


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
        if self.requests == 0 and not self.bad and not self.statuses:
            # every client still waiting at the end: slower than the run is long
            return "NO (none answered in time)"
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
            return "see below" if t.text else "—"
        ok = "yes" if all(checks) else "NO"
        return ok + (" (+ below)" if t.text else "")


# Issue 11's targets.
PERSON_API = Target(p95_ms=50, text="≥ 3× GNU Health (side by side)")
PERSON_PAGE = Target(p95_ms=60)
SEARCH = Target(p50_ms=20, p95_ms=100, text="≥ 2× GNU Health (side by side)")
CREATE = Target(text="≥ 2× GNU Health (side by side)")
CASELOAD_API = Target(min_rps=300)
AUDIT_RATIO = 0.8


BASE_KEYS = frozenset({"caseload_page", "caseload_api", "person_page", "person_api",
                       "search_api", "create_api", "audit", "audit_on", "audit_off", "peer"})
ONLY_KEYS = BASE_KEYS | frozenset(domains.KEYS)


def parse_item(line: str, seq: str) -> tuple[str, str, str | None, dict[str, str]]:
    """One request line: (method, path, body or None, extra headers), "{seq}" filled in."""
    method, path, *rest = line.split("\t")
    body = rest[0].replace("{seq}", seq) if rest and rest[0] else None
    headers = {}
    for h in rest[1:]:
        name, sep, value = h.partition(":")
        if sep:
            headers[name.strip()] = value.strip().replace("{seq}", seq)
    return method, path, body, headers


# -- the outer run: a throwaway PostgreSQL ----------------------------------------------------


def outer(argv: Sequence[str]) -> int:
    """Run the inner benchmark under scripts/pg-test.sh, in a process group of its own.

    A signal to this process (Ctrl-C at the terminal, SIGTERM from make or a CI runner) is
    passed on to that group: the inner run stops its servers and the peer by PID, then
    pg-test.sh stops and removes PostgreSQL.
    """
    pg = ROOT / "scripts" / "pg-test.sh"
    cmd = [str(pg), sys.executable, str(Path(__file__).resolve()), "--inner", *argv]
    log("starting a throwaway PostgreSQL 15 (scripts/pg-test.sh), default durability")
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True,
                            env={**os.environ, "PG_DURABLE": "1"})
    signalled: list[int] = []
    last: dict[int, float] = {}

    def forward(signum: int, _frame: FrameType | None) -> None:
        # A Ctrl-C reaches us from the terminal and again from `uv run`: pass it on once.
        now = time.monotonic()
        if now - last.get(signum, -10.0) < 1.0:
            return
        last[signum] = now
        if not signalled:
            log(f"{signal.Signals(signum).name}: stopping the benchmark and everything it started")
        signalled.append(signum)
        try:
            # Always SIGTERM: a run started in the background inherits SIGINT ignored (POSIX
            # shells do that for `cmd &`), and then a passed-on SIGINT would stop nothing.
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    rc = proc.wait()
    if signalled:
        return 128 + signalled[0]
    return rc


# -- the inner run: Careweave's command and server ---------------------------------------------


def server_env(*, audit: bool, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"CAREWEAVE_DEBUG", "CAREWEAVE_TEST", "CAREWEAVE_BENCH_AUDIT_OFF",
                        "DJANGO_SETTINGS_MODULE"}}
    env.update(
        SECRET_KEY=os.environ["SECRET_KEY"],
        CAREWEAVE_INSECURE_HTTP="1",
        ALLOWED_HOSTS=HOST,
        CAREWEAVE_LOG_LEVEL="ERROR",
        CAREWEAVE_CONN_MAX_AGE="600",
        CAREWEAVE_STATIC_ROOT=str(STATIC_ROOT),
    )
    if not audit:
        env["CAREWEAVE_BENCH_AUDIT_OFF"] = "1"
    env.update(extra or {})
    return env


def careweave_exe() -> str:
    beside = Path(sys.executable).with_name("careweave")
    found = str(beside) if beside.exists() else shutil.which("careweave")
    if not found:
        raise RuntimeError("the `careweave` command is not installed (make install)")
    return found


def careweave(*args: str, echo: bool = True) -> str:
    """Run `careweave ARGS...`; returns its output (echoed line by line unless echo=False)."""
    proc = subprocess.Popen([careweave_exe(), *args], cwd=ROOT, env=server_env(audit=True),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if echo:
                print(f"  {line.rstrip()}", flush=True)
        rc = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if rc != 0:
        tail = "".join(lines[-20:])
        raise RuntimeError(f"careweave {' '.join(args)} exited {rc}:\n{tail}")
    return "".join(lines)


def seed(people: int, seed_arg: int, jobs: int = 1) -> tuple[float, float]:
    """`careweave seed`; returns (seconds, people per second as the command measured it)."""
    t0 = time.monotonic()
    out = careweave("seed", "--people", str(people), "--seed", str(seed_arg),
                    "--jobs", str(jobs))
    seconds = time.monotonic() - t0
    domains.count_seeded(out)
    m = re.search(r"Seeded [\d,]+ people in ([\d.]+)s \(([\d,.]+) people/s\)", out)
    if m:
        return float(m.group(1)), float(m.group(2).replace(",", ""))
    return seconds, people / seconds


def wsgi_app() -> str:
    """The WSGI application from Careweave's own settings (the package layout may move)."""
    try:
        out = careweave("diffsettings", "--all", echo=False)
    except RuntimeError:
        return DEFAULT_WSGI
    m = re.search(r"^WSGI_APPLICATION = '([\w.]+)\.(\w+)'", out, re.M)
    return f"{m.group(1)}:{m.group(2)}" if m else DEFAULT_WSGI


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, args: argparse.Namespace, *, audit: bool, workdir: Path, app: str,
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.audit = audit
        self.kids: list[tuple[int, str]] = []
        self.name = args.server
        if args.server == "granian":
            # Granian: HTTP parsed in Rust, the WSGI app on a pool of blocking threads per
            # worker process (the same workers x threads as gunicorn's gthread).
            cmd = [
                sys.executable, "-m", "granian", "--interface", "wsgi", "--http", "1",
                "--host", HOST, "--port", str(self.port), "--workers", str(args.workers),
                "--blocking-threads", str(args.threads), "--log-level", "warning",
                "--no-ws", app,
            ]
        else:
            cmd = [
                sys.executable, "-m", "gunicorn", app,
                "--bind", f"{HOST}:{self.port}", "--workers", str(args.workers),
                "--worker-class", args.worker_class,
                *(["--threads", str(args.threads)] if args.worker_class == "gthread" else []),
                "--keep-alive", "10", "--worker-tmp-dir", "/dev/shm"
                if Path("/dev/shm").is_dir() else tempfile.gettempdir(),
                "--log-level", "warning", "--graceful-timeout", "5",
            ]
        STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"{self.name}-{'on' if audit else 'off'}-{self.port}.log"
        self.log_file = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=server_env(audit=audit, extra=env),
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(args.workers)
        except BaseException:
            self.stop()
            raise
        log(f"{self.name} (pid {self.proc.pid}) on {HOST}:{self.port}: {args.workers} workers x "
            f"{args.threads} threads, audit {'on' if audit else 'OFF'}")

    def _wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited during start-up:\n" + self.log_tail())
            try:
                status, _h, _b = http_request(self.port, "GET", "/healthz")
                if status < 500:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise RuntimeError(f"{self.name} did not answer within 60 s:\n" + self.log_tail())
        while time.monotonic() < deadline and len(proc_children(self.proc.pid)) < workers:
            time.sleep(0.2)
        self.kids = proc_children(self.proc.pid)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def peak_rss(self) -> tuple[int, int, int]:
        """(master kB, workers' total kB, largest worker kB): VmHWM of each live process."""
        workers = [vm_hwm_kb(pid) for pid, _s in proc_children(self.proc.pid)]
        return vm_hwm_kb(self.proc.pid), sum(workers), max(workers, default=0)

    def log_tail(self, lines: int = 30) -> str:
        self.log_file.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the master by PID, then any worker (recorded PID + start time) left behind."""
        kids = {*self.kids, *proc_children(self.proc.pid)} if self.proc.poll() is None else \
            set(self.kids)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(proc_start(p) == s for p, s in kids):
            time.sleep(0.1)
        for pid, start in kids:
            if proc_start(pid) == start:
                log(f"{self.name} worker {pid} still there: SIGKILL")
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if not self.log_file.closed:
            self.log_file.close()


class Sealer:
    """`careweave audit seal --follow` beside the servers, its output in the work folder.
    Stopped by PID (SIGTERM: it finishes its round; SIGKILL after 15 s), like gunicorn."""

    def __init__(self, workdir: Path) -> None:
        self.log_path = workdir / "sealer.log"
        self.log_file = self.log_path.open("wb")
        self.proc = subprocess.Popen([careweave_exe(), "audit", "seal", "--follow"], cwd=ROOT,
                                     env=server_env(audit=True), stdout=self.log_file,
                                     stderr=subprocess.STDOUT)
        log(f"audit sealer (pid {self.proc.pid}): careweave audit seal --follow")

    def cpu_seconds(self) -> float:
        """User + system CPU time the sealer has used so far (0 once it is gone)."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log(f"audit sealer {self.proc.pid} still there: SIGKILL")
                self.proc.kill()
                self.proc.wait()
        if not self.log_file.closed:
            self.log_file.close()


def sealing_state(port: int) -> str:
    """The health check's view of the sealer: the age of the oldest unsealed event."""
    try:
        _status, _h, body = http_request(port, "GET", "/healthz")
        audit = json.loads(body).get("audit", {})
    except (OSError, ValueError):
        return "unknown"
    return (f"{audit.get('state', '?')}, oldest unsealed event "
            f"{audit.get('oldest_unsealed_seconds', '?')} s (bound "
            f"{audit.get('max_delay_seconds', '?')} s)")


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


def demo_password() -> str:
    """The demo accounts' password (the README's default unless set when the demo was loaded)."""
    return os.environ.get("CAREWEAVE_DEMO_PASSWORD") or "careweave-demo"


def login(port: int) -> str:
    """Log gp.uk in through the real form; return the Cookie header value."""
    status, headers, body = http_request(port, "GET", "/login/")
    if status != 200:
        raise RuntimeError(f"GET /login/ answered {status}")
    cookies = _cookies(headers)
    m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not m or "csrftoken" not in cookies:
        raise RuntimeError("the login page has no CSRF token")
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


# -- fixtures, over HTTP -------------------------------------------------------------------------


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus 11, as the NHS number standard defines it (None: no valid number)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else None if check == 10 else check


class NhsNumbers:
    """Valid NHS numbers that no seeded person has: `careweave seed` draws 9xxxxxxxxx, these
    start with 4; unique within the run. Thread-safe (the load generators call it)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"bench-nhs:{seed}:{secrets.randbits(32)}")
        self.used: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self) -> str:
        with self.lock:
            while True:
                first = "4" + "".join(str(self.rng.randrange(10)) for _ in range(8))
                check = nhs_check_digit(first)
                if check is not None and first + str(check) not in self.used:
                    self.used.add(first + str(check))
                    return first + str(check)


def make_token() -> str:
    out = careweave("token", "create", USERNAME, "--name", "bench", "--days", "1", echo=False)
    lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
    if not lines:
        raise RuntimeError("careweave token create printed no token")
    return f"Bearer {lines[-1]}"


def caseload_sample(port: int, token: str, pages: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to `pages` pages of 100 of gp.uk's caseload (GET /api/v1/people), and whether there
    is more. In name order: the people's records are no different for that (their care teams,
    consents and networks are random), but the names are, so searches draw from all pages."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(pages):
        path = "/api/v1/people?size=100" + (f"&cursor={quote(cursor)}" if cursor else "")
        status, _h, body = http_request(port, "GET", path, headers={"Authorization": token})
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:200]!r}")
        data = json.loads(body)
        items += data["items"]
        cursor = data.get("next_cursor")
        if not cursor:
            break
    return items, bool(cursor)


@dataclass
class Fixtures:
    token: str
    person_ids: list[str]
    queries: list[str]
    creates: list[str]
    caseload: str  # "12,345" or "more than 20,000"


def fixtures(args: argparse.Namespace, sample: list[dict[str, Any]], more: bool, token: str,
             nhs: NhsNumbers, extra_ids: Sequence[str] = (), with_creates: bool = True) -> Fixtures:
    """People to read (the sample, plus extra_ids), names to search, new people to create."""
    if not sample:
        raise RuntimeError(f"{USERNAME} sees nobody: did the seed run?")
    rng = random.Random(args.seed)
    chosen = rng.sample(sample, min(5000, len(sample)))
    person_ids = [str(p["id"]) for p in chosen]
    if extra_ids:
        person_ids += rng.sample(list(extra_ids), min(5000, len(extra_ids)))
        rng.shuffle(person_ids)
    queries = [p["family_name"] if rng.random() < 0.5 else f"{p['given_name']} {p['family_name']}"
               for p in chosen[:2000]]
    creates = []
    n_creates = max(2000, args.duration * 1500) if with_creates else 0
    for _ in range(n_creates):
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 75))
        creates.append(json.dumps({
            "given_name": rng.choice(GIVEN), "family_name": rng.choice(FAMILY),
            "birth_date": born.isoformat(), "identifiers": [{"system": "nhs", "value": nhs()}],
        }, ensure_ascii=False))
    caseload = f"more than {len(sample):,}" if more else f"{len(sample):,}"
    return Fixtures(token, person_ids, queries, creates, caseload)


def scenarios(fx: Fixtures) -> list[Scenario]:
    return [
        Scenario("caseload_page", "caseload page (GET /caseload/)", ["GET\t/caseload/"],
                 auth="session"),
        Scenario("caseload_api", "caseload API (GET /api/v1/people)", ["GET\t/api/v1/people"],
                 auth="token", target=CASELOAD_API),
        Scenario("person_page", "person page (GET /people/<id>/)",
                 [f"GET\t/people/{pk}/" for pk in fx.person_ids], auth="session",
                 target=PERSON_PAGE),
        Scenario("person_api", "person API (GET /api/v1/people/<id>)",
                 [f"GET\t/api/v1/people/{pk}" for pk in fx.person_ids], auth="token",
                 target=PERSON_API),
        Scenario("search_api", "search API (GET /api/v1/people?q=name)",
                 [f"GET\t/api/v1/people?q={quote(q)}" for q in fx.queries], auth="token",
                 target=SEARCH),
        Scenario("create_api", "create API (POST /api/v1/people)",
                 [f"POST\t/api/v1/people\t{body}" for body in fx.creates], auth="token",
                 target=CREATE, expect=(201,)),
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


# -- load generators for Careweave's own scenarios -----------------------------------------------


def run_wrk(port: int, sc: Scenario, headers: dict[str, str], cookies: list[str],
            seconds: int, clients: int, workdir: Path) -> Result:
    items = workdir / f"{sc.key}.items"
    items.write_text("\n".join(sc.items) + "\n", encoding="utf-8")
    cookie_file = workdir / "cookies"
    cookie_file.write_text("\n".join(cookies) + "\n", encoding="utf-8")
    out = workdir / f"{sc.key}.json"
    out.unlink(missing_ok=True)
    threads = clients if sc.track_etag else max(1, min(2, clients))
    env = dict(os.environ, BENCH_ITEMS=str(items), BENCH_OUT=str(out),
               BENCH_THREADS=str(threads), BENCH_AUTH=headers.get("Authorization", ""),
               BENCH_COOKIES=str(cookie_file) if cookies else "",
               BENCH_NONCE=secrets.token_hex(4), BENCH_TRACK_ETAG="1" if sc.track_etag else "")
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

    nonce = secrets.token_hex(4)

    def client(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        i = n
        etags: dict[int, str] = {}
        while time.monotonic() < deadline:
            index = i % len(sc.items)
            method, path, text, extra = parse_item(sc.items[index], f"{nonce}-{n}-{i}")
            i += clients
            h = {**headers, **extra}
            if sc.track_etag and "If-Match" in h and index in etags:
                h["If-Match"] = etags[index]
            if cookies:
                h["Cookie"] = rng.choice(cookies)
            body = text.encode() if text is not None else None
            if body is not None:
                h["Content-Type"] = "application/json"
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=h)
                resp = conn.getresponse()
                answer = resp.read()
            except (OSError, http.client.HTTPException):
                errors[n] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            latencies[n].append((time.perf_counter() - t0) * 1000)
            if sc.track_etag:
                tag = domains.next_etag(resp.status, resp.getheader("ETag"), answer)
                if tag:
                    etags[index] = tag
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


def check_once(port: int, sc: Scenario, headers: dict[str, str], cookies: list[str]) -> str:
    """One request before the load: '' if it answers as expected, else why not."""
    method, path, text, extra = parse_item(sc.items[-1], f"check-{secrets.token_hex(6)}")
    h = {**headers, **extra}
    if cookies:
        h["Cookie"] = cookies[0]
    if text is not None:
        h["Content-Type"] = "application/json"
    status, _hdr, body = http_request(port, method, path, body=text, headers=h)
    if status in sc.expect or (status == 409 and method == "POST"):
        return ""
    return f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}"


class Measure:
    """Runs one scenario against one server with the chosen generator, and logs it."""

    def __init__(self, args: argparse.Namespace, loadgen: str, workdir: Path, token: str,
                 cookies: list[str]) -> None:
        self.args = args
        self.runner: Callable[..., Result] = run_wrk if loadgen == "wrk" else run_python
        self.workdir = workdir
        self.token = token
        self.cookies = cookies

    def __call__(self, server: Server, sc: Scenario, seconds: int, warm: int) -> Result:
        headers = {"Authorization": self.token} if sc.auth == "token" else {}
        jar = self.cookies if sc.auth == "session" else []
        problem = check_once(server.port, sc, headers, jar)
        if problem:
            log(f"{sc.key}: skipped, {problem}")
            return Result(sc, note=problem)
        main_sc, warm_sc = sc, sc
        if sc.items[0].startswith("POST") and not sc.track_etag:
            # New people are sent once each: warm-up and run use separate halves.
            half = len(sc.items) // 2
            main_sc, warm_sc = replace(sc, items=sc.items[:half]), replace(sc, items=sc.items[half:])
        clients, workdir = self.args.clients, self.workdir
        if warm:
            if sc.refresh:
                warm_sc = replace(warm_sc, items=sc.refresh())
            self.runner(server.port, warm_sc, headers, jar, warm, clients, workdir)
        if sc.refresh:
            main_sc = replace(main_sc, items=sc.refresh())
        load = os.getloadavg()[0]
        r = self.runner(server.port, main_sc, headers, jar, seconds, clients, workdir)
        r.scenario = sc
        log(f"{sc.key}: {r.requests:,} requests, {r.rps:,.0f}/s, p50 {r.p50:.1f} ms, "
            f"p95 {r.p95:.1f} ms, p99 {r.p99:.1f} ms, unexpected {r.bad} "
            f"{r.statuses} (load before {load:.2f})")
        return r


# -- the inner run ----------------------------------------------------------------------------


def pick_loadgen(args: argparse.Namespace) -> str | None:
    loadgen: str = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
    if loadgen == "wrk" and not shutil.which("wrk"):
        log("wrk is not installed (scripts/install-system-deps.sh --with-bench)")
        return None
    return loadgen


@dataclass
class PeerRun:
    """What the side-by-side part found, for the report."""
    table: str = ""
    skipped: str = ""
    population: int = 0
    loaded: int = 0
    load_rate: float = 0.0
    load_errors: int = 0


def inner(args: argparse.Namespace) -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        log("--inner needs DATABASE_URL pointing at PostgreSQL (run without --inner)")
        return 2
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    install_stop_handlers()
    loadgen = pick_loadgen(args)
    if loadgen is None:
        return 2
    try:
        if args.sizes:
            return scale_run(args, loadgen)
        if args.variants:
            return candidates_run(args, loadgen)
        return main_run(args, loadgen)
    except KeyboardInterrupt as exc:
        log(f"interrupted ({str(exc) or 'SIGINT'}): everything this run started has been stopped")
        return 128 + (exc.signum if isinstance(exc, Stop) else signal.SIGINT)


def main_run(args: argparse.Namespace, loadgen: str) -> int:
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    want_peer = not args.no_peer and (not only or "peer" in only)
    pr = PeerRun()
    peer: peer_mod.Peer | None = None
    imported = peer_mod.import_peer(Path(args.peers)) if want_peer else None
    if args.no_peer:
        pr.skipped = "--no-peer"
    elif want_peer and imported is None:
        pr.skipped = f"{args.peers} is absent or does not import"
    elif not want_peer:
        pr.skipped = "not in --only"

    t0 = time.monotonic()
    careweave("migrate", "--no-input", "-v", "0")
    log(f"migrated in {time.monotonic() - t0:.1f}s; seeding {args.people:,} people")
    seed_seconds, seed_rate = seed(args.people, args.seed, args.seed_jobs)
    log(f"seeded {args.people:,} people in {seed_seconds:.1f}s ({seed_rate:,.0f}/s)")
    token = make_token()
    app = wsgi_app()
    nhs = NhsNumbers(args.seed)

    results: list[Result] = []
    rss = (0, 0, 0)
    fx: Fixtures | None = None
    sealing = ""
    with tempfile.TemporaryDirectory(prefix="careweave-bench-") as tmp:
        workdir = Path(tmp)
        servers: list[Server] = []
        sealer: Sealer | None = None
        try:
            sealer = Sealer(workdir)
            if imported is not None:
                peer = peer_mod.Peer(*imported)
                try:
                    peer.up(seed_n=args.peer_seed, workers=args.peer_workers, threads=1)
                    pr.population = peer.population
                except Exception as exc:  # noqa: BLE001 - the peer is optional: say so, go on
                    log(f"GNU Health peer: could not be brought up ({type(exc).__name__}: "
                        f"{str(exc)[:500]}); the side-by-side comparison is SKIPPED")
                    pr.skipped = f"the peer did not come up: {type(exc).__name__}: {str(exc)[:200]}"
                    peer.down()
                    peer = None

            on = Server(args, audit=True, workdir=workdir, app=app)
            servers.append(on)
            # The sample first: it is the seeded people's, in name order.
            sample, more = caseload_sample(on.port, token, args.sample_pages)
            created: list[str] = []
            if peer is not None:
                count = pr.population if args.peer_people < 0 else args.peer_people
                if count:
                    log(f"creating the peer's population in Careweave: gnuhealth.person(0.."
                        f"{count - 1}) through POST /api/v1/people as {USERNAME} "
                        f"({args.clients} clients)")
                    created, stats = peer_mod.load_population(
                        peer.load, peer.gh, on.base_url, token, count, args.clients)
                    pr.loaded, pr.load_rate, pr.load_errors = len(created), stats["rps"], \
                        stats["errors"]
                    log(f"created {len(created):,} people in {stats['seconds']:.0f}s "
                        f"({stats['rps']:,.0f}/s, {stats['errors']} errors"
                        + (f", e.g. {stats['error_samples'][0]}" if stats["error_samples"]
                           else "") + ")")
            fx = fixtures(args, sample, more, token, nhs, extra_ids=created)
            log(f"{USERNAME}'s caseload: {fx.caseload} people sampled; "
                f"{len(fx.person_ids):,} people to read, {len(fx.queries):,} searches, "
                f"{len(fx.creates):,} new people ready")
            cookies = [login(on.port) for _ in range(min(args.clients, 16))]
            measure = Measure(args, loadgen, workdir, token, cookies)

            for sc in scenarios(fx):
                if not only or sc.key in only:
                    results.append(measure(on, sc, args.duration, args.warmup))
            # Notes and medicines, assessments, plans (bench/domains.py): data made through
            # the API as gp.uk, then measured like the rows above.
            results += domains.measure_all(sys.modules[__name__], args, on, measure, token,
                                           fx.person_ids, only)

            if not only or {"audit", "audit_on", "audit_off"} & only:
                # Audit on vs off: the same person reads against two servers, alternating
                # in short rounds so that other load on the machine hits both alike.
                off = Server(args, audit=False, workdir=workdir, app=app)
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
                off.stop()
                servers.remove(off)

            if peer is not None:
                pr.table = side_by_side(args, peer, on, token, fx, nhs, pr)
            rss = on.peak_rss()
            sealing = (f"{sealing_state(on.port)} at the end; the sealer used "
                       f"{sealer.cpu_seconds():.1f} s of CPU")
            log(f"audit sealing: {sealing}")
        except Exception:
            for server in servers:
                log(f"gunicorn log ({server.log_path.name}):\n{server.log_tail()}")
            raise
        finally:
            with shielded():
                for server in servers:
                    server.stop()
                if sealer is not None:
                    sealer.stop()
                if peer is not None:
                    try:
                        peer.down()
                    except Exception as exc:  # noqa: BLE001 - report, and keep cleaning up
                        log(f"GNU Health peer: down failed: {exc}")

    assert fx is not None
    report = render(args, fx, results, seed_seconds, seed_rate, loadgen, rss, pr, sealing)
    print()
    print(report)
    write(args.out, report)
    return 0


def side_by_side(args: argparse.Namespace, peer: peer_mod.Peer, on: Server, token: str,
                 fx: Fixtures, nhs: NhsNumbers, pr: PeerRun) -> str:
    gh, load = peer.gh, peer.load
    gh_ops = peer.ops()
    cw_ops = peer_mod.careweave_ops(load, gh, on.base_url, token, fx.person_ids, nhs)
    cw_hits, gh_hits = peer_mod.search_hits(load, gh, on.base_url, token, peer.rpc)
    log(f"side by side: {args.rounds} rounds x {args.round_seconds:g} s per operation and "
        f"side, {args.clients} clients (load.py); matches per search term: Careweave "
        f"{cw_hits:.0f} (each counted up to {peer_mod.HITS_CAP:,}), GNU Health {gh_hits:.0f}")
    results = peer_mod.interleave(load, {"Careweave": cw_ops, "GNU Health": gh_ops},
                                  rounds=args.rounds, seconds=args.round_seconds,
                                  warmup=min(float(args.warmup), args.round_seconds),
                                  clients=args.clients)
    state = peer.state or {}
    vers = state.get("versions", {})
    notes = [
        "Notes:",
        "",
        f"- Same generator for both: the peer's load.py, {args.clients} closed-loop clients "
        f"(threads, keep-alive), on the same 2-core machine as both servers; {args.rounds} rounds "
        f"x {args.round_seconds:g} s per operation and side, alternating which side goes first, "
        "reads and searches before creates. req/s is over the rounds' total time; p50/p95 are "
        "request-weighted means of the rounds'. ratio = Careweave req/s ÷ GNU Health req/s.",
        f"- Populations: GNU Health {pr.population:,} people, gnuhealth.person(0..{pr.population - 1})"
        f" (GNU Health {vers.get('gnuhealth', '?')}, trytond {vers.get('trytond', '?')}, its own "
        f"PostgreSQL). Careweave: {args.people:,} from `careweave seed` plus {pr.loaded:,} of the "
        f"same gnuhealth.person(i) created through POST /api/v1/people as {USERNAME} "
        f"({pr.load_rate:,.0f}/s, {pr.load_errors} errors), all of which are on Riverside "
        f"Surgery's caseload.",
        "- Search scope differs: Careweave searches gp.uk's caseload only, under the consent "
        "rules (care-team membership, consent to share), with a name-contains match over given "
        "and family names, the family names that start with the term first (the same rule "
        "as GNU Health's), then the other matches; GNU Health searches everyone, surname "
        "prefix (ILIKE 'Abe%'). Both return a page of 20 in name order (Careweave's in its "
        "two parts). The terms are gnuhealth.search_terms(); matches per "
        f"term, on average: Careweave {cw_hits:.0f} (each counted up to {peer_mod.HITS_CAP:,}), "
        f"GNU Health {gh_hits:.0f}. A contains match also finds given names and a few "
        "seeded surnames (Nora for 'nor', Hall for 'hal', Morgan for 'mor'), so some terms "
        "match more people in Careweave.",
        "- Reads: GNU Health reads any seeded person; Careweave reads people gp.uk may see (a "
        "sample of the seeded caseload and the people created above).",
    ]
    ours = "granian" if args.server == "granian" else f"gunicorn {args.worker_class}"
    return peer_mod.render(results, notes=notes, server=state.get("server", {}).get("describe", "?"),
                           careweave_server=ours)


def write(out_path: str, report: str) -> None:
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n", encoding="utf-8")
    log(f"results written to {out}")


def md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)]


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def machine_line(args: argparse.Namespace) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"- commit {commit}; {platform.python_implementation()} {platform.python_version()}; "
            f"{os.cpu_count()} CPUs; load average at the end {load}")


def render(args: argparse.Namespace, fx: Fixtures, results: list[Result], seed_seconds: float,
           seed_rate: float, loadgen: str, rss: tuple[int, int, int], pr: PeerRun,
           sealing: str = "") -> str:
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
                     f"≥ {AUDIT_RATIO:g}x", "yes" if ratio >= AUDIT_RATIO else "NO"])
    seed_ok = seed_seconds <= 300 or args.people < 100_000
    rows.append([f"seed {args.people:,} people", "", f"{seed_rate:,.0f}/s", "",
                 "", "", "100,000 < 300 s", f"{'yes' if seed_ok else 'NO'} ({seed_seconds:.0f} s)"])
    extra = f" + {pr.loaded:,} created through the API (the peer's population)" if pr.loaded else ""
    threads = args.threads if args.worker_class == "gthread" else 1
    notes = [
        f"# Careweave benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        machine_line(args),
        "- PostgreSQL 15 (throwaway, default durability: fsync and synchronous commit on); "
        f"{args.people:,} people seeded{extra}; {USERNAME} ({ORGANISATION}) sees {fx.caseload}",
        f"- {args.server}{' ' + args.worker_class if args.server == 'gunicorn' else ''} "
        f"{args.workers} workers x {threads} threads, DEBUG off; "
        "peak RSS "
        f"(VmHWM) master {_mb(rss[0])}, workers {_mb(rss[1])} in all (largest {_mb(rss[2])})",
        f"- load generator {loadgen}, {args.clients} connections, {args.duration} s per scenario "
        f"after {args.warmup} s warm-up; pages use a logged-in session (pool of sessions), the "
        "API a bearer token",
        f"- audit sealed after commit by `careweave audit seal --follow` (1 s): {sealing or '?'}",
        "- token lookups cached per worker for "
        f"{os.environ.get('CAREWEAVE_TOKEN_CACHE_SECONDS', '10')} s, cleared by NOTIFY on any "
        "change (careweave/access/tokencache.py; CAREWEAVE_TOKEN_CACHE_SECONDS=0: off)",
        "",
        "## Careweave",
        "",
        *md_table(head, rows),
    ]
    skipped = [r for r in results if r.note]
    if skipped:
        notes += ["", "Skipped:"] + [f"- {r.scenario.key}: {r.note}" for r in skipped]
    about = [r for r in results if r.scenario.about]
    if about:
        notes += ["", "Data of the domain scenarios (bench/domains.py):"]
        notes += [f"- {r.scenario.key}: {r.scenario.about}" for r in about]
    notes += ["", "## Side by side with GNU Health", ""]
    notes += [pr.table] if pr.table else [f"Not run: {pr.skipped or 'no result'}."]
    return "\n".join(notes)


# -- how cost grows: --scale ----------------------------------------------------------------


def scale_sizes(args: argparse.Namespace, loadgen: str, workdir: Path, app: str,
                nhs: NhsNumbers, rows: list[list[str]]) -> None:
    """Grow the population to each size in turn; one row of figures per size."""
    have = 0
    token = ""
    for size in args.sizes:
        add = size - have
        log(f"scale {size:,}: seeding {add:,} more people")
        seconds, rate = seed(add, args.seed, args.seed_jobs)
        have = size
        token = token or make_token()
        server = Server(args, audit=True, workdir=workdir, app=app)
        try:
            sample, more = caseload_sample(server.port, token, args.sample_pages)
            fx = fixtures(args, sample, more, token, nhs, with_creates=False)
            measure = Measure(args, loadgen, workdir, token, [])
            scs = {sc.key: sc for sc in scenarios(fx)}
            got = {key: measure(server, scs[key], args.duration, args.warmup)
                   for key in ("person_api", "search_api", "caseload_api")}
            master, workers, largest = server.peak_rss()
        except Exception:
            log(f"gunicorn log ({server.log_path.name}):\n{server.log_tail()}")
            raise
        finally:
            with shielded():
                server.stop()

        def cell(r: Result) -> str:
            if r.note or not r.requests:
                return "—"
            bad = f", {r.bad} unexpected" if r.bad else ""
            return f"{r.p95:.1f} ({r.rps:,.0f}/s{bad})"

        rows.append([f"{size:,}", f"{add:,} at {rate:,.0f}/s ({seconds:.0f} s)", fx.caseload,
                     cell(got["person_api"]), cell(got["search_api"]),
                     cell(got["caseload_api"]), _mb(master + workers), _mb(largest)])
        log(f"scale {size:,}: {' | '.join(rows[-1])}")


def scale_run(args: argparse.Namespace, loadgen: str) -> int:
    t0 = time.monotonic()
    careweave("migrate", "--no-input", "-v", "0")
    log(f"migrated in {time.monotonic() - t0:.1f}s; sizes {', '.join(f'{n:,}' for n in args.sizes)}")
    app = wsgi_app()
    nhs = NhsNumbers(args.seed)
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="careweave-bench-") as tmp:
        workdir = Path(tmp)
        sealer = Sealer(workdir)
        try:
            scale_sizes(args, loadgen, workdir, app, nhs, rows)
        finally:
            with shielded():
                sealer.stop()
    head = ["people", "seeded (rate)", f"{USERNAME} caseload", "read p95 ms (req/s)",
            "search p95 ms (req/s)", "caseload API p95 ms (req/s)", "gunicorn peak RSS",
            "largest worker"]
    report = "\n".join([
        f"# Careweave: how cost grows, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        machine_line(args),
        "- PostgreSQL 15 (throwaway, default durability); each size seeded on top of the last with "
        "`careweave seed` (rate as the command measured it)",
        f"- at each size a fresh {args.server} ({args.workers} workers x {args.threads} threads, "
        f"DEBUG off); {loadgen}, {args.clients} connections, {args.duration} s per scenario after "
        f"{args.warmup} s warm-up; read = GET /api/v1/people/<id>, search = GET /api/v1/people?q=, "
        "caseload = GET /api/v1/people (first page)",
        f"- peak RSS = VmHWM of the {args.server} master plus its workers, summed, after the three "
        "scenarios",
        "",
        *md_table(head, rows),
    ])
    print()
    print(report)
    write(args.out, report)
    return 0


# -- issue 11's candidates: --candidates ------------------------------------------------------


def candidates_run(args: argparse.Namespace, loadgen: str) -> int:
    t0 = time.monotonic()
    careweave("migrate", "--no-input", "-v", "0")
    log(f"migrated in {time.monotonic() - t0:.1f}s; seeding {args.people:,} people")
    seed_seconds, seed_rate = seed(args.people, args.seed, args.seed_jobs)
    app = wsgi_app()
    token = make_token()
    variants = args.variants
    with tempfile.TemporaryDirectory(prefix="careweave-bench-") as tmp:
        workdir = Path(tmp)
        sealer = Sealer(workdir)
        try:
            first = Server(args, audit=True, workdir=workdir, app=app)
            try:
                sample, more = caseload_sample(first.port, token, args.sample_pages)
            finally:
                with shielded():
                    first.stop()
            fx = fixtures(args, sample, more, token, NhsNumbers(args.seed), with_creates=False)
            scs = {sc.key: sc for sc in scenarios(fx)}
            measure = Measure(args, loadgen, workdir, token, [])
            got = candidates.measure_all(sys.modules[__name__], args, variants, workdir, app,
                                         measure, scs)
        finally:
            with shielded():
                sealer.stop()
    report = "\n".join([
        f"# Careweave: issue 11's read-path candidates, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        machine_line(args),
        f"- PostgreSQL 15 (throwaway, default durability); {args.people:,} people seeded "
        f"({seed_rate:,.0f}/s, {seed_seconds:.0f} s); {USERNAME}'s caseload {fx.caseload}; "
        "audit on, sealed after commit",
        f"- {args.rounds} round{'s' if args.rounds != 1 else ''}; per round each variant in "
        "turn (order rotating) on a fresh "
        f"server: {args.warmup} s warm-up, then {max(1, int(args.round_seconds))} s of the person "
        f"read (GET /api/v1/people/<id>) and of the search (GET /api/v1/people?q=), {loadgen}, "
        f"{args.clients} connections; figures over all rounds (p50/p95: request-weighted means)",
        f"- {candidates.environment_note()}",
        "",
        *candidates.table(sys.modules[__name__], variants, got),
    ])
    print()
    print(report)
    write(args.out, report)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    if not args.inner:
        return outer([a for a in argv if a != "--inner"])
    return inner(args)


if __name__ == "__main__":
    sys.exit(main())
