"""Cross-check every shared election against pabutools, rule by rule, and say what did not match.

    nice .venv/bin/python -m benchmarks.cross_check_all [--timeout 120] [--only PATTERN]
        [--variants greedy,mes,...] [--output benchmarks/cross_check_results.csv]

For each file (smallest first) and each variant (greedy, mes, mes-add1, mes-add1-greedy with
pabutools' exhaustive stop, and phragmen on approval ballots) both tallies run in this process
with a time limit each; the winners are compared as sets. Every instance is reported: match,
MISMATCH (with the projects only one side funds), or not compared and why (a side did not
finish in time, or failed). One CSV row per instance is written as soon as it is known, and a
summary per variant is printed at the end. The test suite runs a fast subset of the same
comparison (tests/tally/test_against_pabutools.py).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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

FIELDS = ("file", "vote_type", "voters", "projects", "variant", "outcome", "ours_s",
          "pabutools_s", "winners", "only_ours", "only_pabutools", "detail")


def timed(work: Callable[[], Any], seconds: float) -> tuple[str, Any, float]:
    """Run ``work`` with a time limit: (ok|timeout|error, value or message, seconds)."""
    started = time.perf_counter()
    try:
        value = in_child(work, seconds)
    except OutOfTime as stopped:
        return "timeout", str(stopped), time.perf_counter() - started
    except Exception as error:  # every failure is reported in the table, never hidden
        return "error", f"{type(error).__name__}: {error}", time.perf_counter() - started
    return "ok", value, time.perf_counter() - started


def compare_file(path: Path, variants: list[str], seconds: float) -> Iterator[dict[str, Any]]:
    """Yield one row per variant that applies to the file."""
    election, _ = load(path)
    base = {"file": path.name, "vote_type": election.vote_type.value,
            "voters": sum(b.weight for b in election.ballots),
            "projects": len(election.projects)}
    parsed = timed(lambda: pabutools_input(path, election), seconds)
    for variant in [v for v in oracle_variants(election.vote_type) if v in variants]:
        ours = timed(lambda v=variant: frozenset(run_tally(election, ORACLE_SPECS[v]).selected),
                     seconds)
        theirs = parsed if parsed[0] != "ok" else timed(
            lambda v=variant: frozenset(pabutools_winners(*parsed[1], v)), seconds)
        yield {**base, "variant": variant, **_outcome(ours, theirs)}


def _outcome(ours: tuple[str, Any, float], theirs: tuple[str, Any, float]) -> dict[str, Any]:
    row = {"ours_s": f"{ours[2]:.2f}", "pabutools_s": f"{theirs[2]:.2f}"}
    if ours[0] != "ok" or theirs[0] != "ok":
        failed = [f"ours: {ours[1]}" if ours[0] != "ok" else "",
                  f"pabutools: {theirs[1]}" if theirs[0] != "ok" else ""]
        kind = "timeout" if "timeout" in (ours[0], theirs[0]) else "error"
        return {**row, "outcome": f"not compared ({kind})",
                "detail": "; ".join(f for f in failed if f)}
    only_ours, only_theirs = sorted(ours[1] - theirs[1]), sorted(theirs[1] - ours[1])
    return {**row, "outcome": "MISMATCH" if only_ours or only_theirs else "match",
            "winners": len(ours[1]), "only_ours": " ".join(only_ours),
            "only_pabutools": " ".join(only_theirs)}


def _files(only: str | None) -> list[Path]:
    files = election_files() + vector_files()
    if only:
        files = [f for f in files if only in f.name]
    return sorted(files, key=lambda f: (int(index_rows().get(f.name, {}).get("voters", 0)),
                                        f.name))


def summarise(rows: list[dict[str, Any]]) -> str:
    """Per variant: how many matched, and every instance that did not."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    lines = []
    for row in rows:
        counts[row["variant"]][row["outcome"]] += 1
    for variant, outcomes in counts.items():
        lines.append(f"{variant}: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))
    for row in rows:
        if row["outcome"] != "match":
            lines.append(f"  {row['variant']} {row['file']} ({row['voters']} voters): "
                         f"{row['outcome']} {row.get('detail', '')} "
                         f"{_difference(row)}".rstrip())
    return "\n".join(lines)


def _difference(row: dict[str, Any]) -> str:
    if row["outcome"] != "MISMATCH":
        return ""
    return f"only ours: [{row['only_ours']}] only pabutools: [{row['only_pabutools']}]"


def main(argv: list[str] | None = None) -> int:
    """Run the sweep; exit 1 when any instance did not match."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--only", help="only files whose name contains this")
    parser.add_argument("--variants", default=",".join(ORACLE_SPECS))
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "cross_check_results.csv")
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    rows = []
    with args.output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        for path in _files(args.only):
            for row in compare_file(path, variants, args.timeout):
                rows.append(row)
                writer.writerow(row)
                handle.flush()
                print(f"{row['variant']:16} {row['outcome']:24} {row['ours_s']:>8} "
                      f"{row['pabutools_s']:>8}  {path.name}", flush=True)
    print(summarise(rows))
    return 1 if any(row["outcome"] == "MISMATCH" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
