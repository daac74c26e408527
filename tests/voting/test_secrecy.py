"""Secrecy by design: nothing in the stored ballots, their ids, their order or the logs
joins a ballot to the participation row of the person who cast it."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from itertools import combinations

import pytest
from sqlalchemy import DateTime, Integer, select, text

from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.rounds.services import advance_due_rounds
from pb_app.voting.ballots import Choices
from pb_app.voting.models import Ballot, Participation
from pb_app.voting.services import reseal_ballots
from voting.builders import lead_of, project_ids, resident
from voting.helpers import receipt_in, vote

VOTERS = 20


def cast_known_ballots(client, sign_in, round_) -> list[tuple[int, Choices, str]]:
    """Twenty residents vote in turn, each with a different choice; returns
    (user id, choices, receipt) in the order they voted."""
    ids = project_ids(round_)
    options = [c for size in (1, 2, 3) for c in combinations(ids, size)][:VOTERS]
    cast = []
    for number, chosen in enumerate(options):
        user = resident(f"Secret {number}", "TD1 6AA", date(1960 + number, 1, 1))
        sign_in(user)
        response = vote(client, round_.id, [("project", p) for p in chosen])
        cast.append((user.id, Choices(tuple(sorted(chosen))), receipt_in(response.get_data(True))))
    return cast


def test_the_ballot_table_has_no_person_no_time_and_no_sequence():
    columns = {column.name: column for column in Ballot.__table__.columns}
    assert set(columns) == {"id", "round_id", "channel", "cast_on", "receipt_hash",
                            "choices_json", "paper_batch_id"}
    assert {fk.column.table.name for fk in Ballot.__table__.foreign_keys} == {
        "round", "paper_batch"}
    assert not any(isinstance(column.type, DateTime) for column in columns.values())
    assert not isinstance(columns["id"].type, Integer)
    assert "round_id" in {c.name for c in Participation.__table__.columns}
    uniques = {tuple(c.name for c in constraint.columns)
               for constraint in Participation.__table__.constraints
               if constraint.__class__.__name__ == "UniqueConstraint"}
    assert ("round_id", "person_key") in uniques


def test_stored_ballots_cannot_be_joined_to_participations(client, sign_in, approval_round,
                                                          caplog):
    caplog.set_level(logging.DEBUG)
    cast = cast_known_ballots(client, sign_in, approval_round)
    participations = db.session.scalars(
        select(Participation).order_by(Participation.id)).all()
    assert [p.user_id for p in participations] == [user_id for user_id, _, _ in cast]
    ballots = db.session.scalars(select(Ballot).order_by(Ballot.id)).all()
    assert len(ballots) == VOTERS

    # No shared value: every ballot field differs from every participation field but the
    # round, the channel and the day, which every ballot of the day shares.
    participation_values = {str(getattr(p, column.key)) for p in participations
                            for column in Participation.__table__.columns
                            if column.key not in ("round_id", "channel", "voted_on")}
    for ballot in ballots:
        assert {ballot.id, ballot.receipt_hash, ballot.choices_json} \
            .isdisjoint(participation_values)
        assert len(ballot.id) == 32 and int(ballot.id, 16) >= 0
    assert len({(b.channel, b.cast_on) for b in ballots}) == 1

    # Neither the ids' order nor the table's own order follows the order people voted in.
    voted_order = [choices.to_json() for _, choices, _ in cast]
    by_id = [ballot.choices_json for ballot in ballots]
    raw = db.session.execute(text("SELECT choices_json FROM ballot")).scalars().all()
    assert by_id != voted_order
    if db.engine.dialect.name == "sqlite":
        assert raw == by_id  # a table without rowid is stored in random-id order
    reseal_ballots(approval_round)
    db.session.flush()
    raw = db.session.execute(text("SELECT choices_json FROM ballot")).scalars().all()
    assert sorted(raw) == sorted(voted_order) and raw != voted_order

    # The logs and the audit trail never name a ballot, its receipt or its choices.
    logged = caplog.text + " ".join(
        f"{e.object_id} {e.before_json} {e.after_json}"
        for e in db.session.scalars(select(AuditEntry)))
    for ballot in ballots:
        assert ballot.id not in logged and ballot.choices_json not in logged
    for _, _, receipt in cast:
        assert receipt not in logged


def _close_by_the_lead(client, sign_in, round_):
    sign_in(lead_of(round_.locality))
    client.post(f"/rounds/{round_.id}/voting/close")


def _close_at_its_date(client, sign_in, round_):
    advance_due_rounds(now=round_.voting_close_at + timedelta(minutes=1))


@pytest.mark.parametrize("close", [_close_by_the_lead, _close_at_its_date])
def test_after_closing_postgresql_row_versions_and_order_do_not_join_either(
        client, sign_in, approval_round, close):
    """Each cast writes its participation and its ballot moments apart, so before the close
    their row versions (xmin) and their order on disk pair them up. The close, by a lead or
    at the round's date, reseals the ballots: one row version for all, stored in the order
    of their random ids."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no transaction ids on rows")
    cast_known_ballots(client, sign_in, approval_round)
    assert len(_ballot_row_versions()) == VOTERS
    close(client, sign_in, approval_round)
    assert approval_round.phase == "closed"
    assert len(_ballot_row_versions()) == 1
    on_disk = list(db.session.execute(text("SELECT id FROM ballot ORDER BY ctid")).scalars())
    assert on_disk == sorted(on_disk)


def _ballot_row_versions() -> set[str]:
    return set(db.session.execute(text("SELECT xmin::text FROM ballot")).scalars())
