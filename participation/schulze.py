"""The Schulze method (preferential vote), in pure Python: no Django, no database.

A ballot is a mapping ``{candidate: rank}``: 1 is the favourite, a lower number is preferred, equal
numbers are ties. A ballot may rank only some candidates: the unranked ones count as below every
ranked one and tied with each other (a ballot ranking nobody expresses no preference).

:func:`schulze` takes the ballots (identical ones grouped with :func:`group_ballots`, so 50,000
ballots over a handful of candidates cost one pass over the distinct rankings) and returns

- ``d[X][Y]``: how many voters prefer X to Y (the pairwise-preference matrix);
- ``p[X][Y]``: the strength of the strongest path from X to Y (Floyd–Warshall, widest path), 0 when
  there is none;
- ``winners``: every candidate X with ``p[X][Y] >= p[Y][X]`` for all Y (one unless there is a tie);
- ``ranking``: tiers of candidates, best first; X is above Y when ``p[X][Y] > p[Y][X]``, candidates in
  one tier are tied. Each tier is the set of remaining candidates that no remaining candidate beats.

Everything is deterministic: candidates keep the order they were given in (e.g. the options' order).
"""

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class SchulzeResult:
    candidates: list
    d: dict
    p: dict
    winners: list
    ranking: list  # [[candidate, ...], ...]: tiers, best first

    def beats(self, x, y):
        """True if X is ranked above Y by the Schulze method."""
        return self.p[x][y] > self.p[y][x]


def group_ballots(ballots):
    """A Counter of identical ballots: {((candidate, rank), ...) sorted: how many}."""
    return Counter(
        tuple(sorted(((c, r) for c, r in ballot.items() if r is not None), key=lambda item: (item[1], repr(item[0]))))
        for ballot in ballots
    )


def pairwise(grouped, candidates):
    """d[X][Y] = the number of voters who prefer X to Y, from grouped ballots ({ballot tuple: weight})."""
    candidates = list(candidates)
    known = set(candidates)
    d = {x: dict.fromkeys(candidates, 0) for x in candidates}
    for ballot, weight in grouped.items():
        ranks = {candidate: rank for candidate, rank in ballot if candidate in known and rank is not None}
        if not ranks or not weight:
            continue
        unranked = [c for c in candidates if c not in ranks]
        for x, rank_x in ranks.items():
            row = d[x]
            for y, rank_y in ranks.items():
                if rank_x < rank_y:
                    row[y] += weight
            for y in unranked:
                row[y] += weight
    return d


def strongest_paths(d, candidates):
    """p[X][Y]: the widest path from X to Y through the links X→Y with d[X][Y] > d[Y][X] (Floyd–Warshall)."""
    candidates = list(candidates)
    p = {x: dict.fromkeys(candidates, 0) for x in candidates}
    for x in candidates:
        for y in candidates:
            if x != y and d[x][y] > d[y][x]:
                p[x][y] = d[x][y]
    for k in candidates:
        p_k = p[k]
        for x in candidates:
            if x == k:
                continue
            p_xk = p[x][k]
            if not p_xk:
                continue
            p_x = p[x]
            for y in candidates:
                if y == x or y == k:
                    continue
                through = p_xk if p_xk < p_k[y] else p_k[y]
                if through > p_x[y]:
                    p_x[y] = through
    return p


def tiers(p, candidates):
    """The Schulze ranking as tiers, best first: each tier is what no remaining candidate beats."""
    remaining = list(candidates)
    result = []
    while remaining:
        top = [x for x in remaining if not any(p[y][x] > p[x][y] for y in remaining if y != x)]
        if not top:  # cannot happen (the relation is a strict partial order), but never loop forever
            top = list(remaining)
        result.append(top)
        remaining = [x for x in remaining if x not in top]
    return result


def schulze(ballots, candidates, *, grouped=None):
    """The Schulze result for ``ballots`` (an iterable of {candidate: rank}) over ``candidates``.

    Pass ``grouped`` (a Counter from :func:`group_ballots`, or any {ballot tuple: weight}) instead of
    ``ballots`` when the ballots are already counted.
    """
    candidates = list(dict.fromkeys(candidates))
    if grouped is None:
        grouped = group_ballots(ballots)
    d = pairwise(grouped, candidates)
    p = strongest_paths(d, candidates)
    ranking = tiers(p, candidates)
    return SchulzeResult(candidates=candidates, d=d, p=p, winners=list(ranking[0]) if ranking else [], ranking=ranking)
