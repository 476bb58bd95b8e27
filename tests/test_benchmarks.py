"""The benchmark's own arithmetic (benchmarks/measure.py) and registry, in milliseconds: no server, no database.

The benchmark itself is `make bench`; speed targets are measured there, never by timed tests.
"""

import pytest

from benchmarks import measure
from benchmarks.datasets import DATASETS, DETAIL, LISTING, Context, Dataset, Export

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:40123/it/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   312.45ms   40.12ms 601.00ms   71.23%
    Req/Sec    25.61      9.87    50.00     66.10%
  Latency Distribution
     50%  305.10ms
     75%  330.00ms
     90%  361.92ms
     99%    1.20s
  512 requests in 10.02s, 21.40MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:     51.10
Transfer/sec:      2.14MB
"""
REPORT_LINE = (
    'BENCH_REPORT {"requests": 512, "duration_us": 10020000, "status_errors": 3, '
    '"p50_us": 305100, "p90_us": 361920, "p95_us": 401000, "p99_us": 1200000}\n'
)


def test_parse_wrk_reads_rate_latencies_and_errors():
    result = measure.parse_wrk(WRK_OUTPUT)
    assert result["rps"] == 51.10
    assert result["requests"] == 512
    assert result["duration_s"] == pytest.approx(10.02)
    assert result["p50_ms"] == pytest.approx(305.10)
    assert result["p99_ms"] == pytest.approx(1200.0)  # "1.20s"
    assert result["non_2xx_3xx"] == 3
    assert result["errors"] == 3
    assert "p95_ms" not in result  # --latency alone has no p95: the Lua report gives it


def test_parse_wrk_takes_p95_from_the_lua_report():
    result = measure.parse_wrk(WRK_OUTPUT + REPORT_LINE)
    assert result["p95_ms"] == pytest.approx(401.0)
    assert result["p50_ms"] == pytest.approx(305.1)
    assert result["rps"] == 51.10


def test_parse_wrk_microseconds():
    assert measure.parse_wrk("     50%  812.00us\n")["p50_ms"] == pytest.approx(0.812)


def test_cpu_seconds_counts_utime_and_stime_after_the_command_name():
    # A command name with spaces and a parenthesis must not shift the fields.
    fields = ["S", "1"] + ["0"] * 9 + ["250", "50"] + ["0"] * 30
    line = "1234 (gunicorn: (worker) x) " + " ".join(fields)
    assert measure.cpu_seconds(line) == pytest.approx(300 / measure.CLOCK_TICKS)


def test_cpu_ms_per_request():
    before = {1: 1.0, 2: 10.0}
    after = {1: 1.5, 2: 12.0, 3: 0.5}  # 3 is a worker started during the run: counted from zero
    assert measure.cpu_ms_per_request(before, after, 1000) == pytest.approx(3.0)
    assert measure.cpu_ms_per_request(before, after, 0) is None


def test_process_tree_finds_children():
    import os
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])  # noqa: S603
    try:
        assert set(measure.process_tree(os.getpid())) >= {os.getpid(), child.pid}
    finally:
        child.kill()
        child.wait()


def test_percentile_and_fraction():
    values = list(range(1, 101))
    assert measure.percentile(values, 50) == 50
    assert measure.percentile(values, 95) == 95
    assert measure.percentile([], 95) is None
    assert measure.fraction(25, 1000) == pytest.approx(2.5)
    assert measure.fraction(None, 1000) is None
    assert measure.median([3, None, 1, 2]) == 2


def test_measure_export_times_the_first_chunk_and_the_memory():
    def rows():
        yield b"id,choice\n"
        for n in range(1000):
            yield f"{n},a\n".encode()

    result = measure.measure_export(Export("votes.csv", rows, rows=1000))
    assert result["bytes"] == len(b"id,choice\n") + sum(len(f"{n},a\n") for n in range(1000))
    assert 0 <= result["first_byte_ms"] <= result["total_ms"]
    assert result["peak_python_mb"] >= 0


def test_the_registry_describes_each_page_type_once():
    names = [dataset.name for dataset in DATASETS]
    assert len(names) == len(set(names))
    assert {"site", "process", "poll", "ideas"} <= set(names)
    for dataset in DATASETS:
        assert isinstance(dataset, Dataset) and callable(dataset.pages) and callable(dataset.load)
        for export in dataset.exports(Context()):
            assert isinstance(export, Export) and callable(export.run) and export.rows
    # Each participation page type measures its biggest export (participation/exports.py).
    measured = {dataset.name for dataset in DATASETS if dataset.exports(Context())}
    assert measured == {"poll", "ideas", "budgets", "reports", "pacts"}


def test_sizes_scale_with_a_floor_of_one():
    process = next(dataset for dataset in DATASETS if dataset.name == "process")
    assert Context(scale=1).size(process, "comments") == 10_000
    assert Context(scale=0.01).size(process, "comments") == 100
    assert Context(scale=0.00001).size(process, "comments") == 1
    assert {DETAIL, LISTING} == {"detail", "listing"}


def test_feeds_are_held_to_their_own_target_not_to_a_share_of_the_bare_view():
    from benchmarks.run import targets_missed

    def row(feed, **fractions):
        return {"kind": "feed", "queries": {"anon": 3, "logged_in": 5}, "feed": feed, **fractions}

    fast = {"warm_ms_median": 40.0, "not_modified_status": 304}
    assert targets_missed(row(fast, anon_fraction=5.0, logged_in_fraction=2.0)) == []
    slow = {"warm_ms_median": 151.0, "not_modified_status": 200}
    assert targets_missed(row(slow)) == ["warm 151 ms > 150 ms", "If-None-Match answered 200, not 304"]
    page = {"kind": LISTING, "queries": {"anon": 16, "logged_in": 9}, "anon_fraction": 24.0}
    assert targets_missed(page) == ["anonymous 24.0 % < 25.0 %", "anon 16 queries > 15"]


def test_the_bench_server_passes_the_production_checks_on_its_seeded_residents(settings, monkeypatch, tmp_path):
    """The benchmark seeds the demo (its register of residents and verified citizens) and then starts gunicorn
    in production settings, which refuses to start without RESIDENT_IDENTITY_KEY once such rows exist."""
    from benchmarks.run import bench_environment
    from civic_site import checks

    monkeypatch.setattr(checks, "identities_stored", lambda: True)
    settings.DEBUG = False
    settings.RESIDENT_IDENTITY_KEY = ""
    assert [error.id for error in checks.check_resident_identity_key()] == ["civic_site.E004"]
    settings.RESIDENT_IDENTITY_KEY = bench_environment(tmp_path, "sqlite://")["RESIDENT_IDENTITY_KEY"]
    assert checks.check_resident_identity_key() == []
