"""Official results reproduced: every shared election that marks its funded projects, counted
with the rule its file names, and every difference classified.

    nice .venv/bin/python -m benchmarks.official_results [--no-checker]

For each file with a ``selected`` column, the rule its META names is read as the city meant
it (``pb_app.tally.rulenames``) and counted; the projects we fund are compared with the ones
the file marks. A file whose rule is ``unknown`` is counted by no rule and listed apart.
A difference is classified as:

- ``tie``: a project only one side funds has the same support as one only the other side
  funds, so the two differ only in how a tie was broken;
- ``city exception``: pabulib-checker, recomputing the file's own selection with the rule it
  names, reports that the city did not follow it ("rule not followed");
- ``data quirk``: anything else (a rule name that does not describe the data).

Prints one row per rule family (files, reproduced, rate) and one per difference.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Outcome:
    """One file: the rule it names, and the projects each side funds."""

    name: str
    rule: str
    ours: frozenset[str]
    official: frozenset[str]
    kind: str = ""  # for a difference: tie, city exception or data quirk

    @property
    def reproduced(self) -> bool:
        """True when we fund exactly the projects the city funded."""
        return self.ours == self.official


def count_file(path, use_checker: bool) -> Outcome | None:
    """Count one file with the rule it names; None when it names none we can count."""
    election, flags = load(path)
    spec = spec_for_election(election)
    if spec is None:
        return None
    result = run_tally(election, spec)
    outcome = Outcome(path.name, meta(election).get("rule", "unknown"),
                      frozenset(result.selected), frozenset(official_selected(flags)))
    if outcome.reproduced:
        return outcome
    support = dict(result.support)
    return Outcome(**{**outcome.__dict__,
                      "kind": _kind(outcome, support, election, flags, use_checker)})


def _kind(outcome: Outcome, support: dict[str, int], election, flags, use_checker) -> str:
    only_ours = {support.get(p) for p in outcome.ours - outcome.official}
    only_official = {support.get(p) for p in outcome.official - outcome.ours}
    if only_ours & only_official:
        return "tie"
    if use_checker:
        errors = checker_report(write_pb(election, selected=outcome.official))["errors"]
        if any("rule not followed" in kind for kind in errors):
            return "city exception"
    return "data quirk"


def family(rule: str) -> str:
    """The family of a rule name: greedy (all its variants) or equal shares."""
    return "equal shares" if rule.startswith("equalshares") else "greedy"


def _print_total(label: str, rows: list[Outcome]) -> None:
    good = sum(row.reproduced for row in rows)
    print(f"| {label} | | {len(rows)} | {good} | {100 * good / len(rows):.1f}% |")


def main() -> None:
    """Count every shared file with official selections and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-checker", action="store_true",
                        help="do not run pabulib-checker on the differences (faster)")
    args = parser.parse_args()
    outcomes, unnamed = [], []
    for path in election_files():
        if has_selected_column(path):
            outcome = count_file(path, not args.no_checker)
            if outcome is None:
                unnamed.append(path.name)
            else:
                outcomes.append(outcome)
    by_rule: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_rule[outcome.rule].append(outcome)
    print("| rule named | family | files | reproduced | rate |")
    print("| --- | --- | --- | --- | --- |")
    for rule, rows in sorted(by_rule.items()):
        good = sum(row.reproduced for row in rows)
        print(f"| {rule} | {family(rule)} | {len(rows)} | {good} "
              f"| {100 * good / len(rows):.1f}% |")
    families: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        families[family(outcome.rule)].append(outcome)
    for name, rows in sorted(families.items()):
        _print_total(f"all {name}", rows)
    _print_total("all", outcomes)
    print(f"\nNo rule named (META rule unknown), not counted: {len(unnamed)}")
    print("\n| file | rule | only we fund | only the city funded | kind |")
    print("| --- | --- | --- | --- | --- |")
    for row in outcomes:
        if not row.reproduced:
            print(f"| {row.name} | {row.rule} | {', '.join(sorted(row.ours - row.official))} "
                  f"| {', '.join(sorted(row.official - row.ours))} | {row.kind} |")


if __name__ == "__main__":
    main()
