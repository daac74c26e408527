"""The allocation ledger's rows: money allocated to each funded project by a signed-off
result, its delivery status, the spend lines and returns against it, and its public delivery
updates (the last two append-only)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from pb_app.extensions import UTCDateTime, db
from pb_app.results.models import SnapshotReview
from pb_app.rounds.models import Round, utcnow

MAX_NOTE = 500  # characters in a delivery update


class Delivery(StrEnum):
    """Where a funded project's delivery stands."""

    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The status in plain words."""
        return self.value.replace("-", " ").capitalize()


SPEND = "spend"
RETURN = "return"
ENTRY_KINDS = {SPEND: "Spend", RETURN: "Funds returned"}


class Allocation(db.Model):
    """Money allocated to one funded project by a signed-off result, and its delivery."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("snapshot_review.id"), index=True)
    amount_pence: Mapped[int]
    financial_year: Mapped[int] = mapped_column(index=True)
    delivery: Mapped[str] = mapped_column(String(16), default=Delivery.NOT_STARTED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[Round] = relationship()
    review: Mapped[SnapshotReview] = relationship()
    proposal = relationship("Proposal")
    locality = relationship("Locality")
    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="allocation", order_by="LedgerEntry.id"
    )

    __table_args__ = (
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        CheckConstraint(
            "delivery IN ('not-started', 'in-progress', 'delivered', 'cancelled')",
            name="known_delivery",
        ),
    )


class LedgerEntry(db.Model):
    """A spend line against an allocation, or funds returned from it (append-only)."""

    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int]
    entry_on: Mapped[date]
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    allocation: Mapped[Allocation] = relationship(back_populates="entries")

    __table_args__ = (
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        CheckConstraint("kind IN ('spend', 'return')", name="known_kind"),
    )


class DeliveryUpdate(db.Model):
    """A dated public note on a funded project's delivery (append-only)."""

    __tablename__ = "delivery_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), index=True)
    noted_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(MAX_NOTE))
    written_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    allocation: Mapped[Allocation] = relationship(backref=backref(
        "delivery_updates", order_by="[DeliveryUpdate.noted_on.desc(), DeliveryUpdate.id.desc()]"))
