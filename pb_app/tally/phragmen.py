"""Sequential Phragmén for approval ballots, exactly as the reference implementation runs it.

Voters earn virtual money continuously; a project is bought as soon as its supporters
together hold its cost, and each supporter's load becomes the project's new maximum load
``(sum of supporters' loads + cost) / supporters``. The project with the smallest new
maximum load is bought next (ties by the declared order); the count stops as soon as that
project (or any project tied with it) does not fit the money left. Loads are exact
fractions; a float screen with a proven relative margin only picks which ones to compute
exactly (all terms are positive, so float error is below (rounds + 2) x 2^-53 relative).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from pb_app.tally.explain import StepLog, approx, money
from pb_app.tally.support import Profile
from pb_app.tally.tiebreak import TieOrder

SCREEN = 1e-9


def run_phragmen(profile: Profile, order: TieOrder, log: StepLog) -> list[int]:
    """Run sequential Phragmén and return the bought project indices in order."""
    n_proj = len(profile.ids)
    inc_proj = np.concatenate([np.full(len(s), j) for j, s in enumerate(profile.supporters)]
                              + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    inc_group = np.concatenate(list(profile.supporters) + [np.zeros(0, dtype=np.int64)])
    inc_weight = profile.weights[inc_group].astype(np.float64)
    last = np.zeros(len(profile.groups), dtype=np.int64)  # 0: no load yet; r + 1: round r
    loads: list[Fraction] = [Fraction(0)]
    remaining = [j for j in range(n_proj) if profile.costs[j] <= profile.budget]
    spent = 0
    bought: list[int] = []
    while remaining:
        rounds = len(loads)
        counts = np.bincount(inc_proj * rounds + last[inc_group], weights=inc_weight,
                             minlength=n_proj * rounds).reshape(n_proj, rounds)
        best, tied = _cheapest(profile, remaining, counts, loads)
        if any(spent + profile.costs[j] > profile.budget for j in tied):
            blocked = next(j for j in tied if spent + profile.costs[j] > profile.budget)
            log.add("phragmen-stop",
                    f"{profile.ids[blocked]} would be bought next ({_load_text(best)}) but costs "
                    f"{money(profile.costs[blocked])} with only {money(profile.budget - spent)} "
                    "left, so the count stops.", profile.ids[blocked], load=best)
            break
        if len(tied) > 1:
            winner, decided_by = order.pick(tied)
            log.tie([profile.ids[j] for j in tied], profile.ids[winner], decided_by)
        else:
            winner = tied[0]
        spent += profile.costs[winner]
        remaining.remove(winner)
        bought.append(winner)
        log.add("phragmen", f"{profile.ids[winner]} bought: {money(profile.backers[winner])} "
                f"supporters, cost {money(profile.costs[winner])}, {_load_text(best)}; "
                f"{money(profile.budget - spent)} left.", profile.ids[winner], load=best,
                cost=profile.costs[winner], left=profile.budget - spent)
        if best is not None:
            last[profile.supporters[winner]] = len(loads)
            loads.append(best)
    return bought


def _load_text(load: Fraction | None) -> str:
    if load is None:
        return "nobody supports it"
    return f"each supporter's load becomes {approx(load)}"


def _cheapest(
    profile: Profile, remaining: list[int], counts: np.ndarray, loads: list[Fraction]
) -> tuple[Fraction | None, list[int]]:
    """The smallest new maximum load (None: no remaining project has support) and who has it."""
    supported = [j for j in remaining if profile.backers[j] > 0]
    if not supported:
        return None, list(remaining)
    loads_f = np.array([float(x) for x in loads])
    screen = {j: (counts[j] @ loads_f + profile.costs[j]) / profile.backers[j] for j in supported}
    low = min(screen.values())
    near = [j for j in supported if screen[j] <= low * (1 + SCREEN)]
    exact = {j: _new_load(profile, j, counts, loads) for j in near}
    best = min(exact.values())
    return best, [j for j in near if exact[j] == best]


def _new_load(profile: Profile, j: int, counts: np.ndarray, loads: list[Fraction]) -> Fraction:
    total = sum((load * int(c) for load, c in zip(loads, counts[j], strict=True) if c), Fraction(0))
    return (total + profile.costs[j]) / profile.backers[j]
