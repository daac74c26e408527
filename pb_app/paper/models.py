"""Keyings of a paper batch and the sheets keyed in them, sealed until the batch is accepted.

A batch is keyed once (single keying) or twice by two different people (double keying). A
keyed sheet holds the choices sealed to the round's box key, as an envelope does, and an HMAC
of (batch, sheet number, canonical choices) under the audit key, so that two keyings can be
compared without any plaintext in the database. A sheet that holds no vote (blank, or spoilt)
is keyed as such: it has no sealed choices, and its MAC covers the word instead. Accepting the
batch turns its voting sheets into ballot envelopes, counts the others on the batch, and
deletes them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb_app.accounts.models import User
from pb_app.extensions import UTCDateTime, db
from pb_app.rounds.models import utcnow
from pb_app.voting.models import PaperBatch

SINGLE = "single"
DOUBLE = "double"
KEYING_RULES = {SINGLE: "Single keying: one person keys every sheet",
                DOUBLE: "Double keying: two people each key every sheet, and the two must agree"}

# A keyed sheet holds sealed choices, or else the reason it was set aside: never both.
SHEET_HOLDS_CHOICES_OR_A_REASON = (
    "(sealed_choices IS NOT NULL AND set_aside IS NULL) OR "
    "(sealed_choices IS NULL AND set_aside IN ('blank', 'spoilt'))")


class Keying(db.Model):
    """One pass of one person keying a batch's sheets: number 1, or 2 when double keyed."""

    __tablename__ = "paper_keying"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batch.id"), index=True)
    number: Mapped[int]
    clerk_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    batch: Mapped[PaperBatch] = relationship()
    clerk: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("batch_id", "number"),
        # One person keying both passes would check nothing.
        UniqueConstraint("batch_id", "clerk_id"),
        CheckConstraint("number IN (1, 2)", name="first_or_second"),
    )


class KeyedSheet(db.Model):
    """One paper sheet as one keying read it: sealed choices and their MAC, no plaintext; or,
    for a sheet set aside, the word for why ("blank" or "spoilt") and no choices."""

    __tablename__ = "keyed_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    keying_id: Mapped[int] = mapped_column(ForeignKey("paper_keying.id"))
    sheet_number: Mapped[int]
    sealed_choices: Mapped[bytes | None] = mapped_column(LargeBinary)
    set_aside: Mapped[str | None] = mapped_column(String(8))
    choices_mac: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("keying_id", "sheet_number"),
        CheckConstraint("sheet_number >= 1", name="sheet_number_positive"),
        CheckConstraint(SHEET_HOLDS_CHOICES_OR_A_REASON, name="choices_or_set_aside"),
    )
