"""A round's stored ballots and declared rules, as the tally core's plain data.

This is the one place that turns a round, its proposals and its ballots (as voting reads them)
into the count's input: the election (projects on the ballot, anonymous ballots, budget) and
the fully specified rule with its tie-break (the lottery seed is revealed here). Each
project's support is the tally's own, in its result.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from itertools import repeat

from pb_app.rounds.models import Round
from pb_app.rounds.rules import BALLOT_TYPES, GREEDY_RULES, LOTTERY_TIE_BREAK, RuleKind
from pb_app.tally.model import Ballot, Election, Project, RuleSpec, TieBreak, VoteType
from pb_app.voting.services import ballot_proposals, opened_ballots


@dataclass(frozen=True)
class CountInput:
    """What a count reads: the election, and the anonymised ballots as CSV."""

    election: Election
    ballots_csv: str


def build_count_input(round_: Round) -> CountInput:
    """The round as an election, plus the published CSV of its ballots (vote, points): no
    receipt, so a receipt shown to someone never shows them how its holder voted.

    Identical ballots are read, parsed and written once each, with their number.
    Raises Conflict while sealed ballots wait in the round's ballot box.
    """
    opened = opened_ballots(round_)
    projects = tuple(
        Project(id=str(p.id), cost=p.cost_pence, name=p.title)
        for p in ballot_proposals(round_)
    )
    election = Election(
        projects=projects,
        ballots=tuple(Ballot(projects=choices.projects, points=choices.points, weight=count)
                      for choices, count in opened),
        budget=round_.budget_pence,
        vote_type=VoteType(BALLOT_TYPES[round_.ballot_type].tally_vote_type),
        meta=_meta(round_),
    )
    return CountInput(election, _ballots_csv(election.ballots))


def _ballots_csv(ballots: tuple[Ballot, ...]) -> str:
    """The published CSV: one row (vote, points) per ballot, each content ``weight`` times."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["vote", "points"])
    for ballot in ballots:
        writer.writerows(repeat([",".join(ballot.projects), ",".join(map(str, ballot.points))],
                                ballot.weight))
    return out.getvalue()


def _meta(round_: Round) -> tuple[tuple[str, str], ...]:
    return (
        ("description", round_.title),
        ("country", "United Kingdom"),
        ("unit", round_.locality.name),
        ("instance", str(round_.id)),
        ("currency", "GBP"),
        ("comment", "Costs and budget are in pence."),
        ("rule", round_.tally_rule),
    )


def rule_spec_for(round_: Round) -> RuleSpec:
    """The round's declared rule and tie-break, every option explicit (the seed included).

    A greedy round's threshold and conflict groups are as ``Round.greedy_options`` reads them;
    projects withdrawn after the vote are never funded, by any rule.
    For ``mes`` the round's comparison ``satisfaction`` is the comparison step and
    ``exhaustive`` the exhaustive stop.
    """
    if round_.tie_break == LOTTERY_TIE_BREAK:
        tie_break = TieBreak(order="lottery", seed=round_.lottery_seed)
    else:
        tie_break = TieBreak(order="lexico")
    params = round_.tally_params or {}
    on_ballot = {str(p.id) for p in ballot_proposals(round_)}
    withdrawn = tuple(sorted(pid for pid in round_.withdrawn_after_vote if pid in on_ballot))
    if round_.tally_rule in GREEDY_RULES:
        return RuleSpec(tie_break=tie_break, withdrawn=withdrawn,
                        **round_.greedy_options(on_ballot))
    if round_.tally_rule == RuleKind.MES:
        return RuleSpec(
            rule=RuleKind.MES.value,
            completion=params.get("completion", "add1"),
            comparison=params.get("comparison") == "satisfaction",
            exhaustive_stop=params.get("comparison") == "exhaustive",
            tie_break=tie_break,
            withdrawn=withdrawn,
        )
    return RuleSpec(rule=round_.tally_rule, tie_break=tie_break, withdrawn=withdrawn)
