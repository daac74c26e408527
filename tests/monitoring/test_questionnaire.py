"""The questionnaire: optional, single-use, anonymous, sealed until the count; aggregates
suppressed."""

from __future__ import annotations

import itertools
import json

import pytest
from factories import RoundFactory
from sqlalchemy import func, inspect, select, text

from monitoring.builders import answered, answering_round, close_and_open, others_answer
from pb_app.accounts.models import User
from pb_app.audit.models import AuditEntry
from pb_app.ballotbox import crypto
from pb_app.ballotbox.models import new_ballot_id
from pb_app.ballotbox.services import get_box
from pb_app.errors import Conflict, InvalidInput
from pb_app.extensions import db
from pb_app.monitoring.models import EqualitiesResponse, QuestionnaireTicket, SealedResponse
from pb_app.monitoring.questions import QUESTIONS
from pb_app.monitoring.services import (
    QUESTIONNAIRE_CLOSED,
    aggregate_responses,
    answers_mac,
    classify_area,
    issue_ticket,
    record_response,
    skip_questionnaire,
    validated_answers,
)


@pytest.fixture
def round_():
    """A round in voting, whose questionnaire takes answers."""
    return answering_round()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_response_has_no_person_no_ballot_and_no_day():
    assert {column.name for column in inspect(SealedResponse).columns} == {
        "id", "round_id", "sealed_answers", "answers_mac"}
    columns = {column.name for column in inspect(EqualitiesResponse).columns}
    assert columns == {
        "id",
        "round_id",
        "locality_id",
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


def test_answers_are_sealed_until_the_box_is_opened_then_stored(round_):
    """A database reader during voting finds ciphertext under a random id, nothing to read."""
    record_response(issue_ticket(round_), {"sex": "female", "disability": "prefer_not_to_say"},
                    "td1 3hw")
    assert _count(EqualitiesResponse) == 0
    sealed_id, sealed = db.session.execute(text(
        "SELECT id, sealed_answers FROM sealed_equalities_response")).one()
    assert len(sealed_id) == 32 and b"female" not in bytes(sealed)
    others_answer(round_)
    close_and_open(round_)
    assert (_count(SealedResponse), _count(EqualitiesResponse)) == (0, 5)
    response = db.session.scalars(select(EqualitiesResponse).where(
        EqualitiesResponse.sex == "female")).one()
    assert (response.round_id, response.locality_id) == (round_.id, round_.locality_id)
    assert response.sex == "female"
    assert response.disability == "prefer_not_to_say"
    assert response.religion == "not_answered"
    assert response.area_type == "urban"


def test_a_sealed_answers_length_says_nothing_of_the_answers(round_):
    longest = {item.key: max(item.labels(), key=len) for item in QUESTIONS}
    record_response(issue_ticket(round_), {}, None)
    record_response(issue_ticket(round_), longest, "TD10 6XX")
    lengths = {len(sealed) for sealed in db.session.scalars(select(SealedResponse.sealed_answers))}
    assert lengths == {crypto.PADDING_BLOCK + 48}


def test_opened_answers_are_written_in_an_order_unrelated_to_when_they_were_given(round_):
    given = [{"age_band": band, "sex": sex, "disability": disability} for band, sex, disability
             in itertools.product(("16_24", "25_34", "35_44", "45_54", "55_64", "65_74",
                                   "75_plus"), ("female", "male"), ("yes", "no"))]  # 28
    for answers in given:
        record_response(issue_ticket(round_), answers, None)
    close_and_open(round_)
    stored = [(row.age_band, row.sex, row.disability) for row in db.session.scalars(
        select(EqualitiesResponse).order_by(EqualitiesResponse.id))]
    in_given_order = [(a["age_band"], a["sex"], a["disability"]) for a in given]
    assert sorted(stored) == sorted(in_given_order)
    assert stored != in_given_order  # one chance in 28! of failing by luck


def test_the_questionnaire_closes_when_the_count_begins(round_, client):
    token = issue_ticket(round_)
    close_and_open(round_)
    db.session.commit()
    page = client.get(f"/equalities/{token}")
    assert page.status_code == 409 and QUESTIONNAIRE_CLOSED in page.get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">This questionnaire is closed</h1>" in page.text
    assert client.post(f"/equalities/{token}", data={"sex": "male", "send": "Send"}
                       ).status_code == 409
    with pytest.raises(Conflict, match="questionnaire is closed"):
        record_response(token, {"sex": "male"}, None)
    assert (_count(EqualitiesResponse), _count(SealedResponse), _count(QuestionnaireTicket)) == (
        0, 0, 0)


def test_a_round_without_a_sealed_box_takes_no_answers():
    with pytest.raises(Conflict, match="not taking questionnaire answers"):
        record_response(issue_ticket(RoundFactory(to_count=True)), {"sex": "male"}, None)


def _opening_entry() -> dict:
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "ballot_box.opened")).one()
    return json.loads(entry.after_json)


def _write_sealed(round_, sealed_answers: bytes, mac: str | None = None) -> None:
    """What a database writer can do: add a sealed row, with a MAC of their choosing."""
    row = SealedResponse(id=new_ballot_id(), round_id=round_.id, sealed_answers=sealed_answers,
                         answers_mac=mac or "0" * 64)
    db.session.add(row)
    db.session.commit()


def _box_page(client, sign_in, round_) -> str:
    """The round's ballot box page, as the key holder who opened it sees it."""
    sign_in(db.session.get(User, get_box(round_).opened_by_id))
    return client.get(f"/rounds/{round_.id}/ballot-box").text


def test_answers_a_database_writer_adds_or_copies_are_set_aside_and_counted(round_, client,
                                                                              sign_in):
    record_response(issue_ticket(round_), {"sex": "female"}, None)
    genuine = db.session.scalars(select(SealedResponse)).one()
    public_key = get_box(round_).public_key
    answers = validated_answers({"sex": "male"}, None, 16)
    _write_sealed(round_, crypto.seal_padded(public_key, json.dumps(answers).encode()))
    _write_sealed(round_, genuine.sealed_answers, genuine.answers_mac)  # copied, new id
    _write_sealed(round_, b"not a sealed box at all")
    others_answer(round_)
    close_and_open(round_)
    assert sorted(row.sex for row in db.session.scalars(select(EqualitiesResponse))) == [
        "female"] + ["not_answered"] * 4
    assert _count(SealedResponse) == 0
    assert _opening_entry() | {"holders": None} == {
        "ballots": 0, "holders": None, "equalities_answers": 5,
        "equalities_answers_set_aside": 3, "equalities_answers_withheld": 0}
    page = _box_page(client, sign_in, round_)  # the key holders see it at once
    assert "Equalities answers written out, in a random order: 5." in page
    assert "3 sealed equalities answers were set aside" in page


def test_fewer_answers_than_the_threshold_are_withheld_so_none_can_be_singled_out(
        round_, client, sign_in):
    """A database writer who deletes every sealed answer but one person's learns nothing."""
    record_response(issue_ticket(round_), {"sex": "female", "age_band": "75_plus"}, None)
    others_answer(round_, 3)
    close_and_open(round_)
    assert (_count(EqualitiesResponse), _count(SealedResponse)) == (0, 0)
    assert _opening_entry()["equalities_answers_withheld"] == 4
    page = _box_page(client, sign_in, round_)
    assert "4 were withheld: fewer than 5 people answered" in page
    assert "set aside" not in page


@pytest.mark.parametrize("content", [
    json.dumps({"sex": "robot"}).encode(),
    json.dumps({**validated_answers({}, None, 16), "sex": ["female"]}).encode(),
    b"\xff not json",
])
def test_a_vouched_for_answer_that_does_not_open_as_one_is_set_aside_not_a_stop(round_,
                                                                                   content):
    """An answer option renamed between the sealing and the opening, say: the ballots are
    still opened."""
    row = SealedResponse(id=new_ballot_id(), round_id=round_.id,
                         sealed_answers=crypto.seal_padded(get_box(round_).public_key, content))
    row.answers_mac = answers_mac(row)
    db.session.add(row)
    db.session.commit()
    close_and_open(round_)
    assert get_box(round_).is_open
    assert (_count(EqualitiesResponse), _count(SealedResponse)) == (0, 0)
    assert _opening_entry()["equalities_answers_set_aside"] == 1


def test_a_ticket_is_used_once_whether_answered_or_skipped(round_):
    token = issue_ticket(round_)
    record_response(token, {}, None)
    with pytest.raises(Conflict):
        record_response(token, {"sex": "male"}, None)
    skipped = issue_ticket(round_)
    skip_questionnaire(skipped)
    with pytest.raises(Conflict):
        record_response(skipped, {}, None)
    assert _count(SealedResponse) == 1
    assert _count(QuestionnaireTicket) == 2


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
        record_response(token or issue_ticket(round_), answers, postcode)
    assert _count(SealedResponse) == 0


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


def test_aggregate_suppresses_small_groups_and_what_would_reveal_them():
    cheviot, eildon = RoundFactory(to_count=True), RoundFactory(to_count=True)
    answered(cheviot, {"sex": "female"}, times=6)
    answered(cheviot, {"sex": "male"}, times=7)
    answered(cheviot, {"sex": "prefer_not_to_say"}, times=2)
    answered(eildon, {"sex": "female"}, times=8)
    answered(eildon, {"sex": "male"}, times=9)
    another_round = RoundFactory(to_count=True, locality=eildon.locality)
    answered(another_round, {"sex": "male"}, times=3)  # not counted
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
    round_ = answering_round(minimum_voting_age=16)
    token = issue_ticket(round_)
    page = client.get(f"/equalities/{token}").get_data(as_text=True)
    assert "16 to 24" in page and "Under 16" not in page
    refused = client.post(f"/equalities/{token}", data={"age_band": "under_16", "send": "Send"})
    assert refused.status_code == 422
    assert "Choose one of the answers offered for: What is your age?" in refused.get_data(
        as_text=True)
    assert _count(SealedResponse) == 0
    younger = issue_ticket(answering_round(minimum_voting_age=12))
    assert "Under 16" in client.get(f"/equalities/{younger}").get_data(as_text=True)
    record_response(younger, {"age_band": "under_16"}, None)
    assert _count(SealedResponse) == 1
