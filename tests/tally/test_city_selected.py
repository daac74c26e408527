"""Where a file names the rule its city used and marks the funded projects, we fund the same.

97 shared files carry ``selected`` flags; 90 of them name their rule in META (7 say
``unknown`` and are left out). Match rate by rule (files where our rule funds exactly the
official projects / files), each rule read as its city meant it (pb_app/tally/rulenames.py):
greedy 27/28, greedy-no-skip 26/26, greedy-threshold 29/29, greedy-custom 3/3 (Poznań's
reserve rule), equalshares/add1 3/3 and
equalshares/add1-comparison 1/1. Every mismatch is in EXPECTED_MISMATCHES with its reason, so
a new one fails. pabulib-checker, which recomputes ``selected`` on its own, must accept our
export of each file with our selection.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from pb_app.tally.engine import run_tally
from pb_app.tally.pabulib import write_pb
from pb_app.tally.rulenames import spec_for_election
from tests.tally.real_elections import (
    checker_report,
    election_files,
    has_selected_column,
    load,
    meta,
    official_selected,
)

# file -> (funded by us only, funded officially only, why)
EXPECTED_MISMATCHES = {
    "Poland_Warszawa_2020_Targowek.pb": (
        {"1667"}, {"1325", "1686", "1903", "2025", "331"},
        "the city skipped 1667 (550,000, 1,012 votes: a playground in Las Brodnowski) and "
        "funded 1686 (500,000, 957 votes: a footbridge in the same forest) and four small "
        "projects with the money left; by votes 1667 comes first and fits. pabulib-checker "
        "reports the same 'greedy rule not followed' on the original file, so the file, not "
        "the rule, departs from plain greedy (most likely a conflict between the two projects "
        "at one site).",
    ),
}

EXPECTED_RATES = {
    "greedy": (27, 28), "greedy-no-skip": (26, 26), "greedy-threshold": (29, 29),
    "greedy-custom": (3, 3), "equalshares/add1": (3, 3), "equalshares/add1-comparison": (1, 1),
}

# pabulib-checker's own equal-shares recount of these takes minutes (Wieliczka alone ~50 s
# on this machine class); the golden tests check their official results instead.
SLOW_FOR_THE_CHECKER = {"Poland_Wieliczka_2023_Green_Budget.pb"}


def city_files() -> list[Path]:
    """The files with official ``selected`` flags."""
    return [path for path in election_files() if has_selected_column(path)]


@cache
def outcome(path: Path) -> tuple[str, set[str], set[str]] | None:
    """(rule named, funded by us, funded officially), or None when the file names no rule."""
    election, flags = load(path)
    rule = meta(election).get("rule", "unknown")
    spec = spec_for_election(election)
    if spec is None:
        return None
    return rule, set(run_tally(election, spec).selected), official_selected(flags)


@pytest.mark.parametrize("path", city_files(), ids=lambda p: p.name)
def test_our_rule_funds_what_the_city_funded(path: Path):
    result = outcome(path)
    if result is None:
        assert meta(load(path)[0]).get("rule") == "unknown"
        return
    _, ours, official = result
    only_ours, only_official, _ = EXPECTED_MISMATCHES.get(path.name, (set(), set(), ""))
    assert (ours - official, official - ours) == (only_ours, only_official)


def test_match_rate_per_rule():
    rates: dict[str, list[int]] = {}
    for path in city_files():
        result = outcome(path)
        if result is not None:
            rule, ours, official = result
            counts = rates.setdefault(rule, [0, 0])
            counts[0] += ours == official
            counts[1] += 1
    assert {rule: tuple(counts) for rule, counts in rates.items()} == EXPECTED_RATES
    assert set(EXPECTED_MISMATCHES) <= {p.name for p in city_files()}


@pytest.mark.parametrize(
    "path", [p for p in city_files() if p.name not in SLOW_FOR_THE_CHECKER], ids=lambda p: p.name)
def test_pabulib_checker_accepts_our_selection(path: Path):
    result = outcome(path)
    if result is None:
        return
    election, _ = load(path)
    errors = checker_report(write_pb(election, selected=result[1]))["errors"]
    assert not {kind for kind in errors if "rule not followed" in kind or "threshold" in kind}
