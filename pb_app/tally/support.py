"""Ballots to support: identical ballots grouped, points per project, ranked ballots scored.

Ranked ballots become points by an ``ordinal_scheme``:

- ``borda``: with ``k`` the longest allowed ballot (META ``max_length`` when the election
  declares it, else the longest ballot cast), the project ranked first gets ``k`` points,
  the second ``k - 1``, and so on (3-2-1 on a three-project ballot, as Krakow counts);
- ``approval``: every ranked project gets one point, whatever its rank.

Support is the number of voters who approved a project (approval, choose-1) or the total
points it received (cumulative, scoring, ranked ballots after scoring). Sums are NumPy int64,
exact because :func:`build_profile` first checks that the largest point times the number of
voters (or of projects) stays below 2^63, and that no budget or cost exceeds ``MAX_AMOUNT``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np

from pb_app.tally.errors import INT64_LIMIT, MAX_AMOUNT, TallyError
from pb_app.tally.model import Ballot, Election, VoteType

ORDINAL_SCHEMES = ("borda", "approval")
APPROVAL_TYPES = (VoteType.APPROVAL, VoteType.CHOOSE_1)
Group = tuple[tuple[int, ...], tuple[int, ...]]  # a distinct ballot: project indices, points


@dataclass(frozen=True, eq=False)
class Profile:
    """An election ready to count: projects by index, distinct ballots with their weights.

    ``groups[g]`` is one distinct ballot as a pair: the project indices it backs, ascending,
    and the points it gives each (1 for approval); ``weights[g]`` how many voters cast it.
    ``supporters[j]`` and ``points[j]`` list, for project ``j``, the groups that back it and
    the points each gave.
    """

    ids: tuple[str, ...]
    costs: tuple[int, ...]
    budget: int
    vote_type: VoteType
    n_voters: int
    groups: tuple[Group, ...]
    weights: np.ndarray
    supporters: tuple[np.ndarray, ...]
    points: tuple[np.ndarray, ...]
    support: tuple[int, ...]
    backers: tuple[int, ...]

    @property
    def is_approval(self) -> bool:
        """True for approval and choose-1 ballots (cost utilities in MES)."""
        return self.vote_type in APPROVAL_TYPES


def build_profile(election: Election, ordinal_scheme: str = "borda") -> Profile:
    """Group identical ballots and compute every project's supporters and support.

    Raises TallyError for a ballot naming an unknown or repeated project, points that do not
    match the ballot type, a negative cost or budget, a budget, cost or points too large to
    count exactly, or an unknown ordinal scheme.
    """
    ids = tuple(p.id for p in election.projects)
    index = {pid: j for j, pid in enumerate(ids)}
    if len(index) != len(ids):
        raise TallyError("two projects share the same id")
    if election.budget < 0 or any(p.cost < 0 for p in election.projects):
        raise TallyError("costs and the budget must not be negative")
    if election.budget > MAX_AMOUNT or any(p.cost > MAX_AMOUNT for p in election.projects):
        raise TallyError(f"a budget or cost above {MAX_AMOUNT:,} is more than the tally accepts")
    top = _ordinal_length(election) if election.vote_type == VoteType.ORDINAL else 0
    if election.vote_type == VoteType.ORDINAL and ordinal_scheme not in ORDINAL_SCHEMES:
        raise TallyError(f"unknown ordinal scheme {ordinal_scheme!r}")
    counts: dict[Group, int] = {}
    n_voters = 0
    for ballot in election.ballots:
        if ballot.weight < 1:
            raise TallyError("a ballot weight must be a positive whole number")
        key = _ballot_key(ballot, election.vote_type, index, ordinal_scheme, top)
        counts[key] = counts.get(key, 0) + ballot.weight
        n_voters += ballot.weight
    groups = tuple(sorted(counts))
    _check_sums_exact(election.vote_type, groups, top, max(n_voters, len(ids)))
    weights = np.array([counts[g] for g in groups], dtype=np.int64)
    supporters, points = _incidence(groups, len(ids))
    support = tuple(int(weights[s] @ pts) for s, pts in zip(supporters, points, strict=True))
    backers = tuple(int(weights[s].sum()) for s in supporters)
    return Profile(
        ids=ids,
        costs=tuple(p.cost for p in election.projects),
        budget=election.budget,
        vote_type=election.vote_type,
        n_voters=n_voters,
        groups=groups,
        weights=weights,
        supporters=supporters,
        points=points,
        support=support,
        backers=backers,
    )


def _ordinal_length(election: Election) -> int:
    declared = dict(election.meta).get("max_length", "").strip()
    longest = max((len(b.projects) for b in election.ballots), default=0)
    if not (declared.isascii() and declared.isdigit()):
        return longest
    if len(declared) > len(str(MAX_AMOUNT)):
        raise TallyError(f"META max_length {declared} is more than the tally accepts")
    return max(longest, int(declared))


def _check_sums_exact(vote_type: VoteType, groups: tuple[Group, ...], top: int, most: int) -> None:
    """Refuse points so large that a sum of ``most`` of them could pass 2^63 (int64)."""
    if vote_type in APPROVAL_TYPES:
        largest = 1
    elif vote_type == VoteType.ORDINAL:
        largest = top
    else:
        largest = max((max(points) for _, points in groups if points), default=0)
    if largest * most >= INT64_LIMIT:
        raise TallyError(f"points of {largest:,} are too large to add up exactly "
                         f"({most:,} of them would pass 2^63)")


def _ballot_key(
    ballot: Ballot, vote_type: VoteType, index: dict[str, int], scheme: str, top: int
) -> Group:
    if len(set(ballot.projects)) != len(ballot.projects):
        raise TallyError("a ballot names the same project twice")
    try:
        picks = tuple(map(index.__getitem__, ballot.projects))
    except KeyError:
        unknown = next(pid for pid in ballot.projects if pid not in index)
        raise TallyError(f"a ballot names unknown project {unknown!r}") from None
    if vote_type in APPROVAL_TYPES:
        if ballot.points:
            raise TallyError("approval ballots carry no points")
        if vote_type == VoteType.CHOOSE_1 and len(picks) > 1:
            raise TallyError("a choose-1 ballot names more than one project")
        return tuple(sorted(picks)), (1,) * len(picks)
    if vote_type == VoteType.ORDINAL:
        if ballot.points:
            raise TallyError("ranked ballots carry no points: the order is the ranking")
        return _by_project((j, top - rank if scheme == "borda" else 1)
                           for rank, j in enumerate(picks))
    if len(ballot.points) != len(picks) or any(p < 0 for p in ballot.points):
        raise TallyError("every project on a points ballot needs a non-negative number of points")
    return _by_project((j, p) for j, p in zip(picks, ballot.points, strict=True) if p > 0)


def _by_project(pairs: Iterable[tuple[int, int]]) -> Group:
    ordered = sorted(pairs)
    return tuple(j for j, _ in ordered), tuple(p for _, p in ordered)


def _incidence(
    groups: tuple[Group, ...], n_projects: int
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Per project, the groups backing it (ascending) and the points each gave."""
    lengths = np.fromiter((len(projects) for projects, _ in groups), np.int64, len(groups))
    # Project indices in 8 or 16 bits, where NumPy's stable sort is a radix sort.
    index_type = np.min_scalar_type(n_projects)
    projects = np.fromiter(chain.from_iterable(g[0] for g in groups), index_type)
    points = np.fromiter(chain.from_iterable(g[1] for g in groups), np.int64)
    owners = np.repeat(np.arange(len(groups), dtype=np.int64), lengths)
    order = np.argsort(projects, kind="stable")
    owners, points = owners[order], points[order]
    bounds = np.cumsum(np.bincount(projects, minlength=n_projects)).tolist()
    spans = list(pairwise([0, *bounds]))
    return tuple(owners[a:b] for a, b in spans), tuple(points[a:b] for a, b in spans)
