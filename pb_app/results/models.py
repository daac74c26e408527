"""Count snapshots, finance decisions and publications.

A snapshot is immutable: its content hash is computed when it is stored, recorded in the
audit chain with the count and again with the sign-off, and any later change to its columns
is refused by the ORM and detected by ``verify_snapshot``. Decisions and publications
are rows of their own, so a snapshot never changes state in place.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from pb_app.errors import Conflict
from pb_app.extensions import UTCDateTime, db
from pb_app.rounds.models import Round, utcnow

SIGNED_OFF = "signed-off"
RETURNED = "returned"


class CountSnapshot(db.Model):
    """One run of the count of a round: its exact input, rule, output and explanation."""

    __tablename__ = "count_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    sequence: Mapped[int]
    counted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rule_json: Mapped[str] = mapped_column(Text)
    algorithm_version: Mapped[str] = mapped_column(String(64))
    input_fingerprint: Mapped[str] = mapped_column(String(64))
    # The large texts load only when read (pages and reports need the figures, not the files).
    input_pb: Mapped[str] = mapped_column(Text, deferred=True)
    ballots_csv: Mapped[str] = mapped_column(Text, deferred=True)
    result_json: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)
    winners_json: Mapped[str] = mapped_column(Text)
    allocation_json: Mapped[str] = mapped_column(Text)
    support_json: Mapped[str] = mapped_column(Text)
    checks_json: Mapped[str] = mapped_column(Text)
    budget_pence: Mapped[int]
    spent_pence: Mapped[int]
    ballot_count: Mapped[int]
    is_different_from_previous: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(String(64))

    round: Mapped[Round] = relationship()
    reviews: Mapped[list[SnapshotReview]] = relationship(
        back_populates="snapshot", order_by="SnapshotReview.id"
    )

    __table_args__ = (
        UniqueConstraint("round_id", "sequence"),
        CheckConstraint("spent_pence <= budget_pence", name="within_budget"),
    )

    @property
    def latest_review(self) -> SnapshotReview | None:
        """The finance officer's latest decision on this snapshot, if any."""
        return self.reviews[-1] if self.reviews else None

    @property
    def is_signed_off(self) -> bool:
        """True when the latest decision is a sign-off."""
        review = self.latest_review
        return review is not None and review.decision == SIGNED_OFF


@event.listens_for(CountSnapshot, "before_update")
def _refuse_snapshot_change(mapper, connection, target: CountSnapshot) -> None:
    """A stored snapshot never changes; a re-count adds a new one."""
    if object_session(target).is_modified(target, include_collections=False):
        raise Conflict("A count snapshot cannot be changed: run the count again to add a new one")


class SnapshotReview(db.Model):
    """A finance officer's decision on a snapshot: signed off, or returned with a reason."""

    __tablename__ = "snapshot_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("count_snapshot.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    snapshot: Mapped[CountSnapshot] = relationship(back_populates="reviews")

    __table_args__ = (
        CheckConstraint("decision IN ('signed-off', 'returned')", name="known_decision"),
    )


class Publication(db.Model):
    """The published result of a round: which signed-off snapshot, and the published files."""

    __tablename__ = "result_publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), unique=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("count_snapshot.id"), unique=True)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ballots_pb: Mapped[str] = mapped_column(Text, deferred=True)

    round: Mapped[Round] = relationship()
    snapshot: Mapped[CountSnapshot] = relationship()
