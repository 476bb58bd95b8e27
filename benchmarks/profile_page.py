"""Time one page in-process, logged in as the benchmark's verified citizen: SQL per query and a profile.

Builds the benchmark's database once (fresh SQLite or PostgreSQL database, migrate, seed_demo, every
dataset's bulk load, as benchmarks/run.py does, without gunicorn or load) and keeps it in ``--dir`` so
later runs only migrate and measure:

    .venv/bin/python benchmarks/profile_page.py --dir /tmp/threadperf            # Parco Dora (it), logged in
    .venv/bin/python benchmarks/profile_page.py --dir /tmp/threadperf --profile  # ... and the top of cProfile
    .venv/bin/python benchmarks/profile_page.py --dir /tmp/threadperf --url /en/... --anonymous
    .venv/bin/python benchmarks/profile_page.py --dir /tmp/threadperf --all   # every page the benchmark loads

SQLite only when reusing a directory (a PostgreSQL database made here is dropped at the end).
"""

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from benchmarks import run  # noqa: E402 - needs the checkout on sys.path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="where the SQLite database (and static files) live")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--url", help="the page (default: Parco Dora in Italian)")
    parser.add_argument("--all", action="store_true", help="time every page of the benchmark, one line each")
    parser.add_argument("--anonymous", action="store_true")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cold", action="store_true", help="empty the cache before every request")
    parser.add_argument("--sql", action="store_true", help="print every query with its time")
    parser.add_argument("--where", action="store_true", help="print where in our code each query is asked for")
    parser.add_argument("--templates", action="store_true", help="print the time spent in each template (own, all)")
    parser.add_argument("--save", help="write the last response here, CSRF tokens blanked (to compare renders)")
    args = parser.parse_args(argv)

    tmp = Path(args.dir)
    tmp.mkdir(parents=True, exist_ok=True)
    fresh = not (tmp / "bench.sqlite3").exists()
    database_url, drop = run.fresh_database(tmp)
    env = run.bench_environment(tmp, database_url)
    env["SECRET_KEY"] = "profile-page-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105 - sessions survive runs
    os.environ.update(env)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.datasets import DATASETS, Context, parco_dora

    try:
        if fresh or connection.vendor != "sqlite":
            run.step("seeding")
            run.seed()
            ctx = Context(scale=args.scale, languages=["it", "en"])
            for dataset in DATASETS:
                dataset.prepare(ctx)
                run.step(f"loaded {dataset.name}: {dataset.load(ctx)}")
            (tmp / "cookie").write_text("=".join(run.logged_in_session()))
        else:
            call_command("migrate", verbosity=0, interactive=False)
        url = args.url or parco_dora("it").url
        client = Client(HTTP_HOST="127.0.0.1")
        if not args.anonymous:
            name, value = (tmp / "cookie").read_text().split("=", 1)
            client.cookies[name] = value
        if args.all:
            ctx = Context(scale=args.scale, languages=["it", "en"])
            for page in [page for dataset in DATASETS for page in dataset.pages(ctx)]:
                client.get(page.url)  # warm
                times = []
                for _ in range(args.repeat):
                    with CaptureQueriesContext(connection) as queries:
                        began = time.perf_counter()
                        response = client.get(page.url)
                        times.append((time.perf_counter() - began) * 1000)
                    client.cookies.pop("csrftoken", None)
                print(
                    f"{page.name:32} {statistics.median(times):6.1f} ms {len(queries.captured_queries):3} queries "
                    f"{len(response.content):7} bytes {response.status_code}  {page.url}"
                )
            return
        client.get(url)  # warm
        times = []
        for _ in range(args.repeat):
            if args.cold:
                cache.clear()
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
            client.cookies.pop("csrftoken", None)
        assert response.status_code == 200, response.status_code
        sql_ms = sum(float(query["time"]) for query in queries.captured_queries) * 1000
        print(
            f"{url} ({'anonymous' if args.anonymous else 'logged in'}, {connection.vendor}): "
            f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms over {args.repeat}; "
            f"{len(queries.captured_queries)} queries, {sql_ms:.1f} ms of SQL (last run); {len(response.content)} bytes"
        )
        if args.save:
            token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
            html = token.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
            Path(args.save).write_text(html)
        if args.sql:
            for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"])):
                print(f"{float(query['time']) * 1000:8.1f} ms  {query['sql'][:300]}")
        if args.where:
            with connection.execute_wrapper(_print_caller):
                client.get(url)
        if args.templates:
            _print_template_times(client, url, args.repeat)
        if args.profile:
            if args.cold:
                cache.clear()
            profile = cProfile.Profile()
            profile.enable()
            client.get(url)
            profile.disable()
            stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative"))
            restrictions = [os.environ["FILTER"]] if os.environ.get("FILTER") else []  # a regular expression
            stats.print_stats(*restrictions, int(os.environ.get("TOP", "40")))
    finally:
        if connection.vendor != "sqlite":
            connection.close()
            drop()


def _print_template_times(client, url, repeat):
    """Median time per request in each template: its own (without the templates it includes or
    extends) and in all, the largest own time first."""
    from collections import defaultdict

    from django.template.base import Node, Template, TextNode, VariableNode

    original = Template._render
    original_node = Node.render_annotated
    stack = []
    own = defaultdict(float)
    inclusive = defaultdict(float)

    def measured(name, render, *args):
        began = time.perf_counter()
        stack.append(0.0)
        try:
            return render(*args)
        finally:
            spent = time.perf_counter() - began
            nested = stack.pop()
            own[name] += spent - nested
            inclusive[name] += spent
            if stack:
                stack[-1] += spent

    def timed(self, context):
        return measured(self.origin.template_name if self.origin else "<string>", original, self, context)

    def timed_node(self, context):
        if isinstance(self, (TextNode, VariableNode)) or not getattr(self, "token", None):
            return original_node(self, context)
        origin = getattr(self, "origin", None)
        name = f"  {origin.template_name if origin else '?'}:{self.token.lineno} {{% {self.token.contents[:50]} %}}"
        return measured(name, original_node, self, context)

    Template._render = timed
    Node.render_annotated = timed_node
    try:
        for _ in range(repeat):
            client.get(url)
    finally:
        Template._render = original
        Node.render_annotated = original_node
    for name in sorted(own, key=lambda name: -own[name]):
        print(f"{own[name] / repeat * 1000:7.2f} ms own {inclusive[name] / repeat * 1000:7.2f} ms in all  {name}")


def _print_caller(execute, sql, params, many, context):
    """Prints a query's first words and the frames of this checkout (not .venv) that led to it."""
    import traceback

    root = str(BENCH_DIR.parent)
    frames = [
        f"{Path(frame.filename).relative_to(root)}:{frame.lineno} {frame.name}"
        for frame in traceback.extract_stack()[:-1]
        if frame.filename.startswith(root) and "/.venv/" not in frame.filename and "benchmarks" not in frame.filename
    ]
    print(sql[:110], "\n    " + " < ".join(reversed(frames[-4:])))
    return execute(sql, params, many, context)


if __name__ == "__main__":
    main()
