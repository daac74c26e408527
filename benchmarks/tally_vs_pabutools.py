"""Time and peak memory of our tally against pabutools on the same files, in one run.

    nice .venv/bin/python -m benchmarks.tally_vs_pabutools [--pabutools-timeout 720]
        [--ours-timeout 300] [--only NAME]

Each run happens in its own child process (benchmarks/measure.py): seconds exclude reading
the file (each side uses its own reader, timed apart), peak memory is the child's high-water
mark including the interpreter and imports. pabutools can take many minutes and gigabytes:
a run stopped at its timeout is reported as "did not finish in N s". Prints a Markdown table
(benchmarks/README.md keeps the last one) and whether both funded the same projects.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.measure import Run, measure
from tests.tally.real_elections import ELECTIONS

CASES = (
    ("Poland_Lodz_2022.pb", "greedy"),
    ("Poland_Wieliczka_2023_Green_Budget.pb", "mes-add1"),
    ("France_Toulouse_2024.pb", "mes-add1"),
    ("Poland_Krakow_2024.pb", "mes-add1"),
    ("Poland_Warszawa_2026.pb", "mes-add1"),
    ("Hungary_Budapest_2024.pb", "mes-add1"),
)

HEADER = ("| file | rule | ours: s (read s) | ours: peak MB | pabutools: s (read s) | "
          "pabutools: peak MB | time ratio | same winners |\n|---|---|---|---|---|---|---|---|")


def cell(run: Run) -> tuple[str, str]:
    """Time and memory cells of one run."""
    if run.status == "ok":
        return f"{run.seconds:.2f} ({run.read_seconds:.1f})", f"{run.peak_mb:,.0f}"
    if run.status == "timeout":
        return run.detail, f">= {run.peak_mb:,.0f}"
    return f"failed: {run.detail}", "-"


def row(name: str, variant: str, ours: Run, theirs: Run) -> str:
    """One Markdown table row."""
    ours_time, ours_mb = cell(ours)
    their_time, their_mb = cell(theirs)
    if ours.status == "ok" and theirs.status == "ok":
        ratio = f"{theirs.seconds / max(ours.seconds, 1e-6):,.0f}x"
        same = "yes" if ours.winners == theirs.winners else "NO"
    elif ours.status == "ok" and theirs.status == "timeout":
        ratio = f"> {theirs.seconds / max(ours.seconds, 1e-6):,.0f}x"
        same = "-"
    else:
        ratio = same = "-"
    label = "MES + add1 (exhaustive stop)" if variant == "mes-add1" else variant
    return (f"| {name.removesuffix('.pb')} | {label} | {ours_time} | {ours_mb} | {their_time} | "
            f"{their_mb} | {ratio} | {same} |")


def main(argv: list[str] | None = None) -> int:
    """Run every case, ours then pabutools, one child at a time; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pabutools-timeout", type=float, default=720.0)
    parser.add_argument("--ours-timeout", type=float, default=300.0)
    parser.add_argument("--only", help="only cases whose file name contains this")
    args = parser.parse_args(argv)
    rows = []
    for name, variant in CASES:
        if args.only and args.only not in name:
            continue
        path = Path(ELECTIONS / name)
        ours = measure("run_ours", path, variant, args.ours_timeout)
        print(f"ours      {name} {variant}: {ours}", file=sys.stderr, flush=True)
        theirs = measure("run_pabutools", path, variant, args.pabutools_timeout)
        print(f"pabutools {name} {variant}: {theirs}", file=sys.stderr, flush=True)
        rows.append(row(name, variant, ours, theirs))
    print(HEADER)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
