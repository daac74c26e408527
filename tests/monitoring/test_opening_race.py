"""An answer sent while the box is being opened is either opened with it or refused: never
left sealed under a destroyed key. Two real transactions on PostgreSQL (SQLite lets one
writer in at a time, so the race cannot happen there)."""

from __future__ import annotations

import threading

import pytest
from ballotbox.builders import open_sealed
from concurrently import run_together
from sqlalchemy import func, select

from monitoring.builders import answering_round, others_answer
from pb_app.extensions import db
from pb_app.monitoring.models import EqualitiesResponse, SealedResponse
from pb_app.monitoring.services import issue_ticket, record_response
from pb_app.monitoring.suppression import THRESHOLD
from pb_app.rounds.models import Phase, Round

pytestmark = pytest.mark.committing


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_answer_sent_during_the_opening_is_opened_with_the_box(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the row lock is PostgreSQL's")
    with app.app_context():
        round_ = answering_round()
        others_answer(round_)  # one short of the answers an opening writes out
        round_.phase = Phase.CLOSED.value  # answers are taken until the opening
        db.session.commit()
        round_id, token = round_.id, issue_ticket(round_)
        db.session.remove()
    answered = threading.Event()

    def answer() -> None:
        with app.app_context():
            try:
                record_response(token, {"sex": "female"}, None)
            finally:
                answered.set()
            # The opening starts now and must wait for this transaction.
            threading.Event().wait(0.5)
            db.session.commit()
            db.session.remove()

    def open_the_box() -> None:
        with app.app_context():
            answered.wait()
            open_sealed(db.session.get(Round, round_id))
            db.session.commit()
            db.session.remove()

    run_together(answer, open_the_box)
    with app.app_context():
        assert (_count(EqualitiesResponse), _count(SealedResponse)) == (THRESHOLD, 0)
        db.session.remove()
