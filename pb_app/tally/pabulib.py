"""Read and write pabulib ``.pb`` files (http://pabulib.org/format), and fingerprint an election.

A ``.pb`` file is semicolon-separated text in three sections, in this order: ``META``
(``key;value`` pairs), ``PROJECTS`` (one row per project) and ``VOTES`` (one row per voter).

Reading is lenient where the public data needs it and strict where a guess could change a
result. Whatever cannot be read raises :class:`PabulibError` with the line number:

- numbers are written in the ASCII digits 0-9 with at most one decimal point (no exponents,
  signs other than a points' ``-``, separators or other scripts' digits), and none may exceed
  ``MAX_AMOUNT`` (10^15);
- money is whole currency units: a cost must be a whole number (``"4000.0"`` is fine); a
  fractional budget (``"1643824.66"``) is rounded down, which never lets a set of projects with
  whole costs overspend;
- the META ``num_projects`` and ``num_votes``, where present, must match the rows that follow
  (every real file's do), voter ids must be unique, and a VOTES row must have every field of
  its header with no empty item in its lists: a file cut short is refused, not counted;
- a badly quoted cell (``"Park" Grabowka``) is read as a lenient csv reader (and pabutools)
  reads it, with a :class:`PabulibWarning`, when it holds free text the count never uses
  (``FREE_TEXT``: a name, a description...); anywhere else the row is refused;
- an approval or choose-1 ballot that names a project twice counts it once; a ranked or
  points ballot that does so is an error, as is a ballot naming an unknown project;
- ranked ballots keep their order; a ``points`` column on them is ignored (the rank is the
  vote);
- voters' own columns (age, sex, ...) and their ids are not kept: the election holds the
  anonymous ballots only, identical ballots grouped into one weighted ballot;
- the ``votes``, ``score`` and ``selected`` project columns and the ``num_projects``,
  ``num_votes``, ``budget`` and ``vote_type`` META keys are derived (from the ballots, from the
  result, from the election) and are recomputed on writing; every other META pair and project
  column is kept, so an election survives a write and a re-read unchanged.

Writing is canonical: projects in natural id order (numeric ids by value), ballots grouped
and sorted, META keys and project columns in the order of the pabulib format, numbers without
decimals, ``\\n`` line ends. So :func:`fingerprint`, the SHA-256 of that text, identifies the
tally's input whatever order the ballots came in. Never fingerprint a file rewritten by another
tool: pabutools' writer, for one, produces malformed files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import chain
from os import PathLike
from pathlib import Path
from typing import Any

from pb_app.tally.errors import MAX_AMOUNT, PabulibError, PabulibWarning
from pb_app.tally.model import Ballot, Election, Project, VoteType

SECTIONS = ("meta", "projects", "votes")

# The order of the pabulib format (as pabulib-checker 1.0.8 lists it); unknown keys follow,
# alphabetically.
META_ORDER = (
    "description", "country", "unit", "district", "subunit", "instance", "num_projects",
    "num_votes", "budget", "vote_type", "rule", "date_begin", "date_end", "min_length",
    "max_length", "min_sum_cost", "max_sum_cost", "min_points", "max_points", "min_sum_points",
    "max_sum_points", "default_score", "min_project_cost", "max_project_cost",
    "min_project_score_threshold", "neighborhoods", "subdistricts", "categories", "edition",
    "language", "currency", "fully_funded", "experimental", "comment", "acknowledgments",
    "leftover_budget", "budget_per_category", "budget_per_neighborhood",
    "min_length_per_category", "max_length_per_category", "min_sum_cost_per_category",
    "max_sum_cost_per_category",
)
PROJECT_COLUMN_ORDER = (
    "project_id", "cost", "votes", "score", "name", "category", "beneficiaries", "selected",
    "neighborhood", "subunit", "district", "description", "proposer", "public_id", "latitude",
    "longitude",
)
DERIVED_META = frozenset({"num_projects", "num_votes", "budget", "vote_type"})
DERIVED_PROJECT_COLUMNS = frozenset({"project_id", "cost", "name", "votes", "score", "selected"})
POINTS_TYPES = frozenset({VoteType.CUMULATIVE, VoteType.SCORING})
SET_TYPES = frozenset({VoteType.APPROVAL, VoteType.CHOOSE_1})
# Columns (and META keys) of free text that no count reads: a badly quoted one is only warned of.
FREE_TEXT = frozenset({"name", "description", "comment", "acknowledgments", "proposer"})
NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
SPACE = re.compile(r"\s")
# One cell of a row, as a lenient csv reader splits it: quoted (maybe with text after the
# closing quote), quoted and never closed, or plain.
CELL = re.compile(r'"((?:[^"]|"")*)"([^;]*)|"((?:[^"]|"")*)$|([^;"][^;]*|)')


# Reading ----------------------------------------------------------------------------------


def read_pb(source: str | PathLike[str]) -> Election:
    """Read a ``.pb`` file (a path, or the text itself) into a canonical election.

    Raises PabulibError, with the line number, for a file that is not valid pabulib; warns
    (PabulibWarning) of free text read leniently.
    """
    return read_pb_with_selected(source)[0]


def read_pb_with_selected(
    source: str | PathLike[str],
) -> tuple[Election, dict[str, int] | None]:
    """Read a ``.pb`` file and also return its ``selected`` column (None when it has none).

    The flags are the city's official result: 1 funded, 0 not (a few cities use 2 and 3).
    Raises PabulibError like :func:`read_pb`.
    """
    sections = _split_sections(_source_text(source))
    meta, meta_lines = _read_meta(sections["meta"])
    vote_type = _vote_type(meta, meta_lines.get("vote_type", sections["meta"].line))
    projects, project_meta, selected = _read_projects(sections["projects"])
    _check_declared(meta, meta_lines, {"num_projects": len(projects),
                                       "num_votes": len(sections["votes"].rows)})
    ballots = _read_ballots(sections["votes"], vote_type, {p.id for p in projects})
    election = Election(
        projects=tuple(projects),
        ballots=tuple(ballots),
        budget=_budget(meta, meta_lines.get("budget", sections["meta"].line)),
        vote_type=vote_type,
        meta=tuple((k, v) for k, v in meta.items() if k not in DERIVED_META),
        project_meta=tuple(project_meta),
    )
    return canonical_election(election), selected


class _Section:
    """One section of a file: its header row and its data rows with their line numbers."""

    def __init__(self, name: str, line: int) -> None:
        self.name = name
        self.line = line
        self.header: list[str] | None = None
        self.rows: list[tuple[int, list[str]]] = []


def _source_text(source: str | PathLike[str]) -> str:
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        text = source
    else:
        path = Path(source)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise PabulibError(f"no such file: {path}") from None
        except UnicodeDecodeError as error:
            raise PabulibError(f"{path} is not UTF-8 text: {error.reason}") from None
        except OSError as error:
            raise PabulibError(f"cannot read {path}: {error.strerror}") from None
    return text.removeprefix("\ufeff")


def _split_sections(text: str) -> dict[str, _Section]:
    sections: dict[str, _Section] = {}
    current: _Section | None = None
    for line, row, badly_quoted in _rows(text):
        if not any(cell.strip() for cell in row):
            continue
        marker = row[0].strip().lower()
        if badly_quoted:
            _accept_badly_quoted(current, line, row, badly_quoted)
        if marker in SECTIONS and not any(cell.strip() for cell in row[1:]):
            current = _start_section(sections, marker, line)
        elif current is None:
            raise PabulibError("data before the META section", line)
        elif current.header is None:
            current.header = _header(row, line)
        else:
            current.rows.append((line, row))
    for name in SECTIONS:
        if name not in sections:
            raise PabulibError(f"no {name.upper()} section")
        if sections[name].header is None:
            raise PabulibError(f"the {name.upper()} section has no header row", sections[name].line)
    return sections


def _rows(text: str) -> Iterator[tuple[int, list[str], list[int]]]:
    """Each row's last line number, its cells, and the indices of its badly quoted cells.

    Rows are read strictly; a row on one line that a strict reader refuses is split as a
    lenient reader would, and its badly quoted cells are listed (the caller decides).
    """
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, delimiter=";", strict=True)
    start = 0  # the lines read before the current row
    while True:
        try:
            for row in reader:  # a reader goes on after an error, from the next line
                yield reader.line_num, row, []
                start = reader.line_num
            return
        except csv.Error as error:
            cells, badly_quoted = _lenient_cells(lines[start])
            if reader.line_num != start + 1 or not badly_quoted:
                problem = "a quote that is never closed" if "end of data" in str(error) else error
                raise PabulibError(f"unreadable row: {problem}", start + 1) from None
            yield start + 1, cells, badly_quoted
            start = reader.line_num


def _lenient_cells(line: str) -> tuple[list[str], list[int]]:
    """The cells of one line as a lenient csv reader (and pabutools) reads them, and the
    indices of the badly quoted ones: text after a closing quote, or a quote never closed."""
    text = line.rstrip("\r\n")
    cells: list[str] = []
    badly_quoted: list[int] = []
    at = 0
    while True:
        match = CELL.match(text, at)
        quoted, after, unclosed, plain = match.groups()
        if plain is not None:
            cells.append(plain)
        else:
            if after or unclosed is not None:
                badly_quoted.append(len(cells))
            cells.append(unclosed.replace('""', '"') if quoted is None
                         else quoted.replace('""', '"') + after)
        at = match.end() + 1
        if at > len(text):
            return cells, badly_quoted


def _accept_badly_quoted(
    section: _Section | None, line: int, row: list[str], cells: list[int]
) -> None:
    """Warn of badly quoted free text; refuse a badly quoted cell anywhere else (a section
    marker, a header, a number, an id, a vote)."""
    if section is None or section.header is None:
        raise PabulibError("unreadable row: a badly quoted cell", line)
    header = section.header
    for index in cells:
        if section.name == "meta":
            column = row[0].strip() if index == 1 else ""
        else:
            column = header[index] if index < len(header) else ""
        if column not in FREE_TEXT:
            where = f"the {column} column" if column else f"field {index + 1}"
            raise PabulibError(f"unreadable row: a badly quoted cell in {where}", line)
        warnings.warn(PabulibWarning(
            f"the {column} cell is badly quoted; read as {row[index]!r}", line), stacklevel=2)


def _header(row: list[str], line: int) -> list[str]:
    header = [cell.strip() for cell in row]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise PabulibError(f"repeated columns {repeated}", line)
    return header


def _start_section(sections: dict[str, _Section], name: str, line: int) -> _Section:
    if name in sections:
        raise PabulibError(f"a second {name.upper()} section", line)
    expected = SECTIONS[len(sections)]
    if name != expected:
        raise PabulibError(f"{name.upper()} where {expected.upper()} should start", line)
    sections[name] = _Section(name, line)
    return sections[name]


def _cells(section: _Section, line: int, row: list[str]) -> dict[str, str]:
    header = section.header or []
    if len(row) > len(header):
        raise PabulibError(
            f"{len(row)} fields in a {section.name.upper()} row whose header has {len(header)}",
            line,
        )
    return dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))


def _read_meta(section: _Section) -> tuple[dict[str, str], dict[str, int]]:
    """The META pairs and the line of each key."""
    meta: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, row in section.rows:
        key = row[0].strip()
        if key in meta:
            raise PabulibError(f"META key {key!r} appears twice", line)
        meta[key] = row[1].strip() if len(row) > 1 else ""
        lines[key] = line
    return meta, lines


def _vote_type(meta: dict[str, str], line: int) -> VoteType:
    if "vote_type" not in meta:
        raise PabulibError("META has no vote_type", line)
    try:
        return VoteType(meta["vote_type"])
    except ValueError:
        known = ", ".join(v.value for v in VoteType)
        message = f"unknown vote_type {meta['vote_type']!r} (known: {known})"
        raise PabulibError(message, line) from None


def _budget(meta: dict[str, str], line: int) -> int:
    if not meta.get("budget"):
        raise PabulibError("META has no budget", line)
    return int(_decimal(meta["budget"], "budget", line))


def _decimal(text: str, what: str, line: int) -> Decimal:
    """A non-negative number in the digits 0-9, at most ``MAX_AMOUNT``."""
    digits = text.strip()
    if not NUMBER.fullmatch(digits):
        if digits.startswith("-") and NUMBER.fullmatch(digits[1:]):
            raise PabulibError(f"{what} {text!r} is not a non-negative number", line)
        raise PabulibError(f"{what} {text!r} is not a number (the digits 0-9, at most one "
                           "decimal point)", line)
    value = Decimal(digits)
    if value > MAX_AMOUNT:
        raise PabulibError(f"{what} {text!r} is larger than the tally accepts "
                           f"({MAX_AMOUNT:,})", line)
    return value


def _check_declared(meta: dict[str, str], lines: dict[str, int], counted: dict[str, int]) -> None:
    """Refuse a META count (``num_projects``, ``num_votes``) that the rows contradict."""
    for key, count in counted.items():
        if key in meta:
            declared = _whole(meta[key], key, lines[key])
            if declared != count:
                rows = "projects" if key == "num_projects" else "votes"
                raise PabulibError(f"META {key} is {declared} but the file lists {count} {rows} "
                                   "(is it cut short or edited?)", lines[key])


def _whole(text: str, what: str, line: int) -> int:
    value = _decimal(text, what, line)
    if value != value.to_integral_value():
        raise PabulibError(f"{what} {text!r} is not a whole number", line)
    return int(value)


def _read_projects(
    section: _Section,
) -> tuple[list[Project], list[tuple[str, tuple[tuple[str, str], ...]]], dict[str, int] | None]:
    header = section.header or []
    if not header or header[0] != "project_id" or "cost" not in header:
        raise PabulibError("the PROJECTS header must start with project_id and name cost",
                           section.line + 1)
    projects: dict[str, Project] = {}
    project_meta = []
    selected: dict[str, int] | None = {} if "selected" in header else None
    for line, row in section.rows:
        cells = _cells(section, line, row)
        project_id = cells["project_id"].strip()
        if not project_id or project_id in projects:
            raise PabulibError(f"project id {project_id!r} is empty or repeated", line)
        projects[project_id] = Project(project_id, _whole(cells["cost"], "cost", line),
                                       cells.get("name", ""))
        extra = tuple((k, v) for k, v in cells.items() if k not in DERIVED_PROJECT_COLUMNS)
        project_meta.append((project_id, extra))
        if selected is not None:
            selected[project_id] = _whole(cells["selected"] or "0", "selected", line)
    return list(projects.values()), project_meta, selected


def _read_ballots(section: _Section, vote_type: VoteType, project_ids: set[str]) -> list[Ballot]:
    header = section.header or []
    if not header or header[0] != "voter_id" or "vote" not in header:
        raise PabulibError("the VOTES header must start with voter_id and name vote",
                           section.line + 1)
    if vote_type in POINTS_TYPES and "points" not in header:
        raise PabulibError(f"{vote_type} ballots need a points column", section.line + 1)
    vote_at = header.index("vote")
    points_at = header.index("points") if vote_type in POINTS_TYPES else None
    counts: Counter[tuple[str, str | None]] = Counter()
    lines: dict[tuple[str, str | None], int] = {}
    voters: dict[str, int] = {}
    for line, row in section.rows:
        if len(row) != len(header):
            cut = " (is the file cut short?)" if len(row) < len(header) else ""
            raise PabulibError(f"{len(row)} fields in a VOTES row whose header has "
                               f"{len(header)}{cut}", line)
        voter = row[0].strip()
        if voters.setdefault(voter, line) != line:
            raise PabulibError(f"voter id {voter!r} appears twice, on lines {voters[voter]} "
                               f"and {line}", line)
        raw = (row[vote_at], None if points_at is None else row[points_at])
        counts[raw] += 1
        lines.setdefault(raw, line)
    return [Ballot(*_ballot_content(raw, vote_type, project_ids, lines[raw]), weight)
            for raw, weight in counts.items()]


def _items(cell: str, what: str, line: int) -> list[str]:
    """The comma-separated items of a vote or points cell; an empty cell has none."""
    if SPACE.search(cell):
        if not cell.strip():
            return []
        items = [item.strip() for item in cell.split(",")]
    else:
        items = cell.split(",") if cell else []
    if "" in items:
        raise PabulibError(f"an empty item in the {what} list {cell!r}", line)
    return items


def _ballot_content(
    raw: tuple[str, str | None], vote_type: VoteType, project_ids: set[str], line: int
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    projects = tuple(_items(raw[0], "vote", line))
    for project_id in projects:
        if project_id not in project_ids:
            raise PabulibError(f"a vote for {project_id!r}, which is not in PROJECTS", line)
    if vote_type in SET_TYPES:
        return tuple(dict.fromkeys(projects)), ()
    if len(set(projects)) != len(projects):
        raise PabulibError(f"a {vote_type} ballot names a project twice", line)
    if raw[1] is None:
        return projects, ()
    points = tuple(_signed_whole(p, line) for p in _items(raw[1], "points", line))
    if len(points) != len(projects):
        raise PabulibError(f"{len(projects)} projects but {len(points)} points", line)
    return projects, points


def _signed_whole(text: str, line: int) -> int:
    negative = text.strip().startswith("-")
    value = _whole(text.strip().removeprefix("-"), "points", line)
    return -value if negative else value


# Canonical form ---------------------------------------------------------------------------


def project_order_key(project_id: str) -> tuple[int, int, str]:
    """Sort key for project ids: numeric ids by value first, then the others as strings."""
    if project_id.isascii() and project_id.isdigit():
        return (0, int(project_id), project_id)
    return (1, 0, project_id)


def canonical_election(election: Election) -> Election:
    """Return the same election in canonical form: sorted projects, grouped sorted ballots.

    Approval ballots become sorted sets, points ballots are listed by points (most first),
    ranked ballots keep their order; identical ballots are merged into one weight.
    Raises PabulibError for a ballot that names an unknown project or has a negative weight.
    """
    projects = sorted(election.projects, key=lambda p: project_order_key(p.id))
    rank = {p.id: index for index, p in enumerate(projects)}
    if len(rank) != len(projects):
        raise PabulibError("two projects share an id")
    counts: dict[_Content, int] = {}
    unchanged: dict[_Content, Ballot] = {}
    for ballot in election.ballots:
        if ballot.weight < 0:
            raise PabulibError(f"a ballot with negative weight {ballot.weight}")
        if ballot.weight:
            content, same = _canonical_content(ballot, election.vote_type, rank)
            counts[content] = counts.get(content, 0) + ballot.weight
            if same:
                unchanged[content] = ballot
    ids = tuple(p.id for p in projects)
    canonical = Election(
        projects=tuple(projects),
        ballots=tuple(_reused(unchanged.get(content), content, counts[content], ids)
                      for content in sorted(counts)),
        budget=election.budget,
        vote_type=election.vote_type,
        meta=_canonical_meta(election.meta),
        project_meta=_canonical_project_meta(election.project_meta, rank),
    )
    return election if canonical == election else canonical


_Content = tuple[tuple[int, ...], tuple[int, ...]]  # project ranks and points, canonical order


def _reused(ballot: Ballot | None, content: _Content, weight: int, ids: tuple[str, ...]) -> Ballot:
    """The existing ballot when it already is canonical (saves memory on big elections)."""
    if ballot is not None and ballot.weight == weight:
        return ballot
    return Ballot(tuple(ids[j] for j in content[0]), content[1], weight)


def _canonical_content(
    ballot: Ballot, vote_type: VoteType, rank: dict[str, int]
) -> tuple[_Content, bool]:
    """The ballot's canonical content by project rank, and whether the ballot has it already.

    Contents compare as the canonical ballots do, so sorting them sorts the ballots."""
    try:
        picks = tuple(map(rank.__getitem__, ballot.projects))
    except KeyError:
        unknown = [p for p in ballot.projects if p not in rank]
        raise PabulibError(f"a ballot names unknown projects {unknown}") from None
    if vote_type in SET_TYPES:
        content = tuple(sorted(set(picks))), ()
    elif vote_type == VoteType.ORDINAL:
        content = picks, ()
    elif len(ballot.points) != len(picks):
        raise PabulibError("a points ballot whose points do not match its projects")
    else:
        pairs = sorted(zip(picks, ballot.points, strict=True), key=lambda pair: (-pair[1], pair[0]))
        content = tuple(j for j, _ in pairs), tuple(points for _, points in pairs)
    return content, content == (picks, ballot.points)


def _meta_key(key: str) -> tuple[int, str]:
    return (META_ORDER.index(key), "") if key in META_ORDER else (len(META_ORDER), key)


def _column_key(column: str) -> tuple[int, str]:
    if column in PROJECT_COLUMN_ORDER:
        return (PROJECT_COLUMN_ORDER.index(column), "")
    return (len(PROJECT_COLUMN_ORDER), column)


def _canonical_meta(meta: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    kept = {key: value for key, value in meta if key not in DERIVED_META}
    return tuple((key, kept[key]) for key in sorted(kept, key=_meta_key))


def _canonical_project_meta(
    project_meta: Iterable[tuple[str, tuple[tuple[str, str], ...]]], rank: dict[str, int]
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    entries = []
    for project_id, columns in project_meta:
        if project_id not in rank:
            raise PabulibError(f"project columns for unknown project {project_id!r}")
        kept = {k: v for k, v in columns if v != "" and k not in DERIVED_PROJECT_COLUMNS}
        if kept:
            entries.append((project_id, tuple((k, kept[k]) for k in sorted(kept, key=_column_key))))
    return tuple(sorted(entries, key=lambda entry: rank[entry[0]]))


# Writing ----------------------------------------------------------------------------------


def write_pb(
    election: Election,
    *,
    selected: Iterable[str] | None = None,
    shuffle_seed: str | int | None = None,
) -> str:
    """Return the election as canonical ``.pb`` text, voters numbered 1..n.

    ``selected`` adds the ``selected`` column (1 for these project ids, 0 for the others), as a
    published result does. ``shuffle_seed`` lists the voters in a random order drawn from it
    instead of the canonical order (anonymised ballots for publication); reading either file
    back gives the same election and the same fingerprint.
    Raises PabulibError for an election that the format cannot hold.
    """
    canonical = canonical_election(election)
    out = io.StringIO(newline="")
    _write_meta(out, canonical)
    _write_projects(out, canonical, None if selected is None else set(selected))
    _write_votes(out, canonical, shuffle_seed)
    return out.getvalue()


def fingerprint(election: Election) -> str:
    """Return the SHA-256 (hex) of the election's canonical ``.pb`` export."""
    return hashlib.sha256(write_pb(election).encode("utf-8")).hexdigest()


def _writer(out: io.StringIO) -> Any:  # csv's writer class is private
    return csv.writer(out, delimiter=";", lineterminator="\n")


def _write_meta(out: io.StringIO, election: Election) -> None:
    derived = {
        "num_projects": str(len(election.projects)),
        "num_votes": str(sum(b.weight for b in election.ballots)),
        "budget": str(election.budget),
        "vote_type": election.vote_type.value,
    }
    meta = dict(election.meta) | derived
    writer = _writer(out)
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows((key, meta[key]) for key in sorted(meta, key=_meta_key))


def _write_projects(out: io.StringIO, election: Election, selected: set[str] | None) -> None:
    ids = {p.id for p in election.projects}
    if selected is not None and not selected <= ids:
        raise PabulibError(f"selected projects not in the election: {sorted(selected - ids)}")
    extra = dict(election.project_meta)
    rows = {p.id: _project_row(p, extra.get(p.id, ())) for p in election.projects}
    for project_id, (votes, score) in _support(election).items():
        rows[project_id]["votes"] = str(votes)
        if score is not None:
            rows[project_id]["score"] = str(score)
    if selected is not None:
        for project_id, row in rows.items():
            row["selected"] = "1" if project_id in selected else "0"
    columns = sorted({column for row in rows.values() for column in row}, key=_column_key)
    writer = _writer(out)
    writer.writerow(["PROJECTS"])
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows.values())


def _project_row(project: Project, columns: tuple[tuple[str, str], ...]) -> dict[str, str]:
    row = {"project_id": project.id, "cost": str(project.cost)} | dict(columns)
    if project.name:
        row["name"] = project.name
    return row


def _support(election: Election) -> dict[str, tuple[int, int | None]]:
    """Votes (ballots naming the project) and, for points and ranked ballots, the score."""
    votes = _votes(election.ballots)
    ordinal = election.vote_type == VoteType.ORDINAL
    if not (election.vote_type in POINTS_TYPES or ordinal):
        return {p.id: (votes[p.id], None) for p in election.projects}
    score = dict.fromkeys((p.id for p in election.projects), 0)
    for ballot in election.ballots:
        points = range(len(ballot.projects), 0, -1) if ordinal else ballot.points
        for project_id, given in zip(ballot.projects, points, strict=False):
            score[project_id] += ballot.weight * given
    return {p.id: (votes[p.id], score[p.id]) for p in election.projects}


def _votes(ballots: tuple[Ballot, ...]) -> Counter[str]:
    """How many voters name each project: the ballots of each weight counted in one pass."""
    by_weight: dict[int, list[tuple[str, ...]]] = {}
    for ballot in ballots:
        by_weight.setdefault(ballot.weight, []).append(ballot.projects)
    votes: Counter[str] = Counter()
    for weight, listed in by_weight.items():
        for project_id, count in Counter(chain.from_iterable(listed)).items():
            votes[project_id] += weight * count
    return votes


def _write_votes(out: io.StringIO, election: Election, shuffle_seed: str | int | None) -> None:
    with_points = election.vote_type in POINTS_TYPES
    for project in election.projects:
        if "," in project.id or project.id != project.id.strip():
            raise PabulibError(f"project id {project.id!r} cannot appear in a vote list")
    quote = any(_quoted(p.id) != p.id for p in election.projects)
    cells = [_ballot_cells(ballot, with_points, quote) for ballot in election.ballots]
    out.write("VOTES\nvoter_id;vote;points\n" if with_points else "VOTES\nvoter_id;vote\n")
    out.writelines(
        f"{voter};{cells[index]}\n"
        for voter, index in enumerate(_voter_order(election.ballots, shuffle_seed), start=1)
    )


def _ballot_cells(ballot: Ballot, with_points: bool, quote: bool) -> str:
    """The ballot's vote cell (quoted if ``quote`` and it must be), and its points cell."""
    vote = _quoted(",".join(ballot.projects)) if quote else ",".join(ballot.projects)
    return f"{vote};{','.join(map(str, ballot.points))}" if with_points else vote


def _quoted(cell: str) -> str:
    """The cell as csv writes it: quoted only when it holds a separator, quote or line end."""
    if ";" in cell or '"' in cell or "\r" in cell or "\n" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _voter_order(ballots: tuple[Ballot, ...], shuffle_seed: str | int | None) -> Iterator[int]:
    """Each voter's ballot index: canonical order, or shuffled by a seeded generator."""
    order = [index for index, ballot in enumerate(ballots) for _ in range(ballot.weight)]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(order)
    return iter(order)
