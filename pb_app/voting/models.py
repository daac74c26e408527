"""Who voted (Participation), kept apart from what was chosen, plus codes and batches.

A participation row says *that* a person voted in a round, on which channel and day. What they
chose exists only sealed in its envelope until the box is opened, and then as an anonymous
ballot (both in ``pb_app.ballotbox``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb_app.extensions import UTCDateTime, db
from pb_app.rounds.models import utcnow
from pb_app.rounds.rules import CHANNEL_CHECK


class Participation(db.Model):
    """That one person voted in one round: at most one row per (round, person)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    person_key: Mapped[str] = mapped_column(String(64))
    # The same for anyone giving the same postcode and date of birth (see ``resemblance_key``).
    resemblance_key: Mapped[str | None] = mapped_column(String(64))
    # The same for anyone giving the same name and postcode (``name_resemblance_key``); none
    # for a voting code, which names nobody.
    name_resemblance_key: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    voting_code_id: Mapped[int | None] = mapped_column(ForeignKey("voting_code.id"), unique=True)
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[str] = mapped_column(String(16))
    age_years: Mapped[int]
    voted_on: Mapped[date]

    __table_args__ = (
        UniqueConstraint("round_id", "person_key"),
        Index("ix_participation_round_id_resemblance_key", "round_id", "resemblance_key"),
        Index("ix_participation_round_id_name_resemblance_key", "round_id",
              "name_resemblance_key"),
        UniqueConstraint("round_id", "user_id"),
        CheckConstraint(CHANNEL_CHECK, name="known_channel"),
        CheckConstraint("(channel = 'assisted') = (helper_id IS NOT NULL)",
                        name="helper_iff_assisted"),
    )


class PaperBatch(db.Model):
    """A bundle of paper ballots from one event, with the count written on it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    declared_count: Mapped[int]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # How its sheets are keyed (``pb_app.paper``): "single" or "double"; None until chosen.
    keying_rule: Mapped[str | None] = mapped_column(String(8))
    # Sheets set aside when the batch was accepted: nothing marked, or not countable.
    blank_count: Mapped[int] = mapped_column(default=0, server_default="0")
    spoilt_count: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("round_id", "label"),
        CheckConstraint("declared_count >= 0", name="count_not_negative"),
        CheckConstraint("keying_rule IN ('single', 'double')", name="known_keying_rule"),
        CheckConstraint("blank_count >= 0 AND spoilt_count >= 0", name="set_aside_not_negative"),
    )

    @property
    def set_aside_count(self) -> int:
        """How many of its sheets were set aside, blank or spoilt, rather than counted."""
        return self.blank_count + self.spoilt_count


class VotingCodeBatch(db.Model):
    """A batch of voting codes a lead generated (and printed as letters) for a round."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    size: Mapped[int]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    codes: Mapped[list[VotingCode]] = relationship(back_populates="batch")


class VotingCode(db.Model):
    """One single-use voting code, kept only as its hash; used once a participation names it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("voting_code_batch.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)

    batch: Mapped[VotingCodeBatch] = relationship(back_populates="codes")


class CodeAttempt(db.Model):
    """A failed attempt to use a voting code, kept for a while to rate-limit guessing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
