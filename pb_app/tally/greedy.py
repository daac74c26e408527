"""Greedy by support: fund projects from most to least supported while they fit.

- ``greedy``: skip a project that does not fit the money left and carry on;
- ``greedy-no-skip``: stop at the first project that does not fit;
- ``greedy-threshold``: as ``greedy``, ignoring projects whose support is under the
  threshold.

Support is approvals, or total points for cumulative, scoring and scored ranked ballots.
Projects nobody supported are still funded when money is left (as the reference
implementation does); ``greedy-threshold`` with a threshold of 1 leaves them out. Ties in
support are settled by the declared tie order.
"""

from __future__ import annotations

from dataclasses import dataclass

from pb_app.tally.explain import StepLog, money
from pb_app.tally.support import Profile
from pb_app.tally.tiebreak import TieOrder

FUNDED, TOO_DEAR, STOPPED, BELOW = "funded", "does not fit", "stopped", "below threshold"


@dataclass(frozen=True)
class Decision:
    """What greedy did with one project and the money left after it."""

    project: int
    outcome: str
    left: int


def greedy_decisions(
    profile: Profile,
    order: TieOrder,
    variant: str = "greedy",
    threshold: int = 0,
    start: tuple[int, ...] = (),
) -> tuple[list[Decision], list[list[int]]]:
    """Run greedy from an initial selection; return the decisions and the ties met.

    A tie is met when two or more projects with equal support could each still be funded
    at the moment the first of them is reached: the tie order then decides who goes first.
    """
    left = profile.budget - sum(profile.costs[j] for j in start)
    chosen = set(start)
    queue = sorted(
        (j for j in range(len(profile.ids)) if j not in chosen),
        key=lambda j: (-profile.support[j], order.keys[j]),
    )
    decisions: list[Decision] = []
    ties: list[list[int]] = []
    stopped = False
    for pos, j in enumerate(queue):
        if variant == "greedy-threshold" and profile.support[j] < threshold:
            decisions.append(Decision(j, BELOW, left))
            continue
        if stopped:
            decisions.append(Decision(j, STOPPED, left))
            continue
        if pos == 0 or profile.support[queue[pos - 1]] != profile.support[j]:
            tied = [k for k in queue[pos:] if profile.support[k] == profile.support[j]
                    and profile.costs[k] <= left]
            if len(tied) > 1:
                ties.append(tied)
        if profile.costs[j] <= left:
            left -= profile.costs[j]
            decisions.append(Decision(j, FUNDED, left))
        else:
            stopped = variant == "greedy-no-skip"
            decisions.append(Decision(j, STOPPED if stopped else TOO_DEAR, left))
    return decisions, ties


def run_greedy(
    profile: Profile,
    order: TieOrder,
    log: StepLog,
    variant: str = "greedy",
    threshold: int = 0,
    start: tuple[int, ...] = (),
) -> list[int]:
    """Run greedy, explain every project in order, and return the funded indices in order."""
    decisions, ties = greedy_decisions(profile, order, variant, threshold, start)
    tie_at = {group[0]: group for group in ties}
    unit = "votes" if profile.is_approval else "points"
    funded: list[int] = []
    for d in decisions:
        j = d.project
        if j in tie_at:
            winner, decided_by = order.pick(tie_at[j])
            log.tie([profile.ids[k] for k in tie_at[j]], profile.ids[winner], decided_by)
        cost, support = profile.costs[j], profile.support[j]
        head = f"{profile.ids[j]}: {money(support)} {unit}, cost {money(cost)}."
        if d.outcome == FUNDED:
            funded.append(j)
            text = f"{head} Funded; {money(d.left)} left."
        elif d.outcome == TOO_DEAR:
            text = f"{head} Not funded: only {money(d.left)} left."
        elif d.outcome == STOPPED:
            text = f"{head} Not funded: the count stopped at the first project that did not fit."
        else:
            text = f"{head} Not considered: under the threshold of {money(threshold)} {unit}."
        log.add("greedy", text, profile.ids[j], support=support, cost=cost, left=d.left,
                outcome=d.outcome)
    return funded
