"""Small elections written by hand for the rule tests."""

from __future__ import annotations

from pb_app.tally.model import Ballot, Election, Project, RuleSpec, TieBreak, VoteType

LEXICO = TieBreak(criteria=(), order="lexico")


def election(
    costs: dict[str, int],
    ballots: list[tuple[str, ...] | dict[str, int]],
    budget: int,
    vote_type: VoteType = VoteType.APPROVAL,
) -> Election:
    """An election from project costs and ballots (tuples: approvals or ranks; dicts: points)."""
    made = []
    for b in ballots:
        if isinstance(b, dict):
            made.append(Ballot(projects=tuple(b), points=tuple(b.values())))
        else:
            made.append(Ballot(projects=tuple(b)))
    return Election(
        projects=tuple(Project(pid, cost) for pid, cost in costs.items()),
        ballots=tuple(made),
        budget=budget,
        vote_type=vote_type,
    )


def spec(rule: str, **options) -> RuleSpec:
    """A rule with the reference implementation's tie order unless told otherwise."""
    options.setdefault("tie_break", LEXICO)
    return RuleSpec(rule=rule, **options)


EXAMPLE_COSTS = {"bike": 700, "gym": 400, "park": 250, "playground": 200, "library": 100}
_SHARED = [
    ("bike", "gym"), ("bike", "gym", "park"), ("bike", "gym"), ("bike", "gym", "park"),
    ("bike", "gym", "park"), ("bike", "gym"), ("park", "playground", "library"),
    ("playground",), ("playground", "library"), ("park", "playground", "library"),
]
EXAMPLE_1 = election(EXAMPLE_COSTS, [*_SHARED, ("bike",)], 1100)
EXAMPLE_2 = election(EXAMPLE_COSTS, [*_SHARED, ("gym",)], 1100)
