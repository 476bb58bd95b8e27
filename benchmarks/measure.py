"""Load generation and the arithmetic of the benchmark, kept free of Django so it is cheap to test.

- ``run_wrk`` drives `wrk` (with ``wrk_report.lua`` for the p95 that ``--latency`` does not print) and
  ``parse_wrk`` reads its output; ``run_threads`` is the pure-Python fallback when wrk is missing.
- ``server_cpu_seconds`` sums utime+stime of a gunicorn master and its workers from /proc, so
  ``cpu_ms_per_request`` is the server's own CPU, whatever else the machine is doing.
- ``measure_export`` measures an export's time to first byte, total time and peak memory.
"""

import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Browsers always send it: a server that compresses HTML pays for it here as it would in life.
DEFAULT_HEADERS = {"Accept-Encoding": "gzip, deflate, br", "Accept": "text/html"}

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value, unit):
    return float(value) * _UNITS[unit]


def parse_wrk(output):
    """Numbers from wrk's output (with ``--latency`` and ``wrk_report.lua``): rps, latencies in ms, counts."""
    result = {"requests": 0, "duration_s": None, "rps": 0.0, "errors": 0, "non_2xx_3xx": 0}
    if match := re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output):
        result["requests"] = int(match[1])
        result["duration_s"] = _ms(match[2], match[3]) / 1000
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["rps"] = float(match[1])
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result["non_2xx_3xx"] = int(match[1])
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result["errors"] = sum(int(n) for n in match.groups())
    for percent, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M):
        result[f"p{percent}_ms"] = _ms(value, unit)
    if match := re.search(r"^BENCH_REPORT (\{.*\})$", output, re.M):  # wrk_report.lua: exact percentiles
        report = json.loads(match[1])
        for key in ("p50", "p90", "p95", "p99"):
            result[f"{key}_ms"] = report[f"{key}_us"] / 1000
        result["requests"] = report["requests"]
        result["duration_s"] = report["duration_us"] / 1e6
        result["non_2xx_3xx"] = report["status_errors"]
        if not result["rps"] and result["duration_s"]:
            result["rps"] = result["requests"] / result["duration_s"]
    return result


def run_wrk(url, *, duration, connections, threads=2, headers=None):
    headers = {**DEFAULT_HEADERS, **(headers or {})}
    # --timeout: wrk's 2 s default would drop the slow responses a loaded 2-worker server gives.
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "60s", "--latency"]
    command += ["-s", str(WRK_SCRIPT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration + 120, check=True)  # noqa: S603
    result = parse_wrk(done.stdout)
    result["generator"] = "wrk"
    result["abandoned"] = connections  # wrk stops with one request sent and unanswered on every connection
    return result


def percentile(sorted_values, percent):
    """Nearest-rank percentile of an already sorted list (what wrk reports, to the bucket)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * percent // 100))
    return sorted_values[int(rank) - 1]


def run_threads(url, *, duration, connections, headers=None):
    """The fallback load generator: ``connections`` threads, each on one keep-alive connection."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {**DEFAULT_HEADERS, **(headers or {})}
    latencies, counts, lock = [], {"errors": 0, "status_errors": 0}, threading.Lock()
    deadline = time.perf_counter() + duration

    def worker():
        mine, errors, status_errors = [], 0, 0
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append((time.perf_counter() - start) * 1000)
            status_errors += response.status >= 400
        connection.close()
        with lock:
            latencies.extend(mine)
            counts["errors"] += errors
            counts["status_errors"] += status_errors

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "generator": "python",
        "abandoned": 0,  # each thread waits for its last answer
        "requests": len(latencies),
        "duration_s": elapsed,
        "rps": len(latencies) / elapsed,
        "errors": counts["errors"],
        "non_2xx_3xx": counts["status_errors"],
        **{f"p{p}_ms": percentile(latencies, p) for p in (50, 90, 95, 99)},
    }


def load_generator(choice="auto"):
    """The load function to use: wrk when installed (or asked for), else the Python threads."""
    if choice == "wrk" or (choice == "auto" and shutil.which("wrk")):
        return run_wrk
    return run_threads


def process_tree(root_pid):
    """``root_pid`` and its live children (gunicorn's master and its workers), from /proc."""
    pids = [root_pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == root_pid:  # field 4: the parent's pid
                pids.append(int(entry.name))
    return pids


def cpu_seconds(stat_line):
    """utime + stime (fields 14 and 15 of /proc/<pid>/stat) in seconds. The command name (field 2) may
    hold spaces and parentheses, so fields are counted after its last ")"."""
    fields = stat_line.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def server_cpu_seconds(root_pid):
    """CPU seconds used so far by the gunicorn master and its workers, as {pid: seconds}."""
    usage = {}
    for pid in process_tree(root_pid):
        try:
            usage[pid] = cpu_seconds(Path(f"/proc/{pid}/stat").read_text())
        except OSError:
            continue
    return usage


def cpu_ms_per_request(before, after, requests):
    """Server CPU per request between two ``server_cpu_seconds`` readings. A worker that appeared in
    between (a restart) counts from zero; one that died loses its share (gunicorn rarely restarts them)."""
    if not requests:
        return None
    used = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    return used * 1000 / requests


def peak_rss_mb():
    """The process's peak resident memory so far (VmHWM), in MB, or None off Linux."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match[1]) / 1024 if match else None


def reset_peak_rss():
    """Start the peak resident memory (VmHWM) again from now (Linux: "5" to /proc/self/clear_refs), so an
    export's peak is its own, not the bulk loading's before it. False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure_export(export):
    """Run ``export.run()`` to the end: time to first chunk, total time, bytes, peak memory (Python's
    allocations, and the process's resident memory from the export's start when the system allows)."""
    import gc

    gc.collect()
    rss_reset = reset_peak_rss()
    tracemalloc.start()
    started = time.perf_counter()
    first_byte, size = None, 0
    try:
        for chunk in export.run():
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
        total = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "name": export.name,
        "rows": export.rows,
        "bytes": size,
        "first_byte_ms": None if first_byte is None else first_byte * 1000,
        "total_ms": total * 1000,
        "peak_python_mb": peak / 2**20,
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_since_start": rss_reset,  # False: the process's peak since it started
    }


def fraction(value, reference):
    """``value`` as a percentage of ``reference`` (None when either is missing)."""
    if not value or not reference:
        return None
    return 100 * value / reference


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None
