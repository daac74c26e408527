"""The Method of Equal Shares and its add1 completion as defined, in exact fractions.

Written to be read next to Peters, Pierczyński and Skowron, "Proportional Participatory
Budgeting with Additive Utilities" (NeurIPS 2021), section 4, and equalshares.net. Nothing
here is optimised: ``mes`` and ``add1`` compute the same outcomes fast, and the tests check
that both agree on every election they generate.

- Each voter has a utility for each project: the project's cost for approval ballots (cost
  utilities: ``u_i(c) = cost(c)`` if ``i`` approves ``c``), the points given otherwise.
  Identical ballots form a group of ``weight`` voters who hold and pay the same.
- Every voter starts with an endowment ``e`` (``B / n`` for plain MES).
- Projects that cost nothing and have support are funded first, in the tie order (with
  cost utilities such a project gives no utility, so MES never funds it).
- A project ``c`` is affordable while its supporters hold at least its cost. Its price per
  unit of utility ``rho`` is the smallest with ``sum over supporters of
  min(money_i, rho * u_i(c)) = cost(c)``. The affordable project with the smallest ``rho``
  is funded (ties: the smaller tie-break key), each supporter pays ``min(money_i,
  rho * u_i(c))``; repeat until nothing is affordable.
- add1: run MES at ``e_k = start + k * increment`` (``start`` is ``B / n``, or
  ``floor(B / n)`` with integral start) for ``k = 0, 1, ...`` and keep the last outcome
  before the first that overspends. The search also ends, keeping that outcome, when every
  supported project is funded, or (exhaustive stop) when no unfunded project fits the money
  the outcome leaves.

Not here: what the count does around MES (the pre-filter, withdrawn projects, the greedy
completion after add1, the comparison step, the explanation); ranked ballots arrive already
scored by ``support.build_profile``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import count

from pb_app.tally.support import Profile
from pb_app.tally.tiebreak import TieOrder


@dataclass(frozen=True)
class Ballots:
    """An election as MES reads it: project costs, the budget, the number of voters, and each
    distinct ballot as ``(weight, {project: points})``; ``cost_utility`` is True for approval
    ballots; ``tie_keys[c]`` orders tied projects (the smaller key wins)."""

    costs: tuple[int, ...]
    budget: int
    voters: int
    ballots: tuple[tuple[int, dict[int, int]], ...]
    cost_utility: bool
    tie_keys: tuple[tuple, ...]

    def utility(self, points: dict[int, int], project: int) -> int:
        """A voter's utility for a project: points times the cost for cost utilities."""
        scale = self.costs[project] if self.cost_utility else 1
        return points.get(project, 0) * scale

    def supported(self, project: int) -> bool:
        """Whether some voter has a positive utility for the project."""
        return any(self.utility(points, project) > 0 for _, points in self.ballots)


def ballots_from(profile: Profile, order: TieOrder) -> Ballots:
    """The counted profile (ranked ballots already scored) with its declared tie order."""
    ballots = tuple((int(weight), dict(zip(projects, points, strict=True)))
                    for (projects, points), weight in zip(profile.groups, profile.weights,
                                                          strict=True))
    return Ballots(profile.costs, profile.budget, profile.n_voters, ballots,
                   profile.is_approval, order.keys)


@dataclass(frozen=True)
class Outcome:
    """An MES run at one endowment: the funded projects in order, each with its price per
    unit of utility (None for a free project)."""

    endowment: Fraction
    funded: tuple[tuple[int, Fraction | None], ...]

    @property
    def projects(self) -> tuple[int, ...]:
        """The funded projects in order."""
        return tuple(project for project, _ in self.funded)


def equal_shares(election: Ballots, endowment: Fraction) -> Outcome:
    """MES with every voter starting at ``endowment``."""
    supported = [c for c in range(len(election.costs)) if election.supported(c)]
    free = sorted((c for c in supported if election.costs[c] == 0),
                  key=election.tie_keys.__getitem__)
    funded: list[tuple[int, Fraction | None]] = [(c, None) for c in free]
    unfunded = [c for c in supported if election.costs[c] > 0]
    money = [endowment] * len(election.ballots)
    while True:
        prices = {c: price(election, money, c) for c in unfunded}
        prices = {c: rho for c, rho in prices.items() if rho is not None}
        if not prices:
            return Outcome(endowment, tuple(funded))
        winner = min(prices, key=lambda c: (prices[c], election.tie_keys[c]))
        pay(election, money, winner, prices[winner])
        funded.append((winner, prices[winner]))
        unfunded.remove(winner)


def price(election: Ballots, money: list[Fraction], project: int) -> Fraction | None:
    """The smallest ``rho`` at which the supporters pay the project's cost, paying
    ``min(money, rho * utility)`` each; None when they cannot afford it.

    By increasing ``money / utility``: at the level ``rho`` the supporters below it pay all
    they hold and the others ``rho * utility``; ``rho`` is the first level at which the next
    supporter in that order is not below it."""
    cost = election.costs[project]
    supporters = [(weight, money[g], election.utility(points, project))
                  for g, (weight, points) in enumerate(election.ballots)
                  if election.utility(points, project) > 0]
    if sum(weight * held for weight, held, _ in supporters) < cost:
        return None
    supporters.sort(key=lambda s: s[1] / s[2])
    paid_in_full = Fraction(0)
    utility_left = sum(weight * utility for weight, _, utility in supporters)
    for weight, held, utility in supporters:
        rho = (cost - paid_in_full) / utility_left
        if rho * utility <= held:
            return rho
        paid_in_full += weight * held
        utility_left -= weight * utility
    raise AssertionError("an affordable project always has a price")


def pay(election: Ballots, money: list[Fraction], project: int, rho: Fraction) -> None:
    """Every supporter pays ``min(money, rho * utility)`` for the project."""
    for g, (_, points) in enumerate(election.ballots):
        money[g] -= min(money[g], rho * election.utility(points, project))


def add1(election: Ballots, increment: int = 1, integral_start: bool = False,
         exhaustive_stop: bool = False) -> Outcome:
    """MES with the add1 completion, by unit stepping from the start endowment."""
    voters = max(election.voters, 1)
    start = (Fraction(election.budget // voters) if integral_start
             else Fraction(election.budget, voters))
    kept = None  # MES at B/n, or below, never overspends: k = 0 sets it
    for k in count():
        outcome = equal_shares(election, start + k * increment)
        spent = sum(election.costs[c] for c in outcome.projects)
        if spent > election.budget:
            return kept
        left_out = [c for c in range(len(election.costs))
                    if election.supported(c) and c not in outcome.projects]
        if not left_out or exhaustive_stop and all(
                election.costs[c] > election.budget - spent for c in left_out):
            return outcome
        kept = outcome
