"""Anonymous equalities answers, and the spent questionnaire tickets that stop a second answer.

A response holds the round, the locality, the day and the answers: no person, no ballot, no
fine timestamp. A ticket row holds only the hash of a random nonce, so it cannot be joined to
the response it allowed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pb_app.extensions import db

ANSWER = String(32)


class EqualitiesResponse(db.Model):
    """One person's optional monitoring answers for one round (never linked to a ballot)."""

    __tablename__ = "equalities_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    answered_on: Mapped[date]
    age_band: Mapped[str] = mapped_column(ANSWER)
    disability: Mapped[str] = mapped_column(ANSWER)
    gender_reassignment: Mapped[str] = mapped_column(ANSWER)
    marital_status: Mapped[str] = mapped_column(ANSWER)
    pregnancy_maternity: Mapped[str] = mapped_column(ANSWER)
    ethnic_group: Mapped[str] = mapped_column(ANSWER)
    religion: Mapped[str] = mapped_column(ANSWER)
    sex: Mapped[str] = mapped_column(ANSWER)
    sexual_orientation: Mapped[str] = mapped_column(ANSWER)
    area_type: Mapped[str] = mapped_column(ANSWER)


class QuestionnaireTicket(db.Model):
    """A questionnaire ticket that has been used (answered or skipped): its nonce's hash only."""

    __tablename__ = "questionnaire_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
