"""Closing voting reads no ballot; opening the box writes every ballot once, in the order of
its new id, with set-based SQL."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from secrets import token_hex

import pytest
from sql_sent import sql_sent
from sqlalchemy import func, select, text
from voting.builders import lead_of, place, project_ids, voting_round

from ballotbox.builders import open_sealed
from pb_app.ballotbox import services
from pb_app.ballotbox.models import Ballot, BallotEnvelope
from pb_app.ballotbox.services import seal_ballot, sealed_count
from pb_app.extensions import db
from pb_app.rounds.models import Phase
from pb_app.rounds.services import move_round
from pb_app.voting.ballots import Choices
from pb_app.voting.services import close_voting

NOW = datetime.now(UTC)
BALLOT_TABLES = re.compile(r"\b(FROM|UPDATE|INTO) (ballot|ballot_envelope)\b")


def seal_some(round_, how_many: int) -> Counter[str]:
    """Seal ``how_many`` ballots into the round's box (as casting does); returns their
    choices JSON, counted."""
    ids = project_ids(round_)
    sealed: Counter[str] = Counter()
    for number in range(how_many):
        choices = Choices(tuple(sorted(ids[: 1 + number % len(ids)]))).to_json()
        seal_ballot(round_, choices_json=choices, receipt_hash=token_hex(32),
                    channel="online", day=NOW.date(), batch_id=None)
        sealed[choices] += 1
    return sealed


def closed_round_with(how_many: int, postcode_area: str):
    """A round with ``how_many`` sealed ballots whose voting has closed."""
    round_ = voting_round(place(f"Locality {postcode_area}", postcode_area))
    sealed = seal_some(round_, how_many)
    move_round(round_, lead_of(round_.locality), Phase.CLOSED, now=NOW)
    return round_, sealed


def test_closing_voting_reads_no_ballot_only_counts_the_envelopes():
    for how_many, area in ((2, "TD1"), (30, "TD2")):
        round_ = voting_round(place(f"Locality {area}", area))
        seal_some(round_, how_many)
        lead = lead_of(round_.locality)
        with sql_sent() as sent:
            assert close_voting(round_, lead, NOW) == how_many
        on_ballots = [s for s, _ in sent if BALLOT_TABLES.search(s)]
        assert len(on_ballots) == 1 and on_ballots[0].startswith("SELECT count(*)")


def opened_choices(round_) -> Counter[str]:
    """The round's opened ballots' choices JSON, counted."""
    return Counter(db.session.scalars(select(Ballot.choices_json)
                                      .where(Ballot.round_id == round_.id)))


def test_opening_writes_each_sealed_ballot_once_and_empties_every_envelope(monkeypatch):
    monkeypatch.setattr(services, "BATCH", 4)  # several batches, of which the last is short
    round_, sealed = closed_round_with(11, "TD1")
    assert open_sealed(round_) == 11
    assert opened_choices(round_) == sealed
    emptied = db.session.scalar(select(func.count()).select_from(BallotEnvelope).where(
        BallotEnvelope.round_id == round_.id, BallotEnvelope.sealed_choices.is_(None)))
    assert (emptied, sealed_count(round_)) == (11, 0)


def test_the_statements_an_opening_sends_grow_with_the_batches_not_the_ballots(monkeypatch):
    monkeypatch.setattr(services, "BATCH", 4)
    small, _ = closed_round_with(2, "TD1")
    large, _ = closed_round_with(2 + 3 * 4, "TD2")
    with sql_sent() as for_small:
        open_sealed(small)
    with sql_sent() as for_large:
        open_sealed(large)
    # Three more batches of ballots at most (one COPY on PostgreSQL), never one per ballot.
    assert len(for_large) - len(for_small) <= 3
    assert sum("UPDATE ballot_envelope" in s for s, _ in for_large) == 1


def test_opened_ballots_are_stored_in_the_order_of_their_ids_not_of_their_envelopes():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's ballot table has no rowid: it is stored in id order by itself")
    round_, _ = closed_round_with(40, "TD1")
    open_sealed(round_)
    stored = db.session.scalars(text("SELECT id FROM ballot WHERE round_id = :r ORDER BY ctid"),
                                {"r": round_.id}).all()
    assert len(stored) == 40 and stored == sorted(stored)
