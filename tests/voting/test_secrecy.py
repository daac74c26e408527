"""Secrecy by construction: whoever reads the database (or a backup, or a replica) at any
moment cannot join a ballot's choices to the person who cast it.

While voting is open the choices exist only sealed in envelopes to the round's key, which the
database does not hold. When key holders open the box, the choices are written anew as
ballots, all in one transaction, with new random ids and nothing else: the envelopes keep
the channel, day, paper batch and receipt, and nothing joins an envelope to a ballot.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from itertools import combinations

import pytest
from ballotbox.builders import open_sealed
from sqlalchemy import DateTime, Integer, LargeBinary, select, text

from pb_app.audit.models import AuditEntry
from pb_app.ballotbox.models import Ballot, BallotEnvelope, KeyShare
from pb_app.extensions import db
from pb_app.rounds.services import advance_due_rounds
from pb_app.voting.ballots import Choices
from pb_app.voting.models import Participation
from pb_app.voting.receipts import receipt_hash
from voting.builders import close_voting, lead_of, project_ids, resident
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


def every_stored_value() -> str:
    """Every value in every table, as one text: what a hostile reader of a dump would grep."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            for value in row:
                parts.append(value.hex() if isinstance(value, bytes) else str(value))
    return "\n".join(parts)


def _close_by_the_lead(client, sign_in, round_):
    sign_in(lead_of(round_.locality))
    close_voting(client, round_)


def _close_at_its_date(client, sign_in, round_):
    advance_due_rounds(now=round_.voting_close_at + timedelta(minutes=1))


def test_an_opened_ballot_holds_its_choices_and_nothing_else():
    """No person, channel, day, paper batch, receipt or sequence: a lone assisted voter of a
    day, or the only voter at an event, cannot be picked out of the opened ballots."""
    columns = {column.name: column for column in Ballot.__table__.columns}
    assert set(columns) == {"id", "round_id", "choices_json"}
    assert {fk.column.table.name for fk in Ballot.__table__.foreign_keys} == {"round"}
    assert not isinstance(columns["id"].type, Integer)
    envelope = {c.name: c for c in BallotEnvelope.__table__.columns}
    assert isinstance(envelope["sealed_choices"].type, LargeBinary)
    assert "choices_json" not in envelope and "user_id" not in envelope
    assert not any(isinstance(c.type, DateTime) for c in envelope.values())
    uniques = {tuple(c.name for c in constraint.columns)
               for constraint in Participation.__table__.constraints
               if constraint.__class__.__name__ == "UniqueConstraint"}
    assert ("round_id", "person_key") in uniques


def test_while_voting_is_open_no_choice_can_be_read_anywhere_in_the_database(
        client, sign_in, approval_round):
    cast = cast_known_ballots(client, sign_in, approval_round)
    assert db.session.scalar(select(db.func.count()).select_from(Ballot)) == 0
    sealed = db.session.scalars(select(BallotEnvelope)).all()
    assert len(sealed) == VOTERS
    dump = every_stored_value()
    for _, choices, receipt in cast:
        assert choices.to_json() not in dump
        assert receipt not in dump  # only its hash is kept
    # Nor can a running total be taken: each ciphertext is as long as any other of its size,
    # and none carries the choices in the clear.
    for envelope in sealed:
        assert b"projects" not in envelope.sealed_choices
        assert b"points" not in envelope.sealed_choices


@pytest.mark.parametrize("close", [_close_by_the_lead, _close_at_its_date])
def test_opened_ballots_cannot_be_joined_to_participations(client, sign_in, approval_round,
                                                           close, caplog):
    caplog.set_level(logging.DEBUG)
    cast = cast_known_ballots(client, sign_in, approval_round)
    envelope_ids = set(db.session.scalars(select(BallotEnvelope.id)))
    close(client, sign_in, approval_round)
    assert approval_round.phase == "closed"
    assert open_sealed(approval_round) == VOTERS
    db.session.flush()

    ballots = db.session.scalars(select(Ballot).order_by(Ballot.id)).all()
    assert sorted(b.choices_json for b in ballots) == sorted(c.to_json() for _, c, _ in cast)
    assert envelope_ids.isdisjoint(b.id for b in ballots)  # new ids, drawn at the opening
    envelopes = db.session.scalars(select(BallotEnvelope)).all()
    assert {e.id for e in envelopes} == envelope_ids and all(e.is_opened for e in envelopes)
    assert db.session.scalar(select(db.func.count()).select_from(KeyShare)) == 0
    receipts = {e.receipt_hash for e in envelopes}
    assert receipts == {receipt_hash(receipt) for _, _, receipt in cast}

    # No shared value: every ballot field differs from every participation field but the
    # round, the channel and the day, which every ballot of the day shares.
    participations = db.session.scalars(select(Participation)).all()
    participation_values = {str(getattr(p, column.key)) for p in participations
                            for column in Participation.__table__.columns
                            if column.key not in ("round_id", "channel", "voted_on")}
    for ballot in ballots:
        assert {ballot.id, ballot.choices_json}.isdisjoint(participation_values)

    # Neither the ids' order nor the table's own order follows the order people voted in.
    voted_order = [choices.to_json() for _, choices, _ in cast]
    raw = db.session.execute(text("SELECT choices_json FROM ballot")).scalars().all()
    assert [b.choices_json for b in ballots] != voted_order and raw != voted_order

    # The logs and the audit trail never name a ballot, its receipt or its choices.
    logged = caplog.text + " ".join(
        f"{e.object_id} {e.before_json} {e.after_json}"
        for e in db.session.scalars(select(AuditEntry)))
    for ballot in ballots:
        assert ballot.id not in logged and ballot.choices_json not in logged
    for _, _, receipt in cast:
        assert receipt not in logged and receipt_hash(receipt) not in logged


def test_on_postgresql_row_versions_lead_from_a_voter_to_ciphertext_only(client, sign_in,
                                                                         approval_round):
    """A cast writes the participation and the sealed ballot in one transaction, so their
    row versions (xmin) sit side by side: a reader can pair each voter with a ciphertext,
    which they cannot open. The opening writes every ballot in one new transaction: one row
    version for all, shared with no participation, stored in the order of new random ids."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no transaction ids on rows")
    cast = cast_known_ballots(client, sign_in, approval_round)
    assert len(set(db.session.execute(text("SELECT xmin::text FROM ballot_envelope"))
                   .scalars())) == VOTERS
    ciphertexts = db.session.execute(
        text("SELECT sealed_choices FROM ballot_envelope")).scalars().all()
    for _, choices, _ in cast:
        assert not any(choices.to_json().encode() in bytes(c) for c in ciphertexts)
    assert db.session.scalar(text("SELECT count(*) FROM ballot")) == 0

    _close_at_its_date(client, sign_in, approval_round)
    open_sealed(approval_round)
    db.session.flush()
    versions = set(db.session.execute(text("SELECT xmin::text FROM ballot")).scalars())
    assert len(versions) == 1
    participation_versions = set(db.session.execute(
        text("SELECT xmin::text FROM participation")).scalars())
    assert versions.isdisjoint(participation_versions)
    on_disk = list(db.session.execute(text("SELECT id FROM ballot ORDER BY ctid")).scalars())
    assert on_disk == sorted(on_disk)
    assert db.session.scalar(text(
        "SELECT count(*) FROM ballot_envelope WHERE sealed_choices IS NOT NULL")) == 0
