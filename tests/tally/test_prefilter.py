"""The vote-share pre-filter (``min_share_divisor``): who is excluded, exactly, and what stays."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pb_app.tally.engine import TallyError, run_tally
from pb_app.tally.explain import render_text
from pb_app.tally.model import VoteType

from .helpers import election, spec


def _step(result, kind: str) -> dict:
    (step,) = [s for s in result.steps if s.kind == kind]
    return dict(step.data)


def _ten_voters(big_votes: int) -> list[tuple[str, ...]]:
    """Ten voters: ``big_votes`` choose "big" and "small", the rest "small" only."""
    return [("big", "small")] * big_votes + [("small",)] * (10 - big_votes)


@pytest.mark.parametrize(("big_votes", "excluded"), [(2, ()), (1, ("big",))])
def test_a_share_exactly_at_the_threshold_is_kept_and_one_vote_less_is_excluded(
        big_votes: int, excluded: tuple[str, ...]):
    # "big" costs 60 of a budget of 100; with divisor 3 it needs 60 / 300 = 20% of the voters.
    tally = run_tally(election({"big": 60, "small": 10}, _ten_voters(big_votes), 100),
                      spec("greedy", min_share_divisor=3))
    assert _step(tally, "prefilter")["excluded"] == excluded
    assert ("big" in tally.selected) is not bool(excluded)


def test_voters_whose_every_choice_is_excluded_still_count_towards_the_budget_per_voter():
    # One voter of ten chose only "lone", which needs 50 / 300 of the voters and is excluded.
    ballots = [("lone",)] * 1 + [("pick",)] * 9
    tally = run_tally(election({"lone": 50, "pick": 45}, ballots, 100),
                      spec("mes", completion="add1", min_share_divisor=3))
    assert _step(tally, "prefilter")["excluded"] == ("lone",)
    assert Fraction(_step(tally, "add1")["start"]) == Fraction(100, 10)  # not 100 / 9
    assert tally.selected == ("pick",)


def test_points_stay_with_their_projects_when_others_are_excluded():
    points = election({"a": 30, "b": 80, "c": 30},
                      [{"b": 1, "a": 5}, {"a": 2, "c": 4}, {"c": 6}, {"a": 1, "c": 1}],
                      100, VoteType.CUMULATIVE)
    tally = run_tally(points, spec("greedy", min_share_divisor=3))
    assert _step(tally, "prefilter")["excluded"] == ("b",)  # 1 of 4 voters < 80 / 300
    by_hand = run_tally(election({"a": 30, "c": 30}, [{"a": 5}, {"a": 2, "c": 4}, {"c": 6},
                                                      {"a": 1, "c": 1}], 100,
                                 VoteType.CUMULATIVE), spec("greedy"))
    assert tally.selected == by_hand.selected == ("c", "a")


def test_the_divisor_is_part_of_the_declared_rule_and_of_the_explanation():
    tally = run_tally(election({"big": 60, "small": 10}, _ten_voters(1), 100),
                      spec("greedy", min_share_divisor=3))
    text = render_text(tally)
    assert "pre-filter: share of voters at least cost / (3 x budget)" in text
    assert "Excluded: big." in text
    assert tally.rule.min_share_divisor == 3


@pytest.mark.parametrize("divisor", [-1, 1.5])
def test_a_bad_divisor_is_refused(divisor):
    with pytest.raises(TallyError, match="pre-filter divisor must be a whole number"):
        run_tally(election({"a": 1}, [("a",)], 1), spec("greedy", min_share_divisor=divisor))
