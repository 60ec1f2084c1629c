"""bench/domains.py and the request lines it gives run.py's generators. No timings are
asserted: targets are judged on fixed figures, and the generators are driven against a
tiny in-process server that checks If-Match and Idempotency-Key the way Careweave does."""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("careweave_bench_run_domains", RUN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_domain_targets_are_judged_on_the_measured_figures(bench: ModuleType) -> None:
    d = bench.domains
    assert set(d.KEYS) == set(d.P95_MS) == set(d.TITLES)
    assert [k for keys in d.GROUPS.values() for k in keys] == list(d.KEYS)
    pdf = bench.Scenario("plan_pdf", d.TITLES["plan_pdf"], ["GET\t/x"],
                         target=bench.Target(p95_ms=d.P95_MS["plan_pdf"]))
    assert pdf.target.describe() == "p95 ≤ 1000 ms"
    assert bench.Result(pdf, requests=100, seconds=20, p95=999).met() == "yes"
    assert bench.Result(pdf, requests=100, seconds=20, p95=1001).met() == "NO"
    page = bench.Scenario("notes_page", "", ["GET\t/x"], target=bench.Target(p95_ms=60))
    assert bench.Result(page, requests=2000, seconds=20, p95=59.9).met() == "yes"
    assert bench.Result(page, requests=2000, seconds=20, p95=61).met() == "NO"
    # 412s or 500s are errors, however fast
    assert bench.Result(page, requests=2000, seconds=20, p95=10, bad=21).met() == "ERRORS"
    assert bench.Result(page, requests=2000, seconds=20, p95=10, bad=20).met() == "yes"
    # nothing answered within the run (a PDF slower than --duration): not met, not errors
    assert bench.Result(pdf, requests=0, seconds=3).met() == "NO (none answered in time)"
    assert bench.Result(pdf, requests=0, seconds=3, bad=16).met() == "ERRORS"


@pytest.mark.parametrize("only", ["notes_page,note_add", "timeline_page", "phq9_submit",
                                  "deteriorating,plan_pdf", "goal_save,plan_page,plan_compare",
                                  "person_api,audit,peer"])
def test_domain_keys_are_accepted_by_only(bench: ModuleType, only: str) -> None:
    assert bench.parse(["--only", only]).only == only


@pytest.mark.parametrize("argv", [["--only", "notes"], ["--only", "person_api,plan"],
                                  ["--timeline-entries", "0"]])
def test_unknown_keys_and_bad_sizes_are_refused(bench: ModuleType, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        bench.parse(argv)
    assert exc.value.code == 2


def test_request_lines_round_trip(bench: ModuleType) -> None:
    d = bench.domains
    line = d.item("POST", "/api/v1/people/p/notes", {"summary": "tab\there ({seq})"},
                  Idempotency_Key="bench-{seq}")
    assert line.count("\t") == 3  # method, path, body (its tab escaped), one header
    method, path, body, headers = bench.parse_item(line, "n-1-7")
    assert (method, path) == ("POST", "/api/v1/people/p/notes")
    assert json.loads(body or "") == {"summary": "tab\there (n-1-7)"}
    assert headers == {"Idempotency-Key": "bench-n-1-7"}
    patch = d.item("PATCH", "/x", {"a": 1}, If_Match='W/"3"')
    assert bench.parse_item(patch, "s")[3] == {"If-Match": 'W/"3"'}
    assert bench.parse_item("GET\t/people/p/", "s") == ("GET", "/people/p/", None, {})
    assert bench.parse_item("POST\t/x\t{}", "s") == ("POST", "/x", "{}", {})
    assert d.item("GET", "/x") == "GET\t/x"


def test_next_etag_follows_success_and_412(bench: ModuleType) -> None:
    d = bench.domains
    assert d.next_etag(200, 'W/"8"', b"{}") == 'W/"8"'
    assert d.next_etag(412, None, b'{"status": 412, "current_version": 11}') == 'W/"11"'
    assert d.next_etag(412, None, b'{"status": 412}') is None
    assert d.next_etag(500, None, b"") is None


def test_seed_rows_are_counted(bench: ModuleType) -> None:
    d = bench.domains
    d.SEEDED.clear()
    out = ("Seeding 300 people (seed 1, batches of 5,000)\n"
           "Seeded 300 people in 1.7s (180 people/s): 300 people, 914 care team, "
           "3,000 assessments, 1,200 latest scores.\n")
    d.count_seeded(out)
    d.count_seeded(out)  # --scale seeds again: the rows add up
    assert d.SEEDED["assessments"] == 6000 and d.SEEDED["care team"] == 1828
    d.SEEDED.clear()


def test_phq9_answers_come_from_the_definition(bench: ModuleType) -> None:
    import random

    definition = {
        "option_sets": {"f": [{"code": "a", "value": 0}, {"code": "b", "value": 1},
                              {"code": "c", "value": 2}]},
        "items": [{"code": f"q{i}", "option_set": "f"} for i in range(1, 10)]
        + [{"code": "note", "type": "text"}],
        "flags": [{"code": "self_harm", "item": "q9", "above": 0}],
    }
    for seed in range(20):
        answers = bench.domains.phq9_answers(definition, random.Random(seed))
        assert set(answers) == {f"q{i}" for i in range(1, 10)}
        assert answers["q9"] == "a"  # no safety flag
        assert set(answers.values()) <= {"a", "b", "c"}


def _args(bench: ModuleType, *extra: str) -> argparse.Namespace:
    return bench.parse(["--no-peer", "--duration", "1", "--warmup", "0", *extra])


def test_a_failing_set_up_gives_rows_marked_n_a(bench: ModuleType,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    d = bench.domains
    called: list[tuple[str, list[str]]] = []

    def broken(b: Any, api: Any, people: Any, args: Any, wanted: list[str]) -> list[Any]:
        called.append(("plans", wanted))
        raise d.ApiError(404, "POST", "/api/v1/people/x/plans", b'{"title": "Not found"}')

    def fine(b: Any, api: Any, people: Any, args: Any, wanted: list[str]) -> list[Any]:
        called.append(("notes", wanted))
        return [b.Scenario(k, d.TITLES[k], ["GET\t/x"], about="data",
                           target=b.Target(p95_ms=d.P95_MS[k])) for k in wanted]

    monkeypatch.setitem(d.SETUPS, "plans", broken)
    monkeypatch.setitem(d.SETUPS, "notes", fine)
    server = type("S", (), {"port": 1})()
    measured: list[str] = []

    def measure(srv: Any, sc: Any, seconds: int, warm: int) -> Any:
        measured.append(sc.key)
        return bench.Result(sc, requests=10, seconds=1, p95=5)

    results = d.measure_all(bench, _args(bench), server, measure, "Bearer t", ["a", "b"],
                            {"notes_page", "plan_pdf", "plan_page"})
    assert called == [("notes", ["notes_page"]), ("plans", ["plan_page", "plan_pdf"])]
    assert measured == ["notes_page"]
    assert [(r.scenario.key, r.met()) for r in results] == [
        ("notes_page", "yes"), ("plan_page", "n/a"), ("plan_pdf", "n/a")]
    assert "404" in results[1].note
    fx = bench.Fixtures(token="", person_ids=[], queries=[], creates=[], caseload="2")
    report = bench.render(_args(bench), fx, results, 1.0, 100.0, "wrk", (0, 0, 0),
                          bench.PeerRun(skipped="--no-peer"))
    assert "| plan PDF, agreed version 2" in report and "p95 ≤ 1000 ms" in report
    assert "- plan_pdf: set-up failed: POST /api/v1/people/x/plans answered 404" in report
    assert "- notes_page: data" in report


def test_people_for_special_scenarios_are_not_written_to(bench: ModuleType) -> None:
    people = bench.domains.People([f"p{i}" for i in range(10)])
    assert people.candidates()[0] == "p9"
    people.take("p9")
    people.take("p8")
    assert "p9" not in people.writers() and "p8" not in people.writers()
    assert people.candidates()[0] == "p7"


# -- the generators against a server that checks If-Match and Idempotency-Key ------------------


class Versions(BaseHTTPRequestHandler):
    """PATCH /goal/<n> needs If-Match W/"v" of that goal's current version (412 with
    current_version otherwise); POST /notes counts Idempotency-Keys (200 for a replay)."""

    versions: dict[str, int] = {}
    keys: set[str] = set()
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any], etag: str = "") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_PATCH(self) -> None:  # noqa: N802
        self._body()
        with self.lock:
            v = self.versions.setdefault(self.path, 1)
            if self.headers.get("If-Match") != f'W/"{v}"':
                return self._send(412, {"status": 412, "current_version": v})
            self.versions[self.path] = v + 1
        self._send(200, {"ok": True}, etag=f'W/"{v + 1}"')

    def do_POST(self) -> None:  # noqa: N802
        self._body()
        key = self.headers.get("Idempotency-Key") or ""
        with self.lock:
            replay = not key or key in self.keys
            self.keys.add(key)
        self._send(200 if replay else 201, {"ok": True})

    def do_GET(self) -> None:  # noqa: N802
        v = self.versions.get(self.path.replace("/plan/", "/goal/"), 1)
        self._send(200, {"ok": True}, etag=f'W/"{v}"')


@pytest.fixture()
def versions_server() -> Any:
    Versions.versions, Versions.keys = {}, set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Versions)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _current(port: int, bench: ModuleType, n: int) -> list[str]:
    lines = []
    for i in range(n):
        _s, headers, _b = bench.http_request(port, "GET", f"/plan/{i}")
        lines.append(bench.domains.item("PATCH", f"/goal/{i}", {"text": "({seq})"},
                                        If_Match=headers["ETag"]))
    return lines


@pytest.mark.parametrize("loadgen", ["python", "wrk"])
def test_each_client_saves_its_own_record_without_conflicts(
        bench: ModuleType, versions_server: Any, loadgen: str, tmp_path: Path) -> None:
    if loadgen == "wrk" and not shutil.which("wrk"):
        pytest.skip("wrk is not installed")
    port = versions_server.server_address[1]
    clients = 4
    sc = bench.Scenario("goal_save", "save", _current(port, bench, clients), auth="token",
                        track_etag=True, refresh=lambda: _current(port, bench, clients))
    runner = bench.run_python if loadgen == "python" else bench.run_wrk
    args = _args(bench, "--clients", str(clients))
    measure = bench.Measure(args, loadgen, tmp_path, "Bearer t", [])
    measure.runner = runner
    r = measure(type("S", (), {"port": port})(), sc, 1, 1)  # check, warm-up, run: refreshed
    assert r.requests > clients and r.bad == 0, r.statuses
    assert set(r.statuses) == {"200"}


@pytest.mark.parametrize("loadgen", ["python", "wrk"])
def test_every_post_has_its_own_idempotency_key(bench: ModuleType, versions_server: Any,
                                                loadgen: str, tmp_path: Path) -> None:
    if loadgen == "wrk" and not shutil.which("wrk"):
        pytest.skip("wrk is not installed")
    port = versions_server.server_address[1]
    items = [bench.domains.item("POST", "/notes", {"n": i}, Idempotency_Key="bench-{seq}")
             for i in range(3)]  # fewer lines than requests: the key still differs
    sc = bench.Scenario("note_add", "add", items, auth="token", expect=(201,))
    runner = bench.run_python if loadgen == "python" else bench.run_wrk
    r = runner(port, sc, {"Authorization": "Bearer t"}, [], 1, 4, tmp_path)
    assert r.requests > len(items) and r.bad == 0, r.statuses
    assert len(Versions.keys) >= r.requests  # wrk does not count what is in flight at the end
