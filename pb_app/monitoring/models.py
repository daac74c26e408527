"""Equalities answers, sealed while voting is open and anonymous once the box is opened, and
the spent questionnaire tickets that stop a second answer.

While a round's ballot box takes ballots, a person's answers exist only as a
``SealedResponse``: ciphertext sealed to the round's box key, padded to one length, under a
random id. When key holders open the box, every sealed response of the round is opened and
written as an ``EqualitiesResponse`` in one transaction, in a random order, and the sealed
rows are deleted. So a database reader can never line the answers up with the order, the
time or the day of the votes. Each sealed response carries a MAC under the audit key, so the
opening sets aside any that a database writer added or copied, and says how many. A response
holds the round, the locality and the answers: no person, no ballot, no day. A ticket row
holds only the hash of a random nonce, so it cannot be joined to the response it allowed.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pb_app.ballotbox.models import new_ballot_id
from pb_app.extensions import db

ANSWER = String(32)


class SealedResponse(db.Model):
    """One person's answers while their round's box is sealed; see the module docstring."""

    __tablename__ = "sealed_equalities_response"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_ballot_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    sealed_answers: Mapped[bytes] = mapped_column(LargeBinary)
    # An HMAC of the round, the id and the ciphertext under the audit key (outside the
    # database): the opening sets aside a response a database writer made or copied.
    answers_mac: Mapped[str] = mapped_column(String(64))


class EqualitiesResponse(db.Model):
    """One person's optional monitoring answers for one round, as the opened box leaves them
    (never linked to a ballot or a voter)."""

    __tablename__ = "equalities_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
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
