"""The Method of Equal Shares (MES) and its add1 completion, exact and fast.

Prices are certified float intervals; a tie, a near-tie or anything floats cannot certify
sends the run to exact fractions, and the add1 search (``add1``) certifies jumps over
endowments where the funded sequence cannot change. Why none of this changes an outcome:
docs/tally/mes-proofs.md (sections cited by name in this package are there). The plain
definition the results must equal is ``mes_definition``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import NamedTuple

import numpy as np

from pb_app.tally.support import Profile
from pb_app.tally.tiebreak import TieOrder

EPS = 2.0**-53
WIDEN = 4  # attempts at a certified price interval, each wider
SINGLE_THREAD_DOT = 8192  # OpenBLAS computes shorter dot products in one thread
NEVER = np.iinfo(np.int32).max  # ``capped_at`` of a group never capped


class _Ambiguous(Exception):
    """Float arithmetic cannot certify a decision: redo the run exactly."""


@dataclass(frozen=True, eq=False)
class MesData:
    """Per-project arrays MES reads: supporters, their weights and utilities.

    A utility is the points given times the project's ``scale`` (its cost for approval
    ballots, 1 otherwise); ``wutil`` holds weight times utility and ``top_util`` the
    largest utility; ``point_type`` is the smallest integer type holding every point.
    ``same_util`` is the utility as one float where every supporter has the same (approval
    ballots), else the array: the arithmetic gives the same floats either way, in fewer
    passes over the supporters.
    """

    profile: Profile
    util: tuple[np.ndarray, ...]
    wts: tuple[np.ndarray, ...]
    total_util: tuple[int, ...]
    total_weight: tuple[int, ...]
    candidates: tuple[int, ...]
    free: tuple[int, ...]
    scale: tuple[int, ...]
    point_type: np.dtype
    wutil: tuple[np.ndarray, ...]
    top_util: tuple[float, ...]
    same_util: tuple[float | np.ndarray, ...]


@dataclass
class Purchase:
    """One round of an MES run: the project it funds, its price per unit of utility and who
    paid what (``Run.rounds`` lists them in order).

    ``ceiling`` is a float at least the exact price. A sequence-only run (see ``run_mes``)
    leaves the payers uncounted and ``alpha`` at None unless the round compared exact prices
    (a tie or near-tie), so that a jump can still certify a tie its order keeps deciding.
    ``prices`` holds a lower bound of the price of each project evaluated in the round, the
    winner's included (empty for side-by-side runs): the add1 search reads it to estimate
    where the outcome changes, never to decide anything. ``price`` is the winner's certified
    price in a sequence-only run where its supporters were classified (``_tight_price``):
    who paid all they held, which a later jump needs to bound how fast this price can fall.
    """

    project: int
    alpha: Fraction | None
    ceiling: float
    tied: tuple[int, ...] = ()
    decided_by: str = ""
    full_payers: int = 0
    capped_payers: int = 0
    capped_paid: Fraction = Fraction(0)
    prices: dict[int, float | Fraction] = field(default_factory=dict, compare=False)
    price: _Tight | None = field(default=None, compare=False)


class Departure(NamedTuple):
    """The first round of a watched run whose winner differs from the watched run's: its
    number, the winner here and a lower bound of the price of each project evaluated in it."""

    round: int
    project: int
    prices: dict[int, float | Fraction]


@dataclass
class Run:
    """One MES run at one endowment: the funded sequence and, on demand, the money left.

    ``bridged`` marks a run whose certificate broke and which went on because ``bridge``
    accepted the bound on what the later rounds can spend (see ``Suffix``); ``departure``
    is set when the certificate broke because a round's winner differs from the watched
    run's, so that the run funds something else (``departed``). ``capped_at`` holds the round
    in which each voter group first paid all it held (``NEVER`` if it did not) for runs in
    floats."""

    endowment: Fraction
    free: tuple[int, ...]
    rounds: list[Purchase]
    unfunded: tuple[int, ...] = ()
    money_left: Callable[[int], Fraction] | None = None
    certified: bool = False
    bridged: bool = False
    capped_at: np.ndarray | None = None
    departure: Departure | None = None

    @property
    def departed(self) -> bool:
        """Whether the certificate broke on a round with another winner than the watched
        run's."""
        return self.departure is not None

    @property
    def left_for(self) -> dict[int, Fraction]:
        """Exact money the supporters of each unfunded candidate hold at the end."""
        return {j: self.money_left(j) for j in self.unfunded}

    @property
    def sequence(self) -> tuple[int, ...]:
        """Funded project indices in order (free projects first)."""
        return self.free + tuple(r.project for r in self.rounds)


@dataclass(frozen=True)
class Suffix:
    """What a watched run's certified prefix leaves to the later rounds, at every endowment
    between the watched run's and this run's: ``funded`` is the prefix (free projects
    included) and ``prefix_cost`` its cost; only projects in ``fundable`` can be funded
    later, and the later rounds spend at most ``most_paid`` in all (see "What a broken
    certificate still proves" in docs/tally/mes-proofs.md)."""

    funded: frozenset[int]
    prefix_cost: int
    fundable: frozenset[int]
    most_paid: int


Bridge = Callable[[Suffix], bool]


def prepare(profile: Profile, order: TieOrder) -> MesData:
    """Precompute utilities: cost for approval ballots, points otherwise."""
    util, wts, tot_u, tot_w = [], [], [], []
    for j, (sup, pts) in enumerate(zip(profile.supporters, profile.points, strict=True)):
        scale = profile.costs[j] if profile.is_approval else 1
        util.append(pts.astype(np.float64) * scale)
        wts.append(profile.weights[sup].astype(np.float64))
        tot_u.append(int(profile.weights[sup] @ pts) * scale)
        tot_w.append(int(profile.weights[sup].sum()))
    supported = [j for j in range(len(profile.ids)) if tot_u[j] > 0]
    free = sorted((j for j in supported if profile.costs[j] == 0), key=order.keys.__getitem__)
    return MesData(
        profile=profile,
        util=tuple(util),
        wts=tuple(wts),
        total_util=tuple(tot_u),
        total_weight=tuple(tot_w),
        candidates=tuple(j for j in supported if profile.costs[j] > 0),
        free=tuple(free),
        scale=tuple(profile.costs[j] if profile.is_approval else 1
                    for j in range(len(profile.ids))),
        point_type=_point_type(profile),
        wutil=tuple(w * u for w, u in zip(wts, util, strict=True)),
        top_util=tuple(float(u.max(initial=0.0)) for u in util),
        same_util=tuple(float(u[0]) if len(u) and (u == u[0]).all() else u for u in util),
    )


def _point_type(profile: Profile) -> np.dtype:
    """The smallest signed integer type holding every point (products with int64 weights
    stay int64; an unsigned 64-bit type would turn them into floats)."""
    top = max((int(p.max()) for p in profile.points if len(p)), default=0)
    return next(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64)
                if top <= np.iinfo(t).max)


def run_mes(data: MesData, order: TieOrder, e: Fraction, watch: Run | None = None,
            prices: bool = True, abandon: bool = False, bridge: Bridge | None = None) -> Run:
    """Run MES at endowment ``e``; with ``watch``, also certify that every endowment between
    ``watch.endowment`` and ``e`` funds the same sequence (docs/tally/mes-proofs.md).

    With ``prices=False`` only the funded sequence and the certificate are wanted: the run
    keeps certified float bounds of the prices instead of exact ones (``Purchase.alpha`` is
    None, payers are not counted and the run has no ``money_left``). With ``abandon`` the
    run stops at the first round that breaks the certificate; only ``certified`` (False)
    may then be read. With ``bridge`` as well, that round first passes the ``Suffix`` to
    ``bridge``: if it returns True the run goes on to the end and is marked ``bridged``.
    """
    if not prices:
        try:
            return _float_run(data, order, e, watch, exact=False, abandon=abandon,
                              bridge=bridge)
        except _Ambiguous:
            pass
    try:
        return _float_run(data, order, e, watch, abandon=abandon, bridge=bridge)
    except _Ambiguous:
        return _exact_run(data, order, e, watch, abandon, bridge)


def _abandons(run: Run, abandon: bool, bridge: Bridge | None,
              suffix: Callable[[], Suffix]) -> bool:
    """Whether the run stops here: with ``abandon``, at the first round that breaks its
    certificate, unless ``bridge`` accepts the suffix (the run is then ``bridged``)."""
    if not abandon or run.certified or run.bridged:
        return False
    run.bridged = bridge is not None and bridge(suffix())
    return not run.bridged


@dataclass
class _State:
    """A float run's budgets plus what makes them exact: capped groups hold exactly 0; every
    other group holds exactly ``e - sum over rounds r of nums[r] / den * rows[r, group]``
    (the exact prices times the funded project's scale over one common denominator, so sums
    need no gcd per term; ``rows`` holds the points each group gave the funded projects).

    A sequence-only run keeps no exact prices: ``err`` then bounds each group's distance
    from its exact budget, and ``delta`` is at least its largest entry."""

    e: Fraction
    budgets: np.ndarray
    capped: np.ndarray
    delta: float
    data: MesData
    rows: np.ndarray
    err: np.ndarray
    capped_at: np.ndarray
    den: int = 1
    nums: list[int] = field(default_factory=list)
    paid: int = 0

    def end_round(self, capped: np.ndarray) -> None:
        """Close the round being paid: mark the groups that paid all they held (``capped_at``
        keeps the first such round of each group) and count the round."""
        fresh = capped[~self.capped[capped]]
        self.capped[fresh] = True
        self.capped_at[fresh] = self.paid
        self.paid += 1

    def record(self, alpha: Fraction, j: int) -> None:
        """Remember a funded project (its points in the next row) and its exact price."""
        common = math.lcm(self.den, alpha.denominator)
        if common != self.den:
            scale = common // self.den
            self.nums = [x * scale for x in self.nums]
            self.den = common
        profile = self.data.profile
        self.rows[len(self.nums), profile.supporters[j]] = profile.points[j]
        self.nums.append(alpha.numerator * (common // alpha.denominator) * self.data.scale[j])


def _start_state(data: MesData, e: Fraction, exact: bool) -> _State:
    """Everybody holds ``e``: exact records for runs with exact prices, else error bounds."""
    money, groups = float(e), len(data.profile.groups)
    rows = np.zeros((len(data.candidates) if exact else 0, groups), dtype=data.point_type)
    return _State(e, np.full(groups, money), np.zeros(groups, dtype=bool), 4 * EPS * money, data,
                  rows, np.full(0 if exact else groups, 4 * EPS * money),
                  np.full(groups, NEVER, dtype=np.int32))


def _float_run(data: MesData, order: TieOrder, e: Fraction, watch: Run | None,
               exact: bool = True, abandon: bool = False, bridge: Bridge | None = None) -> Run:
    profile = data.profile
    state = _start_state(data, e, exact)
    lower = {j: profile.costs[j] / data.total_util[j] * (1 - 4 * EPS) for j in data.candidates}
    active = set(data.candidates)
    run = Run(endowment=e, free=data.free, rounds=[], certified=watch is not None)
    reach = (_Reach(data, watch, e, state.capped_at) if not exact and watch is not None
             and watch.capped_at is not None else None)
    while True:
        ceiling, threshold = _threshold(watch if run.certified else None, len(run.rounds))
        tight = None if exact else {}
        evals = _evaluate(data, state, active, lower, ceiling, tight)
        if not evals:
            break
        if exact:
            winner, tied, decided_by, known = _pick(data, order, state, evals)
        else:
            winner, tied, decided_by, known = _pick_probe(data, order, state, evals, tight)
        prices = {q: known.get(q, lo) for q, (lo, _, _) in evals.items()}
        outrun = (reach.outrun(len(run.rounds), winner, prices, tight, ceiling,
                               evals[winner][1])
                  if run.certified and reach is not None else set())
        run.certified = run.certified and _still_certified(
            run, watch, winner, prices, set(known), (ceiling, threshold), order, outrun)
        if _abandons(run, abandon, bridge, partial(_float_suffix, data, state, active, run)):
            return run
        paid = (_pay_float(data, state, winner, *evals[winner][:2]) if exact
                else _pay_probe(data, state, winner, tight[winner], known.get(winner)))
        paid.tied, paid.decided_by, paid.prices = tied, decided_by, prices
        run.rounds.append(paid)
        active.discard(winner)
    run.certified = run.certified and len(run.rounds) == len(watch.rounds)
    run.capped_at = state.capped_at
    funded = set(run.sequence)
    run.unfunded = tuple(j for j in data.candidates if j not in funded)
    run.money_left = partial(_float_money_left, profile, state) if exact else None
    return run


class _Reach:
    """Certificates that follow falling prices across a jump from ``watch.endowment`` to
    ``e`` (see "Falling prices" in docs/tally/mes-proofs.md).

    ``growth`` holds, per group, a lower bound of how fast its money grows with the
    endowment across the jump, valid for groups the watched run has not capped so far;
    ``rate`` bounds how fast a project's price falls. Rounds whose rivals need no rates
    wait in ``pending`` until a later round needs the growth they add. ``fastest`` bounds
    from above how fast a watched round's winning price falls, from ``growth_up``, an upper
    bound of how fast each group's money grows, for every group ("Overtaking" in
    docs/tally/mes-proofs.md).
    """

    def __init__(self, data: MesData, watch: Run, e: Fraction, capped_far: np.ndarray) -> None:
        """``capped_far`` is the ``capped_at`` of the run at ``e`` as it is being computed: its
        entries for the rounds paid so far are final, which is all ``fastest`` reads."""
        self.data, self.capped_at, self.capped_far = data, watch.capped_at, capped_far
        self.watched = watch.rounds
        self.winners = [paid.project for paid in watch.rounds]
        self.span = float(e - watch.endowment) * (1 - 4 * EPS)
        self.span_up = float(e - watch.endowment) * (1 + 4 * EPS)
        self.growth = np.ones(len(data.profile.groups))
        self.pending: list[tuple[int, _Tight | None, int, float | None]] = []
        self.growth_up = np.ones(len(data.profile.groups))
        self.falls: list[float] = []

    def rate(self, j: int, price: _Tight | None, r: int) -> float:
        """A lower bound of how fast project j's price falls per unit of endowment in round
        r, anywhere in the jump: the money its poor supporters at the far end gain, counting
        only groups the watched run has not capped before round r, over the utility of the
        others there."""
        if price is None or price.poor is None:
            return 0.0
        poor = self.data.profile.supporters[j][price.poor]
        live = self.capped_at[poor] >= r
        gained = _dot(self.data.wts[j][price.poor][live], self.growth[poor[live]])
        return gained * (1 - 4 * (len(poor) + 4) * EPS) / price.rich * (1 - 4 * EPS)

    def fastest(self, r: int) -> float | None:
        """An upper bound of how fast the price of the watched run's round-r winner falls
        per unit of endowment, anywhere in the jump; None where a watched round up to r did
        not record who paid all they held. Computed round after round: each rate needs the
        money growth the rounds before it allow."""
        while len(self.falls) <= r:
            paid = self.watched[len(self.falls)]
            if paid.price is None:
                return None
            j, price = paid.project, paid.price
            rate = 0.0
            if price.poor is not None:
                poor = self.data.profile.supporters[j][price.poor]
                live = self.capped_far[poor] >= len(self.falls)
                gained = _dot(self.data.wts[j][price.poor][live], self.growth_up[poor[live]])
                rate = gained * (1 + 4 * (len(poor) + 4) * EPS) / price.rich * (1 + 4 * EPS)
            sup = self.data.profile.supporters[j]
            self.growth_up[sup] = (self.growth_up[sup] + rate * self.data.util[j]) * (
                1 + 4 * EPS)
            self.falls.append(rate)
        return self.falls[r]

    def outrun(self, r: int, winner: int, prices: dict, tight: dict, ceiling: float,
               top: float) -> set[int]:
        """The rivals whose price stays above the winner's at every endowment of the jump
        although their price at the far end (lower bound in ``prices``) is not above the
        winner's ``ceiling`` at the near end. Either both prices fall at least at the slower
        of their two rates, so the gap shrinks by less than that rate times the jump; or the
        rival is above the winner's price at the far end (at most ``top``) and its price
        falls faster than the winner's can, so the gap was wider at every endowment before.

        Nothing is computed when the watched run has another winner (the certificate breaks
        anyway); else the round then waits in ``pending``, with its winner's rate when it
        was needed (see ``_catch_up``)."""
        if r >= len(self.winners) or self.winners[r] != winner:
            return set()
        close = [q for q, price in prices.items() if q != winner and price <= ceiling]
        if not close:
            self.pending.append((winner, tight.get(winner), r, None))
            return set()
        self._catch_up()
        winner_rate = self.rate(winner, tight.get(winner), r)
        self.pending.append((winner, tight.get(winner), r, winner_rate))
        outrun = set()
        for q in close:
            rate = self.rate(q, tight.get(q), r)
            slower = min(winner_rate, rate)
            if ((prices[q] + self.span * slower * (1 - 4 * EPS)) * (1 - 4 * EPS) > ceiling
                    or self._overtaken(r, prices[q], rate, top)):
                outrun.add(q)
        return outrun

    def _overtaken(self, r: int, low: float, rate: float, top: float) -> bool:
        """Whether a rival at least ``low`` at the far end, whose price falls at least at
        ``rate``, stays above round r's winner, at most ``top`` at the far end: at the far
        end, and at the near end by the two rates."""
        if not low > top:
            return False
        fastest = self.fastest(r)
        return fastest is not None and (
            (low + self.span * rate * (1 - 4 * EPS)) * (1 - 4 * EPS)
            > (top + self.span_up * fastest * (1 + 4 * EPS)) * (1 + 4 * EPS))

    def _catch_up(self) -> None:
        """Add to ``growth`` what the price falls of the pending rounds give back to their
        full payers, in order (each rate needs the growth before it; a round whose rate is
        known already was computed with that growth)."""
        for winner, price, r, known in self.pending:
            rate = self.rate(winner, price, r) if known is None else known
            if rate:
                sup = self.data.profile.supporters[winner]
                self.growth[sup] = (self.growth[sup] + rate * self.data.util[winner]) * (
                    1 - 4 * EPS)
        self.pending.clear()


def _float_suffix(data: MesData, state: _State, active: set[int], run: Run) -> Suffix:
    """The ``Suffix`` after the rounds paid so far, from budgets known within ``delta``
    (sums pushed up by their rounding error)."""
    profile = data.profile
    held = state.budgets + state.delta
    push = 1 + 4 * (len(held) + 4) * EPS  # covers the rounding of any sum of these
    fundable = frozenset(q for q in active
                         if _dot(held[profile.supporters[q]], data.wts[q]) * push
                         >= profile.costs[q])
    holders = np.zeros(len(held), dtype=bool)
    for q in fundable:
        holders[profile.supporters[q]] = True
    most_paid = _dot(held[holders], profile.weights[holders].astype(np.float64))
    return _suffix(profile, run, fundable, math.ceil(most_paid * push))


def _suffix(profile: Profile, run: Run, fundable: frozenset[int], most_paid: int) -> Suffix:
    funded = frozenset(run.sequence)
    return Suffix(funded, sum(profile.costs[j] for j in funded), fundable,
                  min(most_paid, sum(profile.costs[q] for q in fundable)))


def _float_money_left(profile: Profile, state: _State, j: int) -> Fraction:
    return _exact_total(state, profile.supporters[j], profile.weights[profile.supporters[j]])


def _threshold(watch: Run | None, r: int) -> tuple[float, Fraction | None]:
    """The watched run's price in round r: a float ceiling and the exact price if known."""
    if watch is None or r >= len(watch.rounds):
        return -math.inf, None
    return watch.rounds[r].ceiling, watch.rounds[r].alpha


def _pick(data: MesData, order: TieOrder, state: _State,
          evals: dict) -> tuple[int, tuple[int, ...], str, dict[int, Fraction]]:
    """The round's winner; prices whose intervals overlap the best are compared exactly."""
    best = min(evals, key=lambda j: evals[j][2])
    close = [q for q in evals if evals[q][0] <= evals[best][1]]
    if len(close) == 1:
        return best, (), "", {}
    exact = {q: _exact_price(data, state, q, evals[q][0], evals[q][1])[0] for q in close}
    return *lowest_exact(order, exact), exact


def lowest_exact(order: TieOrder,
                 exact: dict[int, Fraction]) -> tuple[int, tuple[int, ...], str]:
    """The project with the lowest exact price, the tied ones and what broke the tie."""
    low = min(exact.values())
    tied = sorted((q for q in exact if exact[q] == low), key=order.keys.__getitem__)
    if len(tied) == 1:
        return tied[0], (), ""
    winner, decided_by = order.pick(tied)
    return winner, tuple(tied), decided_by


def _pick_probe(data: MesData, order: TieOrder, state: _State, evals: dict,
                tight: dict) -> tuple[int, tuple[int, ...], str, dict[int, Fraction]]:
    """``_pick`` without exact prices, from the prices ``_tight_price`` found (in ``tight``;
    the winner and those whose interval overlaps the best need one). Prices still
    overlapping are compared exactly when known exactly (``known_price``), else only an
    exact run can tell."""
    best = min(evals, key=lambda j: evals[j][2])
    close = [q for q in evals if evals[q][0] <= evals[best][1]]
    if any(q not in tight for q in close):
        raise _Ambiguous
    if len(close) == 1:
        return best, (), "", {}
    best = min(close, key=lambda q: tight[q].alpha)
    close = [q for q in close if tight[q].lo <= tight[best].hi]
    if len(close) == 1:
        return best, (), "", {}
    exact = {q: known_price(data, q, tight[q].poor, state.capped) for q in close}
    if None in exact.values():
        raise _Ambiguous
    return *lowest_exact(order, exact), exact


def _still_certified(run: Run, watch: Run | None, winner: int, prices: dict,
                     exact: set[int], watched: tuple[float, Fraction | None],
                     order: TieOrder, outrun: set[int] = frozenset()) -> bool:
    """Round r keeps the certificate: same winner, and every rival's price here is above the
    winner's price at the watched endowment (or equal, exactly, and behind it in the order),
    or the rival is in ``outrun`` (shown to stay above the winner by ``_Reach``). A run
    with another winner records its ``departure``.

    ``watched`` is that price as a float ceiling and, when known, exactly; ``prices`` holds
    each rival's exact price (those in ``exact``) or a lower bound of it.
    """
    r = len(run.rounds)
    if watch is None or r >= len(watch.rounds) or watch.rounds[r].project != winner:
        run.departure = Departure(r, winner, prices) if watch is not None else None
        return False
    ceiling, threshold = watched
    return all(
        price > ceiling or q in outrun or (threshold is not None and (
            price > threshold
            or (q in exact and price == threshold and order.keys[winner] < order.keys[q])))
        for q, price in prices.items() if q != winner
    )


def _float_above(value: Fraction) -> float:
    """A float at least ``value``: comparing with it first spares most exact comparisons
    (``float`` of a Fraction is correctly rounded, so one part in 2^52 more covers it)."""
    close = float(value)
    return close + abs(close) * 4 * EPS


def _evaluate(data: MesData, state: _State, active: set[int], lower: dict[int, float],
              bound: float, tight: dict | None) -> dict:
    """Certified price intervals of every project that could win, or whose price could be
    at most ``bound`` (and so break a certificate).

    Sequence-only runs pass ``tight``: prices are then found by ``_tight_price`` where it
    can classify the supporters (kept in ``tight``), else by ``_water_level``. Once a price
    is found, a project whose price is surely above both it and ``bound`` can neither win
    nor break a certificate: one sum shows it (``_floor_above``) and raises its lower bound.
    """
    profile, budgets, delta = data.profile, state.budgets, state.delta
    evals: dict[int, tuple[float, float, float]] = {}
    best_hi = math.inf
    for j in sorted(active, key=lower.__getitem__):
        level = max(best_hi, bound)
        if lower[j] > level:
            break
        money = budgets[profile.supporters[j]]
        if not _affordable(data, j, money, delta):
            active.discard(j)
            continue
        if best_hi < math.inf and (floor := _floor_above(data, j, money, level, delta)):
            lower[j] = floor
            continue
        if tight is not None and (price := _tight_price(data, state, j, money, lower[j])):
            tight[j] = price
            lo, hi, alpha = price.lo, price.hi, price.alpha
        else:
            lo, hi, alpha = _water_level(money, data.util[j], data.wts[j], profile.costs[j],
                                         data.total_util[j], delta)
        lower[j] = lo
        evals[j] = (lo, hi, alpha)
        best_hi = min(best_hi, hi)
    return evals


# The certified arithmetic below is shared by single runs and side-by-side runs
# (``lockstep``): each bound takes floats or NumPy arrays (one entry per run) alike.

def sum_error(weight, delta, n: int, total):
    """Error bound of a float sum of ``n`` budgets times weights (``weight`` in all, each
    budget within ``delta`` of exact) that came to ``total``."""
    return weight * delta + 4 * (n + 2) * EPS * total


def level_sum_error(weight, delta, n: int, value, level, total_u: int):
    """Error bound of a float ``sum(w * min(b, level * u))`` over ``n`` supporters that came
    to ``value`` (``weight`` and ``total_u`` the sums of ``w`` and ``w * u``)."""
    return weight * delta + 4 * (n + 4) * EPS * (value + abs(level) * total_u)


def floor_from(level, cost: int, collected, total_u: int):
    """A lower bound of the price of a project whose supporters collect ``collected < cost``
    at ``level`` (see ``_floor_above``), rounded down."""
    return (level + (cost - collected) / total_u * (1 - 8 * EPS)) * (1 - 4 * EPS)


def level_error(poor_err, n: int, paid, cost: int, rich, alpha):
    """How far a level found by classifying ``n`` supporters (``(cost - paid) / rich``) may
    be from the exact price: ``poor_err`` is the weighted sum of the poor groups' error
    bounds (see ``_tight_price``)."""
    return ((poor_err * (1 + 4 * (n + 4) * EPS) + 4 * (n + 4) * EPS * (paid + cost)) / rich
            + 4 * EPS * alpha)


def surely_classified(poor: np.ndarray, b: np.ndarray, d: np.ndarray, u: np.ndarray, lo,
                      hi) -> np.ndarray:
    """Per supporter: surely below ``lo * u`` if marked poor, else surely at least
    ``hi * u``, with budgets ``b`` within ``d`` of exact."""
    return np.where(poor, b + d < lo * (1 - 4 * EPS) * u, b - d >= hi * (1 + 4 * EPS) * u)


def payment_bounds(eps, e, delta, top_util: float):
    """What paying at a price within ``eps`` of exact adds to the error bounds (see
    ``_pay_probe``): per unit of utility (``grow``), to every payer (``fixed``), and the
    run's new largest bound."""
    grow = eps * (1 + 16 * EPS)
    fixed = 8 * EPS * e + 16 * EPS * delta
    return grow, fixed, (delta + top_util * grow + fixed) * (1 + 8 * EPS)


def _floor_above(data: MesData, j: int, money: np.ndarray, level: float,
                 delta: float) -> float | None:
    """A lower bound of project j's price when it is surely above ``level``, else None.

    One sum instead of finding the price: if the supporters would collect ``s < cost`` at
    ``level``, the price is above it, and since what they collect grows with the price at a
    rate of at most the total utility (a sum of ``min(money, alpha * utility)``), the price
    is at least ``level + (cost - s) / total utility``.
    """
    cost, total_u = data.profile.costs[j], data.total_util[j]
    collected = _level_sum(money, data.same_util[j], data.wts[j], level, data.total_weight[j],
                           delta,
                           total_u, -1)
    if collected >= cost:
        return None
    return floor_from(level, cost, collected, total_u)


def _affordable(data: MesData, j: int, money: np.ndarray, delta: float) -> bool:
    """Whether project j's supporters, holding ``money`` (each within ``delta``), can pay it."""
    available = _dot(money, data.wts[j])
    err = sum_error(data.total_weight[j], delta, len(money), available)
    cost = data.profile.costs[j]
    if available - err < cost <= available + err:
        raise _Ambiguous
    return available >= cost


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Float dot product: BLAS below the length where it may start threads, NumPy's own
    loop above it, where threads cost more than they save on vectors this short (the
    error bounds hold for any summation order)."""
    return float(np.dot(a, b) if len(a) <= SINGLE_THREAD_DOT else np.einsum("i,i->", a, b))


def _water_level(money: np.ndarray, util: np.ndarray, weights: np.ndarray, cost: int, total_u: int,
                 delta: float) -> tuple[float, float, float]:
    """Price alpha with sum(weights * min(money, alpha * util)) = cost, enclosed in a
    certified (lo, hi]."""
    ratio = money / util
    alpha0 = cost / total_u
    if ratio.min() >= alpha0:
        # Everybody can pay: alpha = cost / total exactly, once all are surely rich at hi.
        hi = alpha0 * (1 + 32 * EPS)
        if (money - delta >= hi * util * (1 + 4 * EPS)).all():
            return alpha0 * (1 - 32 * EPS), hi, alpha0
        alpha, poor_paid, rich_u = alpha0, 0.0, float(total_u)
    else:
        alpha, poor_paid, rich_u, _ = _raise_level(ratio, weights * money, weights * util,
                                                   cost, total_u, alpha0)
    n, weight = len(money), float(weights.sum())
    eta = 16 * (weight * delta + (n + 4) * EPS * (cost + poor_paid)) / rich_u + 16 * EPS * alpha
    for _ in range(WIDEN):
        lo, hi = alpha - eta, alpha + eta
        if (_level_sum(money, util, weights, lo, weight, delta, total_u, -1) < cost
                <= _level_sum(money, util, weights, hi, weight, delta, total_u, 1)):
            return lo, hi, alpha
        # Most supporters capped: the sum's error bound grows with alpha * total_u while
        # its slope is only rich_u, so the interval must be wider to be certified.
        eta = max(eta, 16 * (n + 4) * EPS * abs(alpha) * total_u / rich_u) * 4
    raise _Ambiguous


def _raise_level(ratio: np.ndarray, weighted_money: np.ndarray, weighted_util: np.ndarray,
                 cost: int, total_u: int, alpha: float) -> tuple[float, float, float, np.ndarray]:
    """Water level by raising it: those below the level pay all they have, the rest share.

    From ``cost / total`` (or any level below the price) the level only rises and the set of
    those paying all they have only grows, so a few passes reach it; the result is then
    certified by the caller. Returns the level, what the poor pay, the utility of the rest
    and the mask of the poor.
    """
    poor = ratio < alpha
    count = np.count_nonzero(poor)
    for _ in range(64):
        mask = poor.astype(np.float64)  # once for both sums, not once inside each
        paid, rich = _dot(weighted_money, mask), total_u - _dot(weighted_util, mask)
        if rich <= 0:
            raise _Ambiguous
        alpha = (cost - paid) / rich
        grown = ratio < alpha
        grown_count = np.count_nonzero(grown)
        if grown_count == count:
            return alpha, paid, rich, poor
        poor, count = grown, grown_count
    raise _Ambiguous


def _level_sum(money: np.ndarray, util: np.ndarray, weights: np.ndarray, level: float,
               weight: float, delta: float, total_u: int, side: int) -> float:
    """sum(weights * min(money, level * util)) pushed by its error bound: up for side=-1,
    down for side=1."""
    value = _dot(weights, np.minimum(money, level * util))
    return value - side * level_sum_error(weight, delta, len(money), value, level, total_u)


def _pay_float(data: MesData, state: _State, j: int, lo: float, hi: float) -> Purchase:
    """Fund project j at its exact price; budgets stay within ``delta`` of exact."""
    sup = data.profile.supporters[j]
    alpha, poor, poor_paid = _exact_price(data, state, j, lo, hi)
    money = state.budgets[sup]
    money -= float(alpha) * data.util[j]
    money[poor] = 0.0
    state.budgets[sup] = money
    state.end_round(sup[poor])
    state.record(alpha, j)
    state.delta += 6 * EPS * float(state.e)
    capped = int(data.profile.weights[sup[poor]].sum())
    return Purchase(j, alpha, _float_above(alpha), full_payers=data.total_weight[j] - capped,
                 capped_payers=capped, capped_paid=poor_paid)


def _pay_probe(data: MesData, state: _State, j: int, price: _Tight,
               alpha: Fraction | None) -> Purchase:
    """Fund project j at a float price within ``eps`` of the exact one (sequence-only runs).

    The certified classification sets the poor to 0, exactly as the exact run does. A rich
    group's exact new budget is ``money - alpha * util``: its float budget stays within
    ``err + util * eps`` of it, plus the rounding of one product and one difference (at most
    ``3 * 2^-53`` times its budget, which is at most ``e`` plus its error). The margins
    below also cover the rounding of this bound's own arithmetic (relative 2^-51 at most).
    """
    sup, util = data.profile.supporters[j], data.same_util[j]
    money = state.budgets[sup]
    money -= price.alpha * util
    grow, fixed, delta = payment_bounds(price.eps, float(state.e), state.delta,
                                        data.top_util[j])
    err = state.err[sup]
    err += util * grow
    err += fixed
    if price.poor is not None:
        money[price.poor] = err[price.poor] = 0.0
    state.end_round(sup[:0] if price.poor is None else sup[price.poor])
    state.budgets[sup], state.err[sup] = money, err
    state.delta = delta
    return Purchase(j, alpha, price.hi, price=price)


class _Tight(NamedTuple):
    """A price from ``_tight_price``: the exact price lies in ``[lo, hi]``, ``alpha`` is
    within ``eps`` of it and ``poor`` marks the supporters paying all they have (None when
    nobody does); ``rich`` is the utility of the others, exactly."""

    lo: float
    hi: float
    alpha: float
    poor: np.ndarray | None
    eps: float
    rich: float


def _tight_price(data: MesData, state: _State, j: int, money: np.ndarray,
                 floor: float) -> _Tight | None:
    """Project j's price from its supporters' float budgets ``money``, or None where a group lies
    too close to the level to be classified. ``floor`` is a lower bound of the price (where
    raising the level starts).

    If every group marked poor surely holds less than ``lo * util`` and every other group at
    least ``hi * util`` (budgets known within ``err``), the exact price is ``(cost - exact
    money of the poor) / (utility of the rest)``: at that level the poor pay all they hold
    and the rest their full share, which sums to the cost, and any lower level collects
    less. The utility of the rest is an exact integer in floats (below 2^53); the money of
    the poor is known within the weighted sum of their errors plus rounding, which bounds
    ``eps``.
    """
    util, cost, total_u = data.same_util[j], data.profile.costs[j], data.total_util[j]
    if total_u >= 2**53:
        return None
    ratio = money / util
    alpha = cost / total_u
    err = state.err[data.profile.supporters[j]]
    if ratio.min() >= alpha:
        eps = 4 * (len(money) + 4) * EPS * cost / total_u + 4 * EPS * alpha
        sure = (money - err >= (alpha + eps) * (1 + 4 * EPS) * util).all()
        return _Tight(alpha - eps, alpha + eps, alpha, None, eps, total_u) if sure else None
    weights = data.wts[j]
    try:
        alpha, paid, rich, poor = _raise_level(ratio, weights * money, data.wutil[j], cost, total_u,
                                               max(alpha, floor))
    except _Ambiguous:
        return None
    eps = level_error(_dot(weights * err, poor), len(money), paid, cost, rich, alpha)
    lo, hi = alpha - eps, alpha + eps
    sure = surely_classified(poor, money, err, util, lo, hi).all()
    return _Tight(lo, hi, alpha, poor, eps, rich) if sure else None


def known_price(data: MesData, j: int, poor: np.ndarray | None,
                capped: np.ndarray) -> Fraction | None:
    """The exact price behind a certified classification of project j's supporters
    (``poor`` marks those paying all they hold; None when nobody does), when every poor group
    is capped already (holds exactly 0): cost over the utility of the rest. Else None.
    ``capped`` marks the capped groups of the run."""
    profile = data.profile
    if poor is None:
        return Fraction(profile.costs[j], data.total_util[j])
    groups = profile.supporters[j][poor]
    if not capped[groups].all():
        return None
    paid_by = int(profile.weights[groups] @ profile.points[j][poor]) * data.scale[j]
    return Fraction(profile.costs[j], data.total_util[j] - paid_by)


def _exact_price(data: MesData, state: _State, j: int, lo: float,
                 hi: float) -> tuple[Fraction, np.ndarray, Fraction]:
    """The winner's exact price, who pays all they have (poor), and what the poor pay.

    Groups whose float budget is farther than ``delta`` from the certified price interval
    are classified at once; the few in between are decided on exact budgets.
    """
    sup = data.profile.supporters[j]
    money, util = state.budgets[sup], data.util[j]
    weights = data.profile.weights[sup]
    sure_poor = money + state.delta < lo * util * (1 - 4 * EPS)
    sure_rich = money - state.delta >= hi * util * (1 + 4 * EPS)
    border = np.flatnonzero(~(sure_poor | sure_rich))
    listed = np.flatnonzero(sure_poor)
    paid = _exact_total(state, sup[listed], weights[listed])
    rich = data.total_util[j] - int(weights[listed] @ util[listed].astype(np.int64))
    poor = sure_poor
    exact_money = {i: _exact_total(state, sup[i:i + 1], weights[i:i + 1]) / int(weights[i])
                   for i in border}
    cost = data.profile.costs[j]
    for i in sorted(border, key=lambda i: exact_money[i] / int(util[i])):
        if rich and (cost - paid) / rich * int(util[i]) <= exact_money[i]:
            break
        paid += int(weights[i]) * exact_money[i]
        rich -= int(weights[i]) * int(util[i])
        poor[i] = True
    if rich <= 0:
        raise _Ambiguous
    alpha = (cost - paid) / rich
    if not lo < alpha <= hi:
        raise _Ambiguous
    return alpha, poor, paid


def _exact_total(state: _State, groups: np.ndarray, w: np.ndarray) -> Fraction:
    """Exact sum of weight x budget over the given groups."""
    live = ~state.capped[groups]
    groups, w = groups[live], w[live]
    if not len(groups):
        return Fraction(0)
    counts = (state.rows[:len(state.nums), groups] @ w).tolist()
    spent = sum(num * count for num, count in zip(state.nums, counts, strict=True))
    return int(w.sum()) * state.e - Fraction(spent, state.den)


def _exact_run(data: MesData, order: TieOrder, e: Fraction, watch: Run | None,
               abandon: bool = False, bridge: Bridge | None = None) -> Run:
    """The same run in exact rational arithmetic (small or tied cases)."""
    profile = data.profile
    budgets = [e] * len(profile.groups)
    util = [[int(x) for x in u] for u in data.util]
    active = set(data.candidates)
    run = Run(endowment=e, free=data.free, rounds=[], certified=watch is not None)
    while True:
        prices = {}
        for j in sorted(active):
            sup = profile.supporters[j].tolist()
            w = profile.weights[sup].tolist()
            if sum(wi * budgets[g] for g, wi in zip(sup, w, strict=True)) < profile.costs[j]:
                active.discard(j)
                continue
            prices[j] = _exact_level(sup, w, util[j], budgets, profile.costs[j])
        if not prices:
            break
        best = min(prices.values())
        tied = [j for j in prices if prices[j] == best]
        winner, decided_by = order.pick(tied) if len(tied) > 1 else (tied[0], "")
        run.certified = run.certified and _still_certified(
            run, watch, winner, prices, set(prices), _threshold(watch, len(run.rounds)), order)
        if _abandons(run, abandon, bridge, partial(_exact_suffix, profile, budgets, active,
                                                   run)):
            return run
        paid = _pay_exact(profile, util[winner], budgets, winner, best)
        paid.tied = tuple(sorted(tied, key=order.keys.__getitem__)) if len(tied) > 1 else ()
        paid.decided_by, paid.prices = decided_by, prices
        run.rounds.append(paid)
        active.discard(winner)
    run.certified = run.certified and len(run.rounds) == len(watch.rounds)
    funded = set(run.sequence)
    run.unfunded = tuple(j for j in data.candidates if j not in funded)
    run.money_left = partial(_exact_money_left, profile, budgets)
    return run


def _exact_suffix(profile: Profile, budgets: list[Fraction], active: set[int],
                  run: Run) -> Suffix:
    """The ``Suffix`` after the rounds paid so far, from exact budgets."""
    fundable = frozenset(q for q in active
                         if _exact_money_left(profile, budgets, q) >= profile.costs[q])
    holders = set().union(*(profile.supporters[q].tolist() for q in fundable))
    most_paid = sum((budgets[g] * int(profile.weights[g]) for g in holders), Fraction(0))
    return _suffix(profile, run, fundable, math.ceil(most_paid))


def _exact_money_left(profile: Profile, budgets: list[Fraction], j: int) -> Fraction:
    return sum((budgets[g] * int(profile.weights[g]) for g in profile.supporters[j].tolist()),
               Fraction(0))


def _exact_level(sup: list[int], w: list[int], u: list[int], budgets: list[Fraction],
                 cost: int) -> Fraction:
    ranked = sorted(range(len(sup)), key=lambda i: budgets[sup[i]] / u[i])
    paid, rich = Fraction(0), sum(wi * ui for wi, ui in zip(w, u, strict=True))
    for i in ranked:
        level = (cost - paid) / rich
        if level * u[i] <= budgets[sup[i]]:
            return level
        paid += w[i] * budgets[sup[i]]
        rich -= w[i] * u[i]
    raise AssertionError("an affordable project always has a water level")


def _pay_exact(profile: Profile, u: list[int], budgets: list[Fraction], j: int,
               alpha: Fraction) -> Purchase:
    full = capped = 0
    capped_paid = Fraction(0)
    for g, ui in zip(profile.supporters[j].tolist(), u, strict=True):
        weight = int(profile.weights[g])
        if budgets[g] < alpha * ui:
            capped += weight
            capped_paid += weight * budgets[g]
            budgets[g] = Fraction(0)
        else:
            full += weight
            budgets[g] -= alpha * ui
    return Purchase(j, alpha, _float_above(alpha), full_payers=full, capped_payers=capped,
                 capped_paid=capped_paid)
