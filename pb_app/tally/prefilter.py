"""What is taken out before counting: the vote-share pre-filter (Świecie 2023, divisor 3)
and projects withdrawn after the vote.

A project is excluded when the share of voters who chose it is below its cost over
``divisor`` times the budget: with divisor 3, a project costing 30% of the budget needs at
least 10% of the voters. Voters stay, even with an emptied ballot: they still count towards
the budget per voter. Shares are compared exactly, as fractions.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from pb_app.tally.explain import StepLog, money
from pb_app.tally.model import Ballot, Election


def exclude_low_share(election: Election, divisor: int, log: StepLog) -> Election:
    """The election without the projects under the share threshold; the step says which."""
    voters = sum(ballot.weight for ballot in election.ballots)
    chosen_by = dict.fromkeys((project.id for project in election.projects), 0)
    for ballot in election.ballots:
        for project_id in set(ballot.projects):
            chosen_by[project_id] += ballot.weight
    excluded = tuple(
        project.id for project in election.projects
        if voters and Fraction(chosen_by[project.id], voters)
        < Fraction(project.cost, divisor * election.budget)
    )
    names = ", ".join(excluded) or "none"
    log.add("prefilter", f"Pre-filter: a project needs a share of voters of at least its cost "
            f"/ ({divisor} x {money(election.budget)}). Excluded: {names}.",
            divisor=divisor, excluded=excluded, voters=voters,
            chosen_by=tuple(chosen_by[project_id] for project_id in excluded))
    if not excluded:
        return election
    return _remove(election, set(excluded))


def exclude_withdrawn(election: Election, withdrawn: tuple[str, ...], log: StepLog) -> Election:
    """The election without the projects withdrawn after the vote; one step for each.

    Their votes are set aside: the rest of every ballot stands (on a ranked ballot, the
    projects ranked below a withdrawn one move up a place).
    """
    gone = set(withdrawn)
    for project in election.projects:
        if project.id in gone:
            log.add("withdrawn", f"{project.id}: withdrawn after the vote, so it cannot be "
                    "funded; its votes are set aside.", project.id, cost=project.cost)
    return _remove(election, gone)


def _remove(election: Election, gone: set[str]) -> Election:
    """The election with the ``gone`` projects taken off the list and off every ballot."""
    return dataclasses.replace(
        election,
        projects=tuple(p for p in election.projects if p.id not in gone),
        ballots=tuple(_without(ballot, gone) for ballot in election.ballots),
    )


def _without(ballot: Ballot, gone: set[str]) -> Ballot:
    """The ballot with the excluded projects (and their points) taken out."""
    kept = [i for i, project_id in enumerate(ballot.projects) if project_id not in gone]
    return Ballot(tuple(ballot.projects[i] for i in kept),
                  tuple(ballot.points[i] for i in kept) if ballot.points else (), ballot.weight)
