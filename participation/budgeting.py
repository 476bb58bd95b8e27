"""Counting methods for participatory budgeting (the AxTO budget vote), in pure Python.

No Django, no database, no floating point: money is an ``int`` of euro cents everywhere (a project's
cost, the budget), and every division is done with :class:`fractions.Fraction`, so a count gives the
same result on every machine and can be re-checked by hand.

Projects and ballots
--------------------
A :class:`Project` has an ``id`` (a string, unique in the vote), a ``cost`` in cents (> 0), an
``order`` (lower = published earlier; the last tie-break) and, for the ballot rules and the open data,
a ``name``, a ``category`` and a ``district``. A ballot is the collection of the ids of the projects
one citizen approved (an approval ballot). Projects with equal ``order`` are told apart by their
position in the list of projects given.

The "votes" of a project are the number of ballots that approve it.

1. :func:`greedy` -- "greedy by votes within the budget"
-------------------------------------------------------
Projects are taken in order of votes (most first); equal votes go to the cheaper project, then to
the one published earlier. Each project is funded if it fits in what is left of the budget, and
skipped otherwise: the next ones are still tried, so a cheaper project further down the list can use
money that a bigger one could not. A project nobody voted for is never funded. This is the rule most
cities use (Pabulib's ``greedy``) and the same as pabutools' ``greedy_utilitarian_welfare`` with
``Cost_Sat`` satisfaction (whose score, votes × cost / cost, is the number of votes).

2. :func:`equal_shares` -- the Method of Equal Shares (MES)
----------------------------------------------------------
Peters, Pierczyński and Skowron, "Proportional Participatory Budgeting with Additive Utilities"
(NeurIPS 2021), for approval ballots with **cost utilities**: a voter's utility for a project is its
cost if they approved it and 0 otherwise. This is the variant equalshares.net computes and pabutools
computes as ``method_of_equal_shares(instance, profile, sat_class=Cost_Sat)``. Precisely:

* Every ballot counts as one voter, empty ballots included: with *n* ballots and budget *B* each voter
  starts with the endowment *e* = *B* / *n*.
* Candidates are the projects with at least one vote. In each round, for every candidate *p* of cost
  *c* whose supporters still hold at least *c* together, the *maximum payment* *m* is the least amount
  such that the supporters, each paying min(their money left, *m*), pay exactly *c*; then
  *rho* = *m* / *c* is the price per unit of utility (a supporter's utility being *c*), and *c* / *m*
  the "effective vote count" shown by equalshares.net. A candidate whose supporters hold less than *c*
  is dropped for good (money only goes down).
* The candidate with the least *rho* is funded; ties go to more votes, then lower cost, then earlier
  order. Its supporters pay min(their money left, *m*).
* Rounds go on until no candidate can be paid for.

With approval ballots every supporter is asked for the same amount, as with the "cardinality" variant;
what cost utilities change is which project comes first (the least *m* / *c* rather than the least
*m*), so a costly project with many votes is not held back by its cost alone.

Completion (``completion=``). Pure MES typically spends only 60-70% of the budget (equalshares.net,
"Completion"), so:

* ``None``: pure MES, as above.
* ``"greedy"``: MES, then the money left is filled by :func:`greedy`'s rule (in order of votes, every
  project that still fits).
* ``"add1"`` (the default, and equalshares.net's recommendation): MES is run with the endowments
  *B* / *n* + *k* × ``step`` for *k* = 0, 1, 2, ... (``step`` in cents per voter,
  default 100: one euro, "add one currency unit per voter"), always checking the outcome against the
  real budget *B*. The first outcome that is *exhaustive* (no voted project outside it fits in what it
  leaves of *B*) is kept; if an outcome costs more than *B*, the one before it is kept instead. The money
  still left is then filled by :func:`greedy`'s rule, as with ``"greedy"``.

This is, to the cent, pabutools 1.2.3's ``completion_by_rule_combination(instance, profile,
[method_of_equal_shares, greedy_utilitarian_welfare], [{"sat_class": Cost_Sat,
"voter_budget_increment": 1}, {"sat_class": Cost_Sat}])`` (with costs in euros and our tie-breaking
passed as ``tie_breaking``), except that we never fund a project without votes where pabutools' greedy
step would add one at the very end; ``tests/test_budgeting.py`` checks it on real Pabulib files and on
random instances. Two other references differ in details that rarely matter: the reference code on
equalshares.net starts the add1 iterations from the whole-unit endowment ⌊*B* / *n*⌋ (we start from
*B* / *n*, as pabutools does), counts projects without votes when it asks whether an outcome is
exhaustive (so it never stops when every voted project is funded and an unvoted one still fits), and
breaks ties by lower cost before more votes; the Pabulib file checker's ``equalshares/add1`` floors costs
to whole units and raises the endowment until the outcome no longer fits, without the "exhaustive" stop.

Speed: identical ballots are counted once, and each round only looks at the few distinct amounts of
money the supporters of a project have left. 5,000 ballots of 1-5 projects out of 40, with add1 by one
euro (87 MES runs), take about 5 seconds on one core; one-cent steps would take 100 times as many runs,
so count in a background task, not in a request.

:func:`equal_shares` returns the funded ids in the order they were chosen (MES rounds first, then
the completion); :func:`equal_shares_details` returns an :class:`EqualSharesResult` with each round's
price, the endowment used and how many MES runs add1 needed.

3. Pabulib files (``.pb``, https://pabulib.org/format)
-----------------------------------------------------
:func:`write_pabulib` writes the vote as the open-data file researchers use, and :func:`read_pabulib`
reads one back (or any approval-vote file from pabulib.org) into a :class:`PabulibInstance`. Costs and
budgets are written in euros (``15000``, or ``15000.50`` when there are cents) and read back into cents.
The sections META, PROJECTS and VOTES are ``;``-separated tables read and written with :mod:`csv`: a
field holding ``;`` or ``"`` is quoted and its quotes doubled, as the format asks.

4. Ballot rules -- :func:`check_ballot`
--------------------------------------
:class:`BallotRules` describes what a valid ballot is: a *knapsack* ballot (total cost within the budget,
and optionally at least a percentage of it), or an *approval* ballot (between a minimum and a maximum
number of projects), either of them with *group limits* (at most K projects of one group, a group being
the pair (category, district), and at most N projects overall, ``max_choices``). :func:`check_ballot`
returns every problem as a stable code and its parameters, for the Django layer to translate.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

__all__ = [
    "BALLOT_PROBLEM_CODES",
    "BallotRules",
    "EqualSharesResult",
    "EqualSharesRound",
    "PabulibInstance",
    "Project",
    "Vote",
    "check_ballot",
    "equal_shares",
    "equal_shares_details",
    "greedy",
    "read_pabulib",
    "vote_counts",
    "write_pabulib",
]

Completion = Literal["add1", "greedy"] | None


# --- projects and ballots -------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """One project on the ballot.

    Attributes:
        id: Unique in the vote; the Pabulib ``project_id``. Must not be empty, nor contain ``,`` or
            ``;``, nor begin or end with whitespace (a Pabulib vote is a comma-separated list of ids).
        cost: What it costs, in euro cents; a positive ``int``.
        order: Publication order, lower = earlier: the last tie-break of the counting methods.
        name: Its title (written to the Pabulib ``name`` column).
        category: Its category; with ``district``, the group of :attr:`BallotRules.max_per_group`.
        district: The district (circoscrizione) it is for, or ``""`` for the whole city.
        extra: Any other Pabulib PROJECTS columns (e.g. ``description``, ``selected``), as text.
    """

    id: str
    cost: int
    order: int = 0
    name: str = ""
    category: str = ""
    district: str = ""
    extra: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id or self.id != self.id.strip() or set(self.id) & {",", ";"}:
            raise ValueError(f"project id {self.id!r}: it must be non-empty text without ',' ';' or outer spaces")
        if isinstance(self.cost, bool) or not isinstance(self.cost, int) or self.cost <= 0:
            raise ValueError(f"project {self.id!r}: the cost must be a positive int of cents, not {self.cost!r}")
        if isinstance(self.order, bool) or not isinstance(self.order, int):
            raise ValueError(f"project {self.id!r}: the order must be an int, not {self.order!r}")

    @property
    def group(self) -> tuple[str, str]:
        """``(category, district)``: the group that :attr:`BallotRules.max_per_group` limits."""
        return (self.category, self.district)


def _project_index(projects: Iterable[Project]) -> dict[str, Project]:
    """``{id: project}`` in the given order; a repeated id is an error."""
    by_id: dict[str, Project] = {}
    for project in projects:
        if not isinstance(project, Project):
            raise TypeError(f"expected a Project, got {project!r}")
        if project.id in by_id:
            raise ValueError(f"project id {project.id!r} appears twice")
        by_id[project.id] = project
    return by_id


def _check_budget(budget: int) -> None:
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise ValueError(f"the budget must be a non-negative int of cents, not {budget!r}")


def _ballot_sets(ballots: Iterable[Collection[str]], known: Mapping[str, Project]) -> list[frozenset[str]]:
    """Each ballot as a frozenset of project ids, refusing unknown ids and an id approved twice."""
    result = []
    for number, ballot in enumerate(ballots, start=1):
        if isinstance(ballot, str):
            raise TypeError(f"ballot {number} is a string, not a collection of project ids: {ballot!r}")
        ids = list(ballot)
        approved = frozenset(ids)
        if len(approved) != len(ids):
            raise ValueError(f"ballot {number} approves a project twice: {ids!r}")
        unknown = approved - known.keys()
        if unknown:
            raise ValueError(f"ballot {number} approves unknown projects: {sorted(unknown)!r}")
        result.append(approved)
    return result


def vote_counts(
    projects: Iterable[Project], approvals: Mapping[str, int] | Iterable[Collection[str]]
) -> dict[str, int]:
    """The votes of every project, ``{id: votes}`` in the projects' order.

    Args:
        projects: The projects of the vote.
        approvals: Either the ballots (each a collection of approved project ids) or, when the votes are
            already counted (e.g. by a database query), a mapping ``{project id: votes}``; ids missing
            from the mapping have no votes.

    Raises:
        ValueError: an unknown project id, a negative count, or a ballot approving a project twice.
    """
    by_id = _project_index(projects)
    counts = dict.fromkeys(by_id, 0)
    if isinstance(approvals, Mapping):
        for project_id, votes in approvals.items():
            if project_id not in by_id:
                raise ValueError(f"votes for an unknown project: {project_id!r}")
            if isinstance(votes, bool) or not isinstance(votes, int) or votes < 0:
                raise ValueError(f"project {project_id!r}: votes must be a non-negative int, not {votes!r}")
            counts[project_id] = votes
        return counts
    for ballot in _ballot_sets(approvals, by_id):
        for project_id in ballot:
            counts[project_id] += 1
    return counts


def _greedy_order(by_id: Mapping[str, Project], votes: Mapping[str, int]) -> list[str]:
    """Ids of the projects with votes, most votes first, then lower cost, then earlier order/position."""
    position = {project_id: index for index, project_id in enumerate(by_id)}
    return sorted(
        (project_id for project_id in by_id if votes[project_id] > 0),
        key=lambda pid: (-votes[pid], by_id[pid].cost, by_id[pid].order, position[pid]),
    )


def _greedy_fill(ranked: Sequence[str], by_id: Mapping[str, Project], funded: Collection[str], left: int) -> list[str]:
    """Walk ``ranked`` and take every project not yet funded that fits in ``left`` cents."""
    chosen = []
    for project_id in ranked:
        cost = by_id[project_id].cost
        if project_id not in funded and cost <= left:
            chosen.append(project_id)
            left -= cost
    return chosen


# --- 1. greedy ------------------------------------------------------------------------------------


def greedy(
    projects: Iterable[Project], approvals: Mapping[str, int] | Iterable[Collection[str]], budget: int
) -> list[str]:
    """Greedy by votes within the budget: the ids of the funded projects, in the order they were chosen.

    Projects are taken by votes (most first; equal votes: lower cost, then lower ``order``, then earlier
    in ``projects``); each one that fits in the budget left is funded, each one that does not is skipped
    and the next one is tried. Projects without votes are never funded.

    Args:
        projects: The projects of the vote.
        approvals: The ballots (each a collection of approved project ids), or ``{project id: votes}``.
        budget: The money to share, in cents.

    Raises:
        ValueError: a repeated project id, an unknown project in the approvals, a bad budget.
    """
    _check_budget(budget)
    by_id = _project_index(projects)
    votes = vote_counts(by_id.values(), approvals)
    return _greedy_fill(_greedy_order(by_id, votes), by_id, (), budget)


# --- 2. the Method of Equal Shares ----------------------------------------------------------------


@dataclass(frozen=True)
class EqualSharesRound:
    """One project funded by a round of MES.

    Attributes:
        project_id: The project funded.
        cost: Its cost, in cents.
        votes: Its votes.
        max_payment: The most any one supporter paid for it, in cents (supporters with less money left
            paid all they had); the supporters' payments add up to ``cost`` exactly.
        rho: ``max_payment / cost``: the price per unit of utility that MES minimises.
        effective_votes: ``cost / max_payment``: equalshares.net's "effective vote count"; it equals
            ``votes`` when every supporter could pay an equal share.
    """

    project_id: str
    cost: int
    votes: int
    max_payment: Fraction
    rho: Fraction
    effective_votes: Fraction


@dataclass(frozen=True)
class EqualSharesResult:
    """The outcome of :func:`equal_shares_details`.

    Attributes:
        funded: Every funded project id, in the order chosen: :attr:`rounds` first, then
            :attr:`completion_funded`.
        rounds: The projects funded by MES proper, one round each (for add1: the run that was kept).
        completion_funded: The projects added afterwards by the greedy fill (empty for ``completion=None``).
        endowment: Each voter's starting money in the MES run kept, in cents (``budget / voters``, or
            more after add1).
        voters: The number of ballots (empty ones included).
        mes_runs: How many times MES was computed (1, or the add1 iterations).
        total_cost: The cost of everything funded, in cents (never more than the budget).
        budget: The budget, in cents.
    """

    funded: tuple[str, ...]
    rounds: tuple[EqualSharesRound, ...]
    completion_funded: tuple[str, ...]
    endowment: Fraction
    voters: int
    mes_runs: int
    total_cost: int
    budget: int

    @property
    def mes_funded(self) -> tuple[str, ...]:
        """The ids funded by MES proper, before the completion."""
        return tuple(r.project_id for r in self.rounds)

    @property
    def left_over(self) -> int:
        """The money not spent, in cents."""
        return self.budget - self.total_cost


class _EqualShares:
    """The data MES needs, prepared once per count and reused by every add1 iteration.

    Identical ballots are merged into one *group* with a weight; within a run, groups whose money left
    is the same value share a *class*, and each candidate keeps ``{class: weight of its supporters in
    it}``, updated only for the supporters of the project just funded. A round then costs, per candidate,
    a sort of its few classes instead of a pass over all its voters.
    """

    def __init__(self, by_id: Mapping[str, Project], ballots: list[frozenset[str]]):
        self.by_id = by_id
        self.voters = len(ballots)
        counts = Counter(ballots)
        votes = dict.fromkeys(by_id, 0)
        for ballot, weight in counts.items():
            for project_id in ballot:
                votes[project_id] += weight
        self.votes = votes
        position = {project_id: index for index, project_id in enumerate(by_id)}
        # Candidates: the projects with votes, indexed 0..P-1.
        self.candidates = [project_id for project_id in by_id if votes[project_id] > 0]
        index = {project_id: i for i, project_id in enumerate(self.candidates)}
        self.cost = [by_id[pid].cost for pid in self.candidates]
        self.cand_votes = [votes[pid] for pid in self.candidates]
        self.tie = [(-votes[pid], by_id[pid].cost, by_id[pid].order, position[pid]) for pid in self.candidates]
        # Groups: distinct non-empty ballots, with their weight and their candidates.
        self.group_weight: list[int] = []
        self.group_candidates: list[tuple[int, ...]] = []
        self.supporters: list[list[int]] = [[] for _ in self.candidates]
        for ballot, weight in counts.items():
            if not ballot:
                continue
            g = len(self.group_weight)
            self.group_weight.append(weight)
            members = tuple(sorted(index[pid] for pid in ballot))
            self.group_candidates.append(members)
            for p in members:
                self.supporters[p].append(g)
        self.ranked = _greedy_order(by_id, votes)

    def run(self, endowment: Fraction) -> list[EqualSharesRound]:
        """One run of MES with ``endowment`` cents per voter: the rounds, in order."""
        if not self.candidates or endowment <= 0:
            return []
        budget_of: list[Fraction] = [endowment]  # class -> money left of each voter in it
        class_of_budget: dict[Fraction, int] = {endowment: 0}
        group_class = [0] * len(self.group_weight)
        weights: list[dict[int, int]] = [{0: votes} for votes in self.cand_votes]
        lower = [Fraction(1, votes) for votes in self.cand_votes]  # rho can only go up: a lower bound
        remaining = set(range(len(self.candidates)))
        rounds: list[EqualSharesRound] = []
        while remaining:
            best = None  # (rho, tie, candidate, max payment)
            for p in sorted(remaining, key=lambda q: (lower[q], self.tie[q])):
                if best is not None and lower[p] > best[0]:
                    break  # this one and all after it cost more per unit of utility than the best
                cost = self.cost[p]
                by_class = weights[p]
                if sum(weight * budget_of[c] for c, weight in by_class.items()) < cost:
                    remaining.discard(p)  # its supporters cannot pay for it, now or later
                    continue
                paid = Fraction(0)
                payers = self.cand_votes[p]
                for c, weight in sorted(by_class.items(), key=lambda item: budget_of[item[0]]):
                    max_payment = (cost - paid) / payers
                    if max_payment <= budget_of[c]:
                        break
                    paid += weight * budget_of[c]  # these supporters give all they have left
                    payers -= weight
                else:  # pragma: no cover - the supporters hold at least the cost
                    raise AssertionError("no maximum payment found")
                rho = max_payment / cost
                lower[p] = rho
                if best is None or (rho, self.tie[p]) < (best[0], best[1]):
                    best = (rho, self.tie[p], p, max_payment)
            if best is None:
                break
            rho, _, p, max_payment = best
            remaining.discard(p)
            cost = self.cost[p]
            rounds.append(
                EqualSharesRound(
                    project_id=self.candidates[p],
                    cost=cost,
                    votes=self.cand_votes[p],
                    max_payment=max_payment,
                    rho=rho,
                    effective_votes=cost / max_payment,
                )
            )
            # The supporters pay min(money left, max_payment): each of p's classes moves to a new one.
            moved: dict[int, int] = {}
            for c in weights[p]:
                left = budget_of[c] - max_payment if budget_of[c] > max_payment else Fraction(0)
                new = class_of_budget.get(left)
                if new is None:
                    new = class_of_budget[left] = len(budget_of)
                    budget_of.append(left)
                moved[c] = new
            for g in self.supporters[p]:
                old = group_class[g]
                new = moved[old]
                if new == old:
                    continue
                group_class[g] = new
                weight = self.group_weight[g]
                for q in self.group_candidates[g]:
                    if q in remaining:
                        by_class = weights[q]
                        if by_class[old] == weight:
                            del by_class[old]
                        else:
                            by_class[old] -= weight
                        by_class[new] = by_class.get(new, 0) + weight
        return rounds

    def is_exhaustive(self, funded: Collection[str], left: int) -> bool:
        """True if no voted project outside ``funded`` fits in ``left`` cents."""
        return all(pid in funded or self.by_id[pid].cost > left for pid in self.candidates)


def equal_shares_details(
    projects: Iterable[Project],
    ballots: Iterable[Collection[str]],
    budget: int,
    completion: Completion = "add1",
    *,
    step: int = 100,
) -> EqualSharesResult:
    """The Method of Equal Shares with cost utilities, and its completion; see the module docstring.

    Args:
        projects: The projects of the vote.
        ballots: One collection of approved project ids per voter; empty ballots count as voters.
        budget: The money to share, in cents.
        completion: ``"add1"`` (add1, then greedy fill), ``"greedy"`` (greedy fill) or ``None``.
        step: For ``"add1"``: how much each voter's endowment grows per iteration, in cents (100 = €1).

    Returns:
        An :class:`EqualSharesResult`; its ``funded`` is what :func:`equal_shares` returns.

    Raises:
        ValueError: a repeated project id, an unknown or repeated project in a ballot, a bad budget,
            completion or step.
    """
    _check_budget(budget)
    if completion not in ("add1", "greedy", None):
        raise ValueError(f"completion must be 'add1', 'greedy' or None, not {completion!r}")
    if isinstance(step, bool) or not isinstance(step, int) or step <= 0:
        raise ValueError(f"step must be a positive int of cents, not {step!r}")
    by_id = _project_index(projects)
    mes = _EqualShares(by_id, _ballot_sets(ballots, by_id))

    endowment = Fraction(budget, mes.voters) if mes.voters else Fraction(0)
    rounds = mes.run(endowment)
    runs = 1
    if completion == "add1" and mes.voters:
        while True:
            spent = sum(r.cost for r in rounds)
            if mes.is_exhaustive({r.project_id for r in rounds}, budget - spent):
                break
            next_endowment = endowment + step
            next_rounds = mes.run(next_endowment)
            runs += 1
            if sum(r.cost for r in next_rounds) > budget:
                break  # too much: keep the last outcome that fitted in the budget
            endowment, rounds = next_endowment, next_rounds

    funded = [r.project_id for r in rounds]
    spent = sum(r.cost for r in rounds)
    added: list[str] = []
    if completion is not None:
        added = _greedy_fill(mes.ranked, by_id, set(funded), budget - spent)
    total = spent + sum(by_id[pid].cost for pid in added)
    return EqualSharesResult(
        funded=tuple(funded + added),
        rounds=tuple(rounds),
        completion_funded=tuple(added),
        endowment=endowment,
        voters=mes.voters,
        mes_runs=runs,
        total_cost=total,
        budget=budget,
    )


def equal_shares(
    projects: Iterable[Project],
    ballots: Iterable[Collection[str]],
    budget: int,
    completion: Completion = "add1",
    *,
    step: int = 100,
) -> list[str]:
    """The ids funded by the Method of Equal Shares (cost utilities) and its completion, in the order chosen.

    Same arguments as :func:`equal_shares_details`, which also tells each round's price and the endowment.
    """
    return list(equal_shares_details(projects, ballots, budget, completion, step=step).funded)


# --- 3. Pabulib files -----------------------------------------------------------------------------

# Column and key orders of https://pabulib.org/format (as the Pabulib checker expects them); keys not
# listed here are written after these, in the order given.
_META_ORDER = (
    "description", "country", "unit", "district", "subunit", "instance", "num_projects", "num_votes",
    "budget", "vote_type", "rule", "date_begin", "date_end", "min_length", "max_length", "min_sum_cost",
    "max_sum_cost", "min_points", "max_points", "min_sum_points", "max_sum_points", "default_score",
    "min_project_cost", "max_project_cost", "min_project_score_threshold", "neighborhoods", "subdistricts",
    "categories", "edition", "language", "currency", "fully_funded", "experimental", "comment",
    "acknowledgments",
)  # fmt: skip
_PROJECT_ORDER = (
    "project_id", "cost", "votes", "score", "name", "category", "beneficiaries", "selected", "neighborhood",
    "subunit", "district", "description", "proposer", "public_id", "latitude", "longitude",
)  # fmt: skip
_VOTE_ORDER = (
    "voter_id", "vote", "points", "age", "sex", "voting_method", "district", "neighborhood", "education",
)  # fmt: skip
_REQUIRED_META = ("description", "country", "unit", "instance", "budget", "rule")
_MONEY_META = ("budget", "min_sum_cost", "max_sum_cost", "min_project_cost", "max_project_cost")
_DERIVED_META = ("num_projects", "num_votes", "vote_type")


@dataclass(frozen=True)
class Vote:
    """One voter's approval ballot, as a row of the Pabulib VOTES section.

    Attributes:
        voter_id: Unique in the file; pseudonymous (never a user id that can be traced back).
        approved: The ids of the projects approved, in the order written.
        voting_method: ``"internet"`` or ``"paper"`` (Pabulib's values), or ``""`` when not recorded.
        extra: Any other VOTES columns (``age``, ``sex``, ...), as text.
    """

    voter_id: str
    approved: tuple[str, ...]
    voting_method: str = ""
    extra: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class PabulibInstance:
    """What :func:`read_pabulib` returns.

    Attributes:
        meta: The META section: every key as text, except ``budget``, an ``int`` of cents; the counts
            ``num_projects`` and ``num_votes`` and ``vote_type`` (always approval) are left out, as
            :func:`write_pabulib` computes them. ``write_pabulib(i.meta, i.projects, i.votes)`` writes the
            instance back.
        projects: The PROJECTS section, in file order (``order`` is the position in the file).
        votes: The VOTES section, in file order.
    """

    meta: dict[str, str | int]
    projects: tuple[Project, ...]
    votes: tuple[Vote, ...]

    @property
    def budget(self) -> int:
        """The budget, in cents."""
        return int(self.meta["budget"])

    @property
    def ballots(self) -> list[tuple[str, ...]]:
        """The approval ballots, as the counting methods take them."""
        return [vote.approved for vote in self.votes]


def _to_cents(text: str, what: str) -> int:
    """Pabulib money (currency units, ``.`` or ``,`` as decimal mark) as an int of cents."""
    try:
        amount = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{what}: {text!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"{what}: {text!r} is not a number")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{what}: {text!r} is not a whole number of cents")
    return int(cents)


def _to_currency(cents: int) -> str:
    """An int of cents as Pabulib money: ``1500000`` -> ``"15000"``, ``1500050`` -> ``"15000.50"``."""
    units, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}{units}" if rest == 0 else f"{sign}{units}.{rest:02d}"


def read_pabulib(text: str) -> PabulibInstance:
    """Read a Pabulib ``.pb`` file of approval votes (its text, e.g. ``path.read_text("utf-8")``).

    Values are stripped of surrounding spaces; empty lines are skipped; a byte-order mark is ignored.
    Costs and the budget may use ``.`` or ``,`` as decimal mark and must be whole numbers of cents. A
    PROJECTS ``votes`` column is not kept: the votes are those counted from the VOTES section.

    Raises:
        ValueError: a missing section or column, a vote type other than approval (or choose-1), a bad
            cost or budget, a repeated project or voter id, a vote for an unknown project or for a
            project twice.
    """
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")
    meta: dict[str, str | int] = {}
    project_rows: list[dict[str, str]] = []
    vote_rows: list[dict[str, str]] = []
    section = ""
    header: list[str] = []
    expecting_header = False
    for row in rows:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if cells[0].lower() in ("meta", "projects", "votes") and not any(cells[1:]):
            section, expecting_header = cells[0].lower(), True
            continue
        if expecting_header:
            header, expecting_header = cells, False
            continue
        if section == "meta":
            meta[cells[0]] = cells[1] if len(cells) > 1 else ""
        elif section in ("projects", "votes"):
            record = {key: (cells[i] if i < len(cells) else "") for i, key in enumerate(header)}
            (project_rows if section == "projects" else vote_rows).append(record)
        else:
            raise ValueError("the file must start with a META section")

    for key in ("budget", "vote_type"):
        if key not in meta:
            raise ValueError(f"META has no {key!r}")
    if meta["vote_type"] not in ("approval", "choose-1"):
        raise ValueError(f"only approval votes can be read, not vote_type {meta['vote_type']!r}")
    meta["budget"] = _to_cents(str(meta["budget"]), "the budget")
    for key in _DERIVED_META:
        meta.pop(key, None)

    projects = []
    for position, record in enumerate(project_rows):
        if "project_id" not in record or "cost" not in record:
            raise ValueError("PROJECTS needs the columns project_id and cost")
        project_id = record["project_id"]
        projects.append(
            Project(
                id=project_id,
                cost=_to_cents(record["cost"], f"the cost of project {project_id!r}"),
                order=position,
                name=record.get("name", ""),
                category=record.get("category", ""),
                district=record.get("district", ""),
                extra={
                    key: value
                    for key, value in record.items()
                    if key not in ("project_id", "cost", "votes", "name", "category", "district")
                },
            )
        )
    by_id = _project_index(projects)

    votes = []
    voter_ids: set[str] = set()
    for record in vote_rows:
        if "voter_id" not in record or "vote" not in record:
            raise ValueError("VOTES needs the columns voter_id and vote")
        voter_id = record["voter_id"]
        if voter_id in voter_ids:
            raise ValueError(f"voter id {voter_id!r} appears twice")
        voter_ids.add(voter_id)
        approved = tuple(pid for pid in (part.strip() for part in record["vote"].split(",")) if pid)
        _ballot_sets([approved], by_id)  # raises on unknown or repeated projects
        votes.append(
            Vote(
                voter_id=voter_id,
                approved=approved,
                voting_method=record.get("voting_method", ""),
                extra={key: value for key, value in record.items() if key not in ("voter_id", "vote", "voting_method")},
            )
        )
    return PabulibInstance(meta=meta, projects=tuple(projects), votes=tuple(votes))


def _text(value: object) -> str:
    """A field's text on one line, without surrounding spaces (the format has one record per line)."""
    return " ".join(str(value).splitlines()).strip()


def _columns(records: Iterable[Mapping[str, str]], order: Sequence[str]) -> list[str]:
    """The columns used by any record: those of ``order`` first, in that order, then the others as met."""
    seen: dict[str, None] = {}
    for record in records:
        for key, value in record.items():
            if value != "":
                seen.setdefault(key, None)
    return [key for key in order if key in seen] + [key for key in seen if key not in order]


def write_pabulib(
    meta: Mapping[str, object],
    projects: Sequence[Project],
    votes: Sequence[Vote],
    selected: Iterable[str] | None = None,
) -> str:
    """The Pabulib ``.pb`` text of an approval vote.

    Args:
        meta: The META values. Required: ``description``, ``country`` (e.g. ``"Italy"``), ``unit``
            (``"Torino"``), ``instance`` (e.g. the year), ``budget`` (an ``int`` of cents) and ``rule``
            (Pabulib's name of the counting method: ``"greedy"``, ``"equalshares/add1"``, ...).
            Usual: ``date_begin`` / ``date_end`` (a :class:`~datetime.date`, written DD.MM.YYYY, or
            text), ``language`` (ISO 639-1, ``"it"``), ``currency`` (``"EUR"``), ``subunit``,
            ``min_length`` / ``max_length``, ``min_sum_cost`` / ``max_sum_cost`` (``int`` cents or text).
            ``num_projects``, ``num_votes`` and ``vote_type`` (approval) are computed; values given for
            them are ignored. Keys are written in the format's order, unknown keys last.
        projects: The projects, written in this order (Pabulib files usually list them by votes). A
            column is written when any project has a value for it; the Pabulib checker then wants one
            for every project (give city-wide projects a ``district`` too, e.g. ``"Tutta la città"``).
        votes: The ballots; ``voter_id`` must be unique.
        selected: The ids of the funded projects: adds the ``selected`` column (1 or 0).

    Returns:
        The file's text (``\\n`` line ends; save it as UTF-8).

    Raises:
        ValueError: a required META key missing, a budget that is not an int, a repeated project or
            voter id, a vote for an unknown project or for a project twice.
    """
    missing = [key for key in _REQUIRED_META if meta.get(key) in (None, "")]
    if missing:
        raise ValueError(f"META needs {', '.join(missing)}")
    if meta.get("vote_type", "approval") != "approval":
        raise ValueError("only approval votes can be written")
    budget = meta["budget"]
    if not isinstance(budget, int):
        raise ValueError(f"META budget must be an int of cents, not {budget!r}")
    _check_budget(budget)
    by_id = _project_index(projects)
    counts = vote_counts(by_id.values(), [vote.approved for vote in votes])
    if len({vote.voter_id for vote in votes}) != len(votes):
        raise ValueError("a voter id appears twice")
    funded = None if selected is None else set(selected)
    if funded is not None and funded - by_id.keys():
        raise ValueError(f"selected projects that are not in the file: {sorted(funded - by_id.keys())!r}")

    values: dict[str, str] = {}
    for key, value in meta.items():
        if value is None or key in _DERIVED_META:
            continue
        if key in _MONEY_META and isinstance(value, int) and not isinstance(value, bool):
            values[key] = _to_currency(value)
        elif isinstance(value, date):
            values[key] = value.strftime("%d.%m.%Y")
        else:
            values[key] = _text(value)
    values.update(num_projects=str(len(projects)), num_votes=str(len(votes)), vote_type="approval")
    meta_keys = [key for key in _META_ORDER if key in values] + [key for key in values if key not in _META_ORDER]

    project_records = []
    for project in projects:
        record = {key: _text(value) for key, value in project.extra.items()}
        record.update(project_id=project.id, cost=_to_currency(project.cost), votes=str(counts[project.id]))
        record.update(name=_text(project.name), category=_text(project.category), district=_text(project.district))
        if funded is not None:
            record["selected"] = "1" if project.id in funded else "0"
        project_records.append(record)
    vote_records = []
    for vote in votes:
        record = {key: _text(value) for key, value in vote.extra.items()}
        record.update(
            voter_id=_text(vote.voter_id), vote=",".join(vote.approved), voting_method=_text(vote.voting_method)
        )
        vote_records.append(record)
    project_columns = _columns(project_records, _PROJECT_ORDER)
    vote_columns = ["voter_id", "vote"] + [
        key for key in _columns(vote_records, _VOTE_ORDER) if key not in ("voter_id", "vote")
    ]

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows([key, values[key]] for key in meta_keys)
    writer.writerow(["PROJECTS"])
    writer.writerow(project_columns)
    writer.writerows([record.get(key, "") for key in project_columns] for record in project_records)
    writer.writerow(["VOTES"])
    writer.writerow(vote_columns)
    writer.writerows([record.get(key, "") for key in vote_columns] for record in vote_records)
    return out.getvalue()


# --- 4. ballot rules ------------------------------------------------------------------------------

#: Every code :func:`check_ballot` can return.
BALLOT_PROBLEM_CODES = (
    "unknown_project",
    "duplicate",
    "over_budget",
    "under_minimum",
    "too_few",
    "too_many",
    "group_limit",
)


@dataclass(frozen=True)
class BallotRules:
    """What a valid ballot is. Build one with :meth:`knapsack` or :meth:`approval`.

    Attributes:
        budget: Knapsack: the most a ballot's projects may cost together, in cents; ``None``: no limit.
        min_percent: Knapsack: the least they must cost together, as a percentage of ``budget``
            (an ``int``, :class:`~fractions.Fraction` or :class:`~decimal.Decimal` from 0 to 100).
        min_choices: The fewest projects a ballot must choose (1 by default: an empty ballot is refused).
        max_choices: The most projects a ballot may choose ("at most N overall"); ``None``: no limit.
        max_per_group: The most projects of one group, a group being (category, district); ``None``: no limit.
    """

    budget: int | None = None
    min_percent: int | Fraction | Decimal = 0
    min_choices: int = 1
    max_choices: int | None = None
    max_per_group: int | None = None

    def __post_init__(self) -> None:
        if self.budget is not None:
            _check_budget(self.budget)
        if isinstance(self.min_percent, bool) or not isinstance(self.min_percent, int | Fraction | Decimal):
            raise ValueError(f"min_percent must be an int, Fraction or Decimal, not {self.min_percent!r}")
        if not 0 <= self.min_percent <= 100:
            raise ValueError(f"min_percent must be between 0 and 100, not {self.min_percent}")
        if self.min_percent and self.budget is None:
            raise ValueError("min_percent needs a budget")
        for name in ("min_choices", "max_choices", "max_per_group"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative int, not {value!r}")
        if self.max_choices is not None and self.max_choices < self.min_choices:
            raise ValueError(f"max_choices ({self.max_choices}) is less than min_choices ({self.min_choices})")
        if self.max_per_group == 0:
            raise ValueError("max_per_group must be at least 1 (or None)")

    @classmethod
    def knapsack(
        cls,
        budget: int,
        *,
        min_percent: int | Fraction | Decimal = 0,
        max_choices: int | None = None,
        max_per_group: int | None = None,
    ) -> BallotRules:
        """A knapsack ballot: projects costing at most ``budget`` cents together (and at least
        ``min_percent`` % of it), optionally at most ``max_per_group`` per group and ``max_choices`` overall."""
        return cls(budget=budget, min_percent=min_percent, max_choices=max_choices, max_per_group=max_per_group)

    @classmethod
    def approval(
        cls, *, min_choices: int = 1, max_choices: int | None = None, max_per_group: int | None = None
    ) -> BallotRules:
        """An approval ballot: between ``min_choices`` and ``max_choices`` projects, optionally at most
        ``max_per_group`` per group."""
        return cls(min_choices=min_choices, max_choices=max_choices, max_per_group=max_per_group)


def check_ballot(
    chosen: Iterable[str], projects: Iterable[Project] | Mapping[str, Project], rules: BallotRules
) -> list[tuple[str, dict[str, object]]]:
    """Every way ``chosen`` breaks ``rules``, as ``(code, params)`` pairs; ``[]`` for a valid ballot.

    Codes (see :data:`BALLOT_PROBLEM_CODES`) and their params, in this order:

    * ``"unknown_project"`` ``{"project_id"}``: an id that is not one of ``projects`` (one per id);
    * ``"duplicate"`` ``{"project_id"}``: an id chosen more than once (one per id);
    * ``"over_budget"`` ``{"total", "budget", "excess"}``: the projects cost more than the budget;
    * ``"under_minimum"`` ``{"total", "minimum", "min_percent"}``: they cost less than ``min_percent`` %
      of the budget (``minimum``: the least valid total, in cents, rounded up);
    * ``"too_few"`` ``{"count", "minimum"}`` and ``"too_many"`` ``{"count", "maximum"}``: the number of
      projects;
    * ``"group_limit"`` ``{"category", "district", "count", "maximum"}``: one per group over the limit,
      in the order the groups first appear in the ballot.

    Totals, counts and groups are those of the distinct known projects chosen, so one mistake gives one
    message. Money is in cents.
    """
    by_id = dict(projects) if isinstance(projects, Mapping) else _project_index(projects)
    problems: list[tuple[str, dict[str, object]]] = []
    seen: set[str] = set()
    repeated: set[str] = set()
    known: list[Project] = []
    for project_id in chosen:
        if project_id in seen:
            if project_id not in repeated:
                repeated.add(project_id)
                problems.append(("duplicate", {"project_id": project_id}))
            continue
        seen.add(project_id)
        if project_id in by_id:
            known.append(by_id[project_id])
        else:
            problems.append(("unknown_project", {"project_id": project_id}))

    if rules.budget is not None:
        total = sum(project.cost for project in known)
        if total > rules.budget:
            problems.append(("over_budget", {"total": total, "budget": rules.budget, "excess": total - rules.budget}))
        minimum = math.ceil(Fraction(rules.min_percent) * rules.budget / 100)
        if total < minimum:
            problems.append(("under_minimum", {"total": total, "minimum": minimum, "min_percent": rules.min_percent}))
    count = len(known)
    if count < rules.min_choices:
        problems.append(("too_few", {"count": count, "minimum": rules.min_choices}))
    if rules.max_choices is not None and count > rules.max_choices:
        problems.append(("too_many", {"count": count, "maximum": rules.max_choices}))
    if rules.max_per_group is not None:
        for (category, district), in_group in Counter(project.group for project in known).items():
            if in_group > rules.max_per_group:
                problems.append(
                    (
                        "group_limit",
                        {"category": category, "district": district, "count": in_group, "maximum": rules.max_per_group},
                    )
                )
    return problems
