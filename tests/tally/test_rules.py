"""Rule tests: tables of small elections whose results can be checked by hand."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction

import pytest

from pb_app.tally.engine import TallyError, run_tally
from pb_app.tally.explain import render_text, result_from_dict, result_to_dict, result_to_json
from pb_app.tally.model import Ballot, RuleSpec, TieBreak, VoteType
from pb_app.tally.support import build_profile

from .helpers import EXAMPLE_1, EXAMPLE_2, election, spec

ABC = election(
    {"a": 60, "b": 50, "c": 30},
    [("a", "b", "c"), ("a", "b"), ("a",)],
    100,
)
TIED = election({"p10": 100, "p9": 90}, [("p10", "p9")] * 3, 150)


@pytest.mark.parametrize(
    ("rule", "options", "selected", "spent"),
    [
        ("greedy", {}, ("a", "c"), 90),
        ("greedy-no-skip", {}, ("a",), 60),
        ("greedy-threshold", {"threshold": 2}, ("a",), 60),
        ("greedy-threshold", {"threshold": 1}, ("a", "c"), 90),
    ],
)
def test_greedy_variants(rule, options, selected, spent) -> None:
    result = run_tally(ABC, spec(rule, **options))
    assert (result.selected, result.spent, result.unspent) == (selected, spent, 100 - spent)
    assert result.allocation == tuple((pid, ABC.projects[ord(pid) - 97].cost) for pid in selected)


def test_greedy_explains_each_project_in_order() -> None:
    steps = [s for s in run_tally(ABC, spec("greedy")).steps if s.kind == "greedy"]
    assert [s.project_id for s in steps] == ["a", "b", "c"]
    assert [dict(s.data)["outcome"] for s in steps] == ["funded", "does not fit", "funded"]
    assert [dict(s.data)["left"] for s in steps] == [40, 40, 10]
    assert "only 40 left" in steps[1].text


@pytest.mark.parametrize(
    ("tie_break", "selected", "decided_by"),
    [
        (TieBreak(criteria=(), order="lexico"), ("p10",), "lexico"),
        (TieBreak(criteria=("cost",), order="lexico"), ("p9",), "cost"),
        (TieBreak(criteria=(), order="declared", declared=("p9", "p10")), ("p9",), "declared"),
    ],
)
def test_greedy_ties_follow_the_declared_order_and_are_recorded(
    tie_break, selected, decided_by
) -> None:
    result = run_tally(TIED, RuleSpec(rule="greedy", tie_break=tie_break))
    assert result.selected == selected
    assert [(t.winner, t.decided_by, sorted(t.projects)) for t in result.ties] == [
        (selected[0], decided_by, ["p10", "p9"])
    ]
    assert result.steps[result.ties[0].step - 1].project_id == selected[0]


def test_lottery_order_comes_from_the_seed_hash() -> None:
    seed = "drawn-2026-05-01"
    lots = {pid: hashlib.sha256(f"{seed}:{pid}".encode()).hexdigest() for pid in ("p10", "p9")}
    expected = min(lots, key=lots.get)
    result = run_tally(TIED, spec("greedy", tie_break=TieBreak((), "lottery", seed)))
    assert result.selected == (expected,)
    assert result.ties[0].decided_by == "lottery"


def test_no_tie_is_recorded_when_only_one_tied_project_fits() -> None:
    tight = election({"p10": 100, "p9": 90}, [("p10", "p9")] * 3, 95)
    result = run_tally(tight, spec("greedy"))
    assert (result.selected, result.ties) == (("p9",), ())


def test_greedy_on_cumulative_ballots_ranks_by_points() -> None:
    cumulative = election(
        {"a": 50, "b": 50, "c": 50},
        [{"a": 1, "b": 4}, {"a": 2, "c": 3}, {"c": 5}],
        100,
        VoteType.CUMULATIVE,
    )
    result = run_tally(cumulative, spec("greedy"))
    assert result.selected == ("c", "b")
    assert [dict(s.data)["support"] for s in result.steps if s.kind == "greedy"] == [8, 4, 3]


@pytest.mark.parametrize(
    ("scheme", "support"),
    [("borda", {"a": 3 + 3, "b": 2 + 1, "c": 1 + 2}), ("approval", {"a": 2, "b": 2, "c": 2})],
)
def test_ranked_ballots_become_points(scheme, support) -> None:
    ranked = election(
        {"a": 10, "b": 10, "c": 10}, [("a", "b", "c"), ("a", "c", "b")], 30, VoteType.ORDINAL
    )
    profile = build_profile(ranked, scheme)
    assert dict(zip(profile.ids, profile.support, strict=True)) == support


def test_borda_uses_the_declared_ballot_length() -> None:
    ranked = election({"a": 10, "b": 10}, [("a",), ("b", "a")], 30, VoteType.ORDINAL)
    declared = type(ranked)(**{**ranked.__dict__, "meta": (("max_length", "3"),)})
    assert build_profile(declared).support == (3 + 2, 3)


def test_identical_ballots_are_grouped_with_weights() -> None:
    profile = build_profile(election({"a": 1, "b": 1}, [("b", "a"), ("a", "b"), ("a",)], 2))
    assert (profile.n_voters, len(profile.groups), profile.support) == (3, 2, (3, 2))


@pytest.mark.parametrize(
    ("example", "selected"),
    [(EXAMPLE_1, ("bike", "playground", "library")), (EXAMPLE_2, ("gym", "park", "playground"))],
)
def test_mes_reproduces_the_equalshares_net_examples(example, selected) -> None:
    assert run_tally(example, spec("mes")).selected == selected


def test_mes_explains_prices_and_payments() -> None:
    steps = {s.project_id: dict(s.data) for s in run_tally(EXAMPLE_1, spec("mes")).steps
             if s.kind == "mes"}
    assert steps["bike"]["price"] == "100.00"
    assert (steps["bike"]["full_payers"], steps["bike"]["capped_payers"]) == (7, 0)
    assert steps["playground"]["price"] == "50.00"
    assert steps["library"]["price"] == "33.33"
    unfunded = [s for s in run_tally(EXAMPLE_1, spec("mes")).steps if s.kind == "mes-unfunded"]
    # At the end park's backers 7 and 10 hold 100 - 50 - 100/3 each; gym's backers nothing.
    assert {s.project_id: dict(s.data)["supporters_left"] for s in unfunded} == {
        "gym": "0.00", "park": "33.33"
    }


def test_mes_natural_utilities_on_points() -> None:
    # e = 5 each. y: alpha 4/3 (voter 2 pays 4); x then: 5 + 1 = 6 at alpha 5/2.
    points = election({"x": 6, "y": 4}, [{"x": 2}, {"x": 1, "y": 3}], 10, VoteType.CUMULATIVE)
    result = run_tally(points, spec("mes"))
    assert (result.selected, result.spent) == (("y", "x"), 10)
    x = next(dict(s.data) for s in result.steps if s.project_id == "x" and s.kind == "mes")
    assert (x["full_payers"], x["capped_payers"], x["capped_paid"]) == (1, 1, "1.00")


@pytest.mark.parametrize(
    ("options", "selected", "kept"),
    [
        ({"completion": "add1"}, ("p10",), Fraction(63)),
        ({"completion": "add1", "exhaustive_stop": True}, ("p10",), Fraction(50)),
        ({"completion": "add1", "tie_break": TieBreak(("cost",), "lexico")}, ("p9",), Fraction(63)),
        ({"completion": "add1", "increment": 5}, ("p10",), Fraction(60)),
    ],
)
def test_add1_keeps_the_last_outcome_that_fits(options, selected, kept) -> None:
    # e starts at 50; p10 first leaves 3 x (e - 100/3); p9 (90) becomes affordable at e = 63.34.
    result = run_tally(TIED, spec("mes", **options))
    assert result.selected == selected
    add1 = dict(next(s for s in result.steps if s.kind == "add1").data)
    assert add1["kept"] == f"{kept.numerator}/{kept.denominator}"


def test_add1_integral_start_uses_whole_units() -> None:
    odd = election({"a": 10}, [("a",)] * 3, 100)
    result = run_tally(odd, spec("mes", completion="add1", integral_start=True))
    assert dict(next(s for s in result.steps if s.kind == "add1").data)["start"] == "33/1"


def test_comparison_step_counts_voters() -> None:
    result = run_tally(EXAMPLE_1, spec("mes", comparison=True))
    data = dict(next(s for s in result.steps if s.kind == "comparison").data)
    # MES funds bike, playground, library; greedy funds bike, gym.
    assert (data["prefer_mes"], data["prefer_greedy"], data["indifferent"]) == (4, 6, 1)
    assert result.selected == ("bike", "gym")
    assert result.ties == ()


def test_comparison_keeping_greedy_records_the_greedy_ties() -> None:
    # Greedy (2 voters prefer it) funds p10 on the lexico tie; MES funds only the cheap c.
    tied = election({"p10": 100, "p9": 100, "c": 40}, [("p10", "p9"), ("p10", "p9"), ("c",)], 140)
    result = run_tally(tied, spec("mes", comparison=True))
    assert result.selected == ("p10", "c")
    assert [(t.winner, t.decided_by) for t in result.ties] == [("p10", "lexico")]


def test_greedy_completion_adds_what_fits_after_mes() -> None:
    plain = run_tally(EXAMPLE_2, spec("mes"))
    completed = run_tally(EXAMPLE_2, spec("mes", completion="add1-greedy"))
    assert plain.selected == ("gym", "park", "playground")
    assert completed.selected[:3] == plain.selected
    assert completed.spent <= 1100 and completed.spent >= plain.spent
    rest = [p for p in EXAMPLE_2.projects if p.id not in completed.selected]
    assert all(p.cost > completed.unspent for p in rest)


def test_mes_tie_is_recorded() -> None:
    result = run_tally(TIED, spec("mes"))
    assert [(t.winner, t.decided_by) for t in result.ties] == [("p10", "lexico")]


def test_phragmen_on_example_1() -> None:
    # Loads: library 100/3; park 316.67/5; playground 90; gym 98.33; bike 184.3 does not fit.
    result = run_tally(EXAMPLE_1, spec("phragmen"))
    assert (result.selected, result.spent) == (("library", "park", "playground", "gym"), 950)
    loads = [dict(s.data)["load"] for s in result.steps if s.kind == "phragmen"]
    assert loads[:2] == ["100/3", "190/3"]
    assert [s.kind for s in result.steps][-2] == "phragmen-stop"


def test_phragmen_ties_follow_the_order() -> None:
    assert run_tally(TIED, spec("phragmen")).selected == ("p9",)
    same = election({"b": 10, "a": 10}, [("a", "b")], 10)
    result = run_tally(same, spec("phragmen"))
    assert (result.selected, result.ties[0].decided_by) == (("a",), "lexico")


@pytest.mark.parametrize(
    ("the_election", "the_spec", "message"),
    [
        (ABC, RuleSpec(rule="borda-count"), "unknown rule"),
        (election({"a": 1}, [{"a": 2}], 1, VoteType.CUMULATIVE), RuleSpec(rule="phragmen"),
         "approval ballots only"),
        (ABC, RuleSpec(rule="greedy", completion="add1"), "mes rule only"),
        (ABC, RuleSpec(rule="mes", completion="add2"), "unknown completion"),
        (ABC, RuleSpec(rule="mes", exhaustive_stop=True), "need the add1 completion"),
        (ABC, RuleSpec(rule="mes", completion="add1", increment=0), "increment"),
        (ABC, RuleSpec(rule="greedy", threshold=3), "greedy-threshold only"),
        (ABC, RuleSpec(rule="greedy", tie_break=TieBreak((), "lottery")), "seed"),
        (ABC, RuleSpec(rule="greedy", tie_break=TieBreak((), "declared", declared=("a",))),
         "every project"),
        (ABC, RuleSpec(rule="greedy", tie_break=TieBreak(("age",), "lexico")), "criterion"),
        (election({"a": 1}, [("z",)], 1), RuleSpec(rule="greedy"), "unknown project"),
        (election({"a": 1}, [("a", "a")], 1), RuleSpec(rule="greedy"), "twice"),
    ],
)
def test_bad_rules_and_ballots_raise_plain_errors(the_election, the_spec, message) -> None:
    with pytest.raises(TallyError, match=message):
        run_tally(the_election, the_spec)


def test_tally_error_is_a_value_error() -> None:
    assert issubclass(TallyError, ValueError)


def test_weighted_ballots_count_as_many_voters() -> None:
    weighted = type(ABC)(**{**ABC.__dict__, "ballots": (Ballot(("c",), weight=5), *ABC.ballots)})
    assert run_tally(weighted, spec("greedy")).selected[0] == "c"


@pytest.mark.parametrize("rule", ["greedy", "mes", "phragmen"])
def test_json_is_canonical_and_round_trips(rule) -> None:
    result = run_tally(EXAMPLE_1, spec(rule, **({"completion": "add1"} if rule == "mes" else {})))
    text = result_to_json(result)
    assert text == result_to_json(run_tally(EXAMPLE_1, result.rule))
    assert result_to_json(result_from_dict(json.loads(text))) == text
    assert result_from_dict(json.loads(text)).rule == result.rule

    def no_floats(value) -> bool:
        if isinstance(value, dict):
            return all(no_floats(v) for v in value.values())
        if isinstance(value, list):
            return all(no_floats(v) for v in value)
        return not isinstance(value, float)

    data = result_to_dict(result)
    assert no_floats(data)
    assert (data["selected"], data["spent"], data["budget"]) == (
        list(result.selected), result.spent, 1100)


def test_text_rendering_names_rule_money_and_ties() -> None:
    text = render_text(run_tally(TIED, spec("mes", completion="add1")))
    assert "Rule: mes; completion add1; increment 1" in text
    assert "Budget: 150; spent 100; unspent 50" in text
    assert "p10, p9 tied; p10 first (decided by lexico)" in text


def test_every_result_carries_version_and_fingerprint() -> None:
    result = run_tally(ABC, spec("greedy"))
    assert result.algorithm_version.startswith("pb_app-tally/")
    assert len(result.input_fingerprint) == 64
