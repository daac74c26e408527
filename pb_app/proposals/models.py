"""A proposal to a round, its cost lines, review decisions and declared interests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb_app.extensions import UTCDateTime, db
from pb_app.rounds.models import Round, utcnow

# The nine National Health and Wellbeing Outcomes, by number.
OUTCOMES = {
    1: "People look after and improve their own health and wellbeing",
    2: "People live independently at home or in a homely setting",
    3: "People have positive experiences of services, with dignity respected",
    4: "Services improve people's quality of life",
    5: "Services reduce health inequalities",
    6: "Unpaid carers are supported",
    7: "People are safe from harm",
    8: "The workforce is engaged and supported",
    9: "Resources are used effectively and efficiently",
}

FEASIBILITY = {
    "feasible": "Feasible as proposed",
    "conditions": "Feasible with conditions",
    "not-feasible": "Not feasible",
}
FIT = {
    "strong": "Fits the round's priorities well",
    "partial": "Fits some of the round's priorities",
    "none": "Does not fit the round's priorities",
}


class Status(StrEnum):
    """Where a proposal stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes-requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"

    @property
    def label(self) -> str:
        """The status in plain words."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.DRAFT: "Draft",
    Status.SUBMITTED: "Waiting for review",
    Status.CHANGES_REQUESTED: "Changes requested",
    Status.ACCEPTED: "On the ballot",
    Status.REJECTED: "Not eligible",
    Status.WITHDRAWN: "Withdrawn",
    Status.MERGED: "Merged with another proposal",
}
# Statuses in which a proposal is finished with: it can no longer change or be withdrawn.
CLOSED_STATUSES = (Status.WITHDRAWN, Status.MERGED, Status.REJECTED)
# Statuses in which the proposer has the proposal in hand, to change and submit.
WITH_PROPOSER_STATUSES = (Status.DRAFT, Status.CHANGES_REQUESTED)
# Statuses anyone may see; drafts and withdrawn proposals stay with the proposer.
PUBLIC_STATUSES = (Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.ACCEPTED,
                   Status.REJECTED, Status.MERGED)


class Proposal(db.Model):
    """A project put forward to a round, with its cost and what it serves."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    location_postcode: Mapped[str | None] = mapped_column(String(8))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    conflict_of_interest: Mapped[str] = mapped_column(Text, default="")
    outcomes: Mapped[list[int]] = mapped_column(JSON, default=list)
    priorities: Mapped[list[str]] = mapped_column(JSON, default=list)
    cost_pence: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=Status.DRAFT.value, index=True)
    check_results: Mapped[list[dict]] = mapped_column(JSON, default=list)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[Round] = relationship()
    cost_lines: Mapped[list[CostLine]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="CostLine.position"
    )
    reviews: Mapped[list[ProposalReview]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalReview.id"
    )
    interests: Mapped[list[DeclaredInterest]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan"
    )
    merged_into: Mapped[Proposal | None] = relationship(remote_side=[id])

    __table_args__ = (CheckConstraint("cost_pence >= 0", name="cost_not_negative"),)

    @property
    def current_status(self) -> Status:
        """The status as a ``Status``."""
        return Status(self.status)

    @property
    def is_closed(self) -> bool:
        """True once withdrawn, merged or rejected: it can no longer change."""
        return self.current_status in CLOSED_STATUSES

    @property
    def is_with_proposer(self) -> bool:
        """True while a draft or sent back for changes: the proposer may change and submit it."""
        return self.current_status in WITH_PROPOSER_STATUSES

    @property
    def latest_review(self) -> ProposalReview | None:
        """The most recent review decision, if any."""
        return self.reviews[-1] if self.reviews else None

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.status}>"


class CostLine(db.Model):
    """One item of a proposal's cost; the lines add up to the proposal's cost."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    item: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int]

    proposal: Mapped[Proposal] = relationship(back_populates="cost_lines")

    __table_args__ = (CheckConstraint("amount_pence > 0", name="amount_positive"),)


class ProposalReview(db.Model):
    """One review decision by a group lead, with the reason the proposer sees."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decision: Mapped[str] = mapped_column(String(20))
    feasibility: Mapped[str] = mapped_column(String(20))
    fit: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="reviews")


class DeclaredInterest(db.Model):
    """A group lead's declared interest in a proposal; they may not review it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="interests")

    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)
