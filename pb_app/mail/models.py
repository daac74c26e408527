"""The mail outbox: one row per message, written in the transaction of the change it reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pb_app.extensions import UTCDateTime, db


class MailStatus(StrEnum):
    """Where a message stands: waiting for the worker, handed to the server, or given up."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class MailMessage(db.Model):
    """An email to send, or the record of one sent or given up.

    ``body`` is sealed with the outbox key (not stored in the database) while the message
    waits, and erased once it is sent or given up: a body may hold a reset link or a receipt
    code. What stays is what an operator needs to answer "did my email go out?".
    """

    __tablename__ = "mail_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=MailStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="known_status"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The worker's question: which pending messages are due?
        Index("ix_mail_message_status_next_attempt_at", "status", "next_attempt_at"),
    )
