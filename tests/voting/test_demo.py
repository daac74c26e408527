"""The demo loader leaves a few hundred ballots in the Eildon round, across channels."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pb_app.extensions import db
from pb_app.rounds.models import Round
from pb_app.voting.services import ballot_count, reconcile_ballots, turnout_by_channel


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
