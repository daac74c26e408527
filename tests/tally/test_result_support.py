"""Each project's support in the tally's result: the support the rule counted, in the JSON,
and results recorded before it was there still verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pb_app import create_app
from pb_app.tally.engine import run_tally
from pb_app.tally.explain import result_from_dict, result_to_json
from pb_app.tally.model import VoteType
from pb_app.tally.pabulib import read_pb

from .helpers import election, spec

PRE_SUPPORT = Path(__file__).parent / "pre_support"
COSTS = {"1": 600, "2": 500, "3": 300}


@pytest.fixture(scope="module")
def cli_runner():
    """A CLI runner on an app without a database (the tally needs none)."""
    return create_app({"ENV_NAME": "testing"}).test_cli_runner()


POINTS = [{"1": 1, "2": 9}, {"1": 1, "2": 9}, {"1": 2, "3": 8}]
RANKS = [("2", "1"), ("2", "1"), ("1", "3", "2")]


@pytest.mark.parametrize(
    ("vote_type", "ballots", "options", "support"),
    [
        # Points: 2 voters gave project 2 18 points; 3 voters gave project 1 4 points.
        (VoteType.CUMULATIVE, POINTS, {}, {"1": 4, "2": 18, "3": 8}),
        (VoteType.SCORING, POINTS, {}, {"1": 4, "2": 18, "3": 8}),
        # Approval: the voters who chose it.
        (VoteType.APPROVAL, [("1", "2")] * 3 + [("1",), ("3",)], {}, {"1": 4, "2": 3, "3": 1}),
        # Ranked, Borda: the longest ballot has 3 places, so 3, 2, 1 points by place.
        (VoteType.ORDINAL, RANKS, {}, {"1": 7, "2": 7, "3": 2}),
        # Ranked, counted as approval: one point for every ranked project.
        (VoteType.ORDINAL, RANKS, {"ordinal_scheme": "approval"}, {"1": 3, "2": 3, "3": 1}),
    ],
)
def test_the_result_gives_every_project_the_support_the_rule_counted(
        vote_type, ballots, options, support) -> None:
    result = run_tally(election(COSTS, ballots, 1000, vote_type), spec("greedy", **options))
    assert result.support == tuple(support.items())


@pytest.mark.parametrize("rule", ["greedy", "greedy-no-skip", "mes"])
def test_the_greedy_steps_quote_the_same_support(rule) -> None:
    cumulative = election(COSTS, POINTS, 1000, VoteType.CUMULATIVE)
    result = run_tally(cumulative, spec(rule, **({"completion": "add1-greedy"}
                                                 if rule == "mes" else {})))
    support = dict(result.support)
    quoted = [(step.project_id, dict(step.data)["support"]) for step in result.steps
              if step.kind == "greedy"]
    assert quoted and all(support[pid] == figure for pid, figure in quoted)


def test_a_project_set_aside_by_the_pre_filter_keeps_the_support_its_ballots_gave() -> None:
    approval = election(COSTS, [("1", "2")] * 3 + [("1",)] * 2 + [("2", "3")], 1000)
    result = run_tally(approval, spec("greedy", min_share_divisor=1))
    excluded = next(dict(s.data)["excluded"] for s in result.steps if s.kind == "prefilter")
    assert excluded == ("3",)
    assert result.support == (("1", 5), ("2", 4), ("3", 1))


def test_the_json_carries_the_support_and_reads_back_byte_for_byte() -> None:
    result = run_tally(election(COSTS, POINTS, 1000, VoteType.CUMULATIVE), spec("greedy"))
    text = result_to_json(result)
    assert json.loads(text)["support"] == [["1", 4], ["2", 18], ["3", 8]]
    assert result_from_dict(json.loads(text)) == result
    assert result_to_json(result_from_dict(json.loads(text))) == text


def _recorded_before_support() -> list[tuple[Path, Path]]:
    """The result files recorded by ``tally run --json`` before results carried support."""
    files = sorted(PRE_SUPPORT.glob("*.json"))
    return [(PRE_SUPPORT / (path.stem.split("-")[0] + ".pb"), path) for path in files]


@pytest.mark.parametrize(("pb", "recorded"), _recorded_before_support(),
                         ids=lambda value: value.name)
def test_a_result_recorded_before_support_still_verifies(cli_runner, pb: Path,
                                                          recorded: Path) -> None:
    assert "support" not in json.loads(recorded.read_text(encoding="utf-8"))
    outcome = cli_runner.invoke(args=["tally", "verify", str(pb), str(recorded)])
    assert outcome.exit_code == 0, outcome.output
    assert "matches a recount" in outcome.output
    data = json.loads(recorded.read_text(encoding="utf-8"))
    rebuilt = result_to_json(result_from_dict(data), with_support=False)
    assert rebuilt + "\n" == recorded.read_text(encoding="utf-8")


def test_a_new_result_verifies_and_a_doctored_support_does_not(cli_runner,
                                                               tmp_path: Path) -> None:
    pb = PRE_SUPPORT / "cumulative.pb"
    recorded = tmp_path / "result.json"
    recorded.write_text(result_to_json(run_tally(read_pb(pb), spec("greedy"))) + "\n",
                        encoding="utf-8")
    good = cli_runner.invoke(args=["tally", "verify", str(pb), str(recorded)])
    assert good.exit_code == 0, good.output
    data = json.loads(recorded.read_text(encoding="utf-8"))
    data["support"][1][1] = 2
    recorded.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")),
                        encoding="utf-8")
    doctored = cli_runner.invoke(args=["tally", "verify", str(pb), str(recorded)])
    assert doctored.exit_code == 1
    assert "support: recorded" in doctored.output
