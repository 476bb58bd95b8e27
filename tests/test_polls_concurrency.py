"""Two vote requests from one citizen at once: one row, no error (real concurrent transactions on either database:
SQLite's test database is a file, see settings/test.py).

Its own module: a transactional test commits and flushes, so it cannot share a module whose tree is kept
in an open transaction (tests/conftest.py ``kept_for_module``).
"""

import threading

import pytest

from participation.models import PollVote, PollVoteChoice
from participation.polls import cast_vote
from tests.factories import UserFactory, build_tree


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_votes_leave_one_row_and_no_error():
    poll = build_tree()["poll"]  # committed: the worker threads' connections see it
    citizen = UserFactory()
    pages = [poll["it"], poll["en"]]
    choices = [pages[0].options.order_by("sort_order")[0].pk, pages[1].options.order_by("sort_order")[1].pk]
    errors = []
    barrier = threading.Barrier(2)

    def worker(index):
        from django.db import connections

        try:
            barrier.wait()
            cast_vote(poll=pages[index], user=citizen, option_ids=[choices[index]])
        except Exception as error:  # noqa: BLE001 - any error fails the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert PollVote.objects.filter(user=citizen).count() == 1
    assert PollVoteChoice.objects.filter(vote__user=citizen).count() == 1
