"""pabulib rule names are counted as their cities meant them (pb_app/tally/rulenames.py).

Every shared file with ``selected`` flags and a named rule is counted with the mapped rule and
must fund what the city funded (Poznań's flag 2, funded from reserve funds by the 80% rule,
counts as funded; its flag 3, reserve money given later in an amount no file records, does
not). Measured on the shared files: 89 of 90 files with a named rule before and after (the one
exception, Warszawa 2020 Targówek, is explained in test_city_selected.py); the seven files
whose rule is ``unknown`` are not counted (plain greedy reproduces none of them).
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

import pytest

from pb_app.tally.engine import run_tally
from pb_app.tally.model import Project, RuleSpec
from pb_app.tally.pabulib import read_pb, write_pb
from pb_app.tally.rulenames import RULE_NAMES, spec_for_election
from tests.tally.helpers import election
from tests.tally.real_elections import election_files, has_selected_column, load, meta
from tests.tally.test_city_selected import EXPECTED_MISMATCHES

# Each name in the shared files (INDEX.csv) and each the checker knows is in the table.
PABULIB_NAMES = {"greedy", "greedy-no-skip", "greedy-threshold", "greedy-custom",
                 "greedy-exclusive", "equalshares", "equalshares/add1",
                 "equalshares/add1-comparison", "unknown"}


def test_the_table_names_every_pabulib_rule():
    assert set(RULE_NAMES) == PABULIB_NAMES
    assert all(name.meaning for name in RULE_NAMES.values())


def funded_by_the_rule(rule: str, flags: dict[str, int]) -> set[str]:
    """The projects the named rule funded: flag 1, and for Poznań's rule also flag 2."""
    counted = (1, 2) if rule == "greedy-custom" else (1,)
    return {project_id for project_id, flag in flags.items() if flag in counted}


@cache
def mapped_outcome(path: Path) -> tuple[str, set[str], set[str]] | None:
    """(rule named, funded by the mapped rule, funded by the city), None for no rule."""
    election_, flags = load(path)
    spec = spec_for_election(election_)
    if spec is None:
        return None
    rule = meta(election_)["rule"]
    return rule, set(run_tally(election_, spec).selected), funded_by_the_rule(rule, flags)


CITY_FILES = [path for path in election_files() if has_selected_column(path)]


@pytest.mark.parametrize("path", CITY_FILES, ids=lambda p: p.name)
def test_the_mapped_rule_funds_what_the_city_funded(path: Path):
    outcome = mapped_outcome(path)
    if outcome is None:
        assert meta(load(path)[0]).get("rule", "unknown") == "unknown"
        return
    _, ours, official = outcome
    only_ours, only_official, _ = EXPECTED_MISMATCHES.get(path.name, (set(), set(), ""))
    assert (ours - official, official - ours) == (only_ours, only_official)


def test_reproduction_rate():
    outcomes = [mapped_outcome(path) for path in CITY_FILES]
    named = [o for o in outcomes if o is not None]
    assert (sum(ours == official for _, ours, official in named), len(named)) == (89, 90)
    assert len(outcomes) - len(named) == 7


def _with_meta(base, **pairs: str):
    return dataclasses.replace(base, meta=tuple(pairs.items()))


# a: 4 votes, b: 3, c: 2, d: 1.
LADDER = election({"a": 50, "b": 30, "c": 30, "d": 10},
                  [("a", "b", "c", "d"), ("a", "b", "c"), ("a", "b"), ("a",)], 100)


def test_greedy_custom_is_read_as_poznan_reserve_funding():
    spec = spec_for_election(_with_meta(LADDER, rule="greedy-custom"))
    assert spec == RuleSpec("greedy-no-skip", reserve_percent=80)
    # a, b fit (20 left); c (30) does not, 20 is 67% of it: stop, d is never funded.
    assert run_tally(LADDER, spec).selected == ("a", "b")
    cheaper = dataclasses.replace(LADDER, projects=(
        Project("a", 50), Project("b", 30), Project("c", 25), Project("d", 10)))
    assert run_tally(cheaper, spec).selected == ("a", "b", "c")  # 20 is 80% of 25


def test_no_skip_and_threshold_rules_take_the_files_threshold():
    for rule in ("greedy-no-skip", "greedy-threshold"):
        spec = spec_for_election(
            _with_meta(LADDER, rule=rule, min_project_score_threshold="2"))
        assert (spec.rule, spec.threshold) == (rule, 2)
    assert spec_for_election(_with_meta(LADDER, rule="greedy-no-skip")).threshold == 0


def test_unknown_or_unlisted_names_are_not_counted():
    assert spec_for_election(LADDER) is None
    assert spec_for_election(_with_meta(LADDER, rule="unknown")) is None
    assert spec_for_election(_with_meta(LADDER, rule="sortition")) is None


def test_a_file_declares_conflict_groups_and_withdrawn_projects(tmp_path: Path):
    marked = dataclasses.replace(
        _with_meta(LADDER, rule="greedy-exclusive"),
        projects=(Project("a", 50), Project("b", 30), Project("c", 30),
                  Project("d", 999_999_999)),
        project_meta=(("a", (("exclusive_group", "park"),)),
                      ("b", (("exclusive_group", "park"),)),
                      ("c", (("exclusive_group", "school"),)),
                      ("d", (("exclusive_group", ""),))),
    )
    path = tmp_path / "marked.pb"
    path.write_text(write_pb(marked), encoding="utf-8")
    spec = spec_for_election(read_pb(path))
    assert spec == RuleSpec("greedy", conflicts=(("a", "b"),), withdrawn=("d",))
    result = run_tally(read_pb(path), spec)
    assert result.selected == ("a", "c")
