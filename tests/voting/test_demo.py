"""The demo loader leaves a few hundred ballots in the Eildon round, across channels, and a
resident who has not voted yet."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pb_app.accounts.models import User
from pb_app.extensions import db
from pb_app.rounds.models import Round
from pb_app.voting.services import ballot_count, reconcile_ballots, turnout_by_channel
from voting.builders import project_ids
from voting.helpers import receipt_in, vote


@pytest.mark.committing
def test_demo_load_casts_ballots_on_every_staffed_and_online_channel(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.phase == "voting"))
        turnout = turnout_by_channel(round_)
        assert turnout["paper"] == 160 and turnout["assisted"] == 40 and turnout["online"] > 50
        assert ballot_count(round_) == sum(turnout.values())
        assert f"{turnout['online']} online, 160 on paper in 2 batches" in result.output
        assert reconcile_ballots(round_) == []
        db.session.remove()


@pytest.mark.committing
def test_the_printed_resident_can_propose_vote_and_check_a_receipt(app, runner, client, sign_in):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("Resident"))
    assert "to propose, vote and check a receipt: resident@example.org / " in line
    with app.app_context():
        newcomer = db.session.scalar(select(User).where(User.email == "resident@example.org"))
        voting = db.session.scalar(select(Round).where(Round.phase == "voting"))
        ideas = db.session.scalar(select(Round).where(
            Round.phase == "proposals-open", Round.locality_id == newcomer.locality_id))
        sign_in(newcomer)
        locality_page = client.get(f"/localities/{newcomer.locality.slug}").get_data(as_text=True)
        assert f'id="vote-{voting.id}"' in locality_page
        assert f'href="/rounds/{ideas.id}/proposals/new"' in locality_page
        assert client.get(f"/rounds/{ideas.id}/proposals/new").status_code == 200
        voted = vote(client, voting.id, [("project", project_ids(voting)[0])])
        code = receipt_in(voted.get_data(as_text=True))
        checked = client.post(f"/rounds/{voting.id}/receipt", data={"receipt": code})
        assert checked.status_code == 200
        assert "Your ballot is in the ballot box" in checked.get_data(as_text=True)
        db.session.remove()


@pytest.mark.committing
def test_the_listed_residents_who_have_not_voted_can_each_vote_online(app, runner, client,
                                                                      sign_in):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines()
                if line.startswith("Residents of Eildon who have not voted yet"))
    emails = line.split(": ")[1].split(", ")
    assert len(emails) == 5
    with app.app_context():
        voting = db.session.scalar(select(Round).where(Round.phase == "voting"))
        online = turnout_by_channel(voting)["online"]
        for email in emails:
            resident = db.session.scalar(select(User).where(User.email == email))
            assert resident.locality_id == voting.locality_id
            sign_in(resident)
            voted = vote(client, voting.id, [("project", project_ids(voting)[1])])
            assert receipt_in(voted.get_data(as_text=True))
        assert turnout_by_channel(voting)["online"] == online + 5
        db.session.remove()

