"""Our tally on every shared election and every rule: the slowest runs and the peak memory.

    nice .venv/bin/python -m benchmarks.every_instance [--only NAME] [--top 15]

The aim (issue: the auditable tally) is every rule on every shared instance in under 2 s and
500 MB. Each run is timed on its own, reading the file excluded; the process's high-water
memory mark covers every run, so it bounds each one. Rules: greedy, MES, MES + add1 as cities
run it (stop before overspending), MES + add1 with pabutools' exhaustive stop, that followed
by greedy, and sequential Phragmén (approval ballots). One CSV row per run goes to
``every_instance_results.csv``; the summary names every run over the aim.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import time
from pathlib import Path

from pb_app.tally.engine import run_tally
from pb_app.tally.model import RuleSpec
from tests.tally.real_elections import (
    ORACLE_SPECS,
    PABUTOOLS_TIES,
    election_files,
    index_rows,
    load,
    oracle_variants,
    vector_files,
)

AIM_SECONDS = 2.0
AIM_MB = 500
SPECS = {**ORACLE_SPECS,
         "mes-add1-city": RuleSpec("mes", completion="add1", tie_break=PABUTOOLS_TIES)}


def variants_for(vote_type: str) -> list[str]:
    """Every rule that applies to the ballot type (Phragmén: approval ballots only)."""
    return oracle_variants(vote_type) + ["mes-add1-city"]


def peak_mb() -> float:
    """This process's memory high-water mark so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Run every rule on every file; exit 1 when any run misses the aim."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="only files whose name contains this")
    parser.add_argument("--top", type=int, default=15, help="how many of the slowest to list")
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "every_instance_results.csv")
    args = parser.parse_args(argv)
    files = sorted(election_files() + vector_files(),
                   key=lambda p: (int(index_rows().get(p.name, {}).get("voters", 0)), p.name))
    files = [p for p in files if not args.only or args.only in p.name]
    rows = []
    with args.output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "rule", "seconds", "winners", "peak_mb_so_far"])
        for path in files:
            election, _ = load(path)
            for variant in variants_for(election.vote_type.value):
                started = time.perf_counter()
                result = run_tally(election, SPECS[variant])
                seconds = time.perf_counter() - started
                rows.append((seconds, path.stem, variant))
                writer.writerow([path.stem, variant, f"{seconds:.3f}", len(result.selected),
                                 f"{peak_mb():.0f}"])
            handle.flush()
            load.cache_clear()
    rows.sort(reverse=True)
    slow = [r for r in rows if r[0] >= AIM_SECONDS]
    print(f"{len(rows)} runs on {len(files)} files: {sum(r[0] for r in rows):.1f} s in all; "
          f"{len(slow)} at or over {AIM_SECONDS:g} s; peak memory {peak_mb():.0f} MB "
          f"(aim {AIM_MB} MB)")
    print(f"The {args.top} slowest:")
    for seconds, name, variant in rows[:args.top]:
        print(f"  {seconds:7.2f} s  {variant:15} {name}")
    return 1 if slow or peak_mb() > AIM_MB else 0


if __name__ == "__main__":
    sys.exit(main())
