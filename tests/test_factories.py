"""The factories make what their docstrings say, so a test built on them starts where it
thinks it does: a proposal that passes its checks, and each shape of round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import (
    ROUND_DAY,
    VOTING_CLOSES_AT,
    VOTING_DAY,
    BallotFactory,
    ProposalFactory,
    RoundFactory,
)
from sqlalchemy import select

from pb_app.ballotbox.models import Ballot, BallotEnvelope
from pb_app.extensions import db
from pb_app.proposals.services import run_checks
from pb_app.rounds.models import Phase
from pb_app.rounds.services import advance_due
from pb_app.voting.ballots import Choices
from pb_app.voting.models import Participation


def test_a_proposal_passes_every_automatic_check_until_a_part_is_missing():
    proposal = ProposalFactory()
    checks = run_checks(proposal)
    assert [check.name for check in checks] == ["required", "cost", "locality"]
    assert all(check.passed for check in checks)
    assert proposal.status == "submitted" and proposal.cost_lines[0].amount_pence == 120_000
    proposal.description = ""
    assert not run_checks(proposal)[0].passed


def test_an_accepted_proposal_is_on_the_ballot_of_the_round_it_is_given():
    round_ = RoundFactory(to_count=True)
    proposal = ProposalFactory(accepted=True, round=round_, cost_pence=5_000)
    assert (proposal.status, proposal.round_id) == ("accepted", round_.id)
    assert proposal.priorities == ["Early intervention and prevention"]
    assert not run_checks(proposal)[1].passed  # £50 is under the round's £100 floor


def test_a_draft_round_has_its_dates_a_month_apart_around_the_round_day():
    round_ = RoundFactory()
    assert round_.phase == Phase.DRAFT and round_.budget_pence == 2_000_000
    assert [round_.proposals_open_at, round_.proposals_close_at, round_.voting_open_at,
            round_.voting_close_at] == [ROUND_DAY + timedelta(days=days)
                                        for days in (-30, 30, 60, 90)]
    assert round_.lottery_seed == f"seed-{round_.locality.slug}"


def test_a_round_in_voting_is_open_now_and_stays_open():
    round_ = RoundFactory(in_voting=True, budget_pence=700_000)
    now = datetime.now(UTC)
    assert round_.voting_open_at < now < round_.voting_close_at == VOTING_CLOSES_AT
    assert round_.max_project_cost_pence == 700_000  # any project up to the whole budget
    assert advance_due(round_, now=now) is None and round_.phase == Phase.VOTING


def test_a_round_to_count_is_closed_undated_in_a_locality_of_a_thousand():
    round_ = RoundFactory(to_count=True)
    assert (round_.phase, round_.budget_pence, round_.locality.population) == (
        Phase.CLOSED, 1_000_000, 1000)
    assert round_.voting_open_at is round_.voting_close_at is None


def test_a_ballot_leaves_one_participation_and_one_opened_ballot_with_its_choices():
    round_ = RoundFactory(to_count=True)
    chosen = [ProposalFactory(accepted=True, round=round_) for _ in range(2)]
    receipt = BallotFactory(round=round_, chosen=chosen, channel="assisted", age=70)
    participation = db.session.scalars(select(Participation)).one()
    assert (participation.channel, participation.age_years, participation.voted_on) == (
        "assisted", 70, VOTING_DAY)
    assert participation.helper_id == participation.user_id
    assert db.session.scalars(select(BallotEnvelope.channel)).all() == ["assisted"]
    ballot = db.session.scalars(select(Ballot)).one()
    assert Choices.from_json(ballot.choices_json).projects == tuple(sorted(str(p.id)
                                                                           for p in chosen))
    assert isinstance(receipt, str) and receipt
