"""Supports at once: one citizen double-clicking "Support" from two tabs, and thirty citizens supporting one
idea at the same moment. One row per citizen, a counter equal to the rows, no error (real concurrent
transactions on either database: SQLite's test database is a file, see settings/test.py).

Its own module: a transactional test commits and flushes, so it cannot share a module whose tree is kept
in an open transaction (tests/conftest.py ``kept_for_module``).
"""

import threading

import pytest

from participation.ideas import set_support
from participation.models import Idea, IdeaSupport
from tests.factories import IdeaFactory, IdeaMapPageFactory, UserFactory, build_tree


def at_once(work, count):
    errors, results = [], []
    barrier = threading.Barrier(count)

    def worker(index):
        from django.db import connections

        try:
            barrier.wait()
            results.append(work(index))
        except Exception as error:  # noqa: BLE001 - any error fails the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors, results


@pytest.fixture
def idea(transactional_db):
    tree = build_tree()  # committed: the worker threads' connections see it
    return IdeaFactory(page=IdeaMapPageFactory(parent=tree["consultation"]["it"]))


def test_one_citizen_supporting_twice_at_once_counts_once(idea):
    citizen = UserFactory()
    errors, results = at_once(lambda index: set_support(idea=idea, user=citizen, support=True), 2)
    assert errors == []
    assert sorted(results) == [False, True]  # one took, the other found it done
    assert IdeaSupport.objects.filter(idea=idea).count() == 1
    assert Idea.objects.get(pk=idea.pk).support_count == 1


def test_thirty_citizens_supporting_at_once_are_all_counted(idea):
    citizens = [UserFactory() for _ in range(30)]
    errors, _results = at_once(lambda index: set_support(idea=idea, user=citizens[index], support=True), 30)
    assert errors == []
    assert IdeaSupport.objects.filter(idea=idea).count() == 30
    assert Idea.objects.get(pk=idea.pk).support_count == 30
