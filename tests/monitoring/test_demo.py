"""The demo's equalities answers are plausible: nobody under the round's minimum age, ages
spread like the voters', most questions answered, and not every voter answering."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from pb_app.extensions import db
from pb_app.monitoring.models import EqualitiesResponse
from pb_app.monitoring.questions import AGE_BAND_AGES, NOT_ANSWERED, PREFER_NOT_TO_SAY
from pb_app.rounds.models import Round
from pb_app.voting.models import Participation


@pytest.mark.committing
def test_the_demo_answers_fit_the_voters_and_the_report_shows_nobody_too_young(
        app, runner, client):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        round_id, minimum = db.session.execute(
            select(Round.id, Round.minimum_voting_age)
            .join(EqualitiesResponse, EqualitiesResponse.round_id == Round.id).limit(1)).one()
        voters = db.session.scalar(select(func.count()).where(Participation.round_id == round_id))
        youngest = db.session.scalar(select(func.min(Participation.age_years))
                                     .where(Participation.round_id == round_id))
        ages = Counter(db.session.scalars(
            select(EqualitiesResponse.age_band).where(EqualitiesResponse.round_id == round_id)))
        sexes = Counter(db.session.scalars(select(EqualitiesResponse.sex)))
        db.session.remove()
    assert youngest >= minimum == 16
    answered = sum(ages.values())
    assert 0.3 * voters < answered < 0.8 * voters  # not everyone answers
    bands = {band: n for band, n in ages.items() if band in AGE_BAND_AGES}
    assert all(AGE_BAND_AGES[band][1] >= minimum for band in bands)
    assert len(bands) >= 6 and max(bands.values()) < answered / 3  # a spread, not one band
    assert 0 < ages[PREFER_NOT_TO_SAY] + ages[NOT_ANSWERED] < answered / 4
    assert sexes["female"] > 0 and sexes["male"] > 0
    index = client.get("/reports/").get_data(as_text=True)
    year = index.split('href="/reports/year/')[1].split('"')[0]
    for path in (f"/reports/year/{year}", f"/reports/year/{year}.csv"):
        assert "Under 16" not in client.get(path).get_data(as_text=True)
