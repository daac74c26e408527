"""The rules cities use beyond plain greedy: reserve funding (Poznań), a threshold with
no-skip (Gdynia), a threshold as a share of the voters (Warsaw 2018), conflict groups and
projects withdrawn after the vote. Each is explained step by step and verifies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pb_app import create_app
from pb_app.tally.engine import run_tally
from pb_app.tally.errors import TallyError
from pb_app.tally.explain import result_from_dict, result_to_dict, result_to_json
from pb_app.tally.model import VoteType
from pb_app.tally.pabulib import write_pb
from tests.tally.helpers import election, spec

# a: 5 votes, b: 4, c: 3, d: 2 (each voter approves a prefix of the list).
LADDER = election(
    {"a": 50, "b": 40, "c": 30, "d": 10},
    [("a", "b", "c", "d"), ("a", "b", "c", "d"), ("a", "b", "c"), ("a", "b"), ("a",)],
    100,
)


def outcomes(result) -> dict[str, str]:
    """Each project's greedy outcome, from the steps' data."""
    return {s.project_id: dict(s.data)["outcome"] for s in result.steps if s.kind == "greedy"}


def test_reserve_funds_the_next_project_when_the_money_left_covers_its_share():
    # a (50) fits, b (40) fits, c (30) does not: 10 left is 33% of it.
    assert run_tally(LADDER, spec("greedy-no-skip", reserve_percent=30)).selected == ("a", "b",
                                                                                        "c")
    result = run_tally(LADDER, spec("greedy-no-skip", reserve_percent=34))
    assert result.selected == ("a", "b")
    assert outcomes(result)["d"] == "stopped"


def test_reserve_funding_is_explained_and_the_overspend_is_not_unspent_money():
    result = run_tally(LADDER, spec("greedy-no-skip", reserve_percent=30))
    step = next(s for s in result.steps if s.project_id == "c")
    assert dict(step.data)["reserve"] == 20
    assert "reserve funds pay the other 20" in step.text
    assert (result.spent, result.unspent) == (120, 0)
    assert "20 from reserve funds" in result.steps[-1].text
    assert outcomes(result)["d"] == "stopped"


def test_poznan_reading_differs_from_plain_greedy():
    # Plain greedy skips c and funds d; Poznań stops at c and funds it from reserve funds.
    assert run_tally(LADDER, spec("greedy")).selected == ("a", "b", "d")


def test_threshold_with_no_skip_passes_over_a_weak_project_without_stopping():
    weak_first = election({"a": 50, "b": 70, "c": 40}, [("a", "b"), ("a", "b"), ("a", "c")], 100)
    # b (2 votes) does not fit: no-skip stops there and c is never reached.
    assert run_tally(weak_first, spec("greedy-no-skip")).selected == ("a",)
    # with a threshold of 3 votes, b and c are below it.
    result = run_tally(weak_first, spec("greedy-no-skip", threshold=3))
    assert outcomes(result) == {"a": "funded", "b": "below threshold", "c": "below threshold"}


def test_threshold_as_a_share_of_voters_counts_voters_not_points():
    points = election({"a": 10, "b": 10, "c": 10},
                      [{"a": 9, "b": 1}, {"a": 5, "c": 5}, {"a": 5}, {"b": 1}], 100,
                      VoteType.CUMULATIVE)
    # 50% of 4 voters is 2: a has 3 voters, b 2, c 1 (with 5 points, more than b's 2).
    result = run_tally(points, spec("greedy-threshold", threshold_percent=50))
    assert result.selected == ("a", "b")
    assert "under the threshold of 50% of the voters" in next(
        s.text for s in result.steps if s.project_id == "c")


def test_absolute_and_share_thresholds_both_apply():
    result = run_tally(LADDER, spec("greedy-threshold", threshold=3, threshold_percent=70))
    # 70% of 5 voters is 3.5: only a (5) and b (4) have enough voters; c has 3 votes.
    assert result.selected == ("a", "b")


def test_conflict_group_funds_only_the_better_supported_project():
    result = run_tally(LADDER, spec("greedy", conflicts=(("b", "a"),)))
    assert result.selected == ("a", "c", "d")
    step = next(s for s in result.steps if s.project_id == "b")
    assert dict(step.data)["rival"] == "a"
    assert "cannot be funded together with a" in step.text


def test_a_conflict_does_not_stop_a_no_skip_count():
    result = run_tally(LADDER, spec("greedy-no-skip", conflicts=(("a", "b"),)))
    assert result.selected == ("a", "c", "d")


def test_a_withdrawn_project_is_never_funded_and_the_explanation_says_so():
    for rule in ("greedy", "greedy-no-skip", "mes", "phragmen"):
        result = run_tally(LADDER, spec(rule, withdrawn=("a",)))
        assert "a" not in result.selected, rule
        step = next(s for s in result.steps if s.kind == "withdrawn")
        assert step.project_id == "a" and "withdrawn after the vote" in step.text
    assert run_tally(LADDER, spec("greedy", withdrawn=("a",))).selected == ("b", "c", "d")


@pytest.mark.parametrize(("options", "words"), [
    ({"rule": "greedy", "threshold_percent": 10}, "greedy-no-skip and greedy-threshold only"),
    ({"rule": "greedy", "reserve_percent": 80}, "greedy-no-skip only"),
    ({"rule": "greedy-no-skip", "reserve_percent": 101}, "between 0 and 100"),
    ({"rule": "greedy-threshold", "threshold_percent": -1}, "between 0 and 100"),
    ({"rule": "mes", "conflicts": (("a", "b"),)}, "greedy rules only"),
    ({"rule": "greedy", "conflicts": (("a", "a"),)}, "two different projects"),
    ({"rule": "greedy", "conflicts": (("a", "zz"),)}, "unknown project 'zz'"),
    ({"rule": "greedy", "withdrawn": ("zz",)}, "'zz' is not in the election"),
])
def test_options_that_cannot_apply_are_refused(options, words):
    with pytest.raises(TallyError, match=words):
        run_tally(LADDER, spec(**options))


def test_new_options_survive_the_json_round_trip():
    rule = spec("greedy-no-skip", threshold=1, threshold_percent=10, reserve_percent=80,
                conflicts=(("a", "b"),), withdrawn=("d",))
    result = run_tally(LADDER, rule)
    again = result_from_dict(json.loads(result_to_json(result)))
    assert again.rule == rule
    assert result_to_json(run_tally(LADDER, again.rule)) == result_to_json(result)


def test_a_result_without_the_new_options_records_none_of_them():
    recorded = result_to_dict(run_tally(LADDER, spec("greedy")))["rule"]
    assert not {"threshold_percent", "reserve_percent", "conflicts", "withdrawn"} & set(recorded)


@pytest.fixture
def cli_runner():
    return create_app({"ENV_NAME": "testing"}).test_cli_runner()


def test_the_command_line_reaches_every_new_option_and_verifies(cli_runner, tmp_path: Path):
    pb = tmp_path / "ladder.pb"
    pb.write_text(write_pb(LADDER), encoding="utf-8")
    run = cli_runner.invoke(args=[
        "tally", "run", str(pb), "--rule", "greedy-no-skip", "--threshold-percent", "10",
        "--reserve-percent", "30", "--conflict", "b,d", "--withdrawn", "a", "--json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    assert data["rule"]["conflicts"] == [["b", "d"]]
    assert data["selected"] == ["b", "c"]  # a withdrawn; c fits; d conflicts with b
    recorded = tmp_path / "result.json"
    recorded.write_text(run.output, encoding="utf-8")
    verify = cli_runner.invoke(args=["tally", "verify", str(pb), str(recorded)])
    assert verify.exit_code == 0, verify.output
