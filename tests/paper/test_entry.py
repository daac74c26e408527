"""What a clerk types for a sheet, read with each ballot type's rules."""

from __future__ import annotations

import pytest

from pb_app.errors import InvalidInput
from pb_app.paper.entry import in_numbers, project_numbers, read_keyed
from pb_app.voting.ballots import BallotRules, Choices

COSTS = {"11": 100, "12": 200, "13": 300, "20": 400}


def rules(ballot_type: str, **limits) -> BallotRules:
    return BallotRules(ballot_type=ballot_type, costs=COSTS, **limits)


@pytest.mark.parametrize(("ballot_type", "limits", "typed", "choices"), [
    ("approval", {"max_choices": 3}, "4 1", Choices(("11", "20"))),
    ("approval", {"max_choices": 3}, " 2, 3 ", Choices(("12", "13"))),
    ("knapsack", {"budget_pence": 500}, "1 4", Choices(("11", "20"))),
    ("ordinal", {"top_k": 3}, "4 1 2", Choices(("20", "11", "12"))),
    ("cumulative", {"points": 10}, "3=5 1=2", Choices(("11", "13"), (2, 5))),
    ("scoring", {"max_score": 5}, "2=5 4=0", Choices(("12",), (5,))),
])
def test_numbers_typed_become_the_ballots_choices(ballot_type, limits, typed, choices):
    ballot = rules(ballot_type, **limits)
    assert read_keyed(ballot, typed) == choices
    assert read_keyed(ballot, in_numbers(ballot, choices)) == choices


@pytest.mark.parametrize(("ballot_type", "limits", "typed", "reason"), [
    ("approval", {"max_choices": 3}, "", "Type the numbers"),
    ("approval", {"max_choices": 3}, "5", "'5' is not a project number"),
    ("approval", {"max_choices": 3}, "0", "numbered 1 to 4"),
    ("approval", {"max_choices": 3}, "x", "'x' is not a project number"),
    ("approval", {"max_choices": 3}, "9" * 5000, "is not a project number"),
    ("approval", {"max_choices": 2}, "1 2 3", "up to 2 projects"),
    ("approval", {"max_choices": 3}, "1 1", "more than once"),
    ("knapsack", {"budget_pence": 500}, "3 4", "more than the budget"),
    ("ordinal", {"top_k": 2}, "1 2 3", "rank up to 2"),
    ("cumulative", {"points": 10}, "3=11", "10 points to spread"),
    ("cumulative", {"points": 10}, "3", "such as 3=5"),
    ("cumulative", {"points": 10}, "3=", "such as 3=5"),
    ("scoring", {"max_score": 5}, "1=6", "from 0 to 5"),
])
def test_a_bad_entry_is_refused_with_the_reason(ballot_type, limits, typed, reason):
    with pytest.raises(InvalidInput, match=reason):
        read_keyed(rules(ballot_type, **limits), typed)


def test_projects_are_numbered_in_the_ballots_order():
    assert project_numbers(rules("approval")) == {"11": 1, "12": 2, "13": 3, "20": 4}
