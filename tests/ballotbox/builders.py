"""Builders for rounds whose ballots are sealed: key holders with a known passphrase, a
sealed box, and opening it as key holders would."""

from __future__ import annotations

from datetime import UTC, datetime

from factories import finance_officer
from sqlalchemy import select

from pb_app.ballotbox.crypto import padded_unsealer
from pb_app.ballotbox.models import BallotBox, BallotEnvelope
from pb_app.ballotbox.services import (
    _round_key,
    active_key_holders,
    add_key_holder,
    get_box,
    open_box,
    seal_box,
)
from pb_app.extensions import db
from pb_app.rounds.models import Round
from pb_app.voting.ballots import Choices

PASSPHRASE = "correct horse battery staple"


def key_holders(count: int = 2):
    """At least ``count`` active key holders, each a finance officer with ``PASSPHRASE``."""
    for _ in range(count - len(active_key_holders())):
        officer = finance_officer()
        add_key_holder(officer, PASSPHRASE, PASSPHRASE)
    return active_key_holders()


def sealed(round_: Round) -> BallotBox:
    """Give a round that is already in voting its ballot box (as opening voting would)."""
    key_holders()
    return seal_box(round_)


def open_sealed(round_: Round, actor=None) -> int:
    """Open the round's box with the passphrases of as many holders as it needs; returns how
    many ballots came out."""
    box = get_box(round_)
    holders = [share.holder for share in box.shares] or active_key_holders()  # once opened
    chosen = holders[:box.threshold]
    actor = actor or chosen[0].user
    return open_box(round_, actor, {holder.id: PASSPHRASE for holder in chosen},
                    datetime.now(UTC))


def peek(round_: Round) -> list[tuple[BallotEnvelope, Choices]]:
    """Each sealed ballot of the round with its choices, read with the test key holders'
    passphrases without opening the box (what enough key holders together could do)."""
    box = get_box(round_)
    chosen = [share.holder for share in box.shares][:box.threshold]
    key, _ = _round_key(box, {holder.id: PASSPHRASE for holder in chosen})
    rows = db.session.scalars(select(BallotEnvelope).where(BallotEnvelope.round_id == round_.id))
    unseal = padded_unsealer(key)
    return [(row, Choices.from_json(unseal(row.sealed_choices).decode())) for row in rows]
