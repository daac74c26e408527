"""Demo equalities answers for a counted round: plausible for a rural Borders locality.

The people who answer are a share of the round's voters, and each gives the age band of the
age recorded when they voted (so nobody is under the round's minimum age and the spread is
the voters' own), or prefers not to say, or skips the question. The other answers follow
weights close to the Scottish Borders census; the answers are never tied to a ballot, and are
sealed in the round's box, as real ones are, until it is opened.
"""

from __future__ import annotations

import random

from sqlalchemy import select

from pb_app.extensions import db
from pb_app.monitoring.questions import (
    AGE_BAND_AGES,
    PREFER_NOT_TO_SAY,
    QUESTIONS,
)
from pb_app.monitoring.services import issue_ticket, record_response
from pb_app.rounds.models import Round
from pb_app.voting.models import Participation

ANSWERING_SHARE = 0.55  # of the voters, the share who fill in the questionnaire
SKIPPED, PRIVATE = 0.05, 0.04  # of those, the share skipping a question, or not saying
# Answer weights in percent, before "prefer not to say" and skipped questions.
WEIGHTS: dict[str, dict[str, float]] = {
    "disability": {"yes": 27, "no": 73},
    "gender_reassignment": {"yes": 0.4, "no": 99.6},
    "marital_status": {"never_married": 28, "married": 47, "civil_partnership": 0.3,
                       "separated": 3, "divorced_dissolved": 10, "widowed": 11.7},
    "pregnancy_maternity": {"pregnant": 1, "recent_birth": 1, "neither": 98},
    "ethnic_group": {"white_scottish": 80, "white_other_british": 15, "white_other": 2.5,
                     "mixed": 0.8, "asian": 1, "african_caribbean_black": 0.4, "other": 0.3},
    "religion": {"none": 52, "church_of_scotland": 30, "roman_catholic": 6,
                 "other_christian": 9, "muslim": 0.6, "hindu": 0.2, "buddhist": 0.4,
                 "sikh": 0.1, "jewish": 0.1, "other": 1.6},
    "sex": {"female": 56, "male": 44},
    "sexual_orientation": {"straight": 95, "gay_lesbian": 2, "bisexual": 2, "other": 1},
}
POSTCODES = (("TD5 7AB", 40), ("TD8 6AB", 25), ("TD5 8PG", 25), (None, 10))


def _age_band(age: int) -> str:
    return next(key for key, (low, high) in AGE_BAND_AGES.items() if low <= age <= high)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def demo_answers(age: int, rng: random.Random) -> dict[str, str | None]:
    """One plausible set of answers from someone of ``age``; None is a skipped question."""
    answers: dict[str, str | None] = {}
    for item in QUESTIONS:
        roll = rng.random()
        if roll < SKIPPED:
            answers[item.key] = None
        elif roll < SKIPPED + PRIVATE:
            answers[item.key] = PREFER_NOT_TO_SAY
        elif item.key == "age_band":
            answers[item.key] = _age_band(age)
        else:
            answers[item.key] = _pick(rng, WEIGHTS[item.key])
    return answers


def load_demo_answers(round_: Round, rng: random.Random) -> int:
    """Record the answers of a share of the round's voters, sealed in its box until it is
    opened; return how many answered."""
    ages = list(db.session.scalars(
        select(Participation.age_years).where(Participation.round_id == round_.id)
        .order_by(Participation.id)
    ))
    answering = rng.sample(ages, round(len(ages) * ANSWERING_SHARE))
    for age in answering:
        postcode = rng.choices(*zip(*POSTCODES, strict=True))[0]
        record_response(issue_ticket(round_), demo_answers(age, rng), postcode)
    return len(answering)

