"""Greedy by support: fund projects from most to least supported while they fit.

- ``greedy``: skip a project that does not fit the money left and carry on;
- ``greedy-no-skip``: stop at the first project that does not fit; with a reserve share
  (Poznań: 80%) that project is still funded, from reserve funds, when the money left covers
  at least that share of its cost;
- ``greedy-threshold``: as ``greedy``, ignoring projects whose support is under the
  threshold.

A threshold is a minimum support (votes or points), a minimum share of the voters, or both;
it applies to ``greedy-threshold`` and ``greedy-no-skip`` (Gdynia counts that way). A project
under it is passed over and never stops the count. Conflict groups ("these projects cannot
both be funded", e.g. two plans for one site) pass over a project once another project of
one of its groups is funded; that never stops the count either.

Support is approvals, or total points for cumulative, scoring and scored ranked ballots.
Projects nobody supported are still funded when money is left (as the reference
implementation does); ``greedy-threshold`` with a threshold of 1 leaves them out. Ties in
support are settled by the declared tie order.
"""

from __future__ import annotations

from dataclasses import dataclass

from pb_app.tally.explain import StepLog, money
from pb_app.tally.model import RuleSpec
from pb_app.tally.support import Profile
from pb_app.tally.tiebreak import TieOrder

FUNDED, TOO_DEAR, STOPPED, BELOW = "funded", "does not fit", "stopped", "below threshold"
RESERVE, CONFLICT = "funded from reserve", "conflict"


@dataclass(frozen=True)
class GreedyOptions:
    """The options of one greedy count, with conflict groups as project indices."""

    variant: str = "greedy"
    threshold: int = 0
    threshold_percent: int = 0
    reserve_percent: int = 0
    conflicts: tuple[tuple[int, ...], ...] = ()

    def is_below(self, profile: Profile, j: int) -> bool:
        """True when project ``j`` misses the minimum support or the minimum share of voters."""
        if self.variant == "greedy":
            return False
        return (profile.support[j] < self.threshold
                or profile.backers[j] * 100 < self.threshold_percent * profile.n_voters)

    def rival(self, j: int, chosen: set[int]) -> int | None:
        """A funded project that cannot be funded together with ``j``, if there is one."""
        return next((k for group in self.conflicts if j in group
                     for k in group if k != j and k in chosen), None)

    def covers(self, left: int, cost: int) -> bool:
        """True when the reserve rule funds a project costing ``cost`` with ``left`` in hand."""
        return bool(self.reserve_percent) and left * 100 >= self.reserve_percent * cost


def greedy_options(spec: RuleSpec, profile: Profile) -> GreedyOptions:
    """The greedy options the rule declares, its conflict groups turned into indices."""
    index = {pid: j for j, pid in enumerate(profile.ids)}
    return GreedyOptions(
        variant=spec.rule, threshold=spec.threshold, threshold_percent=spec.threshold_percent,
        reserve_percent=spec.reserve_percent,
        conflicts=tuple(tuple(index[pid] for pid in group if pid in index)
                        for group in spec.conflicts),
    )


@dataclass(frozen=True)
class Decision:
    """What greedy did with one project, the money left after it, and any rival funded."""

    project: int
    outcome: str
    left: int
    rival: int | None = None


def greedy_decisions(
    profile: Profile,
    order: TieOrder,
    options: GreedyOptions = GreedyOptions(),
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
        if options.is_below(profile, j):
            decisions.append(Decision(j, BELOW, left))
            continue
        if stopped:
            decisions.append(Decision(j, STOPPED, left))
            continue
        rival = options.rival(j, chosen)
        if rival is not None:
            decisions.append(Decision(j, CONFLICT, left, rival))
            continue
        if pos == 0 or profile.support[queue[pos - 1]] != profile.support[j]:
            tied = [k for k in queue[pos:] if profile.support[k] == profile.support[j]
                    and profile.costs[k] <= left]
            if len(tied) > 1:
                ties.append(tied)
        if profile.costs[j] <= left:
            left -= profile.costs[j]
            chosen.add(j)
            decisions.append(Decision(j, FUNDED, left))
        elif options.variant == "greedy-no-skip":
            stopped = True
            funded = options.covers(left, profile.costs[j])
            decisions.append(Decision(j, RESERVE if funded else STOPPED, left))
        else:
            decisions.append(Decision(j, TOO_DEAR, left))
    return decisions, ties


def run_greedy(
    profile: Profile,
    order: TieOrder,
    log: StepLog,
    options: GreedyOptions = GreedyOptions(),
    start: tuple[int, ...] = (),
) -> list[int]:
    """Run greedy, explain every project in order, and return the funded indices in order."""
    decisions, ties = greedy_decisions(profile, order, options, start)
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
        extra = {}
        if d.outcome in (FUNDED, RESERVE):
            funded.append(j)
        if d.outcome == FUNDED:
            text = f"{head} Funded; {money(d.left)} left."
        elif d.outcome == RESERVE:
            reserve = cost - d.left
            extra = {"reserve": reserve, "reserve_percent": options.reserve_percent}
            text = (f"{head} Funded: the {money(d.left)} left covers at least "
                    f"{options.reserve_percent}% of its cost, and reserve funds pay the other "
                    f"{money(reserve)}. The count stops here.")
        elif d.outcome == TOO_DEAR:
            text = f"{head} Not funded: only {money(d.left)} left."
        elif d.outcome == STOPPED:
            text = f"{head} Not funded: the count stopped at the first project that did not fit."
        elif d.outcome == CONFLICT:
            extra = {"rival": profile.ids[d.rival]}
            text = (f"{head} Not funded: it cannot be funded together with "
                    f"{profile.ids[d.rival]}, which is already funded.")
        else:
            text = f"{head} Not considered: {_threshold_words(options, unit)}."
        log.add("greedy", text, profile.ids[j], support=support, cost=cost, left=d.left,
                outcome=d.outcome, **extra)
    return funded


def _threshold_words(options: GreedyOptions, unit: str) -> str:
    """The threshold a project missed, in words."""
    parts = []
    if options.threshold:
        parts.append(f"{money(options.threshold)} {unit}")
    if options.threshold_percent:
        parts.append(f"{options.threshold_percent}% of the voters")
    return "under the threshold of " + " and ".join(parts or [f"0 {unit}"])
