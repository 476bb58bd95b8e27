"""Ranked polls (preferential vote, Schulze method): the method on worked examples, then the poll."""

import time

import pytest

from participation.schulze import group_ballots, schulze


def ranked(order, weight=1):
    """``"ACBED"`` → [{"A": 1, "C": 2, "B": 3, "E": 4, "D": 5}] × weight."""
    return [{candidate: rank for rank, candidate in enumerate(order, start=1)}] * weight


# --- the method, on examples from the literature --------------------------------------------------

# Wikipedia, "Schulze method", the 45-voter example (also in Schulze's paper, section 3.1).
WIKIPEDIA = [
    *ranked("ACBED", 5),
    *ranked("ADECB", 5),
    *ranked("BEDAC", 8),
    *ranked("CABED", 3),
    *ranked("CAEBD", 7),
    *ranked("CBADE", 2),
    *ranked("DCEBA", 7),
    *ranked("EBADC", 8),
]


def matrix(result, rows):
    return [[rows[x][y] if x != y else None for y in result.candidates] for x in result.candidates]


def test_wikipedia_example_45_voters():
    result = schulze(WIKIPEDIA, "ABCDE")
    assert matrix(result, result.d) == [
        [None, 20, 26, 30, 22],
        [25, None, 16, 33, 18],
        [19, 29, None, 17, 24],
        [15, 12, 28, None, 14],
        [23, 27, 21, 31, None],
    ]
    assert matrix(result, result.p) == [
        [None, 28, 28, 30, 24],
        [25, None, 28, 33, 24],
        [25, 29, None, 29, 24],
        [25, 28, 28, None, 24],
        [25, 28, 28, 31, None],
    ]
    assert result.winners == ["E"]
    assert result.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]


def test_a_condorcet_cycle_is_a_tie_in_the_given_order():
    # A > B by 2:1, B > C by 2:1, C > A by 2:1: every strongest path is 2.
    result = schulze([*ranked("ABC"), *ranked("BCA"), *ranked("CAB")], "ABC")
    assert result.d["A"]["B"] == result.d["B"]["C"] == result.d["C"]["A"] == 2
    assert result.winners == ["A", "B", "C"]
    assert result.ranking == [["A", "B", "C"]]


def test_a_cycle_broken_by_strength():
    # Rock-paper-scissors with unequal margins: A>B 6:3, B>C 7:2, C>A 5:4. The weakest link (C>A) breaks.
    ballots = [*ranked("ABC", 4), *ranked("BCA", 3), *ranked("CAB", 2)]
    result = schulze(ballots, "ABC")
    assert (result.d["A"]["B"], result.d["B"]["C"], result.d["C"]["A"]) == (6, 7, 5)
    assert result.p["A"]["C"] == 6 and result.p["C"]["A"] == 5  # A reaches C through B, at strength 6
    assert result.winners == ["A"]
    assert result.ranking == [["A"], ["B"], ["C"]]


def test_ties_are_reported_as_ties():
    result = schulze([*ranked("AB"), *ranked("BA")], "ABC")
    assert result.winners == ["A", "B"]
    assert result.ranking == [["A", "B"], ["C"]]
    assert schulze([], "XYZ").ranking == [["X", "Y", "Z"]]  # no ballots: everyone tied, in the given order


def test_partial_rankings_put_unranked_options_below_and_tied():
    # Two voters rank only B; one ranks C then A. B beats both (2:1), A and C: one voter prefers C.
    result = schulze([{"B": 1}, {"B": 1}, {"C": 1, "A": 2}], "ABC")
    assert result.d["B"] == {"A": 2, "B": 0, "C": 2}
    assert result.d["A"]["C"] == 0 and result.d["C"]["A"] == 1
    assert result.ranking == [["B"], ["C"], ["A"]]
    # a ballot ranking nobody changes nothing; one ranking A alone makes A beat every other option
    assert schulze([{}], "AB").d == {"A": {"A": 0, "B": 0}, "B": {"A": 0, "B": 0}}
    assert schulze([{"A": 1}], "ABC").d["A"] == {"A": 0, "B": 1, "C": 1}


def test_equal_ranks_on_a_ballot_express_no_preference_between_them():
    result = schulze([{"A": 1, "B": 1, "C": 2}], "ABC")
    assert result.d["A"]["B"] == result.d["B"]["A"] == 0
    assert result.ranking == [["A", "B"], ["C"]]


def test_fifty_thousand_ballots_are_grouped_and_tallied_quickly():
    patterns = [ranked(order)[0] for order in ("ABCDEFGH", "HGFEDCBA", "CAB", "D", "EDCBAHGF", "BADC")]
    ballots = [patterns[n % len(patterns)] for n in range(50_000)]
    start = time.perf_counter()
    grouped = group_ballots(ballots)
    result = schulze(None, "ABCDEFGH", grouped=grouped)
    elapsed = time.perf_counter() - start
    assert len(grouped) == len(patterns)
    assert sum(grouped.values()) == 50_000
    assert result.d["A"]["B"] + result.d["B"]["A"] <= 50_000
    assert elapsed < 5, f"{elapsed:.2f}s"  # well under a second on a laptop; loose for a busy CI box


@pytest.mark.parametrize("seed", range(3))
def test_the_winner_is_the_condorcet_winner_when_there_is_one(seed):
    import random

    generator = random.Random(seed)
    ballots = [ranked("".join(generator.sample("ABCD", generator.randint(1, 4))))[0] for _ in range(61)]
    result = schulze(ballots, "ABCD")
    condorcet = [x for x in "ABCD" if all(result.d[x][y] > result.d[y][x] for y in "ABCD" if y != x)]
    if condorcet:
        assert result.winners == condorcet
    # the ranking is a partition of the candidates, and no candidate of a tier is beaten by a later one
    assert sorted(sum(result.ranking, [])) == list("ABCD")
    for upper, tier in enumerate(result.ranking):
        for lower in result.ranking[upper + 1 :]:
            assert all(not result.beats(y, x) for x in tier for y in lower)
