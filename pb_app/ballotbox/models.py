"""Key holders, each round's ballot box and its key shares, the sealed ballots in it, and the
ballots it gives up when it is opened.

While voting is open a ballot exists only inside a ``BallotEnvelope``: ciphertext sealed to
the round's public key. The round's private key is stored nowhere; its shares are, each sealed to
one key holder, whose own key is encrypted under a passphrase the database never sees.

A ``Ballot`` row is an opened ballot: written when the box is opened, all of a round's in one
transaction, in the order of new random ids, with the choices and nothing else (no person,
channel, day, paper batch, receipt or sequence), so that even a lone voter of a channel, a
day or an event cannot be picked out. On SQLite the ballot table has no rowid, so even its
storage order is the random id's order.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb_app.accounts.models import User
from pb_app.extensions import UTCDateTime, db
from pb_app.rounds.models import utcnow
from pb_app.rounds.rules import CHANNEL_CHECK


def new_ballot_id() -> str:
    """A random ballot id (128 bits), so that ids carry no order."""
    return secrets.token_hex(16)


class Ballot(db.Model):
    """What one anonymous voter chose in one round; see the module docstring."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_ballot_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    choices_json: Mapped[str] = mapped_column(Text)

    __table_args__ = ({"sqlite_with_rowid": False},)


class KeyHolder(db.Model):
    """A person (or a printed recovery key, with no user) who can help open ballot boxes."""

    __tablename__ = "key_holder"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    # An HMAC of the holder and its public key under the audit key, as for a box's key.
    public_key_mac: Mapped[str] = mapped_column(String(64))
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary(72))
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    kdf_opslimit: Mapped[int]
    kdf_memlimit: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        # One active key a person: two would be two shares, enough where two must open a box.
        Index("uq_key_holder_user_id_active", "user_id", unique=True,
              sqlite_where=text("retired_at IS NULL"),
              postgresql_where=text("retired_at IS NULL")),
    )

    @property
    def is_recovery_key(self) -> bool:
        """True for a printed recovery key, which belongs to no account."""
        return self.user_id is None

    @property
    def secret_name(self) -> str:
        """What opens this key, in words: a person's passphrase, or the printed code."""
        return "code" if self.is_recovery_key else "passphrase"

    @property
    def name_in_sentence(self) -> str:
        """The holder as named mid-sentence: "Frances Finance", "the recovery key made by…"."""
        if self.is_recovery_key:
            return "the " + self.label[0].lower() + self.label[1:]
        return self.label


class BallotBox(db.Model):
    """A round's public key and how many key holders it takes to open the box."""

    __tablename__ = "ballot_box"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    # An HMAC of the round and its public key under the audit key (never in the database):
    # a database writer who swaps in a key of their own is caught before any ballot uses it.
    public_key_mac: Mapped[str] = mapped_column(String(64))
    threshold: Mapped[int]
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    shares: Mapped[list[KeyShare]] = relationship(back_populates="box", order_by="KeyShare.id",
                                                  cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint("threshold >= 1", name="threshold_positive"),)

    @property
    def is_open(self) -> bool:
        """True once the box has been opened for the count."""
        return self.opened_at is not None


class KeyShare(db.Model):
    """One key holder's share of a round's private key, sealed to that holder; destroyed
    when the box is opened."""

    __tablename__ = "key_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("ballot_box.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("key_holder.id"), index=True)
    sealed_share: Mapped[bytes] = mapped_column(LargeBinary(200))

    box: Mapped[BallotBox] = relationship(back_populates="shares")
    holder: Mapped[KeyHolder] = relationship()

    __table_args__ = (UniqueConstraint("box_id", "holder_id"),)


class BallotEnvelope(db.Model):
    """The envelope of one ballot: what a paper envelope shows, and the choices sealed inside.

    The channel, day and paper batch stay readable (the participation row says as much), so
    that ballots can be reconciled with the people who voted and with the paper batches, and
    so does the receipt's hash, so that a voter can check their ballot is in the box and then
    counted. The choices can be read only with the round's key. Opening the box empties every
    envelope (``sealed_choices`` becomes null) and writes the choices as anonymous ballots
    that carry nothing of the envelope: no channel, day, batch or receipt.
    """

    __tablename__ = "ballot_envelope"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    cast_on: Mapped[date]
    paper_batch_id: Mapped[int | None] = mapped_column(ForeignKey("paper_batch.id"), index=True)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sealed_choices: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        CheckConstraint(CHANNEL_CHECK, name="known_channel"),
        CheckConstraint("(channel = 'paper') = (paper_batch_id IS NOT NULL)",
                        name="batch_iff_paper"),
    )

    @property
    def is_opened(self) -> bool:
        """True once the box was opened and this envelope emptied."""
        return self.sealed_choices is None
