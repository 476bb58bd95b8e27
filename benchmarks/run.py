"""The site's benchmark (issue 13): every public page as a fraction of a bare Django view, in one run.

1. A fresh database (a temp SQLite file; with DATABASE_URL=postgres://..., a new database on that server,
   dropped afterwards), migrated and seeded with the demo, then each dataset of benchmarks/datasets.py
   adds its large data in bulk (10,000 comments on Parco Dora, 50,000 votes on its poll...).
2. SQL queries per request for every page, anonymous and logged in as a verified citizen, counted
   in-process with Django's test client after one warm-up request (at seed size and at full size).
3. gunicorn on 127.0.0.1 with production settings (benchmarks/settings.py: static files collected into a
   temp dir, plus the bare reference view at /_bench/bare/), 2 sync workers; wrk (or the Python
   fallback) loads each page, anonymous then logged in, interleaved with the bare view (bare, page,
   page logged in, bare...): requests per second, p50/p95 latency, server CPU per request.
4. Optionally Lighthouse (mobile; performance and accessibility) on every page.
5. A table on stdout, every number in JSON (benchmarks/results/latest.json).

    make bench                                    # full size, about 10 minutes
    .venv/bin/python benchmarks/run.py --small    # a quick sanity run
    .venv/bin/python benchmarks/run.py --help
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from benchmarks import measure  # noqa: E402 - needs the checkout on sys.path

BARE_URL = "/_bench/bare/"
CITIZEN_EMAIL = "bench.citizen@example.org"
TARGETS = {
    "anonymous": 25.0,
    "detail": 5.0,
    "listing": 2.6,
    "queries": 15,
    "feed_ms": 150.0,
    "lighthouse_performance": 90,
}
FEED_REQUESTS = 20  # sequential warm requests per feed
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
    "--no-first-run --disable-sync"
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick sanity run: 1 %% of the data, 2 s runs, Italian")
    parser.add_argument("--scale", type=float, help="fraction of the full-size data (default 1, --small 0.01)")
    parser.add_argument("--duration", type=int, help="seconds per load run (default 10, --small 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--languages", nargs="+", help="page languages (default: it en; --small: it)")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--no-load", action="store_true", help="count queries only: no gunicorn, no load")
    parser.add_argument(
        "--ballots",
        type=int,
        help="ballots on each demo budget, whatever the scale (default 20,000 at full size); 100000 checks the "
        "export target of issue 17: 100,000 ballots streamed under 150 MB",
    )
    parser.add_argument("--lighthouse", action="store_true", help="also run Lighthouse (mobile) on every page")
    parser.add_argument("--lighthouse-timeout", type=int, default=300, help="seconds per Lighthouse run")
    parser.add_argument("--json", default=str(BENCH_DIR / "results" / "latest.json"), help="where to write JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (and a PostgreSQL database)")
    args = parser.parse_args(argv)
    args.scale = args.scale if args.scale is not None else (0.01 if args.small else 1.0)
    args.duration = args.duration or (2 if args.small else 10)
    args.languages = args.languages or (["it"] if args.small else ["it", "en"])
    return args


# --- the database and the environment ---


def fresh_database(tmp):
    """(DATABASE_URL for a new empty database, a function that removes it).

    SQLite: a file in the temp directory. PostgreSQL (DATABASE_URL set): a new database beside the one
    named, so no existing data is touched.
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return f"sqlite:///{tmp}/bench.sqlite3", lambda: None
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))
    name = f"civic_bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, "")), drop


def bench_environment(tmp, database_url):
    return {
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        # The seed verifies residents, and production refuses to start on them without this key (E004).
        "RESIDENT_IDENTITY_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SINGLE_SERVER": "true",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(tmp / "media"),
        "BENCH_STATIC_ROOT": str(tmp / "static"),
        "LOG_LEVEL": "WARNING",
    }


def step(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- in-process: seed, load, count queries ---


def seed():
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    step("  migrated; seed_demo")
    call_command("seed_demo", stdout=StringIO())
    step("  seeded; collectstatic (production's compressed manifest storage)")
    call_command("collectstatic", verbosity=0, interactive=False)


def logged_in_session():
    """A verified citizen and a session for them, made directly in the session store (the cookie wrk sends)."""
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils.module_loading import import_string

    user = get_user_model().objects.create_user(
        "bench.citizen", CITIZEN_EMAIL, secrets.token_urlsafe(20), display_name="Cittadina B."
    )
    EmailAddress.objects.create(user=user, email=CITIZEN_EMAIL, verified=True, primary=True)
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return settings.SESSION_COOKIE_NAME, store.session_key


def count_queries(pages, cookie):
    """{page name: {"anon": n, "logged_in": n, "*_first": n, "*_status": code, "*_bytes": n}} in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for who, cookies in (("anon", {}), ("logged_in", dict([cookie]))):
        client = Client(HTTP_HOST="127.0.0.1")
        for name, value in cookies.items():
            client.cookies[name] = value
        for page in pages:
            with CaptureQueriesContext(connection) as first:
                client.get(page.url)
            with CaptureQueriesContext(connection) as warm:
                response = client.get(page.url)
            client.cookies.pop("csrftoken", None)  # every measured request is a fresh visit, as under wrk
            entry = counts.setdefault(page.name, {})
            entry[who] = len(warm.captured_queries)
            entry[f"{who}_first"] = len(first.captured_queries)
            entry[f"{who}_status"] = response.status_code
            entry[f"{who}_bytes"] = len(response.content)
    return counts


# --- the server and the load ---


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env, workers, log_path):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "civic_site.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=sync",
        "--timeout=120",  # a loaded machine must not get workers killed mid-run
        f"--error-logfile={log_path}",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a busy machine boots Wagtail slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}):\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310 - our loopback
                if response.status == 200:
                    return process, base
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    stop(process)
    raise SystemExit(f"gunicorn did not answer /healthz within 3 minutes:\n{tail(log_path)}")


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def fetch(url, headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our loopback server
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def measure_feed(url, requests=FEED_REQUESTS):
    """A feed as a client that accepts gzip sees it, warm: the time to the whole body of each of ``requests``
    sequential requests (median, p95), its size, and a request with the ETag it got (304 expected)."""
    headers = {"Accept-Encoding": "gzip"}
    times, size, etag = [], 0, None
    for _ in range(requests + 1):  # the first one warms the feed's cache
        began = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:  # noqa: S310
            size, etag = len(response.read()), response.headers.get("ETag")
        times.append((time.perf_counter() - began) * 1000)
    times = times[1:]
    began = time.perf_counter()
    status = fetch(url, {**headers, "If-None-Match": etag or ""})
    return {
        "warm_ms_median": measure.median(times),
        "warm_ms_p95": measure.percentile(sorted(times), 95),
        "bytes": size,
        "not_modified_status": status,
        "not_modified_ms": round((time.perf_counter() - began) * 1000, 1),
    }


def load_run(generate, server, url, args, headers=None):
    before = measure.server_cpu_seconds(server.pid)
    result = generate(url, duration=args.duration, connections=args.connections, headers=headers or {})
    result["drain_s"] = wait_until_idle(server)
    after = measure.server_cpu_seconds(server.pid)
    # The server also rendered the requests wrk left unanswered when it stopped (one per connection):
    # count them, or a slow page that completes 2 requests in a run is charged for 18.
    handled = result["requests"] + result.get("abandoned", 0)
    result["cpu_ms_per_request"] = measure.cpu_ms_per_request(before, after, handled)
    return result


def wait_until_idle(server, quiet_ms=20, interval=0.5, limit=120):
    """Wait until gunicorn has worked off the requests the load generator left queued when it stopped
    (sync workers still render them): else they would slow the next run down. Returns the seconds waited."""
    started = last = time.monotonic()
    previous = sum(measure.server_cpu_seconds(server.pid).values())
    while last - started < limit:
        time.sleep(interval)
        current, last = sum(measure.server_cpu_seconds(server.pid).values()), time.monotonic()
        if (current - previous) * 1000 < quiet_ms:
            break
        previous = current
    return round(last - started, 1)


def measure_load(pages, server, base, cookie, args):
    """Bare, page, page logged in, bare, ... Each page is compared with the bare runs around it."""
    generate = measure.load_generator(args.load_generator)
    if generate is measure.run_wrk:
        generate = _with_threads(measure.run_wrk, args.threads)
    logged_in = {"Cookie": f"{cookie[0]}={cookie[1]}"}
    # Warm every worker on every URL (templates, per-process caches), a few requests at once.
    with ThreadPoolExecutor(max_workers=2 * args.workers) as pool:
        for url, headers in [(BARE_URL, {})] + [(p.url, h) for p in pages for h in ({}, logged_in)]:
            list(pool.map(lambda _n, url=url, headers=headers: fetch(base + url, headers), range(2 * args.workers)))
    bare_runs = [load_run(generate, server, base + BARE_URL, args)]
    results = {}
    for number, page in enumerate(pages, 1):
        step(f"  load {number}/{len(pages)}: {page.name} {page.url}")
        anon = load_run(generate, server, base + page.url, args)
        user = load_run(generate, server, base + page.url, args, logged_in)
        bare_runs.append(load_run(generate, server, base + BARE_URL, args))
        reference = measure.median([bare_runs[-2]["rps"], bare_runs[-1]["rps"]])
        results[page.name] = {"anon": anon, "logged_in": user, "bare_rps": reference}
    return bare_runs, results, generate.__name__


def _with_threads(function, threads):
    def run_wrk(url, **kwargs):
        return function(url, threads=threads, **kwargs)

    return run_wrk


# --- Lighthouse ---


def lighthouse_binary():
    binary = BENCH_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        step("installing Lighthouse (npm ci in benchmarks/)")
        subprocess.run(  # noqa: S603
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],  # noqa: S607
            cwd=BENCH_DIR,
            check=True,
        )
    return binary


# Runs per page when Lighthouse reports a runtime error (here now and then "NO_NAVSTART" on a page it traced
# fine the time before).
LIGHTHOUSE_ATTEMPTS = 3


def run_lighthouse(binary, url, output, timeout=300):
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    command = [
        str(binary),
        url,
        "--output=json",
        f"--output-path={output}",
        "--only-categories=performance,accessibility",
        f"--chrome-flags={CHROME_FLAGS}",
        "--quiet",
    ]
    log = Path(output).with_suffix(".log")
    with log.open("w") as log_file:
        # Its own session, so Lighthouse and the Chromium it started can be stopped together: here
        # Lighthouse sometimes writes its report and then never exits.
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=log_file, start_new_session=True)  # noqa: S603
        report, deadline = None, time.monotonic() + timeout
        while report is None and time.monotonic() < deadline:
            finished = process.poll() is not None
            try:
                report = json.loads(Path(output).read_text())
            except (OSError, ValueError):
                if finished:
                    break
                time.sleep(1)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    if report is None:
        return {"error": f"no report within {timeout} s (--lighthouse-timeout): {tail(log, 5)}"}
    audits = report["audits"]

    def value(audit):
        return audits.get(audit, {}).get("numericValue")

    scores = {key: category.get("score") for key, category in report["categories"].items()}
    accessibility = report["categories"].get("accessibility", {}).get("auditRefs", [])
    failed = [
        ref["id"]
        for ref in accessibility
        if ref.get("weight") and (audits.get(ref["id"], {}).get("score") is not None) and audits[ref["id"]]["score"] < 1
    ]
    where = {
        audit: [
            (item.get("node") or {}).get("selector") or (item.get("node") or {}).get("snippet")
            for item in (audits[audit].get("details") or {}).get("items", [])[:5]
        ]
        for audit in failed
    }
    return {
        "accessibility_failed": failed,  # the audits that cost points, to look up with axe
        "accessibility_failed_nodes": where,  # the first few elements each one flagged
        "performance": None if scores.get("performance") is None else round(scores["performance"] * 100),
        "accessibility": None if scores.get("accessibility") is None else round(scores["accessibility"] * 100),
        "lcp_ms": value("largest-contentful-paint"),
        "fcp_ms": value("first-contentful-paint"),
        "tbt_ms": value("total-blocking-time"),
        "cls": value("cumulative-layout-shift"),
        "bytes": value("total-byte-weight"),
        "lighthouse_version": report.get("lighthouseVersion"),
        "runtime_error": (report.get("runtimeError") or {}).get("message"),
    }


# --- the report ---


def targets_missed(row):
    missed = []
    lighthouse = row.get("lighthouse") or {}
    if lighthouse.get("performance") is not None and lighthouse["performance"] < TARGETS["lighthouse_performance"]:
        missed.append(f"Lighthouse performance {lighthouse['performance']} < {TARGETS['lighthouse_performance']}")
    if lighthouse.get("accessibility") is not None and lighthouse["accessibility"] < 100:
        failed = ", ".join(lighthouse.get("accessibility_failed") or [])
        missed.append(f"Lighthouse accessibility {lighthouse['accessibility']} < 100 ({failed})")
    if row["kind"] == "feed":  # a feed's target is its own: warm latency, and 304 for a client holding it
        feed = row.get("feed") or {}
        warm = feed.get("warm_ms_median")
        if warm is not None and warm > TARGETS["feed_ms"]:
            missed.append(f"warm {warm:.0f} ms > {TARGETS['feed_ms']:.0f} ms")
        if feed and feed.get("not_modified_status") != 304:
            missed.append(f"If-None-Match answered {feed.get('not_modified_status')}, not 304")
    else:
        anon, user = row.get("anon_fraction"), row.get("logged_in_fraction")
        floor = TARGETS[row["kind"]]
        if anon is not None and anon < TARGETS["anonymous"]:
            missed.append(f"anonymous {anon:.1f} % < {TARGETS['anonymous']} %")
        if user is not None and user < floor:
            missed.append(f"logged in {user:.1f} % < {floor} % ({row['kind']})")
    for who in ("anon", "logged_in"):
        queries = row["queries"].get(who)
        if queries is not None and queries > TARGETS["queries"]:
            missed.append(f"{who.replace('_', ' ')} {queries} queries > {TARGETS['queries']}")
    return missed


def fmt(value, spec=".1f", missing="-"):
    return missing if value is None else format(value, spec)


def print_table(report):
    bare = report["bare"]
    header = (
        f"{'page':<16} {'anon rps':>9} {'% bare':>7} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms':>7} "
        f"{'q anon':>6} {'q in':>5} {'in rps':>8} {'% bare':>7} {'in p95':>7}"
    )
    lighthouse = any(row.get("lighthouse") for row in report["pages"])
    if lighthouse:
        header += f" {'LH perf':>7} {'LH a11y':>7} {'LCP s':>6}"
    print()
    print(header)
    print("-" * len(header))
    if bare["runs"]:
        print(
            f"{'bare reference':<16} {fmt(bare['rps_median']):>9} {'100.0':>7} {fmt(bare['p50_ms_median']):>7} "
            f"{fmt(bare['p95_ms_median']):>7} {fmt(bare['cpu_ms_per_request_median'], '.2f'):>7}"
        )
    for row in report["pages"]:
        anon, user, queries = row.get("anon") or {}, row.get("logged_in") or {}, row["queries"]
        line = (
            f"{row['name']:<16} {fmt(anon.get('rps')):>9} {fmt(row.get('anon_fraction')):>7} "
            f"{fmt(anon.get('p50_ms')):>7} {fmt(anon.get('p95_ms')):>7} {fmt(anon.get('cpu_ms_per_request')):>7} "
            f"{fmt(queries.get('anon'), 'd'):>6} {fmt(queries.get('logged_in'), 'd'):>5} "
            f"{fmt(user.get('rps')):>8} {fmt(row.get('logged_in_fraction')):>7} {fmt(user.get('p95_ms')):>7}"
        )
        if lighthouse:
            lh = row.get("lighthouse") or {}
            lcp = lh.get("lcp_ms")
            line += (
                f" {fmt(lh.get('performance'), 'd'):>7} {fmt(lh.get('accessibility'), 'd'):>7} "
                f"{fmt(None if lcp is None else lcp / 1000):>6}"
            )
        print(line)
    print()
    print(
        "% bare: requests per second as a percentage of the bare view's (median of the runs just before and "
        "after); CPU ms: gunicorn's CPU per request; q: SQL queries per request after a warm-up (in: logged in)."
    )
    changed = [
        f"{row['name']} ({row['queries_seed']['anon']}→{row['queries']['anon']} anon, "
        f"{row['queries_seed']['logged_in']}→{row['queries']['logged_in']} logged in)"
        for row in report["pages"]
        if (row["queries_seed"]["anon"], row["queries_seed"]["logged_in"])
        != (row["queries"]["anon"], row["queries"]["logged_in"])
    ]
    for row in report["pages"]:
        feed = row.get("feed")
        if feed:
            print(
                f"feed {row['name']}: warm {fmt(feed['warm_ms_median'])} ms median, {fmt(feed['warm_ms_p95'])} ms p95, "
                f"{feed['bytes']} bytes gzipped; with its ETag: {feed['not_modified_status']} in "
                f"{fmt(feed['not_modified_ms'])} ms"
            )
    print("Query counts flat from the seed to the full data:", "yes" if not changed else "NO: " + ", ".join(changed))
    missed = [(row["name"], miss) for row in report["pages"] for miss in row["targets_missed"]]
    print(f"Targets (issue 13) missed: {len(missed)}")
    for name, miss in missed:
        print(f"  {name}: {miss}")
    for export in report["exports"]:
        print(
            f"export {export['name']}: first byte {fmt(export['first_byte_ms'])} ms, total {fmt(export['total_ms'])} "
            f"ms, peak {fmt(export['peak_python_mb'])} MB (Python), {fmt(export['peak_rss_mb'])} MB (RSS)"
        )


def build_report(args, meta, pages, queries_seed, queries, loads, bare_runs, lighthouse, exports, datasets, feeds=None):
    rows = []
    for page in pages:
        load = loads.get(page.name, {})
        row = {
            "name": page.name,
            "url": page.url,
            "kind": page.kind,
            "dataset": page.dataset,
            "queries": queries[page.name],
            "queries_seed": queries_seed[page.name],
            **load,
        }
        if load:
            row["anon_fraction"] = measure.fraction(load["anon"]["rps"], load["bare_rps"])
            row["logged_in_fraction"] = measure.fraction(load["logged_in"]["rps"], load["bare_rps"])
        if page.name in lighthouse:
            row["lighthouse"] = lighthouse[page.name]
        if page.name in (feeds or {}):
            row["feed"] = feeds[page.name]
        row["targets_missed"] = targets_missed(row)
        rows.append(row)
    return {
        "meta": meta,
        "targets": TARGETS,
        "datasets": datasets,
        "bare": {
            "url": BARE_URL,
            "runs": bare_runs,
            "rps_median": measure.median([run["rps"] for run in bare_runs]),
            "p50_ms_median": measure.median([run.get("p50_ms") for run in bare_runs]),
            "p95_ms_median": measure.median([run.get("p95_ms") for run in bare_runs]),
            "cpu_ms_per_request_median": measure.median([run["cpu_ms_per_request"] for run in bare_runs]),
        },
        "pages": rows,
        "exports": exports,
    }


def git_commit():
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)  # noqa: S607
    return done.stdout.strip() or None


def main(argv=None):
    args = parse_args(argv)
    started = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="civic-bench-"))
    database_url, drop_database = fresh_database(tmp)
    env = bench_environment(tmp, database_url)
    os.environ.update(env)
    server = None
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection, connections

        from benchmarks.datasets import DATASETS, Context

        step(f"seeding the demo into a fresh {connection.vendor} database ({tmp})")
        seed()
        ctx = Context(
            scale=args.scale, languages=args.languages, sizes={"budgets.ballots": args.ballots} if args.ballots else {}
        )
        pages = [PageRow(page, dataset.name) for dataset in DATASETS for page in dataset.pages(ctx)]
        cookie = logged_in_session()
        for dataset in DATASETS:
            dataset.prepare(ctx)
        step(f"counting queries at seed size ({len(pages)} pages)")
        queries_seed = count_queries(pages, cookie)
        datasets = {}
        for dataset in DATASETS:
            began = time.perf_counter()
            made = dataset.load(ctx)
            datasets[dataset.name] = {"made": made, "seconds": round(time.perf_counter() - began, 1)}
            if made:
                step(f"loaded {dataset.name}: {made} in {datasets[dataset.name]['seconds']} s")
        step("counting queries at full size")
        queries = count_queries(pages, cookie)
        bad = {
            name: entry
            for name, entry in queries.items()
            if entry["anon_status"] != 200 or entry["logged_in_status"] != 200
        }
        if bad:
            raise SystemExit(f"pages not answering 200: {bad}")
        exports = [measure.measure_export(export) for dataset in DATASETS for export in dataset.exports(ctx)]
        connections.close_all()

        bare_runs, loads, lighthouse, feeds, generator = [], {}, {}, {}, None
        if not args.no_load or args.lighthouse:
            step(f"starting gunicorn ({args.workers} workers, production settings)")
            server, base = start_gunicorn(env, args.workers, tmp / "gunicorn.log")
            if not args.no_load:
                for page in pages:
                    for headers in ({}, {"Cookie": f"{cookie[0]}={cookie[1]}"}):
                        status = fetch(base + page.url, headers)
                        if status != 200:
                            raise SystemExit(f"{page.url} answered {status} under gunicorn ({headers})")
                step(
                    f"load: {args.duration} s per run, {args.connections} connections, "
                    f"{len(pages) * 3 + 1} runs interleaved with the bare view"
                )
                bare_runs, loads, generator = measure_load(pages, server, base, cookie, args)
                for page in pages:
                    if page.kind == "feed":
                        step(f"  feed: {page.name}")
                        feeds[page.name] = measure_feed(base + page.url)
            if args.lighthouse:
                binary = lighthouse_binary()
                for page in [page for page in pages if page.kind != "feed"]:  # Lighthouse audits HTML pages
                    step(f"  lighthouse: {page.name}")
                    for attempt in range(1, LIGHTHOUSE_ATTEMPTS + 1):
                        output = tmp / f"lighthouse-{len(lighthouse)}-{attempt}.json"
                        found = run_lighthouse(binary, base + page.url, output, args.lighthouse_timeout)
                        found["attempts"] = attempt
                        lighthouse[page.name] = found
                        # Lighthouse's own advice for a trace it could not record (NO_NAVSTART): run it again.
                        if not found.get("runtime_error"):
                            break
                        step(f"    {found['runtime_error']}")
                    if "error" in lighthouse[page.name]:
                        step(f"    {lighthouse[page.name]['error']}")
        meta = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "seconds": round(time.time() - started),
            "commit": git_commit(),
            "database": connection.vendor,
            "settings": settings.SETTINGS_MODULE,
            "workers": args.workers,
            "connections": args.connections,
            "threads": args.threads,
            "duration_s": args.duration,
            "load_generator": generator,
            "scale": args.scale,
            "languages": args.languages,
            "logged_in_as": CITIZEN_EMAIL,
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "python": platform.python_version(),
            "versions": versions(),
        }
        report = build_report(
            args, meta, pages, queries_seed, queries, loads, bare_runs, lighthouse, exports, datasets, feeds
        )
    finally:
        if server is not None:
            stop(server)
        if not args.keep:
            drop_database()
            shutil.rmtree(tmp, ignore_errors=True)
    print_table(report)
    output = Path(args.json)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nJSON: {output}   ({report['meta']['seconds']} s in all)")


class PageRow:
    """A PageSpec with the dataset it came from."""

    def __init__(self, spec, dataset):
        self.name, self.url, self.kind, self.dataset = spec.name, spec.url, spec.kind, dataset


def versions():
    from importlib.metadata import version

    return {name: version(name) for name in ("django", "wagtail", "gunicorn", "whitenoise")}


if __name__ == "__main__":
    main()
