"""Corrupted pabulib files fed to the reader and every rule: a clear refusal or a correct count,
never a traceback and never a silently wrong result.

    nice .venv/bin/python -m benchmarks.hostile_files [--files 25] [--seed 7]

Each of the smallest ``--files`` shared elections of each vote type is corrupted in each of
the ways below (a way that does not apply to a file, such as points on an approval file, is
counted as ``not applicable``), and each corrupted file is read and, if accepted, counted by
greedy, MES + add1 and (approval) Phragmén. Every outcome is one of:

- ``refused``: a ``TallyError`` with a reason (and, from the reader, a line number);
- ``counted``: accepted, and every count is sound (funded projects exist, spend the cost of
  what they fund, within the budget, and every support figure is an exact non-negative
  integer);
- ``TRACEBACK``: any other exception;
- ``WRONG``: accepted but a count is not sound.

The last two must stay at 0. Prints a table per corruption and the totals.
"""

from __future__ import annotations

import argparse
import random
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from pb_app.tally.engine import run_tally
from pb_app.tally.errors import TallyError
from pb_app.tally.model import Election, RuleSpec
from pb_app.tally.pabulib import PabulibError, read_pb
from tests.tally.real_elections import election_files

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
RULES = (RuleSpec("greedy"), RuleSpec("mes", completion="add1"))


def _cut_at_line(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[: rng.randrange(1, len(lines))])


def _cut_mid_byte(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(1, len(text))]


def _huge_budget(text: str, rng: random.Random) -> str:
    return re.sub(r"(?m)^budget;.*$", "budget;1e400", text)


def _section(text: str, name: str) -> tuple[str, str]:
    """The text up to and including the line naming section ``name``, and the rest."""
    match = re.search(rf"(?m)^{name}\s*$", text)
    return (text[: match.end()], text[match.end():]) if match else (text, "")


def _huge_points(text: str, rng: random.Random) -> str:
    """Two ballots give their first project 2^62 points: the sum would wrap int64."""
    head, votes = _section(text, "VOTES")
    header = votes.lstrip("\n").split("\n", 1)[0].split(";")
    if "points" not in header:
        return text
    column = header.index("points")

    def swap(match: re.Match) -> str:
        cells = match.group(0).split(";")
        points = cells[column].split(",")
        cells[column] = ",".join([str(2 ** 62)] + points[1:])
        return ";".join(cells)

    return head + re.sub(r"(?m)^\d[^\n]*$", swap, votes, count=2)


def _foreign_digits(text: str, rng: random.Random) -> str:
    head, rest = _section(text, "PROJECTS")
    return head + rest.translate(ARABIC_INDIC)


def _wrong_declared_votes(text: str, rng: random.Random) -> str:
    return re.sub(r"(?m)^num_votes;(\d+)", lambda m: f"num_votes;{int(m.group(1)) + 1}", text)


def _duplicate_voter(text: str, rng: random.Random) -> str:
    head, votes = _section(text, "VOTES")
    lines = votes.strip("\n").split("\n")
    return head + "\n" + "\n".join(lines + [lines[rng.randrange(1, len(lines))]]) + "\n"


def _random_bytes(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(5):
        chars[rng.randrange(len(chars))] = chr(rng.randrange(32, 0x3000))
    return "".join(chars)


def _negative_cost(text: str, rng: random.Random) -> str:
    head, projects = _section(text, "PROJECTS")
    header = projects.lstrip("\n").split("\n", 1)[0].split(";")
    column = header.index("cost")

    def negate(match: re.Match) -> str:
        cells = match.group(0).split(";")
        cells[column] = "-" + cells[column]
        return ";".join(cells)

    return head + re.sub(r"(?m)^(?!project_id)[^\n;]+;[^\n]*$", negate, projects, count=1)


CORRUPTIONS: dict[str, Callable[[str, random.Random], str]] = {
    "cut at a line end": _cut_at_line,
    "cut mid-line": _cut_mid_byte,
    "budget 1e400": _huge_budget,
    "points of 2^62": _huge_points,
    "Arabic-Indic digits": _foreign_digits,
    "num_votes contradicted": _wrong_declared_votes,
    "duplicate voter id": _duplicate_voter,
    "random characters": _random_bytes,
    "negative cost": _negative_cost,
}


def exact_points(election: Election) -> dict[str, int]:
    """Each project's points on a points ballot, summed in Python integers (no wrap)."""
    totals = {p.id: 0 for p in election.projects}
    for ballot in election.ballots:
        for project, points in zip(ballot.projects, ballot.points, strict=False):
            totals[project] += points * ballot.weight
    return totals


def sound(election: Election, spec: RuleSpec) -> bool:
    """True when a count of ``election`` by ``spec`` is within the rules of arithmetic and, on a
    points ballot, its support is the exact sum (a tally older than per-project support, run
    as a baseline, is checked without it)."""
    result = run_tally(election, spec)
    costs = {p.id: p.cost for p in election.projects}
    spent = sum(amount for _, amount in result.allocation)
    support = dict(getattr(result, "support", ()))
    exact = (election.vote_type.value != "cumulative" or not support
             or support == exact_points(election))
    return set(result.selected) <= set(costs) and spent == result.spent <= election.budget \
        and exact


def outcome(text: str, folder: Path, name: str) -> str:
    """What the reader and the rules make of one corrupted file."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    try:
        election = read_pb(path)
        rules = RULES + ((RuleSpec("phragmen"),) if election.vote_type.value == "approval"
                         else ())
        return "counted" if all(sound(election, spec) for spec in rules) else "WRONG"
    except (TallyError, PabulibError):  # PabulibError was its own class in older tallies
        return "refused"
    except Exception:  # what this benchmark exists to find
        return "TRACEBACK"


def sample(per_kind: int) -> list[Path]:
    """The smallest ``per_kind`` shared elections of each vote type (approval, cumulative,
    ordinal...), so that every reader path is corrupted."""
    by_kind: dict[str, list[Path]] = {}
    for path in sorted(election_files(), key=lambda p: p.stat().st_size):
        kind = re.search(r"(?m)^vote_type;(\w+)", path.read_text(encoding="utf-8"))
        by_kind.setdefault(kind.group(1) if kind else "approval", []).append(path)
    return [path for paths in by_kind.values() for path in paths[:per_kind]]


def _corrupted_outcome(path: Path, corrupt, rng: random.Random, work: Path) -> str:
    text = path.read_text(encoding="utf-8")
    corrupted = corrupt(text, rng)
    return "not applicable" if corrupted == text else outcome(corrupted, work, path.name)


def main() -> None:
    """Corrupt, read and count; print the outcomes by corruption."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=25, help="files of each vote type")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("/tmp/pb_hostile_files"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    sources = sample(args.files)
    table: dict[str, Counter] = {}
    for kind, corrupt in CORRUPTIONS.items():
        table[kind] = Counter(_corrupted_outcome(path, corrupt, rng, args.work) for path in sources)
    columns = ("refused", "counted", "TRACEBACK", "WRONG", "not applicable")
    print("| corruption | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for kind, counts in table.items():
        print(f"| {kind} | " + " | ".join(str(counts[c]) for c in columns) + " |")
    totals = sum(table.values(), Counter())
    print("| all | " + " | ".join(str(totals[c]) for c in columns) + " |")


if __name__ == "__main__":
    main()
