"""Twenty citizens sign up for an activity with five places at the same moment: exactly five confirmed, fifteen
waiting, no error; and cancellations racing sign-ups never leave a place unfilled or over-booked (real
concurrent transactions: PostgreSQL locks the activity's row; SQLite's test database is a file, whose writers
take turns).

Its own module: a transactional test commits and flushes (tests/conftest.py ``kept_for_module``).
"""

import threading

import pytest
from django.db import connection, connections

from participation import pacts
from participation.models.pacts import ActivitySignup
from tests.factories import UserFactory, build_tree
from tests.pact_factories import ActivityFactory, build_pact

THREADS = 20
PLACES = 5


def race(work, arguments):
    """Run ``work(argument)`` in one thread per argument, all released at once; returns the errors."""
    errors = []
    barrier = threading.Barrier(len(arguments))

    def worker(argument):
        try:
            barrier.wait()
            work(argument)
        except Exception as error:  # noqa: BLE001 - any error fails the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def activity(settings):
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "signup": ""}
    pact = build_pact(build_tree(poll=False)["consultation"])
    return ActivityFactory(group_id=pact["it"].translation_key, capacity=PLACES)


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_never_exceed_the_places(activity):
    citizens = [UserFactory() for _ in range(THREADS)]
    errors = race(lambda citizen: pacts.sign_up(activity, citizen), citizens)
    assert errors == []
    statuses = list(ActivitySignup.objects.filter(activity=activity).values_list("status", flat=True))
    assert statuses.count("confirmed") == PLACES
    assert statuses.count("waiting") == THREADS - PLACES


@pytest.mark.django_db(transaction=True)
def test_cancellations_racing_sign_ups_keep_the_places_exact(activity):
    first = [UserFactory() for _ in range(PLACES + 3)]
    for citizen in first:
        pacts.sign_up(activity, citizen)
    newcomers = [UserFactory() for _ in range(6)]
    leaving = first[:3]  # three confirmed places free up while six others sign up

    def work(item):
        action, citizen = item
        if action == "cancel":
            pacts.cancel(activity, citizen)
        else:
            pacts.sign_up(activity, citizen)

    errors = race(work, [("cancel", c) for c in leaving] + [("sign up", c) for c in newcomers])
    assert errors == []
    statuses = list(ActivitySignup.objects.filter(activity=activity).values_list("status", flat=True))
    assert statuses.count("confirmed") == PLACES
    assert statuses.count("waiting") == len(first) - len(leaving) + len(newcomers) - PLACES


def test_the_database_in_use():
    # Says in the output which database the races ran on (PostgreSQL in CI: DATABASE_URL).
    assert connection.vendor in ("postgresql", "sqlite")
