"""Many requests at once against a live server: no 500s, and every accepted vote is stored.

Real HTTP to Django's threaded live server, each request in its own thread with its own database
connection (on SQLite a file test database: see settings/test.py), on whichever database the suite
runs on. Before SQLite ran in WAL mode with IMMEDIATE transactions, these loads gave dozens of
500s ("database is locked").
"""

import http.client
import threading
from collections import Counter
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from django.urls import reverse
from django.utils import translation

from participation.comments import thread_tree
from participation.models import PollVote, PollVoteChoice

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

CSRF_TOKEN = "concurrencytestcsrftoken12345678"  # a 32-character secret: cookie and form field alike


class Server(ThreadedWSGIServer):
    # Django's test server queues 10 connections (gunicorn 2048): a hundred at once would be reset.
    request_queue_size = 256


class ServerThread(LiveServerThread):
    server_class = Server


@pytest.fixture(scope="module")
def server():
    """A live server like pytest-django's, with a listen queue as long as a production server's."""
    from django.db import connection

    assert connection.vendor != "sqlite" or not connection.is_in_memory_db(), (
        "the live server's threads need their own connections: a file test database (settings/test.py)"
    )
    thread = ServerThread("localhost", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield thread
    thread.terminate()


def log_in(user):
    """A session cookie value for `user`, made the way django.contrib.auth.login makes one."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def post(server, path, session_key, data):
    """POST a form as a logged-in browser would; the response's status (redirects not followed)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=120)
    try:
        connection.request(
            "POST",
            path,
            body=urlencode({**data, "csrfmiddlewaretoken": CSRF_TOKEN}, doseq=True),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={CSRF_TOKEN}",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def all_at_once(server, requests):
    """Send [(path, session_key, data)] each from its own thread, released together; their statuses."""
    statuses = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def send(index, path, session_key, data):
        try:
            barrier.wait()
            statuses[index] = post(server, path, session_key, data)
        except Exception as error:  # noqa: BLE001 - reported in the statuses the test asserts on
            statuses[index] = repr(error)

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses)


@pytest.fixture
def tree():
    """The factories' bilingual tree, committed: these tests are transactional (no module-wide tree)."""
    from tests.factories import build_tree

    return build_tree()


@pytest.fixture
def poll(tree):
    """An open poll (tests/factories.py)."""
    return tree["poll"]["it"]


def citizens(n):
    """`n` verified citizens, each with a session cookie: [(user, session key)]."""
    from tests.factories import UserFactory

    return [(user, log_in(user)) for user in UserFactory.create_batch(n)]


def stored_choices(users):
    """{user pk: [option keys]} of the votes stored for `users`."""
    stored = {}
    for user_pk, key in PollVoteChoice.objects.filter(vote__user__in=users).values_list("vote__user", "option_key"):
        stored.setdefault(user_pk, []).append(key)
    return stored


def test_fifty_concurrent_revotes_by_one_citizen(server, poll):
    [(citizen, session_key)] = citizens(1)
    options = list(poll.options.order_by("sort_order"))
    requests = [(poll.url + "vote/", session_key, {"options": options[i % len(options)].pk}) for i in range(50)]

    statuses = all_at_once(server, requests)

    # 30 are accepted (the per-citizen limit in ten minutes); the other 20 are told to wait (429), none is a 500.
    assert statuses == Counter({302: 30, 429: 20})
    assert PollVote.objects.filter(user=citizen).count() == 1
    [keys] = stored_choices([citizen]).values()
    assert len(keys) == 1 and keys[0] in {option.translation_key for option in options}


def test_a_hundred_citizens_voting_at_once(server, poll):
    people = citizens(100)
    options = list(poll.options.order_by("sort_order"))
    chosen = {user.pk: options[i % len(options)] for i, (user, _) in enumerate(people)}
    requests = [(poll.url + "vote/", key, {"options": chosen[user.pk].pk}) for user, key in people]

    statuses = all_at_once(server, requests)

    assert statuses == Counter({302: 100})
    assert PollVote.objects.filter(user__in=[user for user, _ in people]).count() == 100
    assert stored_choices([user for user, _ in people]) == {
        pk: [option.translation_key] for pk, option in chosen.items()
    }


def agreeing(comment):
    """How many citizens agree with `comment`, as its discussion counts them."""
    nodes, _, _ = thread_tree(comment.group.page_in("it"))
    while nodes:
        node = nodes.pop()
        if node.comment.pk == comment.pk:
            return node.comment.likes
        nodes.extend(node.children)
    raise AssertionError(f"comment {comment.pk} is not shown")


@pytest.fixture
def comment(tree):
    """A citizen's comment on the open process, and the URL its reactions are posted to."""
    from tests.factories import CommentFactory

    comment = CommentFactory(page=tree["consultation"]["it"])
    with translation.override("it"):
        return comment, reverse("comment_reaction", args=[comment.pk])


def test_thirty_citizens_liking_a_comment_at_once(server, comment):
    comment, path = comment
    people = citizens(30)

    statuses = all_at_once(server, [(path, key, {"reaction": "like"}) for _, key in people])

    assert statuses == Counter({302: 30})
    assert agreeing(comment) == 30


def test_one_citizen_clicking_like_thirty_times_at_once(server, comment):
    comment, path = comment
    [(_, key)] = citizens(1)

    statuses = all_at_once(server, [(path, key, {"reaction": "like"})] * 30)

    assert statuses == Counter({302: 30})
