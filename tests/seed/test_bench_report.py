"""bench/run.py's bookkeeping: targets, merging rounds, bad options. No timings are asserted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("careweave_bench_run", RUN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_targets_are_judged_on_the_measured_figures(bench: ModuleType) -> None:
    search = bench.Scenario("search", "search", ["GET\t/x"], target=bench.Target(20, 100))
    assert bench.Result(search, requests=1000, seconds=10, p50=15, p95=90).met() == "yes"
    assert bench.Result(search, requests=1000, seconds=10, p50=25, p95=90).met() == "NO"
    assert bench.Result(search, requests=1000, seconds=10, p50=15, p95=101).met() == "NO"
    create = bench.Scenario("create", "create", ["POST\t/x\t{}"],
                            target=bench.Target(min_rps=300), expect=(201,))
    assert bench.Result(create, requests=3100, seconds=10).met() == "yes"
    assert bench.Result(create, requests=2900, seconds=10).met() == "NO"
    # Fast but failing requests do not meet a target.
    assert bench.Result(create, requests=3100, seconds=10, bad=500).met() == "ERRORS"
    assert bench.Result(create, note="HTTP 404").met() == "n/a"
    plain = bench.Scenario("caseload", "caseload", ["GET\t/x"])
    assert bench.Result(plain, requests=10, seconds=1).met() == "—"


def test_rounds_merge_into_one_row(bench: ModuleType) -> None:
    sc = bench.Scenario("audit_on", "on", ["GET\t/x"])
    merged = bench.merge(sc, [
        bench.Result(sc, requests=100, seconds=5, p50=10, p95=20, p99=30, statuses={"200": 100}),
        bench.Result(sc, requests=300, seconds=5, p50=20, p95=40, p99=60, bad=2,
                     statuses={"200": 298, "500": 2}),
    ])
    assert merged.requests == 400 and merged.seconds == 10 and merged.rps == 40
    assert merged.p50 == pytest.approx(17.5) and merged.p95 == pytest.approx(35)
    assert merged.bad == 2 and merged.statuses == {"200": 398, "500": 2}


@pytest.mark.parametrize("argv", [["--people", "0"], ["--people", "2000000"],
                                  ["--duration", "0"], ["--clients", "0"],
                                  ["--candidates", "orjson_off"],
                                  ["--candidates", "--scale", "10,20"],
                                  ["--seed-jobs", "0"], ["--seed-jobs", "9"]])
def test_bad_options_are_refused(bench: ModuleType, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        bench.parse(argv)
    assert exc.value.code == 2


def test_candidates_are_the_default_and_one_change_each(bench: ModuleType) -> None:
    args = bench.parse(["--candidates", "--people", "10000"])
    keys = [v.key for v in args.variants]
    assert keys[0] == "default" and len(keys) == len(set(keys)) >= 8
    assert args.out.endswith("candidates.md")
    some = bench.parse(["--candidates", "pipeline_off,sync_8"]).variants
    assert [v.key for v in some] == ["default", "pipeline_off", "sync_8"]
    default = some[0]
    for v in bench.candidates.VARIANTS[1:]:
        server = (v.server, v.worker_class, v.workers, v.threads)
        changes = len(v.env) + (server != (default.server, default.worker_class,
                                           default.workers, default.threads))
        assert changes == 1, v.key  # one thing differs, so the figure says what it bought
    sync = bench.candidates.options_for(args, some[2])
    assert (sync.worker_class, sync.workers, sync.threads, sync.people) == ("sync", 8, 1, 10000)
    assert args.worker_class == "gthread"  # the run's own options are left alone


def test_candidate_rounds_rotate_who_goes_first(bench: ModuleType) -> None:
    vs = bench.candidates.VARIANTS[:3]
    firsts = [bench.candidates.order(vs, r)[0].key for r in range(3)]
    assert sorted(firsts) == sorted(v.key for v in vs)
    assert all(sorted(v.key for v in bench.candidates.order(vs, r)) ==
               sorted(v.key for v in vs) for r in range(5))


def test_candidate_table_gives_each_variant_against_the_default(bench: ModuleType) -> None:
    read = bench.Scenario("person_api", "read", ["GET\t/x"])
    search = bench.Scenario("search_api", "search", ["GET\t/x"])
    vs = bench.candidates.by_key("prepare_off")

    def results(n: int) -> dict:
        return {"person_api": bench.Result(read, requests=n, seconds=10, p50=20, p95=40),
                "search_api": bench.Result(search, requests=n // 2, seconds=10, p50=30, p95=60)}

    lines = bench.candidates.table(bench, vs, {"default": results(4000),
                                               "prepare_off": results(3000)})
    default_row, prepare_row = lines[2], lines[3]
    assert "400.0" in default_row and "1.00×" in default_row
    assert "300.0" in prepare_row and "0.75×" in prepare_row and "CAREWEAVE_DB_PREPARE=0" in prepare_row
