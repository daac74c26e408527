"""The questionnaire: optional, single-use, anonymous; aggregates suppressed."""

from __future__ import annotations

from datetime import date

import pytest
from factories import RoundFactory
from sqlalchemy import func, inspect, select

from pb_app.errors import Conflict, InvalidInput
from pb_app.extensions import db
from pb_app.monitoring.models import EqualitiesResponse, QuestionnaireTicket
from pb_app.monitoring.services import (
    aggregate_responses,
    classify_area,
    issue_ticket,
    record_response,
    skip_questionnaire,
)

DAY = date(2026, 11, 20)


@pytest.fixture
def round_():
    """A round for the responses to belong to."""
    return RoundFactory(to_count=True)


def _responses() -> int:
    return db.session.scalar(select(func.count()).select_from(EqualitiesResponse))


def test_a_response_has_no_person_and_no_ballot():
    columns = {column.name for column in inspect(EqualitiesResponse).columns}
    assert columns == {
        "id",
        "round_id",
        "locality_id",
        "answered_on",
        "age_band",
        "disability",
        "gender_reassignment",
        "marital_status",
        "pregnancy_maternity",
        "ethnic_group",
        "religion",
        "sex",
        "sexual_orientation",
        "area_type",
    }


def test_answers_are_stored_and_skipped_questions_marked_not_answered(round_):
    response = record_response(
        issue_ticket(round_), {"sex": "female", "disability": "prefer_not_to_say"}, "td1 3hw", DAY
    )
    assert (response.round_id, response.locality_id, response.answered_on) == (
        round_.id,
        round_.locality_id,
        DAY,
    )
    assert response.sex == "female"
    assert response.disability == "prefer_not_to_say"
    assert response.religion == "not_answered"
    assert response.area_type == "urban"


def test_a_ticket_is_used_once_whether_answered_or_skipped(round_):
    token = issue_ticket(round_)
    record_response(token, {}, None, DAY)
    with pytest.raises(Conflict):
        record_response(token, {"sex": "male"}, None, DAY)
    skipped = issue_ticket(round_)
    skip_questionnaire(skipped)
    with pytest.raises(Conflict):
        record_response(skipped, {}, None, DAY)
    assert _responses() == 1
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireTicket)) == 2


@pytest.mark.parametrize(
    "token, answers, postcode",
    [
        ("forged.token.value", {}, None),
        (None, {"sex": "robot"}, None),
        (None, {}, "not a postcode"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(round_, token, answers, postcode):
    with pytest.raises(InvalidInput):
        record_response(token or issue_ticket(round_), answers, postcode, DAY)
    assert _responses() == 0


@pytest.mark.parametrize(
    "postcode, expected",
    [
        ("TD9 7AA", "urban"),
        ("TD10 6XX", "rural"),
        ("EH45 8AJ", "urban"),
        ("G1 1AA", "not_known"),
        ("", "not_known"),
    ],
)
def test_area_type_from_postcode(postcode, expected):
    assert classify_area(postcode) == expected


def _answer(round_, times: int, **answers: str) -> None:
    for _ in range(times):
        record_response(issue_ticket(round_), answers, None, DAY)


def test_aggregate_suppresses_small_groups_and_what_would_reveal_them():
    cheviot, eildon = RoundFactory(to_count=True), RoundFactory(to_count=True)
    _answer(cheviot, 6, sex="female")
    _answer(cheviot, 7, sex="male")
    _answer(cheviot, 2, sex="prefer_not_to_say")
    _answer(eildon, 8, sex="female")
    _answer(eildon, 9, sex="male")
    _answer(RoundFactory(to_count=True,
                         locality=eildon.locality), 3, sex="male")  # another round: not counted
    columns = [(cheviot.locality_id, "Cheviot"), (eildon.locality_id, "Eildon")]
    voters = {cheviot.locality_id: 20, eildon.locality_id: 25}  # 5 and 8 did not answer
    tables = {
        item.question.key: item.table
        for item in aggregate_responses([cheviot.id, eildon.id], columns, voters, 16)
    }
    sex = tables["sex"]
    assert sex.row_labels == ("Female", "Male", "Prefer not to say", "Not answered",
                              "Did not fill in the questionnaire")
    # 2 and the zeros are hidden; so are Cheviot's 6 women, or 20 - 7 - 5 - 6 would give the 2
    # away; then Eildon's 8 women, or 14 - 8 would give the 6. Those who did not answer are
    # the same row in every table, so they stay shown, and the answers are hidden around them.
    assert sex.cells == ((None, None), (7, 9), (None, None), (None, None), (5, 8))
    assert sex.row_totals == (None, 16, None, None, 13)
    assert sex.column_totals == (20, 25)  # every voter: published, so never hidden
    assert sex.grand_total == 45
    religion = tables["religion"]
    # everybody skipped it: showing that would show every other answer to be zero
    assert religion.cells[-2:] == ((None, None), (5, 8))
    assert religion.hidden_count == 12 * 2 + 12  # every other cell and row total
    assert (religion.column_totals, religion.grand_total) == ((20, 25), 45)


def test_no_age_band_below_the_rounds_minimum_age_is_offered_or_accepted(client):
    round_ = RoundFactory(to_count=True, minimum_voting_age=16)
    token = issue_ticket(round_)
    page = client.get(f"/equalities/{token}").get_data(as_text=True)
    assert "16 to 24" in page and "Under 16" not in page
    refused = client.post(f"/equalities/{token}", data={"age_band": "under_16", "send": "Send"})
    assert refused.status_code == 422
    assert "Choose one of the answers offered for: What is your age?" in refused.get_data(
        as_text=True)
    assert _responses() == 0
    younger = issue_ticket(RoundFactory(to_count=True, minimum_voting_age=12))
    assert "Under 16" in client.get(f"/equalities/{younger}").get_data(as_text=True)
    record_response(younger, {"age_band": "under_16"}, None, DAY)
    assert _responses() == 1
