"""Two accounts verifying the same person at the same moment: the unique identity lets exactly one through, the
other is told the person is verified on another account (accounts/residents.py ``verify``).

PostgreSQL only: its row locks and unique index decide between truly concurrent transactions; SQLite takes one
writer at a time, so nothing would be concurrent. Its own module: a transactional test commits and flushes."""

import io
import threading

import pytest
from django.db import connection

from accounts import census, residents
from accounts.models import ResidentVerification
from tests.factories import UserFactory
from tests.test_residents import GIULIA

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL"),
]


def run_at_once(functions):
    """Run each function in its own thread (and database connection), started together; their outcomes."""
    barrier = threading.Barrier(len(functions))
    outcomes = [None] * len(functions)

    def worker(index):
        from django.db import connections

        try:
            barrier.wait()
            functions[index]()
            outcomes[index] = "verified"
        except Exception as error:  # noqa: BLE001 - the test looks at which
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(len(functions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize("attempt", range(3))
def test_two_accounts_verifying_one_person_at_once_leave_one_verification(attempt):
    census.import_residents(io.BytesIO(f"codice_fiscale;cap;data_nascita\n{GIULIA};10121;1985-12-10\n".encode()))
    first, second = UserFactory(), UserFactory()
    identity = residents.identity_hash(GIULIA)
    outcomes = run_at_once(
        [
            lambda: census.check_census(first, GIULIA, "10121"),
            lambda: residents.verify(second, identity=identity, method="desk"),
        ]
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["IdentityTaken", "str"], outcomes
    assert ResidentVerification.objects.filter(identity=identity).count() == 1
    winner = ResidentVerification.objects.get(identity=identity).user_id
    assert winner == (first.pk if outcomes[0] == "verified" else second.pk)


def test_many_accounts_at_once_one_wins():
    identity = residents.identity_hash(GIULIA)
    users = [UserFactory() for _ in range(6)]
    outcomes = run_at_once(
        [lambda user=user: residents.verify(user, identity=identity, method="census") for user in users]
    )
    assert outcomes.count("verified") == 1, outcomes
    assert all(isinstance(outcome, residents.IdentityTaken) for outcome in outcomes if outcome != "verified")
    assert ResidentVerification.objects.filter(identity=identity).count() == 1
