"""A photo of a proposal, cleaned and stored under a random name, with its alt text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from pb_app.extensions import UTCDateTime, db
from pb_app.proposals.models import Proposal
from pb_app.rounds.models import utcnow

MAX_PHOTOS = 3
MAX_ALT_TEXT = 250


class Photo(db.Model):
    """One photo of a proposal, in one of its ``MAX_PHOTOS`` places.

    The place (``position``) is unique per proposal and between 1 and ``MAX_PHOTOS``, so the
    database itself refuses a fourth photo, even when two uploads race. The files are named
    at random: nothing of the uploader's own file name is kept.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    file_name: Mapped[str] = mapped_column(String(64), unique=True)
    thumbnail_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int]
    height: Mapped[int]
    thumbnail_width: Mapped[int]
    thumbnail_height: Mapped[int]
    alt_text: Mapped[str] = mapped_column(String(MAX_ALT_TEXT))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Deleting a proposal (a closed account's draft) deletes its photos, and so their files.
    proposal: Mapped[Proposal] = relationship(backref=backref(
        "photos", cascade="all, delete-orphan", order_by="Photo.id"))

    __table_args__ = (
        UniqueConstraint("proposal_id", "position"),
        CheckConstraint(f"position BETWEEN 1 AND {MAX_PHOTOS}", name="known_position"),
        CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name="known_type"),
    )

    @property
    def file_names(self) -> tuple[str, str]:
        """The names of the photo's two stored files: full size and thumbnail."""
        return self.file_name, self.thumbnail_name

    def __repr__(self) -> str:
        return f"<Photo {self.id} of proposal {self.proposal_id}>"
