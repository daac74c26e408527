"""Every ballot type's limits, checked by ``read_choices``: tables of cases, then hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from pb_app.errors import InvalidInput
from pb_app.rounds.rules import BallotKind
from pb_app.voting.ballots import (
    Choices,
    read_choices,
)
from voting.strategies import COSTS, PROJECTS, RULES, defect, form, valid_ballot

APPROVAL, KNAPSACK, CUMULATIVE, SCORING, ORDINAL = BallotKind


@pytest.mark.parametrize(("ballot_type", "fields", "expected"), [
    (APPROVAL, [("project", "13"), ("project", "11")], Choices(("11", "13"))),
    (KNAPSACK, [("project", "12"), ("project", "11"), ("project", "13")],
     Choices(("11", "12", "13"))),
    (KNAPSACK, [("project", "14")], Choices(("14",))),
    (CUMULATIVE, [("points-12", "7"), ("points-11", "3"), ("points-13", "0")],
     Choices(("11", "12"), (3, 7))),
    (SCORING, [("points-15", "5"), ("points-11", " 2 "), ("points-12", "")],
     Choices(("11", "15"), (2, 5))),
    (ORDINAL, [("rank-1", "14"), ("rank-2", "11"), ("rank-3", "")], Choices(("14", "11"))),
])
def test_valid_ballots_are_read_canonically(ballot_type, fields, expected):
    assert read_choices(RULES[ballot_type], form(*fields)) == expected


@pytest.mark.parametrize(("ballot_type", "fields", "message"), [
    (APPROVAL, [("project", "11"), ("project", "12"), ("project", "13"), ("project", "14")],
     "You can choose up to 3 projects; you chose 4."),
    (APPROVAL, [("project", "99")], "not a project on this ballot"),
    (APPROVAL, [("project", "11"), ("project", "11")], "the same project more than once"),
    (APPROVAL, [], "Choose at least one project."),
    (KNAPSACK, [("project", "14"), ("project", "12"), ("project", "13")],
     "Your choices cost £12,000, which is more than the budget of £10,000."),
    (KNAPSACK, [("project", "15")],
     "at least 50% of the budget (£5,000); they cost £1,500."),
    (CUMULATIVE, [("points-11", "6"), ("points-12", "5")],
     "You have 10 points to spread; you gave 11."),
    (CUMULATIVE, [("points-11", "-1"), ("points-12", "5")], "cannot be negative"),
    (CUMULATIVE, [("points-11", "2.5")], "'2.5' is not a whole number"),
    (CUMULATIVE, [("points-11", "٣")], "is not a whole number"),
    (CUMULATIVE, [("points-11", "9" * 5000)], "more points than any ballot allows"),
    (SCORING, [("points-11", "1" + "0" * 10)], "more points than any ballot allows"),
    (CUMULATIVE, [("points-99", "3")], "not a project on this ballot"),
    (CUMULATIVE, [("points-11", "3"), ("points-11", "3")], "the same project more than once"),
    (SCORING, [("points-11", "6")], "Scores go from 0 to 5."),
    (SCORING, [("points-11", "0")], "Give at least one project more than 0."),
    (ORDINAL, [("rank-1", "11"), ("rank-2", "11")], "the same project more than once"),
    (ORDINAL, [("rank-1", "11"), ("rank-4", "12")], "You can rank up to 3 projects."),
    (ORDINAL, [("rank-1", ""), ("rank-2", "12")], "without gaps"),
    (ORDINAL, [("rank-1", "11"), ("rank-1", "12")], "Each rank holds one project."),
    (ORDINAL, [("rank-1", "77")], "not a project on this ballot"),
])
def test_invalid_ballots_are_refused_with_a_clear_message(ballot_type, fields, message):
    with pytest.raises(InvalidInput) as refused:
        read_choices(RULES[ballot_type], form(*fields))
    assert message in refused.value.message


def test_choices_survive_their_json_and_their_form():
    for ballot_type, rules in RULES.items():
        choices = Choices(("11", "15"), (2, 5)) if rules.uses_points else Choices(("11", "12"))
        assert Choices.from_json(choices.to_json()) == choices
        assert read_choices(rules, choices.as_form(ballot_type)) == choices


@pytest.mark.parametrize("ballot_type", list(RULES))
@settings(deadline=None)  # a busy machine must not fail a correct check
@given(data=st.data())
def test_hypothesis_valid_accepted_defective_refused(ballot_type, data):
    fields, expected = data.draw(valid_ballot(ballot_type))
    assert read_choices(RULES[ballot_type], fields) == expected
    broken = data.draw(defect(ballot_type))(fields)
    with pytest.raises(InvalidInput):
        read_choices(RULES[ballot_type], broken)


@pytest.mark.parametrize("ballot_type", list(RULES))
@settings(deadline=None)
@given(fields=st.lists(st.tuples(
    st.sampled_from(["project", "points-11", "points-15", "points-99", "rank-1", "rank-2",
                     "rank-3", "rank-9", "other"]),
    st.one_of(st.sampled_from(PROJECTS), st.text(max_size=4), st.integers(-5, 20).map(str))),
    max_size=8))
def test_hypothesis_any_form_is_refused_cleanly_or_obeys_every_limit(ballot_type, fields):
    rules = RULES[ballot_type]
    try:
        choices = read_choices(rules, MultiDict(fields))
    except InvalidInput as refused:
        assert refused.message
        return
    assert choices.projects and set(choices.projects) <= set(COSTS)
    assert len(set(choices.projects)) == len(choices.projects)
    if ballot_type == APPROVAL:
        assert len(choices.projects) <= 3
    if ballot_type == KNAPSACK:
        assert 500_000 <= sum(COSTS[p] for p in choices.projects) <= 1_000_000
    if ballot_type == CUMULATIVE:
        assert 0 < sum(choices.points) <= 10 and min(choices.points) > 0
    if ballot_type == SCORING:
        assert all(0 < score <= 5 for score in choices.points)
    if ballot_type == ORDINAL:
        assert len(choices.projects) <= 3 and not choices.points
