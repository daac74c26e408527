"""A lead removing a photo from a fixed ballot while the round moves on: the removal marks the
round (``voting.projects``) and both write the audit trail, so both must take the round's lock
before the trail's, or each waits for the other. Two real transactions on PostgreSQL (SQLite
lets one writer in at a time)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from concurrently import run_together
from pictures import images
from sqlalchemy import func, select

from pb_app.accounts.models import GROUP_LEAD, RoleGrant, User
from pb_app.audit.services import record_event
from pb_app.extensions import db
from pb_app.pictures.models import Photo
from pb_app.pictures.services import add_photo, remove_photo
from pb_app.proposals.models import Proposal
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.services import lock_round
from voting.builders import place, resident, voting_round

pytestmark = pytest.mark.committing


def test_a_photo_removed_while_the_round_moves_on_stops_neither(app, tmp_path, monkeypatch):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the row locks are PostgreSQL's")
    monkeypatch.setitem(app.config, "PICTURES_STORAGE", "disk")
    monkeypatch.setitem(app.config, "PICTURES_DIR", str(tmp_path / "pictures"))
    with app.app_context():
        locality = place("Eildon", "TD1")
        round_ = voting_round(locality)
        lead = resident("Lead", "TD1 1AA", date(1975, 5, 5))
        db.session.add(RoleGrant(user=lead, role=GROUP_LEAD, locality=locality))
        first = db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id)
                                   .order_by(Proposal.id)).first()
        round_.phase = Phase.REVIEW.value
        photo = add_photo(first, lead, images.plain("JPEG"), "soup.jpg", "Soup at the hall")
        round_.phase = Phase.VOTING.value
        db.session.commit()
        round_id, photo_id, lead_id = round_.id, photo.id, lead.id
        version = round_.ballot_version
        db.session.remove()
    round_locked = threading.Event()

    def move_on() -> None:  # as a phase move: the round's lock, then the trail's
        with app.app_context():
            lock_round(db.session.get(Round, round_id))
            round_locked.set()
            threading.Event().wait(0.5)  # the removal starts meanwhile
            record_event("round.checked", round_id=round_id)
            db.session.commit()
            db.session.remove()

    def remove() -> None:
        with app.app_context():
            round_locked.wait()
            remove_photo(db.session.get(Photo, photo_id), db.session.get(User, lead_id))
            db.session.commit()
            db.session.remove()

    run_together(move_on, remove)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
        assert db.session.get(Round, round_id).ballot_version != version
