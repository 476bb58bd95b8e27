"""The counting methods of participatory budgeting (participation/budgeting.py), for the AxTO budget vote.

The ballot rules at their boundaries; greedy; the Method of Equal Shares on examples from the literature;
Pabulib files read, written and read back; then both methods against the field's reference library,
pabutools (pinned in requirements-test.txt), on two real Pabulib files and on seeded random instances,
and our files against the Pabulib project's own checker. Pure Python: no database.

The files in tests/data/ are real Pabulib instances, copied unchanged:

* worldwide_mechanical-turk_k-approval-3.pb: the experiment of Fairstein, Benadè and Gal, "Participatory
  Budgeting Design for the Real World" (10 projects, 76 voters, 5 approvals each); it is the example
  file of the pabulib/pabulib_process_data repository.
* poland_gdynia_2020_dabrowa-large.pb: Gdynia 2020, district Dąbrowa, large projects (11 projects, 2,100
  voters, up to 3 approvals each), from pabulib.org as kept in the test data of a pabutools fork.

Both have a PROJECTS ``votes`` column, which a test checks against the ballots: the copy is exact.
Pabulib asks users of its data to cite Stolicki, Szufa and Talmon, "Pabulib: A Participatory Budgeting
Library" (arXiv:2012.06539, 2020).
"""

import json
import random
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from pabulib.checker import Checker
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, parse_pabulib
from pabutools.election import Project as PabuProject
from pabutools.election.pabulib import parse_pabulib_from_string
from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.tiebreaking import TieBreakingRule

from participation.budgeting import (
    BALLOT_PROBLEM_CODES,
    BallotRules,
    PabulibInstance,
    Project,
    Vote,
    check_ballot,
    equal_shares,
    equal_shares_details,
    greedy,
    read_pabulib,
    vote_counts,
    write_pabulib,
)

DATA = Path(__file__).parent / "data"
REAL_FILES = sorted(DATA.glob("*.pb"))


def projects_of(costs, **kwargs):
    """``{"A": 100, ...}`` → Projects in that order (order 0, 1, 2...)."""
    return [Project(pid, cost, order=i, **kwargs) for i, (pid, cost) in enumerate(costs.items())]


def ballots_of(*groups):
    """``("AB", 3), ("C", 1)`` → three ballots {A, B} and one {C} (one-letter project ids)."""
    return [list(ids) for ids, times in groups for _ in range(times)]


def test_real_files_are_there():
    assert [path.name for path in REAL_FILES] == [
        "poland_gdynia_2020_dabrowa-large.pb",
        "worldwide_mechanical-turk_k-approval-3.pb",
    ]


# --- ballot rules, at their boundaries ------------------------------------------------------------

# Groups are (category, district): two theatre projects in district 1, one in district 2, one music.
CULTURE = [
    Project("t1", 40_000_00, order=1, category="teatro", district="1"),
    Project("t2", 30_000_00, order=2, category="teatro", district="1"),
    Project("t3", 20_000_00, order=3, category="teatro", district="2"),
    Project("m1", 10_000_00, order=4, category="musica", district="1"),
    Project("m2", 5_000_00, order=5, category="musica", district="1"),
]


def codes(problems):
    return [code for code, _ in problems]


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (["t1", "t2", "m1", "m2"], []),  # 85,000.00 €: below 100,000 €
        (["t1", "t2", "t3", "m1"], []),  # exactly 100,000.00 €
        (
            ["t1", "t2", "t3", "m1", "m2"],
            [("over_budget", {"total": 105_000_00, "budget": 100_000_00, "excess": 5_000_00})],
        ),
    ],
)
def test_knapsack_budget_boundary(chosen, expected):
    assert check_ballot(chosen, CULTURE, BallotRules.knapsack(100_000_00)) == expected


def test_knapsack_one_cent_over_is_over_budget():
    projects = [Project("a", 60_000_00), Project("b", 40_000_01)]
    assert check_ballot(["a", "b"], projects, BallotRules.knapsack(100_000_01)) == []
    assert check_ballot(["a", "b"], projects, BallotRules.knapsack(100_000_00)) == [
        ("over_budget", {"total": 100_000_01, "budget": 100_000_00, "excess": 1})
    ]


def test_knapsack_minimum_percentage_boundary():
    rules = BallotRules.knapsack(100_000_00, min_percent=50)
    assert check_ballot(["t1", "m1"], CULTURE, rules) == []  # 50,000.00 €: exactly 50%
    assert check_ballot(["t1", "m2"], CULTURE, rules) == [
        ("under_minimum", {"total": 45_000_00, "minimum": 50_000_00, "min_percent": 50})
    ]
    one_cent_short = [Project("a", 49_999_99)]
    assert codes(check_ballot(["a"], one_cent_short, rules)) == ["under_minimum"]
    # A fractional percentage: the least valid total is rounded up to the cent.
    odd = BallotRules.knapsack(1_00, min_percent=Fraction(200, 3))  # 66.67 cents of 1 €: 67 cents
    assert check_ballot(["a"], [Project("a", 67)], odd) == []
    assert check_ballot(["a"], [Project("a", 66)], odd) == [
        ("under_minimum", {"total": 66, "minimum": 67, "min_percent": Fraction(200, 3)})
    ]
    assert check_ballot(["a"], [Project("a", 67)], BallotRules.knapsack(1_00, min_percent=Decimal("66.67"))) == []


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (["t1"], [("too_few", {"count": 1, "minimum": 2})]),
        (["t1", "t2"], []),
        (["t1", "t2", "t3"], []),
        (["t1", "t2", "t3", "m1"], [("too_many", {"count": 4, "maximum": 3})]),
        ([], [("too_few", {"count": 0, "minimum": 2})]),
    ],
)
def test_approval_choice_limits(chosen, expected):
    assert check_ballot(chosen, CULTURE, BallotRules.approval(min_choices=2, max_choices=3)) == expected


def test_an_empty_ballot_is_refused_by_default():
    assert codes(check_ballot([], CULTURE, BallotRules.approval())) == ["too_few"]
    assert codes(check_ballot([], CULTURE, BallotRules.knapsack(100))) == ["too_few"]
    assert check_ballot([], CULTURE, BallotRules.approval(min_choices=0)) == []


def test_group_limit_kth_and_k_plus_first():
    rules = BallotRules.approval(max_per_group=1)
    assert check_ballot(["t1", "t3", "m1"], CULTURE, rules) == []  # one per group: teatro/1, teatro/2, musica/1
    assert check_ballot(["t1", "t3", "m1", "t2"], CULTURE, rules) == [
        ("group_limit", {"category": "teatro", "district": "1", "count": 2, "maximum": 1})
    ]
    rules = BallotRules.approval(max_per_group=2)
    assert check_ballot(["t1", "t2", "m1", "m2"], CULTURE, rules) == []  # K = 2 in two groups
    many = [*CULTURE, Project("t4", 1_00, order=6, category="teatro", district="1")]
    assert check_ballot(["m1", "t1", "t2", "t4"], many, rules) == [
        ("group_limit", {"category": "teatro", "district": "1", "count": 3, "maximum": 2})
    ]


def test_every_group_over_its_limit_is_reported_in_ballot_order():
    rules = BallotRules.approval(max_per_group=1)
    assert check_ballot(["m2", "t1", "m1", "t2"], CULTURE, rules) == [
        ("group_limit", {"category": "musica", "district": "1", "count": 2, "maximum": 1}),
        ("group_limit", {"category": "teatro", "district": "1", "count": 2, "maximum": 1}),
    ]


def test_group_limits_combine_with_knapsack_and_an_overall_limit():
    rules = BallotRules.knapsack(100_000_00, max_per_group=1, max_choices=2)
    assert check_ballot(["t1", "m1"], CULTURE, rules) == []  # N = 2 overall
    assert check_ballot(["t1", "t3", "m1"], CULTURE, rules) == [("too_many", {"count": 3, "maximum": 2})]
    assert codes(check_ballot(["t1", "t2", "t3", "m1", "m2"], CULTURE, rules)) == [
        "over_budget",
        "too_many",
        "group_limit",
        "group_limit",
    ]


def test_duplicates_and_unknown_projects():
    rules = BallotRules.knapsack(100_000_00, max_per_group=1)
    # Counted once: t1 twice is one duplicate, not a second theatre project nor 40,000 € more.
    assert check_ballot(["t1", "m1", "t1", "t1"], CULTURE, rules) == [("duplicate", {"project_id": "t1"})]
    assert check_ballot(["t1", "nope", "m1", "gone", "nope"], CULTURE, rules) == [
        ("unknown_project", {"project_id": "nope"}),
        ("unknown_project", {"project_id": "gone"}),
        ("duplicate", {"project_id": "nope"}),
    ]
    assert codes(check_ballot(["nope"], CULTURE, rules)) == ["unknown_project", "too_few"]
    assert {code for code, _ in check_ballot(["x", "x"], CULTURE, rules)} <= set(BALLOT_PROBLEM_CODES)


def test_projects_can_be_given_as_a_mapping():
    by_id = {project.id: project for project in CULTURE}
    assert check_ballot(["t1", "t2"], by_id, BallotRules.approval(max_per_group=1)) == check_ballot(
        ["t1", "t2"], CULTURE, BallotRules.approval(max_per_group=1)
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"budget": -1},
        {"budget": 100, "min_percent": 101},
        {"budget": 100, "min_percent": -1},
        {"budget": 100, "min_percent": 0.5},
        {"min_percent": 10},
        {"min_choices": 3, "max_choices": 2},
        {"max_per_group": 0},
        {"max_choices": -1},
        {"min_choices": True},
    ],
)
def test_impossible_rules_are_refused(kwargs):
    with pytest.raises(ValueError):
        BallotRules(**kwargs)


# --- greedy ---------------------------------------------------------------------------------------


def test_greedy_skips_what_does_not_fit_and_goes_on():
    projects = projects_of({"A": 60, "B": 50, "C": 30, "D": 10})
    ballots = ballots_of(("AB", 2), ("A", 3), ("BC", 2), ("C", 1), ("D", 1))  # A 5, B 4, C 3, D 1
    # A (60, 40 left); B (50) does not fit and is skipped; C (30, 10 left); D (10): exactly at the budget.
    assert greedy(projects, ballots, 100) == ["A", "C", "D"]
    assert greedy(projects, ballots, 99) == ["A", "C"]  # one cent less: D no longer fits
    assert greedy(projects, ballots, 110) == ["A", "B"]  # now B fits and uses it all


def test_greedy_ties_by_lower_cost_then_earlier_publication():
    projects = [Project("X", 50, order=2), Project("Y", 40, order=5), Project("Z", 40, order=1)]
    ballots = ballots_of(("XYZ", 3))
    assert greedy(projects, ballots, 1000) == ["Z", "Y", "X"]
    assert greedy(projects, ballots, 80) == ["Z", "Y"]
    assert greedy(projects, ballots, 50) == ["Z"]  # 10 left: neither Y nor X fits
    # Same cost and order: the earlier one in the list given.
    twins = [Project("second", 10, order=0), Project("first", 10, order=0)]
    assert greedy(twins, [["first", "second"]], 10) == ["second"]


def test_greedy_never_funds_a_project_without_votes():
    projects = projects_of({"A": 10, "B": 10})
    assert greedy(projects, [["A"]], 1000) == ["A"]
    assert greedy(projects, [], 1000) == []


def test_greedy_takes_counted_votes_too():
    projects = projects_of({"A": 60, "B": 50, "C": 30, "D": 10})
    ballots = ballots_of(("AB", 2), ("A", 3), ("BC", 2), ("C", 1), ("D", 1))
    counts = vote_counts(projects, ballots)
    assert counts == {"A": 5, "B": 4, "C": 3, "D": 1}
    assert greedy(projects, counts, 100) == greedy(projects, ballots, 100)
    assert greedy(projects, {"A": 1}, 100) == ["A"]


@pytest.mark.parametrize(
    ("projects", "approvals", "budget"),
    [
        ([Project("A", 1), Project("A", 2)], [], 10),  # repeated id
        ([Project("A", 1)], [["B"]], 10),  # unknown project
        ([Project("A", 1)], [["A", "A"]], 10),  # the same project twice in a ballot
        ([Project("A", 1)], {"B": 3}, 10),
        ([Project("A", 1)], {"A": -1}, 10),
        ([Project("A", 1)], [], -1),
        ([Project("A", 1)], [], 1.5),
    ],
)
def test_greedy_refuses_bad_input(projects, approvals, budget):
    with pytest.raises(ValueError):
        greedy(projects, approvals, budget)


@pytest.mark.parametrize("bad", [{"id": ""}, {"id": "a,b"}, {"id": "a;b"}, {"id": " a"}, {"cost": 0}, {"cost": 1.5}])
def test_projects_refuse_bad_ids_and_costs(bad):
    with pytest.raises(ValueError):
        Project(**{"id": "a", "cost": 100, **bad})


# --- the Method of Equal Shares on examples from the literature -----------------------------------


def test_mes_lackner_skowron_example_1():
    """Lackner & Skowron, "Multi-Winner Voting with Approval Preferences" (Springer 2023), Example 1:
    12 voters, candidates a-g, committee size 4 = a budget of 4 with every candidate costing 1. With unit
    costs, cost utilities are the approval ("cardinality") utilities of the book. The book's Example 11
    (abcvoting's tests/expected_output/test_abcbook_example11_py) runs the Method of Equal Shares: each
    voter starts with 4/12 = 1/3, a is bought at 1/8 per supporter, leaving them 5/24, and then no other
    candidate can be paid for (b's supporters hold 3 × 5/24 + 1/3 = 23/24 < 1, and so on): only {a}."""
    projects = projects_of(dict.fromkeys("abcdefg", 1))
    ballots = ballots_of(("ab", 3), ("ac", 3), ("ad", 2), ("bcf", 1), ("e", 1), ("f", 1), ("g", 1))
    result = equal_shares_details(projects, ballots, 4, completion=None)
    assert result.funded == ("a",)
    assert result.endowment == Fraction(1, 3)
    (round_a,) = result.rounds
    assert (round_a.max_payment, round_a.rho, round_a.effective_votes, round_a.votes) == (
        Fraction(1, 8),
        Fraction(1, 8),
        8,
        8,
    )
    # Filling the rest by votes (b and c have 4 each, d and f 2: ties go to the earlier): a, b, c, d,
    # the committee the book's MES-with-Phragmén-completion elects too.
    assert equal_shares(projects, ballots, 4, completion="greedy") == ["a", "b", "c", "d"]


# Wikipedia, "Method of Equal Shares", Motivation, and equalshares.net: 51% of the voters support 10 red
# projects, 49% support 10 blue ones, and the budget pays for 10. Greedy (knapsack) funds the 10 red
# projects; "the method of equal shares would pick 5 blue and 5 red projects".
RED_BLUE = [Project(f"r{i}", 10_000_00, order=i) for i in range(1, 11)] + [
    Project(f"b{i}", 10_000_00, order=10 + i) for i in range(1, 11)
]
RED_BLUE_BALLOTS = [[f"r{i}" for i in range(1, 11)]] * 51 + [[f"b{i}" for i in range(1, 11)]] * 49
RED = [f"r{i}" for i in range(1, 11)]
BLUE = [f"b{i}" for i in range(1, 11)]


def test_mes_red_blue_is_proportional_where_greedy_is_not():
    assert greedy(RED_BLUE, RED_BLUE_BALLOTS, 100_000_00) == RED
    # Pure MES: each voter has 1,000 €; a red project costs each of its 51 supporters 196.08 €, so red
    # voters afford 5 (980.39 €) and blue voters, at 204.08 € each, 4 (816.33 €): 9 projects.
    pure = equal_shares_details(RED_BLUE, RED_BLUE_BALLOTS, 100_000_00, completion=None)
    assert pure.funded == (*RED[:5], *BLUE[:4])
    assert pure.endowment == 1_000_00
    assert [r.max_payment for r in pure.rounds] == [Fraction(10_000_00, 51)] * 5 + [Fraction(10_000_00, 49)] * 4
    assert pure.left_over == 10_000_00
    # add1: 1,001 € each, 1,002 €, ... until at 1,021 € blue voters afford a 5th (5 × 204.08 = 1,020.41 €):
    # 5 + 5, which spends the budget exactly; the literature's outcome.
    add1 = equal_shares_details(RED_BLUE, RED_BLUE_BALLOTS, 100_000_00, completion="add1")
    assert add1.funded == (*RED[:5], *BLUE[:5])
    assert add1.endowment == 1_021_00  # the first whole euro at which 5 × 10,000 / 49 fits
    assert add1.mes_runs == 22 and add1.total_cost == 100_000_00 and add1.completion_funded == ()
    # Filling pure MES greedily instead gives the 10th project to the larger group: 6 red, 4 blue.
    assert equal_shares(RED_BLUE, RED_BLUE_BALLOTS, 100_000_00, completion="greedy") == [*RED[:5], *BLUE[:4], "r6"]
    # With 10-cent steps add1 stops earlier, at the first step where the 5th blue project fits.
    fine = equal_shares_details(RED_BLUE, RED_BLUE_BALLOTS, 100_000_00, completion="add1", step=10)
    assert fine.funded == add1.funded and fine.endowment == 1_020_50  # 5 × 10,000.00 / 49 = 1,020.408...


def test_mes_with_cost_utilities_does_not_hold_a_project_back_for_its_cost():
    """Cost utilities rank by payment per euro of the project: A (60, 3 supporters at 20 each, rho 1/3)
    comes before B (10, 2 supporters at 5 each, rho 1/2) although B asks less of each supporter (the
    "cardinality" variant, which ranks by the payment itself, would take B first)."""
    projects = projects_of({"B": 10, "A": 60})
    ballots = ballots_of(("A", 3), ("B", 2))
    result = equal_shares_details(projects, ballots, 100, completion=None)
    assert result.funded == ("A", "B")
    assert [(r.max_payment, r.rho) for r in result.rounds] == [(20, Fraction(1, 3)), (5, Fraction(1, 2))]


def test_mes_ties_go_to_lower_cost_then_earlier_order():
    # Separate supporters, two each: rho is 1/2 for all three. Equal votes: the cheaper one, then the
    # earlier. (In a first round rho is 1/votes, so "more votes" only breaks ties of later rounds, when
    # some supporters have run out of money: see the next test.)
    projects = [Project("late", 10, order=2), Project("cheap", 5, order=3), Project("early", 10, order=1)]
    ballots = [["late"], ["late"], ["cheap"], ["cheap"], ["early"], ["early"]]
    assert equal_shares(projects, ballots, 60, completion=None) == ["cheap", "early", "late"]


# A tie between projects with different votes, in a second round. 9 voters with 10 each. Round 1: D (50,
# 5 supporters at 10: rho 1/5) beats V (20, 4 supporters at 5: rho 1/4) and X (10, 2 at 5: rho 1/2), and
# empties the two voters who approve both D and V. Round 2: V's supporters hold 0, 0, 10, 10, so the two
# with money pay 10 each: rho 1/2, the same as X's. V has 4 votes, X 2: V comes first, although X is
# cheaper and published earlier. (pabutools, given the same tie-breaking, agrees: see below.)
LATER_TIE = [Project("X", 10, order=0), Project("V", 20, order=1), Project("D", 50, order=2)]
LATER_TIE_BALLOTS = [["D", "V"]] * 2 + [["D"]] * 3 + [["V"]] * 2 + [["X"]] * 2


def test_mes_ties_in_later_rounds_go_to_more_votes():
    result = equal_shares_details(LATER_TIE, LATER_TIE_BALLOTS, 90, completion=None)
    assert result.funded == ("D", "V", "X")
    assert [(r.project_id, r.rho, r.votes, r.effective_votes) for r in result.rounds] == [
        ("D", Fraction(1, 5), 5, 5),
        ("V", Fraction(1, 2), 4, 2),  # 4 votes, but only 2 supporters could still pay
        ("X", Fraction(1, 2), 2, 2),
    ]


def test_mes_counts_empty_ballots_as_voters():
    projects = projects_of({"A": 100})
    assert equal_shares(projects, [["A"], ["A"]], 100, completion=None) == ["A"]
    # Two empty ballots halve everyone's share: A's supporters now hold 50 together.
    assert equal_shares(projects, [["A"], ["A"], [], []], 100, completion=None) == []
    result = equal_shares_details(projects, [["A"], ["A"], [], []], 100, completion="add1", step=1)
    assert result.funded == ("A",) and result.endowment == 50 and result.voters == 4


def test_mes_edge_cases():
    projects = projects_of({"A": 100, "B": 50})
    for completion in (None, "greedy", "add1"):
        assert equal_shares(projects, [], 1000, completion=completion) == []
        assert equal_shares(projects, [["A", "B"]], 0, completion=completion) == []
        assert equal_shares([], [[], []], 1000, completion=completion) == []
    # One voter with 149: A and B each cost them their full price (rho 1), so the cheaper B goes first;
    # then A (100) no longer fits in the 99 left, the outcome is exhaustive and add1 stops at once.
    assert equal_shares_details(projects, [["A", "B"]], 149, completion="add1").funded == ("B",)
    with pytest.raises(ValueError):
        equal_shares(projects, [["A"]], 100, completion="phragmen")
    with pytest.raises(ValueError):
        equal_shares(projects, [["A"]], 100, step=0)
    with pytest.raises(ValueError):
        equal_shares(projects, [["C"]], 100)
    with pytest.raises(TypeError):
        equal_shares(projects, ["A"], 100)  # a ballot must be a collection of ids, not an id


@pytest.mark.parametrize("seed", range(40))
def test_mes_invariants_on_random_instances(seed):
    """Whatever the completion: within the budget, no project twice, MES rounds priced at least as high
    as the round before (money only goes down), supporters' payments never above the endowment."""
    projects, ballots, budget = random_instance(random.Random(seed))
    for completion in (None, "greedy", "add1"):
        result = equal_shares_details(projects, ballots, budget, completion, step=1)
        assert result.total_cost <= budget
        assert len(set(result.funded)) == len(result.funded)
        assert [r.rho for r in result.rounds] == sorted(r.rho for r in result.rounds)
        assert all(r.max_payment <= result.endowment for r in result.rounds)
        if completion is not None:  # completed: nothing voted for fits in what is left
            counts = vote_counts(projects, ballots)
            assert all(p.id in result.funded or counts[p.id] == 0 or p.cost > result.left_over for p in projects)


# --- Pabulib files --------------------------------------------------------------------------------

# The example of https://pabulib.org/format (Wieliczka, with the spaces after ";" that page shows).
FORMAT_EXAMPLE = """META
key; value
description; Municipal PB in Wieliczka
country; Poland
unit; Wieliczka
instance; 2020
num_projects; 5
num_votes; 10
budget; 2500
rule; greedy
vote_type; approval
min_length; 1
max_length; 3
date_begin; 16.09.2023
date_end; 04.10.2023
PROJECTS
project_id; cost; category
1; 600; culture, education
2; 800; sport
4; 1400; culture
5; 1000; health, sport
7; 1200; education
VOTES
voter_id; age; sex; vote
1; 34; f; 1,2,4
2; 51; m; 1,2
3; 23; m; 2,4,5
4; 19; f; 5,7
5; 62; f; 1,4,7
6; 54; m; 1,7
7; 49; m; 5
8; 27; f; 4
9; 39; f; 2,4,5
10; 44; m; 4,5
"""


def test_read_the_format_pages_example():
    instance = read_pabulib(FORMAT_EXAMPLE)
    assert instance.meta == {
        "description": "Municipal PB in Wieliczka",
        "country": "Poland",
        "unit": "Wieliczka",
        "instance": "2020",
        "budget": 2500_00,
        "rule": "greedy",
        "min_length": "1",
        "max_length": "3",
        "date_begin": "16.09.2023",
        "date_end": "04.10.2023",
    }
    assert instance.projects[0] == Project("1", 600_00, order=0, category="culture, education")
    assert [p.id for p in instance.projects] == ["1", "2", "4", "5", "7"]
    assert instance.votes[0] == Vote("1", ("1", "2", "4"), extra={"age": "34", "sex": "f"})
    assert vote_counts(instance.projects, instance.ballots) == {"1": 4, "2": 4, "4": 6, "5": 5, "7": 3}
    # Greedy: 4 (1,400), 5 (1,000: 100 left); 1, 2 and 7 no longer fit.
    assert greedy(instance.projects, instance.ballots, instance.budget) == ["4", "5"]


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_real_files_read_like_pabutools_reads_them(path):
    ours = read_pabulib(path.read_text("utf-8"))
    theirs, profile = parse_pabulib(str(path))
    assert {p.id: p.cost for p in ours.projects} == {p.name: int(p.cost * 100) for p in theirs}
    assert ours.budget == theirs.budget_limit * 100
    assert [frozenset(v.approved) for v in ours.votes] == [frozenset(p.name for p in b) for b in profile]
    assert [v.voter_id for v in ours.votes] == [b.meta["voter_id"] for b in profile]
    for project in ours.projects:
        their_meta = theirs.project_meta[theirs.get_project(project.id)]
        assert project.name == their_meta["name"]
        # The file's own vote counts agree with its ballots: the copy in tests/data/ is exact.
        assert vote_counts(ours.projects, ours.ballots)[project.id] == int(their_meta["votes"])
    assert len(ours.votes) == int(theirs.meta["num_votes"]) and len(ours.projects) == int(theirs.meta["num_projects"])


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_real_files_round_trip(path):
    original = read_pabulib(path.read_text("utf-8"))
    written = write_pabulib(original.meta, original.projects, original.votes)
    assert read_pabulib(written) == original
    # pabutools reads what we wrote as it reads the original file.
    theirs_before, profile_before = parse_pabulib(str(path))
    theirs_after, profile_after = parse_pabulib_from_string(written)
    assert pabutools_view(theirs_after, profile_after) == pabutools_view(theirs_before, profile_before)


def pabutools_view(instance, profile):
    """What pabutools understood of a file, comparable between two readings."""
    return (
        instance.budget_limit,
        {p.name: (p.cost, frozenset(p.categories)) for p in instance},
        {p.name: instance.project_meta[p].get("name") for p in instance},
        [(b.meta.get("voter_id"), frozenset(p.name for p in b)) for b in profile],
    )


def axto_vote():
    """A small AxTO vote with euro cents, a ';' and quotes in a name, a line break, a date."""
    projects = [
        Project("a1", 15_000_50, order=1, name='Teatro; "in strada"', category="teatro", district="Circoscrizione 1"),
        Project("a2", 8_000_00, order=2, name="Musica\nnei cortili", category="musica", district="Circoscrizione 2"),
        Project("a3", 20_000_00, order=3, name="Cinema all'aperto", category="cinema", district="Tutta la città"),
    ]
    votes = [
        Vote("v1", ("a1", "a2"), voting_method="internet"),
        Vote("v2", ("a2",), voting_method="internet"),
        Vote("v3", ("a3", "a1"), voting_method="paper"),
        Vote("v4", ("a2", "a3"), voting_method="internet"),
    ]
    meta = {
        "description": "AxTO 2026: progetti culturali delle associazioni",
        "country": "Italy",
        "unit": "Torino",
        "instance": "2026",
        "budget": 30_000_00,
        "rule": "greedy",
        "date_begin": date(2026, 3, 1),
        "date_end": date(2026, 3, 31),
        "language": "it",
        "currency": "EUR",
        "min_length": 1,
        "max_length": 2,
    }
    return meta, projects, votes


def test_write_pabulib_text():
    meta, projects, votes = axto_vote()
    text = write_pabulib(meta, projects, votes, selected=["a2", "a1"])
    assert text == (
        "META\n"
        "key;value\n"
        "description;AxTO 2026: progetti culturali delle associazioni\n"
        "country;Italy\n"
        "unit;Torino\n"
        "instance;2026\n"
        "num_projects;3\n"
        "num_votes;4\n"
        "budget;30000\n"
        "vote_type;approval\n"
        "rule;greedy\n"
        "date_begin;01.03.2026\n"
        "date_end;31.03.2026\n"
        "min_length;1\n"
        "max_length;2\n"
        "language;it\n"
        "currency;EUR\n"
        "PROJECTS\n"
        "project_id;cost;votes;name;category;selected;district\n"
        'a1;15000.50;2;"Teatro; ""in strada""";teatro;1;Circoscrizione 1\n'
        "a2;8000;3;Musica nei cortili;musica;1;Circoscrizione 2\n"
        "a3;20000;2;Cinema all'aperto;cinema;0;Tutta la città\n"
        "VOTES\n"
        "voter_id;vote;voting_method\n"
        "v1;a1,a2;internet\n"
        "v2;a2;internet\n"
        "v3;a3,a1;paper\n"
        "v4;a2,a3;internet\n"
    )


def test_write_then_read_gives_the_same_instance():
    meta, projects, votes = axto_vote()
    text = write_pabulib(meta, projects, votes)
    back = read_pabulib(text)
    # Dates come back as the text written, ints as text; the line break of a name became a space.
    assert back.meta == {
        **{key: str(value) for key, value in meta.items()},
        "budget": 30_000_00,
        "date_begin": "01.03.2026",
        "date_end": "31.03.2026",
    }
    assert back.projects == (
        Project("a1", 15_000_50, order=0, name='Teatro; "in strada"', category="teatro", district="Circoscrizione 1"),
        Project("a2", 8_000_00, order=1, name="Musica nei cortili", category="musica", district="Circoscrizione 2"),
        Project("a3", 20_000_00, order=2, name="Cinema all'aperto", category="cinema", district="Tutta la città"),
    )
    assert back.votes == tuple(votes)
    assert write_pabulib(back.meta, back.projects, back.votes) == text  # a fixed point
    # pabutools reads the same: costs in euros (15000.50 → 30001/2), names unquoted, the same ballots.
    theirs, profile = parse_pabulib_from_string(text)
    assert {p.name: p.cost for p in theirs} == {"a1": Fraction(30001, 2), "a2": 8000, "a3": 20000}
    assert theirs.budget_limit == 30000
    assert {theirs.project_meta[p]["name"] for p in theirs} == {p.name for p in back.projects}
    assert [(b.meta["voter_id"], b.meta["voting_method"], {p.name for p in b}) for b in profile] == [
        (v.voter_id, v.voting_method, set(v.approved)) for v in votes
    ]


def test_what_we_write_passes_the_pabulib_checker():
    """The Pabulib project's own validator (pabulib-checker): fields, their order and values, counts,
    budget, and that the ``selected`` column follows the rule (it recomputes greedy itself)."""
    meta, projects, votes = axto_vote()
    counts = vote_counts(projects, [v.approved for v in votes])
    ranked = sorted(projects, key=lambda p: -counts[p.id])  # Pabulib lists projects by votes
    funded = greedy(projects, [v.approved for v in votes], meta["budget"])
    assert funded == ["a2", "a1"]
    results = Checker().process_files([write_pabulib(meta, ranked, votes, selected=funded)])
    assert results["metadata"] == {"processed": 1, "valid": 1, "invalid": 0}, json.dumps(results, default=str)
    assert results[1]["results"] == {"errors": {}, "warnings": {}}  # keyed by the file's position, from 1
    # And it notices a wrong selection.
    results = Checker().process_files([write_pabulib(meta, ranked, votes, selected=["a2", "a3"])])
    assert "greedy rule not followed" in results["summary"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n", "vote_type"),
        ("META\nkey;value\nvote_type;ordinal\nbudget;10\n", "approval"),
        ("META\nkey;value\nvote_type;approval\nbudget;10.001\n", "cents"),
        ("META\nkey;value\nvote_type;approval\nbudget;ten\n", "not a number"),
        ("META\nkey;value\nvote_type;approval\nbudget;10\nPROJECTS\nproject_id;cost\n1;5\n1;6\n", "twice"),
        ("META\nkey;value\nvote_type;approval\nbudget;10\nPROJECTS\nproject_id;name\n1;x\n", "cost"),
        (
            "META\nkey;value\nvote_type;approval\nbudget;10\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;2\n",
            "unknown",
        ),
        (
            "META\nkey;value\nvote_type;approval\nbudget;10\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;1,1\n",
            "twice",
        ),
        (
            "META\nkey;value\nvote_type;approval\nbudget;10\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;1\n1;1\n",
            "twice",
        ),
        ("budget;10\n", "META"),
    ],
)
def test_read_pabulib_refuses_broken_files(text, message):
    with pytest.raises(ValueError, match=message):
        read_pabulib(text)


def test_read_pabulib_is_lenient_where_files_differ():
    text = (
        "\ufeffmeta\nkey;value\nvote_type;approval\nbudget;8000,5\n\n"
        "PROJECTS\nproject_id;cost;votes\n1;8000,0;99\n2;1e3;0\nVOTES\nvoter_id;vote\n1;1, 2\n2;\n"
    )
    instance = read_pabulib(text)
    assert instance.budget == 8000_50
    assert [(p.id, p.cost, dict(p.extra)) for p in instance.projects] == [("1", 8000_00, {}), ("2", 1000_00, {})]
    assert instance.ballots == [("1", "2"), ()]  # an empty vote is an (empty) ballot


@pytest.mark.parametrize(
    "change",
    [
        lambda meta, projects, votes: (dict(meta, budget=None), projects, votes),
        lambda meta, projects, votes: (dict(meta, budget="30000"), projects, votes),
        lambda meta, projects, votes: ({k: v for k, v in meta.items() if k != "rule"}, projects, votes),
        lambda meta, projects, votes: (dict(meta, vote_type="ordinal"), projects, votes),
        lambda meta, projects, votes: (meta, projects + projects[:1], votes),
        lambda meta, projects, votes: (meta, projects, votes + votes[:1]),
        lambda meta, projects, votes: (meta, projects, [*votes, Vote("v9", ("zz",))]),
    ],
)
def test_write_pabulib_refuses_what_would_not_be_a_valid_file(change):
    with pytest.raises(ValueError):
        write_pabulib(*change(*axto_vote()))


def test_pabulib_instance_budget_and_ballots():
    instance = PabulibInstance(meta={"budget": 12}, projects=(Project("a", 1),), votes=(Vote("1", ("a",)),))
    assert instance.budget == 12 and instance.ballots == [("a",)]


# --- against pabutools ----------------------------------------------------------------------------


def pabutools_tie_breaking(instance, profile, order):
    """Our tie-breaking for pabutools: more votes, lower cost, then ``order[name]`` (order, position)."""
    votes = {p.name: profile.approval_score(p) for p in instance}
    return TieBreakingRule(lambda _instance, _profile, p: (-votes[p.name], p.cost, order[p.name]))


def pabutools_outcome(instance, profile, order, method, completion=None, step=1):
    """pabutools' greedy or MES (with our completion), as a list of names in selection order, without
    the projects nobody voted for (pabutools' greedy appends those last; we never fund them)."""
    profile = profile.as_multiprofile()  # identical ballots merged: the same outcome, much faster
    tie = pabutools_tie_breaking(instance, profile, order)
    greedy_params = {"sat_class": Cost_Sat, "tie_breaking": tie}
    mes_params = {"sat_class": Cost_Sat, "tie_breaking": tie}
    if method == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, **greedy_params)
    elif completion is None:
        outcome = method_of_equal_shares(instance, profile, **mes_params)
    else:
        if completion == "add1":
            mes_params["voter_budget_increment"] = step
        outcome = completion_by_rule_combination(
            instance, profile, [method_of_equal_shares, greedy_utilitarian_welfare], [mes_params, greedy_params]
        )
    return [p.name for p in outcome if profile.approval_score(p) > 0]


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_real_files_count_as_pabutools_counts_them(path):
    """Each reads the file with its own reader; costs are in złoty / dollars for pabutools and in
    hundredths for us, so one currency unit per voter (pabutools' ``voter_budget_increment=1``) is
    our ``step=100``."""
    ours = read_pabulib(path.read_text("utf-8"))
    theirs, profile = parse_pabulib(str(path))
    order = {p.name: position for position, p in enumerate(theirs.project_meta)}  # file order
    expected_greedy = pabutools_outcome(theirs, profile, order, "greedy")
    assert greedy(ours.projects, ours.ballots, ours.budget) == expected_greedy
    for completion in (None, "greedy", "add1"):
        expected = pabutools_outcome(theirs, profile, order, "mes", completion)
        assert equal_shares(ours.projects, ours.ballots, ours.budget, completion, step=100) == expected, completion


def test_the_real_outcomes():
    """The outcomes of the two files, so a change shows up here too (all checked against pabutools above).
    Gdynia's own ``selected`` column (1, 8, 3) stops at the first project that does not fit; greedy as
    specified here skips it and goes on, as the Pabulib checker's "greedy" does."""
    gdynia = read_pabulib((DATA / "poland_gdynia_2020_dabrowa-large.pb").read_text("utf-8"))
    assert greedy(gdynia.projects, gdynia.ballots, gdynia.budget) == ["1", "8", "3", "7", "9", "4"]
    result = equal_shares_details(gdynia.projects, gdynia.ballots, gdynia.budget, "add1")
    # Pure MES funds 1, 8, 3, 7; from 459 zł per voter (285 + 174) on, MES itself adds 9 and 4.
    assert equal_shares(gdynia.projects, gdynia.ballots, gdynia.budget, None) == ["1", "8", "3", "7"]
    assert result.mes_funded == ("1", "8", "3", "7", "9", "4") and result.completion_funded == ()
    assert result.mes_runs == 175 and result.endowment == Fraction(598410_00, 2100) + 174_00
    turk = read_pabulib((DATA / "worldwide_mechanical-turk_k-approval-3.pb").read_text("utf-8"))
    assert greedy(turk.projects, turk.ballots, turk.budget) == ["3", "51", "22", "13"]
    assert equal_shares(turk.projects, turk.ballots, turk.budget) == ["3", "51", "25", "13", "40", "7"]


@pytest.mark.parametrize(
    ("projects", "ballots", "budget"),
    [
        (RED_BLUE, RED_BLUE_BALLOTS, 100_000_00),
        (LATER_TIE, LATER_TIE_BALLOTS, 90),
        (projects_of(dict.fromkeys("abcdefg", 1)), ballots_of(("ab", 3), ("ac", 3), ("ad", 2), ("bcf", 1)), 4),
    ],
    ids=["red-blue", "later-tie", "lackner-skowron"],
)
def test_the_worked_examples_count_as_pabutools_counts_them(projects, ballots, budget):
    instance, profile, order = to_pabutools(projects, ballots, budget)
    assert greedy(projects, ballots, budget) == pabutools_outcome(instance, profile, order, "greedy")
    for completion in (None, "greedy", "add1"):
        expected = pabutools_outcome(instance, profile, order, "mes", completion, step=100)
        assert equal_shares(projects, ballots, budget, completion, step=100) == expected, completion


def random_instance(rng):
    """A small instance with many ties: few distinct costs, a few orders, repeated and empty ballots."""
    costs = [rng.randint(1, 30) for _ in range(3)]
    projects = [
        Project(f"p{i}", rng.choice(costs) if rng.random() < 0.6 else rng.randint(1, 40), order=rng.randint(0, 3))
        for i in range(rng.randint(1, 7))
    ]
    ids = [p.id for p in projects]
    density = rng.random()
    distinct = [[pid for pid in ids if rng.random() < density] for _ in range(rng.randint(1, 6))]
    ballots = [list(rng.choice(distinct)) for _ in range(rng.randint(0, 14))]
    budget = rng.randint(0, sum(p.cost for p in projects) + 10)
    return projects, ballots, budget


def to_pabutools(projects, ballots, budget):
    by_name = {p.id: PabuProject(p.id, p.cost) for p in projects}
    instance = Instance(by_name.values(), budget_limit=budget)
    profile = ApprovalProfile([ApprovalBallot(by_name[pid] for pid in ballot) for ballot in ballots])
    order = {p.id: (p.order, position) for position, p in enumerate(projects)}
    return instance, profile, order


@pytest.mark.parametrize("seed", range(300))
def test_random_instances_count_as_pabutools_counts_them(seed):
    """Seeded random instances (costs in whole units on both sides, add1 by one unit per voter)."""
    projects, ballots, budget = random_instance(random.Random(seed))
    instance, profile, order = to_pabutools(projects, ballots, budget)
    assert greedy(projects, ballots, budget) == pabutools_outcome(instance, profile, order, "greedy")
    for completion in (None, "greedy", "add1"):
        expected = pabutools_outcome(instance, profile, order, "mes", completion)
        assert equal_shares(projects, ballots, budget, completion, step=1) == expected, completion
