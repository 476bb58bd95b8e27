"""Several servers, one truth: two production gunicorn servers over one PostgreSQL and one Redis.

Each test starts two real app servers (``gunicorn civic_site.wsgi``, production settings, two workers
with threads each) on two loopback ports, both on the suite's PostgreSQL test database and on one
Redis database of their own, the way a load balancer would put two hosts behind one address
(``TRUSTED_PROXIES=127.0.0.1,::1``: each simulated citizen has their own address in ``X-Forwarded-For``).
Citizens are logged in by sessions written to the database, as ``django.contrib.auth.login`` writes
them (logging in through allauth's form would meet its 30-a-minute limit per address), and their
requests alternate between the two servers. Afterwards:

- no request got a 500: every answer is the expected redirect, page, or a 429 where a limit applies;
- every accepted vote and comment is stored exactly once, each vote with the citizen's last choice,
  and no citizen has two votes (the database constraint is there too);
- the rate limits are counted once for both servers, per citizen and per address;
- an anonymous visitor reads the new tallies on either server, in both languages (no stale page,
  whatever the servers cache).
- neighbourhood reports started on one server are sent from the other (the draft lives in the shared
  session), and "me too"s sent to both servers at once are each counted once.

Runs when the suite runs on PostgreSQL (``DATABASE_URL=postgres://…``) and Redis answers at
``REDIS_URL`` (default ``redis://127.0.0.1:6379``), on Redis database ``REDIS_DB``, which it flushes;
skips otherwise, except on CI (``CI=true``) with PostgreSQL, where a missing Redis fails the test.
``pytest -m multiserver`` runs it alone. The servers need collected static files
(production's hashed names): ``collectstatic`` runs first when ``staticfiles/`` is missing or older
than a static source file.
"""

import http.client
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from participation.core.groups import group_key
from participation.core.ratelimit import parse_rates
from participation.models import ParticipationComment, PollPage, PollVote, PollVoteChoice

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
REDIS_DB = 13  # the servers' cache, sessions and rate-limit counters: flushed before and after each test
CSRF_TOKEN = "twoserverstestcsrftoken123456789"  # a 32-character secret: cookie and form field alike
CITIZENS = 200
CLIENTS = 24  # citizens' browsers sending at the same time
SERVER_BOOT_SECONDS = 300  # a generous limit for a busy machine: booting takes a few seconds

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.multiserver,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="two servers need a shared database: run the suite on PostgreSQL (DATABASE_URL=postgres://…)",
    ),
    pytest.mark.django_db(transaction=True),
]


# --- Redis, static files, the two servers -----------------------------------------------------


def redis_url():
    """``REDIS_URL`` (default redis://127.0.0.1:6379) on this test's own database number."""
    parts = urlsplit(os.environ.get("REDIS_URL", "").strip() or "redis://127.0.0.1:6379")
    return urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", parts.query, ""))


@pytest.fixture
def redis():
    """The servers' Redis database, empty; skipped when Redis does not answer, failed when `.ci/run` found it
    answering (``TWO_SERVER_TESTS=required``) and it has stopped since."""
    import redis as redis_client

    url = redis_url()
    client = redis_client.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis_client.RedisError as error:
        reason = f"Redis does not answer at {url} ({error}): set REDIS_URL to run the two-server test"
        if os.environ.get("TWO_SERVER_TESTS") == "required":
            pytest.fail(f"Redis answered when the run began: {reason}", pytrace=False)
        pytest.skip(reason)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def static_sources():
    """Every file the static finders would collect (ours, the vendored ones, the apps')."""
    from django.contrib.staticfiles.finders import get_finders

    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            yield Path(storage.path(path))


def collect_static(env):
    """Production serves hashed names from staticfiles/staticfiles.json: build it unless it is up to date."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists() and manifest.stat().st_mtime >= max(path.stat().st_mtime for path in static_sources()):
        return
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def database_url():
    """The suite's test database (not the one DATABASE_URL names) as a URL for the servers."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    user = f"{quote(db['USER'] or '', safe='')}{password}@" if db.get("USER") else ""
    return f"postgres://{user}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def production_env(redis):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SINGLE_SERVER", "EMAIL_HOST")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "civic_site.settings.production",
            # The test's own key: the sessions and their auth hashes written below are signed with it.
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis,
            "TRUSTED_PROXIES": "127.0.0.1,::1",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


@dataclass
class Server:
    """One gunicorn master (and its workers) on a loopback port it chose itself."""

    process: subprocess.Popen
    log: Path
    port: int = 0

    def log_tail(self, characters=4000):
        return self.log.read_text(errors="replace")[-characters:]

    def wait_until_listening(self, deadline):
        while not self.port:
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.log.read_text(errors="replace"))
            if match:
                self.port = int(match[1])
            elif self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{self.log_tail()}", pytrace=False)
            else:
                time.sleep(0.2)

    def wait_until_ready(self, deadline):
        """Until both workers serve (the health check reaches the database)."""
        answered = 0
        while answered < 2:
            try:
                status, _ = request(self, "GET", "/healthz")
            except OSError:
                status = None
            if status == 200:
                answered += 1
            elif self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not become ready (last /healthz: {status}):\n{self.log_tail()}")
            else:
                time.sleep(0.3)

    def cpu_seconds(self):
        """CPU time used so far by the server's workers (Linux /proc; 0 elsewhere), for the test's report."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            ticks = sum(
                sum(map(int, Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]))
                for pid in children
            )
        except (OSError, ValueError):
            return 0.0
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def servers(redis, tmp_path):
    """Two production app servers over the test database and the test's Redis database: [Server, Server].

    Function-scoped: a transactional test ends by emptying the database, and Django then gives the
    content types new ids that a running server's per-process cache would not know.
    """
    env = production_env(redis)
    collect_static(env)
    started = []
    try:
        for number in (1, 2):
            log = tmp_path / f"gunicorn-{number}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [
                        str(GUNICORN),
                        "civic_site.wsgi",
                        "--bind=127.0.0.1:0",
                        "--workers=2",
                        "--threads=4",
                        "--preload",  # the application is loaded once per server, then its workers fork
                        "--timeout=120",
                        "--graceful-timeout=5",
                        "--no-control-socket",  # gunicorn 27 would share one socket path with the other server
                        f"--name=two-servers-{number}",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            started.append(Server(process, log))
        yield started  # booting while the test builds its pages: the test calls wait_until_ready()
    finally:
        for server in started:
            server.stop()
    for server in started:
        # Anything logged at ERROR (an exception behind a 500, a worker that died) fails the test.
        assert not re.search(r"\[ERROR\]|Traceback", server.log_tail(200_000)), server.log_tail()


def wait_until_ready(servers):
    deadline = time.monotonic() + SERVER_BOOT_SECONDS
    for server in servers:
        server.wait_until_listening(deadline)
        server.wait_until_ready(deadline)


# --- HTTP ---------------------------------------------------------------------------------------


def request(server, method, path, *, session=None, ip=None, data=None):
    """One request on a new connection, redirects not followed: (status, response).

    ``session``: a session key (a logged-in citizen); ``ip``: the client address the load balancer
    would append to X-Forwarded-For; ``data``: a form, sent with the CSRF token as a browser sends it.
    An anonymous visitor (no session) sends no cookie at all.
    """
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    headers = {"Host": f"127.0.0.1:{server.port}"}
    if ip:
        headers["X-Forwarded-For"] = ip
    if session:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={CSRF_TOKEN}"
    body = None
    if data is not None:
        body = urlencode({**data, "csrfmiddlewaretoken": CSRF_TOKEN}, doseq=True)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode(errors="replace")
        return response.status, response
    finally:
        connection.close()


@dataclass
class Outcome:
    """What one citizen's (or visitor's) request got."""

    who: int
    kind: str  # "vote", "comment" or "read"
    server: int
    status: object  # the HTTP status, or the client's exception
    detail: object = None  # the option voted for, the comment's text
    retry_after: str | None = None


def send(servers, who, kind, number, path, *, session=None, ip=None, data=None, detail=None):
    """Send one request to servers[number]; its Outcome (a client error is an outcome too)."""
    try:
        status, response = request(servers[number], "POST" if data else "GET", path, session=session, ip=ip, data=data)
    except Exception as error:  # noqa: BLE001 - reported in the outcomes the test asserts on
        return Outcome(who, kind, number, repr(error), detail)
    return Outcome(who, kind, number, status, detail, response.getheader("Retry-After"))


# --- what the tests build -----------------------------------------------------------------------


@pytest.fixture
def pages():
    """The factories' bilingual tree, committed (the servers read it); the poll shows results to everyone."""
    from tests.factories import build_tree

    tree = build_tree()
    PollPage.objects.filter(pk__in=[page.pk for page in tree["poll"].values()]).update(
        results_visibility=PollPage.RESULTS_ALWAYS
    )
    return {"poll": tree["poll"], "process": tree["consultation"]}


@dataclass
class Citizen:
    index: int
    user: object
    session: str
    ip: str
    language: str
    outcomes: list = field(default_factory=list)


def log_in(user):
    """A session key for ``user``, stored as django.contrib.auth.login stores one (the servers' cached_db
    sessions fall back to the database)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def citizens(count, ip=None):
    """``count`` verified citizens, logged in, each at their own address (or all at ``ip``), half of them
    reading the site in English."""
    from tests.factories import UserFactory

    return [
        Citizen(i, user, log_in(user), ip or f"10.{i // 250}.{i % 250}.1", "it" if i % 2 == 0 else "en")
        for i, user in enumerate(UserFactory.create_batch(count))
    ]


def limit(action, per):
    """The (amount, period in seconds) of ``action``'s limit per "user" or "ip", as the servers read it."""
    [rate] = [rate for rate in parse_rates(settings.PARTICIPATION_RATE_LIMITS[action]) if rate.per == per]
    return rate.amount, rate.period


def window(period):
    """The rate-limit window the servers count in now (participation/core/ratelimit.py: fixed, on the clock)."""
    return int(time.time() // period)


def wait_for_fresh_window(period, needed):
    """If fewer than ``needed`` seconds are left in the current window, wait for the next one."""
    left = period - time.time() % period
    if left < needed:
        time.sleep(left + 0.5)


def vote_path(poll):
    return poll.url + "vote/"


def comment_path(language):
    with translation.override(language):
        return reverse("comment_post")


def voted_text(language, count):
    """The poll page's "N people have voted." in ``language``, from the catalogue the template uses."""
    with translation.override(language):
        return ngettext("%(counter)s person has voted.", "%(counter)s people have voted.", count) % {"counter": count}


def comments_text(language, count):
    with translation.override(language):
        return ngettext("%(counter)s comment", "%(counter)s comments", count) % {"counter": count}


def option_count(html, label):
    """The count in the poll's results table for the option labelled ``label`` (None if not shown)."""
    match = re.search(rf"<th[^>]*>\s*{re.escape(label)}\s*</th>\s*<td[^>]*>\s*(\d+)\s*</td>", html)
    return int(match[1]) if match else None


def assert_every_server_shows(servers, pages, voters, comments, per_option=None):
    """An anonymous visitor sees ``voters`` on the poll page and ``comments`` on the process page, on each
    server and in each language; ``per_option``: {option translation key: votes} in the results table."""
    seen = []
    for number in range(len(servers)):
        for language in ("it", "en"):
            poll, process = pages["poll"][language], pages["process"][language]
            status, response = request(servers[number], "GET", poll.url, ip="192.0.2.1")
            assert status == 200, (number, poll.url, status)
            seen.append((number, language, voted_text(language, voters) in response.text))
            if per_option is not None:
                for option in poll.options.all():
                    shown = option_count(response.text, option.label)
                    seen.append((number, language, option.label, shown == per_option.get(option.translation_key, 0)))
            status, response = request(servers[number], "GET", process.url, ip="192.0.2.1")
            assert status == 200, (number, process.url, status)
            seen.append((number, language, comments_text(language, comments) in response.text))
    stale = [entry for entry in seen if not entry[-1]]
    assert not stale, f"pages not showing {voters} voters and {comments} comments (server, language): {stale}"


def stored_votes(group):
    """{user pk: [option keys]} of the votes stored on the poll ``group``."""
    stored = {}
    for user_pk, key in PollVoteChoice.objects.filter(vote__group=group).values_list("vote__user", "option_key"):
        stored.setdefault(user_pk, []).append(key)
    return stored


def stored_comments(group):
    return sorted(ParticipationComment.objects.filter(group=group).values_list("comment", flat=True))


def assert_one_vote_per_citizen_constraint():
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, PollVote._meta.db_table)
    assert any(c["unique"] and sorted(c["columns"]) == ["group_id", "user_id"] for c in constraints.values()), (
        constraints
    )


# --- the tests ----------------------------------------------------------------------------------


def test_two_hundred_citizens_on_two_servers(servers, pages):
    """200 citizens vote, change their vote and comment, each request on the other server than their last."""
    people = citizens(CITIZENS)
    options = {code: list(pages["poll"][code].options.order_by("sort_order")) for code in ("it", "en")}
    comment_limit, comment_period = limit("comment", "user")
    heavy = {person.index for person in people if person.index % 40 == 0}  # 5 citizens: 2 comments too many
    wait_until_ready(servers)

    # Anonymous visitors read both pages first, on both servers: whatever a server caches is now filled.
    assert_every_server_shows(servers, pages, voters=0, comments=0)

    def script(person):
        """A citizen's requests, one after the other, alternating servers: vote, comment, change the vote
        (a tenth of them twice), and a few who keep commenting past their limit."""
        poll, process = pages["poll"][person.language], pages["process"][person.language]
        mine = options[person.language]
        choices = [mine[person.index % 3], mine[(person.index + 1) % 3]]
        if person.index % 10 == 0:
            choices.append(mine[(person.index + 2) % 3])
        steps = [("vote", choices[0]), ("comment", 0), *[("vote", choice) for choice in choices[1:]]]
        if person.index in heavy:
            steps += [("comment", n) for n in range(1, comment_limit + 2)]
        for step, (kind, what) in enumerate(steps):
            number = (person.index + step) % 2
            if kind == "vote":
                outcome = send(
                    servers,
                    person.index,
                    "vote",
                    number,
                    vote_path(poll),
                    session=person.session,
                    ip=person.ip,
                    data={"options": what.pk},
                    detail=what.translation_key,
                )
            else:
                text = f"Commento {what} di {person.index} (server {number + 1})"
                data = {"page": process.pk, "comment": text}
                outcome = send(
                    servers,
                    person.index,
                    "comment",
                    number,
                    comment_path(person.language),
                    session=person.session,
                    ip=person.ip,
                    data=data,
                    detail=text,
                )
            person.outcomes.append(outcome)

    def reader(number):
        """An anonymous visitor reading the poll or the process page while the others vote."""
        page = pages["poll" if number % 2 else "process"]["it" if number % 3 else "en"]
        return send(servers, -1, "read", number // 2 % 2, page.url, ip=f"192.0.2.{number + 1}")

    tasks = [(script, person) for person in people] + [(reader, number) for number in range(20)]
    random.Random(13).shuffle(tasks)  # noqa: S311 - a fixed interleaving, not a secret
    started_window = window(comment_period)
    started, cpu = time.monotonic(), sum(server.cpu_seconds() for server in servers)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        reads = [result for result in pool.map(lambda task: task[0](task[1]), tasks) if result is not None]
    elapsed, cpu = time.monotonic() - started, sum(server.cpu_seconds() for server in servers) - cpu
    same_window = window(comment_period) == started_window

    outcomes = [outcome for person in people for outcome in person.outcomes] + reads
    print(
        f"{len(outcomes)} requests to two servers in {elapsed:.1f} s ({cpu:.1f} s of the servers' CPU):",
        dict(Counter(o.status for o in outcomes)),
    )

    # No 500, no refused CSRF token, no dropped connection: reads are pages, accepted writes redirects,
    # and the only refusals are the heavy commenters' comments beyond their limit (429, Retry-After).
    unexpected = [
        o
        for o in outcomes
        if not (
            (o.kind == "read" and o.status == 200)
            or (o.kind != "read" and o.status == 302)
            or (o.kind == "comment" and o.who in heavy and o.status == 429 and o.retry_after)
        )
    ]
    assert not unexpected, unexpected[:10]
    for person in people:
        if person.index in heavy:
            accepted = sum(o.status == 302 for o in person.outcomes if o.kind == "comment")
            if same_window:
                assert accepted == comment_limit, (person.index, person.outcomes)
            else:  # a run across the end of a window may legitimately accept more, up to a limit in each
                assert comment_limit <= accepted <= comment_limit + 2, (person.index, person.outcomes)

    # Every accepted vote counted exactly once: one vote per citizen, with their last accepted choice.
    poll_group = group_key(pages["poll"]["it"])
    last_choice = {}
    for person in people:
        for outcome in person.outcomes:
            if outcome.kind == "vote" and outcome.status == 302:
                last_choice[person.user.pk] = [outcome.detail]
    assert len(last_choice) == CITIZENS
    assert stored_votes(poll_group) == last_choice
    assert PollVote.objects.filter(group=poll_group).count() == CITIZENS
    assert not PollVote.objects.filter(group=poll_group).values("user").annotate(n=Count("id")).filter(n__gt=1)
    assert_one_vote_per_citizen_constraint()

    # Every accepted comment stored exactly once, and nothing else.
    accepted_comments = sorted(o.detail for o in outcomes if o.kind == "comment" and o.status == 302)
    assert stored_comments(group_key(pages["process"]["it"])) == accepted_comments

    # Both servers show the new tallies to an anonymous visitor, per option too (the changed votes).
    per_option = Counter(key for [key] in last_choice.values())
    assert_every_server_shows(servers, pages, voters=CITIZENS, comments=len(accepted_comments), per_option=per_option)


def test_rate_limits_hold_across_both_servers(servers, pages):
    """One citizen's votes and one address's comments, sent all at once to both servers in turn, are counted
    once: exactly the limit gets through, whichever server took each request."""
    vote_limit, vote_period = limit("vote", "user")
    comment_ip_limit, comment_period = limit("comment", "ip")
    [hammering] = citizens(1)
    office = citizens(comment_ip_limit + 5, ip="198.51.100.7")  # colleagues behind one address
    poll, process = pages["poll"]["it"], pages["process"]["it"]
    choices = list(poll.options.order_by("sort_order"))
    wait_until_ready(servers)
    assert_every_server_shows(servers, pages, voters=0, comments=0)

    # The windows are aligned on the clock: start early enough in one for all of this to fit in it.
    wait_for_fresh_window(max(vote_period, comment_period), needed=60)
    started = window(vote_period), window(comment_period)
    requests = [
        ("vote", vote_path(poll), hammering, {"options": choices[n % len(choices)].pk}) for n in range(vote_limit + 10)
    ] + [
        ("comment", comment_path("it"), person, {"page": process.pk, "comment": f"Ufficio {n}"})
        for n, person in enumerate(office)
    ]

    def hit(numbered):
        n, (kind, path, person, data) = numbered
        return send(servers, person.index, kind, n % 2, path, session=person.session, ip=person.ip, data=data)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = list(pool.map(hit, enumerate(requests)))
    assert (window(vote_period), window(comment_period)) == started, "the requests outlasted a rate-limit window"

    votes = Counter((o.server, o.status) for o in outcomes if o.kind == "vote")
    comments = Counter((o.server, o.status) for o in outcomes if o.kind == "comment")
    assert sum(n for (_, status), n in votes.items() if status == 302) == vote_limit, votes
    assert sum(n for (_, status), n in votes.items() if status == 429) == 10, votes
    assert sum(n for (_, status), n in comments.items() if status == 302) == comment_ip_limit, comments
    assert sum(n for (_, status), n in comments.items() if status == 429) == 5, comments
    # Both servers accepted some and refused some: the limit is not one server's alone.
    assert {server for (server, status) in votes if status == 302} == {0, 1}, votes
    assert all(o.retry_after for o in outcomes if o.status == 429)

    assert PollVote.objects.filter(group=group_key(poll)).count() == 1
    assert len(stored_comments(group_key(process))) == comment_ip_limit
    assert_every_server_shows(servers, pages, voters=1, comments=comment_ip_limit)


def test_neighbourhood_reports_and_me_too_on_two_servers(servers, pages):
    """Citizens file reports with the form on one server and send them from the summary on the other (the
    draft is in the shared session), and say "me too" on one report on both servers at once: every report
    is stored once, every "me too" counted once, and both servers show the new counts."""
    from participation.models import Report, ReportFollower, ReportingPage
    from participation.reports import categories_in
    from tests.factories import ReportFactory, ReportingPageFactory, report_category, translate

    report_category("Buche", "Potholes", "potholes")
    italian = ReportingPageFactory(parent=pages["process"]["it"])
    reporting = {"it": italian, "en": ReportingPage.objects.get(pk=translate(italian, title="Reports", slug="r").pk)}
    original = ReportFactory(page=italian)
    categories = {code: categories_in(code)[0] for code in ("it", "en")}  # each language's row of the category
    people = citizens(40)
    filers, followers = people[:20], people[20:]
    wait_until_ready(servers)

    def file_report(person):
        page = reporting[person.language]
        form = {
            "category": categories[person.language].pk,
            "latitude": "45.0711",
            "longitude": "7.6857",
            "title": f"Segnalazione di {person.index}",
            "description": "Una buca in piazza Castello.",
        }
        first = person.index % 2
        checked = send(
            servers, person.index, "report", first, page.url + "new/", session=person.session, ip=person.ip, data=form
        )
        person.outcomes.append(checked)
        sent = send(
            servers,
            person.index,
            "send",
            1 - first,
            page.url + "new/check/",
            session=person.session,
            ip=person.ip,
            data={"send": "1"},
        )
        person.outcomes.append(sent)

    def me_too(person, number):
        path = f"{reporting[person.language].url}{original.pk}/follow/"
        person.outcomes.append(
            send(
                servers,
                person.index,
                "follow",
                number,
                path,
                session=person.session,
                ip=person.ip,
                data={"follow": "yes"},
            )
        )

    tasks = [lambda p=p: file_report(p) for p in filers] + [
        lambda p=p, n=n: me_too(p, n) for p in followers for n in (0, 1)
    ]
    random.Random(16).shuffle(tasks)  # noqa: S311 - a fixed interleaving, not a secret
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(lambda task: task(), tasks))

    outcomes = [o for person in people for o in person.outcomes]
    assert all(o.status in (302, 303) for o in outcomes), [o for o in outcomes if o.status not in (302, 303)][:10]
    titles = sorted(Report.objects.exclude(pk=original.pk).values_list("title", flat=True))
    assert titles == sorted(f"Segnalazione di {person.index}" for person in filers)
    original.refresh_from_db()
    assert original.follower_count == len(followers) == ReportFollower.objects.filter(report=original).count()
    for number in range(len(servers)):
        for language, page in reporting.items():
            status, response = request(servers[number], "GET", f"{page.url}{original.pk}/", ip="192.0.2.9")
            assert status == 200
            with translation.override(language):
                said = ngettext(
                    "%(counter)s citizen says “me too”", "%(counter)s citizens say “me too”", len(followers)
                ) % {"counter": len(followers)}
            assert said in response.text, (number, language)
            status, response = request(servers[number], "GET", page.url, ip="192.0.2.9")
            assert all(f"Segnalazione di {person.index}<" in response.text for person in filers[:5]), (number, language)
