"""Our greedy, MES (plain, add1, add1 then greedy) and Phragmén fund what pabutools funds.

pabutools (a test-only dependency) is an independent oracle: it parses each file with its own
reader and counts with exact fractions; both sides settle ties by project id compared as
strings, with no criteria first (pabutools' default). Its add1 is ``voter_budget_increment=1``,
which stops at the first exhaustive outcome, so ours runs with ``exhaustive_stop``.

The CI share of this comparison (about ten minutes on two cores): every variant on every file
of up to SMALL voters, and greedy, MES and Phragmén on every STRIDE-th larger file. An instance
where pabutools does not finish in PABUTOOLS_SECONDS (in a child process that is then killed,
so neither its time nor its memory is unbounded) is skipped with that reason (listed by
pytest -ra). The full sweep, every file and variant, is benchmarks/cross_check_all.py; its
numbers are in benchmarks/README.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from pb_app.tally.engine import run_tally
from tests.tally.real_elections import (
    ORACLE_SPECS,
    OutOfTime,
    election_files,
    in_child,
    index_rows,
    load,
    oracle_variants,
    pabutools_input,
    pabutools_winners,
    vector_files,
)

pytestmark = pytest.mark.slow

SMALL = 1000
STRIDE = 8
PABUTOOLS_SECONDS = 3.0
CHEAP_VARIANTS = ("greedy", "mes", "phragmen")


def _voters(path: Path) -> int:
    return int(index_rows().get(path.name, {}).get("voters", 0))


def instances() -> list[Any]:
    """(file, variant) pairs of the CI share, smallest files first."""
    files = sorted(election_files() + vector_files(), key=lambda p: (_voters(p), p.name))
    larger = [p for p in files if _voters(p) > SMALL][::STRIDE]
    pairs = []
    for path in files:
        if _voters(path) <= SMALL or path in larger:
            vote_type = index_rows().get(path.name, {}).get("vote_type", "approval")
            pairs += [pytest.param(path, variant, id=f"{variant}-{path.name}")
                      for variant in oracle_variants(vote_type)
                      if _voters(path) <= SMALL or variant in CHEAP_VARIANTS]
    return pairs


@lru_cache(maxsize=2)
def _pabutools_input(path: Path) -> tuple[Any, Any]:
    return pabutools_input(path, load(path)[0])


def test_the_ci_share_covers_every_small_file_and_a_sample_of_larger_ones():
    pairs = instances()
    files = {p.values[0] for p in pairs}
    assert {p for p in election_files() if _voters(p) <= SMALL} <= files
    assert len(files) == 186 + 3 + 17
    assert len(pairs) > 800


@pytest.mark.parametrize(("path", "variant"), instances())
def test_same_winners_as_pabutools(path: Path, variant: str):
    pabutools_in = _pabutools_input(path)
    try:
        theirs = in_child(lambda: pabutools_winners(*pabutools_in, variant), PABUTOOLS_SECONDS)
    except OutOfTime as stopped:
        pytest.skip(f"pabutools {stopped} (compared in benchmarks/cross_check_all.py)")
    ours = set(run_tally(load(path)[0], ORACLE_SPECS[variant]).selected)
    assert (sorted(ours - theirs), sorted(theirs - ours)) == ([], [])
