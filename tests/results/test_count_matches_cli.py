"""The in-app count of a real election, sealed, opened and counted through the app, funds what
``flask tally run`` funds on the same file, with the same support and allocation."""

from __future__ import annotations

import json
from secrets import token_hex

import pytest
from ballotbox.builders import open_sealed, sealed
from factories import VOTING_DAY, RoundFactory
from tally.real_elections import ELECTIONS

from pb_app.ballotbox.services import seal_ballot
from pb_app.extensions import db
from pb_app.results.services import count_round
from pb_app.rounds.models import Phase
from pb_app.rounds.services import move_round
from pb_app.tally.model import Election, VoteType
from pb_app.tally.pabulib import read_pb
from pb_app.voting.ballots import Choices
from pb_app.voting.models import Participation
from results.builders import make_projects, staff

# One file a ballot type, each counted by greedy without a tie (so project ids never decide).
FILES = {
    "approval": "Netherlands_Amsterdam_522.pb",
    "cumulative": "Poland_Czestochowa_2020_Zawodzie_-_Dabie.pb",
    "ordinal": "US_Stanford_Dataset_PB_Chicago_47th_Ward_2020_vote_rankings.pb",
}


def round_of(election: Election, ballot_type: str):
    """A round in voting with the election's projects, its box sealed; returns the round and
    the map from the file's project ids to the round's."""
    round_ = RoundFactory(to_count=True, phase=Phase.VOTING, ballot_type=ballot_type,
                          tie_break="lexico", budget_pence=election.budget,
                          max_project_cost_pence=max(p.cost for p in election.projects))
    projects = make_projects(round_, {f"{p.id} {p.name}"[:200]: p.cost
                                      for p in election.projects})
    sealed(round_)
    return round_, {p.id: str(proposal.id)
                    for p, proposal in zip(election.projects, projects, strict=True)}


def cast_all(round_, election: Election, ids: dict[str, str]) -> int:
    """Every voter of the election as a participation and a sealed ballot; returns how many."""
    voters = 0
    for ballot in election.ballots:
        chosen = tuple(ids[p] for p in ballot.projects)
        if election.vote_type is VoteType.APPROVAL:
            chosen = tuple(sorted(chosen))
        for _ in range(ballot.weight):
            voters += 1
            db.session.add(Participation(round_id=round_.id, person_key=f"voter-{voters}",
                                         channel="online", age_years=40, voted_on=VOTING_DAY))
            seal_ballot(round_, choices_json=Choices(chosen, ballot.points).to_json(),
                        receipt_hash=token_hex(32), channel="online", day=VOTING_DAY,
                        batch_id=None)
    db.session.flush()
    return voters


@pytest.mark.parametrize(("ballot_type", "name"), FILES.items())
def test_the_count_of_a_real_election_is_the_command_lines(runner, ballot_type, name):
    path = ELECTIONS / name
    if not path.exists():
        pytest.skip(f"{name} is not among the shared elections")
    election = read_pb(path)
    cli = runner.invoke(args=["tally", "run", str(path), "--rule", "greedy", "--json"])
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.output)
    assert not expected["ties"]

    round_, ids = round_of(election, ballot_type)
    voters = cast_all(round_, election, ids)
    lead, _, _ = staff(round_)
    move_round(round_, lead, Phase.CLOSED)
    assert open_sealed(round_) == voters
    snapshot = count_round(round_, lead)

    assert snapshot.ballot_count == voters == sum(b.weight for b in election.ballots)
    assert json.loads(snapshot.winners_json) == [ids[p] for p in expected["selected"]]
    assert json.loads(snapshot.allocation_json) == [[ids[p], cost]
                                                    for p, cost in expected["allocation"]]
    assert json.loads(snapshot.support_json) == {ids[p]: n for p, n in expected["support"]}
    assert snapshot.spent_pence == expected["spent"]
