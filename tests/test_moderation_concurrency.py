"""Agree/disagree and reports clicked at once by one citizen: one row, no error, on either database.

Its own module: a transactional test commits and flushes, so it cannot share a module whose tree is
kept in an open transaction (tests/conftest.py). SQLite's test database is a file (settings/test.py),
so the threads' connections are real concurrent transactions there too.
"""

import threading

import pytest

from participation.comments import react, report
from participation.models import CommentReaction, CommentReport
from tests.factories import CommentFactory, UserFactory, build_tree


def run_together(*calls):
    """Run the calls in threads released at once (each with its own database connection); their errors."""
    from django.db import connections

    barrier, errors = threading.Barrier(len(calls)), []

    def worker(call):
        try:
            barrier.wait()
            call()
        except Exception as error:  # noqa: BLE001 - any error fails the caller's assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_agree_and_disagree_store_one_reaction_and_no_error():
    """The issue's numbers: concurrently, like and dislike were both stored 7 times in 20."""
    from django.core.cache import cache

    tree = build_tree(poll=False)
    author, citizen = UserFactory(), UserFactory()
    comment = CommentFactory(page=tree["consultation"]["it"], user=author)
    for _round in range(20):
        errors = run_together(
            lambda: react(comment=comment, user=citizen, reaction="like"),
            lambda: react(comment=comment, user=citizen, reaction="dislike"),
        )
        assert errors == []
        assert CommentReaction.objects.filter(comment=comment, user=citizen).count() == 1
        CommentReaction.objects.all().delete()
        cache.clear()  # the reaction rate limit
    for _round in range(5):
        errors = run_together(*[lambda: report(comment=comment, user=citizen, reason="spam")] * 2)
        assert errors == []
        assert CommentReport.objects.filter(comment=comment, user=citizen).count() == 1
        CommentReport.objects.all().delete()
        cache.clear()
