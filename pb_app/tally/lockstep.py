"""Sequence-only MES runs at many endowments at once, side by side in NumPy arrays.

Where the add1 search must step one unit at a time (the outcome changes at most steps, as in
Toulouse), each run is a few hundred rounds over a few dozen supporters, and Python's cost per
NumPy call dominates. Here the runs at ``K`` endowments advance round by round together: a
row of every array per endowment, one NumPy call per project evaluated or funded for all the
rows that need it. Each row makes exactly the decisions of ``mes.run_mes(..., prices=False)``
by the same certified arithmetic (see docs/tally/mes-proofs.md):

- a project is affordable, or not, only when the float sum of its supporters' money is
  farther from its cost than the sum's error bound;
- prices come from the classification of supporters into poor (pay all they hold) and rich
  (pay their share), certified against each group's error bound, as in ``mes._tight_price``;
- the winner's price interval lies below every other evaluated price's interval; overlapping
  intervals are compared exactly where every poor supporter is already capped (the price is
  then ``cost / utility of the rest``) and the declared order breaks exact ties;
- a project whose supporters would collect less than its cost at the row's best upper
  price so far is skipped with a raised lower bound, as ``mes._floor_above`` does;
- paying keeps each group's error bound as ``mes._pay_probe`` does.

Rows evaluate projects in a different order from a single run and so may evaluate a few more;
every evaluation is certified, so the funded sequence is the same. Whatever a row cannot
certify (a sum too close to a cost, a group too close to the level, overlapping prices not
known exactly) stops that row: ``runs_at`` returns None for it and the caller runs it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from pb_app.tally.mes import (
    EPS,
    MesData,
    Purchase,
    Run,
    floor_from,
    known_price,
    level_error,
    level_sum_error,
    lowest_exact,
    payment_bounds,
    sum_error,
    surely_classified,
)
from pb_app.tally.tiebreak import TieOrder


class _Rows:
    """The state of K side-by-side runs: money, error bounds and capped groups per row."""

    def __init__(self, data: MesData, endowments: list[Fraction]) -> None:
        groups, k = len(data.profile.groups), len(endowments)
        self.e = np.array([float(e) for e in endowments])
        self.budgets = np.repeat(self.e[:, None], groups, axis=1)
        self.err = np.repeat((4 * EPS * self.e)[:, None], groups, axis=1)
        self.capped = np.zeros((k, groups), dtype=bool)
        self.delta = 4 * EPS * self.e
        costs = np.array([data.profile.costs[j] for j in data.candidates], dtype=np.float64)
        utils = np.array([data.total_util[j] for j in data.candidates], dtype=np.float64)
        self.lower = np.repeat((costs / utils * (1 - 4 * EPS))[:, None], k, axis=1)
        self.active = np.ones((len(data.candidates), k), dtype=bool)
        self.running = np.ones(k, dtype=bool)
        self.failed = np.zeros(k, dtype=bool)

    def stop(self, rows: np.ndarray, failed: bool) -> None:
        """Stop rows: finished, or (``failed``) unable to certify a decision."""
        self.running[rows] = False
        self.failed[rows] |= failed


@dataclass(frozen=True)
class _Prices:
    """Certified prices of one project in some rows: ``alpha`` within ``eps`` of the exact
    price, which lies in ``[lo, hi]``; ``poor`` marks who pays all they hold (row by
    supporter)."""

    rows: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    alpha: np.ndarray
    eps: np.ndarray
    poor: np.ndarray


def runs_at(data: MesData, order: TieOrder, endowments: list[Fraction]) -> list[Run | None]:
    """Sequence-only MES runs at each endowment (as ``run_mes(..., prices=False)`` would
    fund them), or None for an endowment whose run needs exact arithmetic somewhere."""
    state = _Rows(data, endowments)
    rounds: list[list[Purchase]] = [[] for _ in endowments]
    while state.running.any():
        evaluated = _evaluate_rows(data, state)
        for row in np.flatnonzero(state.running & ~_rows_with(evaluated, len(endowments))):
            state.stop(row, failed=False)
        for position, winner in _winners(data, order, state, evaluated).items():
            _pay(data, state, position, evaluated[position], winner)
            his = evaluated[position].hi[winner.at].tolist()
            for row, alpha, hi in zip(winner.rows, winner.exact, his, strict=True):
                rounds[row].append(Purchase(data.candidates[position], alpha, hi))
    return [None if state.failed[i] else Run(endowment=e, free=data.free, rounds=rounds[i])
            for i, e in enumerate(endowments)]


def _rows_with(evaluated: dict[int, _Prices], k: int) -> np.ndarray:
    """Rows where at least one project was priced this round."""
    seen = np.zeros(k, dtype=bool)
    for prices in evaluated.values():
        seen[prices.rows] = True
    return seen


def _evaluate_rows(data: MesData, state: _Rows) -> dict[int, _Prices]:
    """Price every project each running row must compare: by increasing lower bound, while
    the bound is at most the best upper bound found in the row (the rule of a single run)."""
    best_hi = np.full(len(state.e), np.inf)
    live = state.active & state.running
    keys = np.where(live, state.lower, np.inf).min(axis=1)
    evaluated: dict[int, _Prices] = {}
    for position in np.argsort(keys, kind="stable"):
        if keys[position] > best_hi[state.running].max(initial=-np.inf):
            break
        rows = np.flatnonzero(live[position] & state.running
                              & (state.lower[position] <= best_hi))
        if not len(rows):
            continue
        prices = _price(data, state, int(position), rows, best_hi[rows])
        if prices is None:
            continue
        evaluated[int(position)] = prices
        state.lower[position, prices.rows] = prices.lo
        np.minimum.at(best_hi, prices.rows, prices.hi)
    return evaluated


def _price(data: MesData, state: _Rows, position: int, rows: np.ndarray,
           best_hi: np.ndarray) -> _Prices | None:
    """Drop the rows where the project is unaffordable, stop those where that is uncertain,
    raise the lower bound where its price is surely above the row's best upper bound
    ``best_hi`` (as ``mes._floor_above``), and price it in the rest (None when no row is
    left)."""
    j = data.candidates[position]
    sup, cost = data.profile.supporters[j], data.profile.costs[j]
    money = state.budgets[np.ix_(rows, sup)]
    available = money @ data.wts[j]
    err = sum_error(data.total_weight[j], state.delta[rows], len(sup), available)
    unsure = (available - err < cost) & (cost <= available + err)
    state.stop(rows[unsure], failed=True)
    state.active[position, rows[~unsure & (available < cost)]] = False
    keep = ~unsure & (available >= cost)
    if not keep.any() or data.total_util[j] >= 2**53:
        state.stop(rows[keep], failed=True)
        return None
    rows, money, best_hi = rows[keep], money[keep], best_hi[keep]
    floor = _floor_above_rows(data, j, money, best_hi, state.delta[rows])
    above = floor > -np.inf
    state.lower[position, rows[above]] = floor[above]
    if above.all():
        return None
    rows, money = rows[~above], money[~above]
    prices = _tight(data, j, money, state.err[np.ix_(rows, sup)], state.lower[position, rows])
    sure = prices.pop("sure")
    state.stop(rows[~sure], failed=True)
    if not sure.any():
        return None
    return _Prices(rows[sure], **{name: value[sure] for name, value in prices.items()})


def _floor_above_rows(data: MesData, j: int, money: np.ndarray, level: np.ndarray,
                      delta: np.ndarray) -> np.ndarray:
    """``mes._floor_above`` for many rows: a lower bound of each row's price where it is
    surely above ``level`` (finite), else -inf."""
    util, weights = data.util[j], data.wts[j]
    cost, total_u = data.profile.costs[j], data.total_util[j]
    finite = np.isfinite(level)
    finite_level = np.where(finite, level, 0.0)
    value = np.minimum(money, finite_level[:, None] * util) @ weights
    collected = value + level_sum_error(data.total_weight[j], delta, len(util), value,
                                        finite_level, total_u)
    above = finite & (collected < cost)
    return np.where(above, floor_from(finite_level, cost, collected, total_u), -np.inf)


def _tight(data: MesData, j: int, money: np.ndarray, err: np.ndarray, floor: np.ndarray) -> dict:
    """``mes._tight_price`` for many rows: budgets ``money`` and their error bounds ``err`` (row by
    supporter); ``floor`` is a lower bound of each row's price."""
    util, weights = data.util[j], data.wts[j]
    cost, total_u = data.profile.costs[j], data.total_util[j]
    n = len(util)
    ratio = money / util
    alpha = np.full(len(money), cost / total_u)
    everyone = ratio.min(axis=1) >= alpha
    alpha = np.where(everyone, alpha, np.maximum(alpha, floor))
    poor, paid, rich = _raise_level_rows(ratio, weights * money, data.wutil[j], cost, total_u,
                                         alpha)
    settled = rich > 0
    safe_rich = np.where(settled, rich, 1.0)
    alpha = np.where(settled, (cost - paid) / safe_rich, alpha)
    eps = level_error(((weights * err) * poor).sum(axis=1), n, paid, cost, safe_rich, alpha)
    lo, hi = alpha - eps, alpha + eps
    sure = settled & surely_classified(poor, money, err, util, lo[:, None], hi[:, None]).all(axis=1)
    return {"lo": lo, "hi": hi, "alpha": alpha, "eps": eps, "poor": poor, "sure": sure}


def _raise_level_rows(ratio: np.ndarray, weighted_money: np.ndarray,
                      weighted_util: np.ndarray, cost: int, total_u: int,
                      alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``mes._raise_level`` for many rows at once. From a level at most the price, the poor
    only grow, so a row whose count of poor stops growing has its level. Rows that do not
    settle in 64 passes, or where nobody would be left to pay, get ``rich <= 0``."""
    poor = ratio < alpha[:, None]
    count = poor.sum(axis=1)
    for _ in range(64):
        paid = (weighted_money * poor).sum(axis=1)
        rich = total_u - (weighted_util * poor).sum(axis=1)
        level = (cost - paid) / np.where(rich > 0, rich, 1.0)
        grown = ratio < level[:, None]
        grown_count = grown.sum(axis=1)
        done = (grown_count == count) | (rich <= 0)
        if done.all():
            return poor, paid, np.where(rich > 0, rich, 0.0)
        poor = np.where(done[:, None], poor, grown)
        count = np.where(done, count, grown_count)
    return poor, paid, np.zeros(len(ratio))


class _Winner:
    """One project funded in some rows: ``at[i]`` is row ``rows[i]``'s index in the
    project's ``_Prices``; ``exact[i]`` its exact price where a tie made it known, else
    None."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.at: list[int] = []
        self.exact: list[Fraction | None] = []

    def add(self, row: int, at: int, exact: Fraction | None) -> None:
        """Fund the project in one more row."""
        self.rows.append(row)
        self.at.append(at)
        self.exact.append(exact)


def _winners(data: MesData, order: TieOrder, state: _Rows,
             evaluated: dict[int, _Prices]) -> dict[int, _Winner]:
    """Each running row's winner, as ``mes._pick_probe`` decides it: the lowest price, when
    its interval lies below every other; else the lowest exact price among those whose
    intervals overlap it, ties to the declared order. Rows it cannot decide stop."""
    positions = list(evaluated)
    if not positions:
        return {}
    shape = (len(positions), len(state.e))
    alpha, lo, hi = np.full(shape, np.inf), np.full(shape, np.inf), np.full(shape, np.inf)
    at = np.zeros(shape, dtype=np.int64)
    for i, position in enumerate(positions):
        prices = evaluated[position]
        alpha[i, prices.rows], lo[i, prices.rows], hi[i, prices.rows] = (
            prices.alpha, prices.lo, prices.hi)
        at[i, prices.rows] = np.arange(len(prices.rows))
    columns = np.arange(len(state.e))
    best = alpha.argmin(axis=0)
    close = lo <= hi[best, columns]
    count = close.sum(axis=0)
    winners: dict[int, _Winner] = {}
    clear = state.running & (count == 1)
    for choice in np.unique(best[clear]).tolist():
        rows = np.flatnonzero(clear & (best == choice))
        winner = winners.setdefault(positions[choice], _Winner())
        winner.rows += rows.tolist()
        winner.at += at[choice, rows].tolist()
        winner.exact += [None] * len(rows)
    for row in np.flatnonzero(state.running & (count > 1)).tolist():
        tied = _exact_pick(data, order, state, evaluated, row,
                           [(positions[i], int(at[i, row])) for i in np.flatnonzero(close[:, row])])
        if tied is None:
            state.stop(row, failed=True)
            continue
        choice = positions.index(tied[0])
        winners.setdefault(tied[0], _Winner()).add(row, int(at[choice, row]), tied[1])
    return winners


def _exact_pick(data: MesData, order: TieOrder, state: _Rows, evaluated: dict[int, _Prices],
                row: int, close: list[tuple[int, int]]) -> tuple[int, Fraction] | None:
    """Among overlapping prices, the lowest exact one (``(position, price)``), ties to the
    declared order; None when a price is not known exactly."""
    exact, position_of = {}, {}
    for position, at in close:
        j = data.candidates[position]
        price = known_price(data, j, evaluated[position].poor[at], state.capped[row])
        if price is None:
            return None
        exact[j], position_of[j] = price, position
    winner, _, _ = lowest_exact(order, exact)
    return position_of[winner], exact[winner]


def _pay(data: MesData, state: _Rows, position: int, prices: _Prices, winner: _Winner) -> None:
    """``mes._pay_probe`` in every row that funds this project."""
    j = data.candidates[position]
    sup, u = data.profile.supporters[j], data.util[j]
    rows, at = np.array(winner.rows), np.array(winner.at)
    alpha, eps, poor = prices.alpha[at], prices.eps[at], prices.poor[at]
    index = np.ix_(rows, sup)
    grow, fixed, delta = payment_bounds(eps, state.e[rows], state.delta[rows],
                                        data.top_util[j])
    b = state.budgets[index] - alpha[:, None] * u
    err = state.err[index] + u * grow[:, None] + fixed[:, None]
    b[poor] = 0.0
    err[poor] = 0.0
    state.budgets[index], state.err[index] = b, err
    capped = state.capped[index]
    capped[poor] = True
    state.capped[index] = capped
    state.delta[rows] = delta
    state.active[position, rows] = False
