"""Builders for equalities tests: a round whose questionnaire takes answers, opening its box,
and answers as an opened box leaves them, for rounds past the count."""

from __future__ import annotations

from collections.abc import Mapping

from ballotbox.builders import open_sealed, sealed
from factories import RoundFactory
from voting.builders import lead_of

from pb_app.extensions import db
from pb_app.monitoring.models import EqualitiesResponse
from pb_app.monitoring.services import issue_ticket, record_response, validated_answers
from pb_app.monitoring.suppression import THRESHOLD
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.services import move_round


def answering_round(**overrides) -> Round:
    """A round in voting (``RoundFactory.in_voting``) with its sealed box, committed."""
    round_ = RoundFactory(in_voting=True, **overrides)
    sealed(round_)
    db.session.commit()
    return round_


def close_and_open(round_: Round) -> None:
    """Close voting as the round's lead, and open its box as the key holders would."""
    move_round(round_, lead_of(round_.locality), Phase.CLOSED)
    open_sealed(round_)


def answered(round_: Round, answers: Mapping[str, str | None], postcode: str | None = None,
             times: int = 1) -> None:
    """``times`` responses of ``answers`` for a round past the count, as its opened box
    leaves them (checked as the questionnaire checks them)."""
    row = validated_answers(answers, postcode, round_.minimum_voting_age)
    db.session.add_all(EqualitiesResponse(round_id=round_.id, locality_id=round_.locality_id,
                                          **row) for _ in range(times))
    db.session.flush()


def others_answer(round_: Round, times: int = THRESHOLD - 1) -> None:
    """``times`` more people answer the round's questionnaire, skipping every question: with
    one more, enough for the opening to write the answers out."""
    for _ in range(times):
        record_response(issue_ticket(round_), {}, None)
