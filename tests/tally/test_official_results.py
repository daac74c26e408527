"""Golden tests: the official equal-shares results that cities published, reproduced exactly.

Figures from ../shared/TALLY-NOTES.md and the files' own ``selected`` flags. Each city's
variant is spelled out as a RuleSpec; pabutools' own add1 variant (exhaustive stop) is
reproduced too.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from pb_app.tally.engine import run_tally
from pb_app.tally.model import Election, Result, RuleSpec
from tests.tally.real_elections import ELECTIONS, TESTVECTORS, load, official_selected

WIELICZKA = ELECTIONS / "Poland_Wieliczka_2023_Green_Budget.pb"
SWIECIE = ELECTIONS / "Poland_Swiecie_2023.pb"


def _step(result: Result, kind: str) -> dict:
    (step,) = [s for s in result.steps if s.kind == kind]
    return dict(step.data)


def _voters(election: Election) -> int:
    return sum(b.weight for b in election.ballots)


@pytest.mark.parametrize("integral_start", [False, True])
def test_wieliczka_2023_add1_with_comparison_is_the_official_result(integral_start: bool):
    election, flags = load(WIELICZKA)
    result = run_tally(election, RuleSpec("mes", completion="add1", comparison=True,
                                          integral_start=integral_start))
    assert (len(result.selected), result.spent) == (30, 995_079)
    assert set(result.selected) == official_selected(flags)
    assert _step(result, "comparison") == {"indifferent": 4098, "kept": "mes",
                                           "prefer_greedy": 873, "prefer_mes": 1615}


def test_wieliczka_2023_add1_keeps_the_last_endowment_before_overspending():
    election, _ = load(WIELICZKA)
    result = run_tally(election, RuleSpec("mes", completion="add1", comparison=True))
    kept = Fraction(_step(result, "add1")["kept"])
    assert kept == Fraction(1_000_000, 6586) + 164
    # Unit stepping, checked directly: plain MES at the kept endowment gives the official
    # outcome, and one unit more per voter overspends.
    n = _voters(election)
    at_kept = run_tally(dataclasses.replace(election, budget=int(kept * n)), RuleSpec("mes"))
    one_more = run_tally(dataclasses.replace(election, budget=int(kept * n) + n), RuleSpec("mes"))
    assert (len(at_kept.selected), at_kept.spent) == (30, 995_079)
    assert one_more.spent == 1_045_079 > election.budget


def test_wieliczka_2023_with_pabutools_exhaustive_stop_funds_31_projects():
    election, flags = load(WIELICZKA)
    result = run_tally(election, RuleSpec("mes", completion="add1", exhaustive_stop=True))
    assert (len(result.selected), result.spent) == (31, 984_579)
    assert set(result.selected) != official_selected(flags)


def test_swiecie_2023_prefilter_then_add1_with_comparison_is_the_official_result():
    election, flags = load(SWIECIE)
    result = run_tally(election, RuleSpec("mes", completion="add1", comparison=True,
                                          min_share_divisor=3))
    prefilter = _step(result, "prefilter")
    assert (prefilter["excluded"], prefilter["voters"]) == (("c22",), 2553)
    assert (len(result.selected), result.spent) == (17, 1_040_337)
    assert set(result.selected) == official_selected(flags)
    add1 = _step(result, "add1")
    assert Fraction(add1["start"]) == Fraction(1_070_000, 2553)
    assert Fraction(add1["kept"]) == Fraction(1_070_000, 2553) + 242


@pytest.mark.parametrize(("name", "count", "spent"), [
    ("Netherlands_Assen_2024.pb", 9, 76_700), ("Netherlands_Assen_2025.pb", 13, 94_837)])
@pytest.mark.parametrize(("integral_start", "exhaustive_stop"),
                         [(False, False), (True, False), (False, True), (True, True)])
def test_assen_add1_alone_is_the_official_result_with_every_start_and_stop(
    name: str, count: int, spent: int, integral_start: bool, exhaustive_stop: bool
):
    election, flags = load(ELECTIONS / name)
    result = run_tally(election, RuleSpec("mes", completion="add1", integral_start=integral_start,
                                          exhaustive_stop=exhaustive_stop))
    assert (len(result.selected), result.spent) == (count, spent)
    assert set(result.selected) == official_selected(flags)


def test_assen_2024_greedy_completion_would_wrongly_add_project_7():
    election, flags = load(ELECTIONS / "Netherlands_Assen_2024.pb")
    result = run_tally(election, RuleSpec("mes", completion="add1-greedy"))
    assert set(result.selected) - official_selected(flags) == {"7"}
    assert result.spent == 76_700 + 12_000


@pytest.mark.parametrize(("name", "winners"), [
    ("equalshares_net_example1.pb", ("bike", "playground", "library")),
    ("equalshares_net_example2.pb", ("gym", "park", "playground")),
])
def test_equalshares_net_worked_examples(name: str, winners: tuple[str, ...]):
    election, _ = load(TESTVECTORS / name)
    assert set(run_tally(election, RuleSpec("mes")).selected) == set(winners)
