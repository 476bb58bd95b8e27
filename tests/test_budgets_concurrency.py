"""One citizen checking out (and filling) the same basket from several tabs at once: one ballot, no error.

Real concurrent transactions on either database (SQLite's test database is a file, see settings/test.py).
Its own module: a transactional test commits and flushes (tests/conftest.py ``kept_for_module``).
"""

import threading
from decimal import Decimal

import pytest

from participation.budgets import BallotRejected, change_basket, checkout, counted_ballots
from participation.models import Ballot, BallotProject
from tests.factories import UserFactory, build_budget, build_tree, district, project_category


def run_at_once(*calls):
    """Run ``calls`` in threads released together; returns the exceptions other than a citizen's refusal."""
    errors = []
    barrier = threading.Barrier(len(calls))

    def worker(call):
        from django.db import connections

        try:
            barrier.wait()
            call()
        except BallotRejected:
            pass
        except Exception as error:  # noqa: BLE001 - any other error fails the test
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
def test_concurrent_baskets_and_checkouts_by_one_citizen_give_one_ballot():
    tree = build_tree(poll=False)
    theatre = project_category("Teatro", "Theatre")
    budget = build_budget(
        tree["consultation"],
        [{"cost": Decimal("30"), "category": theatre, "district": district(n)} for n in (1, 2, 3, 4)],
        total_budget=Decimal("100"),
        max_per_group=1,
    )
    citizen = UserFactory()
    it, en = budget["projects"]["it"], budget["projects"]["en"]
    # First clicks from two tabs, in two languages: one basket.
    assert not run_at_once(
        lambda: change_basket(budget=budget["it"], user=citizen, project_id=it[0].pk, add=True),
        lambda: change_basket(budget=budget["en"], user=citizen, project_id=en[1].pk, add=True),
        lambda: change_basket(budget=budget["en"], user=citizen, project_id=en[2].pk, add=True),
    )
    assert Ballot.objects.filter(user=citizen).count() == 1
    assert BallotProject.objects.filter(ballot__user=citizen).count() == 3  # 90 of 100: all fit
    # A fourth project (over the budget) and checkouts at once: the basket never goes over the budget.
    assert not run_at_once(
        lambda: change_basket(budget=budget["it"], user=citizen, project_id=it[3].pk, add=True),
        lambda: checkout(budget=budget["it"], user=citizen),
        lambda: checkout(budget=budget["en"], user=citizen),
    )
    ballot = Ballot.objects.get(user=citizen)
    assert ballot.is_cast
    assert BallotProject.objects.filter(ballot=ballot).count() == 3
    assert counted_ballots(budget["it"])["online"] == 1
