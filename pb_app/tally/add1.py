"""The add1 completion: raise every voter's endowment and rerun MES until it would overspend.

Endowments run over the grid ``e_k = start + k * increment`` with ``start = B/n`` (or
``floor(B/n)`` with integral start). The count keeps the outcome at the last ``e_k`` before
the first one whose outcome overspends; with the exhaustive stop it also stops at the first
outcome to which no further project fits. When every supported project is funded nothing
can change any more, and that outcome is kept.

``search_add1`` finds exactly the ``k`` unit stepping would, without computing every run:
certified jumps (see docs/tally/mes-proofs.md) skip stretches of the grid where the outcome
is constant, and bridged jumps skip stretches where it changes but provably never stops the
search.
``step_add1`` is the plain unit stepping, kept as the reference the tests compare with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import partial

from pb_app.tally.lockstep import runs_at
from pb_app.tally.mes import MesData, Run, Suffix, run_mes
from pb_app.tally.tiebreak import TieOrder

LAST_BATCH = 64  # unit steps run side by side at most, after long stretches of unit steps
BATCH_SUPPORT = 600  # and only where projects have fewer supporters than this on average:
# above it NumPy's work per call outweighs its cost per call, and side by side gains nothing
HOLD = 2  # certified jumps at one size before trying twice the size that failed last
RESTART = 8  # after the outcome changes, jumps restart at this fraction of the longest
# jump before the change (at once, where that is more than two steps)


@dataclass(frozen=True)
class Add1Outcome:
    """The kept run, the run that ended the search (if any), the MES runs computed and the
    grid steps taken.

    ``runs`` measures the search's work: every row of a side-by-side batch counts, also rows
    computed past the point where the search stopped. ``search_add1`` finds the stopper by a
    sequence-only run (``mes.run_mes`` with ``prices=False``): read its sequence, not its
    prices."""

    kept: Run
    stopper: Run | None
    reason: str
    runs: int
    steps: int


def start_endowment(budget: int, n_voters: int, integral: bool) -> Fraction:
    """B/n, or floor(B/n) with integral start."""
    return Fraction(budget // n_voters) if integral else Fraction(budget, n_voters)


def _cost(data: MesData, run: Run) -> int:
    return sum(data.profile.costs[j] for j in run.sequence)


def _stop_reason(data: MesData, run: Run, exhaustive_stop: bool) -> str | None:
    """Why the search ends at this run: overspend, exhaustive, complete, or None."""
    spent = _cost(data, run)
    if spent > data.profile.budget:
        return "overspend"
    funded = set(run.sequence)
    rest = [j for j in data.candidates if j not in funded]
    if not rest:
        return "complete"
    left = data.profile.budget - spent
    if exhaustive_stop and all(data.profile.costs[j] > left for j in rest):
        return "exhaustive"
    return None


def _never_stops(data: MesData, suffix: Suffix, exhaustive_stop: bool) -> bool:
    """Whether no endowment the suffix covers can stop the search (see ``mes.Suffix``).

    Spending stays within the budget when the prefix plus the most the later rounds can pay
    fits. The outcome is never complete when some candidate can be funded neither in the
    prefix nor later; and never exhaustive when such a candidate also fits in what the most
    spending leaves.
    """
    most_spent = suffix.prefix_cost + suffix.most_paid
    never = [data.profile.costs[j] for j in data.candidates
             if j not in suffix.funded and j not in suffix.fundable]
    if most_spent > data.profile.budget or not never:
        return False
    return not exhaustive_stop or min(never) <= data.profile.budget - most_spent


def _finish(previous: Run, current: Run, reason: str, runs: int, steps: int) -> Add1Outcome:
    if reason == "overspend":
        return Add1Outcome(previous, current, reason, runs, steps)
    return Add1Outcome(current, None, reason, runs, steps)


def step_add1(data: MesData, order: TieOrder, start: Fraction, increment: int,
              exhaustive_stop: bool) -> Add1Outcome:
    """Reference: rerun MES at every grid endowment until the stop rule holds."""
    k, current = 0, run_mes(data, order, start)
    previous = current
    while (reason := _stop_reason(data, current, exhaustive_stop)) is None:
        k += 1
        previous, current = current, run_mes(data, order, start + k * increment)
    return _finish(previous, current, reason, k + 1, k)


def search_add1(data: MesData, order: TieOrder, start: Fraction, increment: int,
                exhaustive_stop: bool) -> Add1Outcome:
    """The same outcome as ``step_add1``, jumping over grid points where nothing changes.

    Where the outcome changes at almost every step, speculative jumps are wasted runs: after
    a failed two-step jump the search waits for twice as many unchanged steps in a row
    before it tries again; a successful jump resets that patience. Jumps double while they
    are certified; after a failed jump the search keeps to the size that worked, below the
    one that failed, and tries the larger size again after ``HOLD`` certified jumps (or once
    the outcome changes), since how far a certificate reaches changes slowly. A jump that
    failed because its far end funds something else (``departed``) marks a wall: until the
    outcome changes, later jumps stop short of it. They aim where the two projects of the
    round that differs cross, by interpolating their price gap between the base and the
    wall (``_toward_change``), and halve the distance left where that is unknown, as a
    bisection does; a jump that ends just before a crossing is certified by the bound on
    how fast the winner's price can fall ("Overtaking" in docs/tally/mes-proofs.md). Once the
    outcome has changed, the search restarts at an eighth of the longest jump before the change, at
    once where that is more than two steps (the next change is likely about as far away as
    the last ones were).

    One-step probes are run in batches side by side (``lockstep.runs_at``): a batch holds
    the next grid point, then twice as many each time the search steps through a whole
    batch one unit at a time. Their runs are the same as single sequence-only runs, and
    while the next grid point is in a batch already the search steps to it, jump or not.

    A jump whose certificate breaks may still bridge its stretch: the rounds it certified
    bound what every endowment in between can spend (``mes.Suffix``), and when that shows no
    stop rule can fire there (``_never_stops``), the run goes on to the end and becomes the
    next base, like a certified jump. The search only needs the first endowment that stops
    it, not every outcome before it.

    The search only reads funded sequences and certificates, so its runs skip exact prices
    (``prices=False``) and a jump of more than one step gives up at its first uncertified
    round; the kept run is then redone with exact prices for the explanation. A one-step
    probe needs no certificate: there is no grid point between, and its sequence is exact.
    Jump sizes only decide how many runs the search takes, never where it stops: it moves
    only by unit steps and by certified or bridged jumps.
    """
    outcome = _search(data, order, start, increment, exhaustive_stop)
    kept = run_mes(data, order, outcome.kept.endowment)
    return Add1Outcome(kept, outcome.stopper, outcome.reason, outcome.runs + 1, outcome.steps)


class _UnitSteps:
    """Sequence-only runs at single grid points, computed ahead in batches."""

    def __init__(self, data: MesData, order: TieOrder, start: Fraction, increment: int) -> None:
        self.data, self.order, self.start, self.increment = data, order, start, increment
        self.ahead: dict[int, Run | None] = {}
        self.size, self.end, self.runs = 1, 0, 0
        support = sum(len(data.profile.supporters[j]) for j in data.candidates)
        self.limit = LAST_BATCH if support <= BATCH_SUPPORT * len(data.candidates) else 1

    def run(self, k: int) -> Run:
        """The run at grid point k (alone, where the batch could not certify it)."""
        if k not in self.ahead:
            self.size = min(2 * self.size, self.limit) if k == self.end else 1
            points = range(k, k + self.size)
            endowments = [self.endowment(i) for i in points]
            batch = (runs_at(self.data, self.order, endowments) if self.size > 1
                     else [run_mes(self.data, self.order, endowments[0], prices=False)])
            self.ahead, self.end = dict(zip(points, batch, strict=True)), k + self.size
            self.runs += self.size
        run = self.ahead.pop(k)
        if run is None:
            self.runs += 1
            run = run_mes(self.data, self.order, self.endowment(k), prices=False)
        return run

    def endowment(self, k: int) -> Fraction:
        """The endowment at grid point k."""
        return self.start + k * self.increment


def _toward_change(base: Run, wall: Run, distance: int) -> int:
    """A jump from ``base`` towards the grid point just before the first outcome change
    below ``wall``, a run ``distance`` steps further that departed from it.

    The round where ``wall`` departs has another winner there than in ``base``: the price gap
    between the two projects, interpolated linearly between the two runs, estimates where
    they cross. Halfway where either price is not known. The estimate only chooses the next
    probe, which certifies or departs like any other: it never decides where the search
    stops.
    """
    halfway = max(1, distance // 2)
    departure = wall.departure
    if departure.round >= len(base.rounds):
        return halfway
    near = base.rounds[departure.round]
    kept, rival = near.project, departure.project
    if rival not in near.prices or kept not in near.prices or kept not in departure.prices:
        return halfway
    gap_near = float(near.prices[rival] - near.prices[kept])
    gap_far = float(departure.prices[rival] - departure.prices[kept])
    if not gap_far < 0 <= gap_near:
        return halfway
    return min(max(1, int(distance * gap_near / (gap_near - gap_far))), max(1, distance - 1))


def _search(data: MesData, order: TieOrder, start: Fraction, increment: int,
            exhaustive_stop: bool) -> Add1Outcome:
    """``search_add1`` on sequence-only runs."""
    units = _UnitSteps(data, order, start, increment)
    never_stops = partial(_never_stops, data, exhaustive_stop=exhaustive_stop)
    k, base, runs = 0, run_mes(data, order, start, prices=False), 1
    reason = _stop_reason(data, base, exhaustive_stop)
    if reason is not None:
        return _finish(base, base, reason, runs, k)
    jump, streak, patience = 1, 0, 1
    too_far, held, wall, longest, wall_run = math.inf, 0, math.inf, 0, None
    while True:
        if k + 1 in units.ahead:  # computed already: a free unit step beats any jump
            jump = 1
        if k + jump >= wall:
            jump = _toward_change(base, wall_run, wall - k)
        if jump == 1:
            probe = units.run(k + 1)
        else:
            probe = run_mes(data, order, units.endowment(k + jump), watch=base, prices=False,
                            abandon=True, bridge=never_stops)
            runs += 1
        if probe.certified or probe.bridged:
            wall = math.inf if probe.bridged else wall
            longest = max(longest, jump)
            k, base, streak, patience, held = k + jump, probe, streak + 1, 1, held + 1
            if held >= HOLD:
                too_far, held = math.inf, 0
            if 2 * jump < too_far:
                jump *= 2
            continue
        if probe.departed:
            wall, wall_run = k + jump, probe
        if jump > 2:
            too_far, held = jump, 0
            jump = _toward_change(base, probe, jump) if probe.departed else jump // 2
            continue
        if jump == 2:
            jump, streak, patience = 1, 0, patience * 2
            continue
        k += 1
        reason = _stop_reason(data, probe, exhaustive_stop)
        if reason is not None:
            return _finish(base, probe, reason, runs + units.runs, k)
        if probe.sequence == base.sequence:
            streak += 1
            jump = 2 if streak >= patience else 1
        else:
            streak, too_far, wall = 0, math.inf, math.inf
            jump = longest // RESTART if longest >= 3 * RESTART else 1
            longest = 0
        base = probe
