"""Helpers for the tally tests and benchmarks that use the real elections in ``shared/pabulib``.

Also the adapter to pabutools, the independent oracle (a test-only dependency).
"""

from __future__ import annotations

import contextlib
import csv
import io
import multiprocessing
import os
import resource
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pb_app.tally.model import Election, RuleSpec, TieBreak
from pb_app.tally.pabulib import read_pb_with_selected

T = TypeVar("T")

PABULIB = Path(os.environ.get("PB_PABULIB_DIR", Path(__file__).parents[3] / "shared" / "pabulib"))
ELECTIONS = PABULIB / "elections"
TESTVECTORS = PABULIB / "testvectors"


def election_files() -> list[Path]:
    """Every real election file, in name order."""
    return sorted(ELECTIONS.glob("*.pb"))


def vector_files() -> list[Path]:
    """The hand-checkable test vectors, in name order."""
    return sorted(TESTVECTORS.glob("*.pb"))


@lru_cache(maxsize=1)
def index_rows() -> dict[str, dict[str, str]]:
    """INDEX.csv by file name (``Poland_Lodz_2022.pb``): country, vote_type, rule, voters..."""
    with (PABULIB / "INDEX.csv").open(encoding="utf-8", newline="") as handle:
        return {Path(row["file"]).name: row for row in csv.DictReader(handle)}


def voters(name: str) -> int:
    """The number of voters of an election file, from INDEX.csv."""
    return int(index_rows()[name]["voters"])


@lru_cache(maxsize=16)
def load(path: Path) -> tuple[Election, dict[str, int] | None]:
    """Read a file once per test session (the few most recent are kept)."""
    return read_pb_with_selected(path)


def meta(election: Election) -> dict[str, str]:
    """The election's META pairs as a dict."""
    return dict(election.meta)


def official_selected(flags: dict[str, int] | None) -> set[str]:
    """The project ids a file marks as funded (``selected`` = 1)."""
    return {project_id for project_id, flag in (flags or {}).items() if flag == 1}


def checker_report(text: str) -> dict[str, dict]:
    """Run pabulib-checker on ``.pb`` text; return its ``errors`` and ``warnings`` by type."""
    from pabulib.checker import Checker

    with contextlib.redirect_stdout(io.StringIO()):
        results = Checker().process_files([text])
    (report,) = (value for key, value in results.items() if key not in ("metadata", "summary"))
    return report["results"]


# pabutools as an independent oracle (test and benchmark only) ------------------------------

# pabutools settles every tie by project id compared as strings, with no criteria first.
PABUTOOLS_TIES = TieBreak(criteria=(), order="lexico")

# Our rule for each pabutools variant compared. pabutools' add1 (``voter_budget_increment=1``)
# stops at the first exhaustive outcome, and its greedy completion follows it.
ORACLE_SPECS = {
    "greedy": RuleSpec("greedy", tie_break=PABUTOOLS_TIES),
    "mes": RuleSpec("mes", tie_break=PABUTOOLS_TIES),
    "mes-add1": RuleSpec("mes", completion="add1", exhaustive_stop=True,
                         tie_break=PABUTOOLS_TIES),
    "mes-add1-greedy": RuleSpec("mes", completion="add1-greedy", exhaustive_stop=True,
                                tie_break=PABUTOOLS_TIES),
    "phragmen": RuleSpec("phragmen", tie_break=PABUTOOLS_TIES),
}


def oracle_variants(vote_type: str) -> list[str]:
    """The variants that apply to a ballot type (sequential Phragmén: approval ballots only)."""
    approval = vote_type in ("approval", "choose-1")
    return [v for v in ORACLE_SPECS if v != "phragmen" or approval]


def pabutools_input(path: Path, election: Election) -> tuple[Any, Any]:
    """Parse the file with pabutools' own reader, as a multiprofile; ranked ballots scored.

    The budget is set to our whole-unit budget (four files declare fractions of a unit), and
    ranked ballots get the points our ``borda`` scheme gives (top = the longest allowed
    ballot), since pabutools has no rule for ranked ballots.
    """
    from fractions import Fraction

    from pabutools.election import CardinalBallot, CardinalProfile, parse_pabulib

    instance, profile = parse_pabulib(str(path))
    instance.budget_limit = Fraction(election.budget)
    if election.vote_type == "ordinal":
        top = _borda_top(election)
        scored = [CardinalBallot({p: top - rank for rank, p in enumerate(b)}) for b in profile]
        profile = CardinalProfile(scored, instance=instance)
    return instance, profile.as_multiprofile()


def _borda_top(election: Election) -> int:
    declared = meta(election).get("max_length", "")
    longest = max((len(b.projects) for b in election.ballots), default=0)
    return max(longest, int(declared)) if declared.strip().isdigit() else longest


def pabutools_winners(instance: Any, profile: Any, variant: str) -> set[str]:
    """The projects pabutools funds under a variant (its default lexicographic ties)."""
    from pabutools.election import Additive_Cardinal_Sat, Cost_Sat
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
        sequential_phragmen,
    )

    approval = profile.__class__.__name__.startswith("Approval")
    greedy = {"sat_class": Cost_Sat if approval else _points_cost_sat()}
    mes = {"sat_class": Cost_Sat if approval else Additive_Cardinal_Sat}
    if variant == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, **greedy)
    elif variant == "mes":
        outcome = method_of_equal_shares(instance, profile, **mes)
    elif variant == "mes-add1":
        outcome = method_of_equal_shares(instance, profile, voter_budget_increment=1, **mes)
    elif variant == "mes-add1-greedy":
        outcome = completion_by_rule_combination(
            instance, profile, [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"voter_budget_increment": 1, **mes}, greedy])
    else:
        outcome = sequential_phragmen(instance, profile)
    return {project.name for project in outcome}


@lru_cache(maxsize=1)
def _points_cost_sat() -> type:
    """Satisfaction points x cost, so that pabutools' greedy orders projects by total points."""
    from pabutools.election import AdditiveSatisfaction

    class PointsCostSat(AdditiveSatisfaction):
        def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
            super().__init__(instance, profile, ballot,
                             lambda _i, _p, b, project, _pre: b.get(project, 0) * project.cost)

    return PointsCostSat


def has_selected_column(path: Path) -> bool:
    """True when the file's PROJECTS header has a ``selected`` column (read without parsing)."""
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            if line.strip().upper() == "PROJECTS":
                return "selected" in next(handle).strip().split(";")
    return False


class OutOfTime(Exception):
    """A run did not finish within its time (or memory) limit."""


def in_child(work: Callable[[], T], seconds: float, memory_mb: int = 4096) -> T:
    """Run ``work`` in a forked child process and return its (picklable) value.

    The child is killed once ``seconds`` have passed and may take ``memory_mb`` more address
    space than this process has; either way OutOfTime is raised, so a run that would go on
    for hours or fill the machine's memory cannot (an alarm signal in this process could be
    lost inside a finaliser and would not bound memory). An error in ``work`` is re-raised
    here with its message.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    limit = _address_space_bytes() + memory_mb * 2**20
    child = context.Process(target=_run_child, args=(work, sender, limit), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise OutOfTime(f"did not finish in {seconds:g} s")
        status, value = receiver.recv()
    except EOFError:
        raise OutOfTime(f"stopped: it needed more than {memory_mb:,} MB") from None
    finally:
        child.kill()
        child.join()
        receiver.close()
    if status == "memory":
        raise OutOfTime(f"stopped: it needed more than {memory_mb:,} MB")
    if status == "error":
        raise RuntimeError(value)
    return value


def _run_child(work: Callable[[], Any], sender: Any, limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        sender.send(("ok", work()))
    except MemoryError:
        sender.send(("memory", None))
    except Exception as error:  # reported to the parent, which raises it
        sender.send(("error", f"{type(error).__name__}: {error}"))


def _address_space_bytes() -> int:
    """This process's virtual memory size (what RLIMIT_AS counts)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()
