"""Generated hostile files: mutations of small valid ``.pb`` files (cut short, digits changed,
huge numbers, other scripts' digits, lines repeated or swapped, random bytes). Each is refused
with a TallyError (a PabulibError for the file) or read and counted exactly; nothing else."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pb_app.tally.engine import run_tally
from pb_app.tally.errors import TallyError
from pb_app.tally.model import Election, VoteType
from pb_app.tally.pabulib import PabulibError, PabulibWarning, read_pb, write_pb
from pb_app.tally.support import build_profile
from tests.tally.helpers import spec
from tests.tally.test_hostile_files import CUMULATIVE
from tests.tally.test_pabulib import EXAMPLE

# Its last voter left the age column empty, so that a cut anywhere in the line shows.
ORDINAL = (CUMULATIVE.replace("cumulative", "ordinal")
           .replace("voter_id;vote;points", "voter_id;vote;age").replace("3;1;1", "3;1;"))
BASES = {"approval": EXAMPLE, "cumulative": CUMULATIVE, "ordinal": ORDINAL}
OTHER_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९０１２３４５６７８９²³¹"
HOSTILE = settings(max_examples=120, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])


def _vote_rows(text: str) -> int:
    """How many voters a valid file lists: the non-blank lines after the VOTES header."""
    lines = io.StringIO(text, newline="").readlines()
    start = next(i for i, line in enumerate(lines) if line.strip().lower() == "votes")
    return sum(1 for line in lines[start + 2:] if line.replace(";", "").strip())


def _exact_support(election: Election) -> list[int]:
    """Each project's support added up in Python integers, straight from the ballots."""
    ranked = election.vote_type == VoteType.ORDINAL
    top = max([len(b.projects) for b in election.ballots] +
              [int(dict(election.meta).get("max_length", "0"))])
    support = dict.fromkeys((p.id for p in election.projects), 0)
    for ballot in election.ballots:
        points = [top - rank for rank in range(len(ballot.projects))] if ranked else (
            ballot.points or [1] * len(ballot.projects))
        for project_id, given_points in zip(ballot.projects, points, strict=True):
            support[project_id] += ballot.weight * given_points
    return [support[p.id] for p in election.projects]


def read_and_count(path: Path, data: bytes) -> Election | None:
    """Read and count the file: None when it is refused with a TallyError, else the election,
    after checking that it was read and counted exactly."""
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PabulibWarning)
        try:
            election = read_pb(path)
        except PabulibError:
            return None
    rules = ["greedy", "mes"] + (["phragmen"] if election.vote_type == VoteType.APPROVAL else [])
    try:
        results = [run_tally(election, spec(rule)) for rule in rules]
    except TallyError:
        return None
    text = data.decode("utf-8-sig")
    assert read_pb(write_pb(election)) == election
    assert sum(b.weight for b in election.ballots) == _vote_rows(text)
    assert list(build_profile(election).support) == _exact_support(election)
    costs = {p.id: p.cost for p in election.projects}
    for result in results:
        assert len(set(result.selected)) == len(result.selected)
        assert result.spent == sum(costs[p] for p in result.selected) <= election.budget
    return election


@pytest.fixture
def pb_path(tmp_path: Path) -> Path:
    """Where each generated file is written (read from a path, as the CLI does)."""
    return tmp_path / "hostile.pb"


def test_the_unmutated_files_are_read_and_counted(pb_path):
    for text in BASES.values():
        assert read_and_count(pb_path, text.encode()) is not None


@HOSTILE
@given(base=st.sampled_from(sorted(BASES)), data=st.data())
def test_a_file_cut_anywhere_before_its_end_is_refused(pb_path, base, data):
    raw = BASES[base].encode()
    cut = data.draw(st.integers(0, len(raw.rstrip(b"\n")) - 1))
    assert read_and_count(pb_path, raw[:cut]) is None


@HOSTILE
@given(base=st.sampled_from(sorted(BASES)), data=st.data())
def test_a_repeated_data_line_is_refused(pb_path, base, data):
    lines = BASES[base].splitlines(keepends=True)
    headers = {i for i, line in enumerate(lines) if line.strip() in ("META", "PROJECTS", "VOTES")}
    data_lines = [i for i in range(len(lines)) if i not in headers and i - 1 not in headers]
    at = data.draw(st.sampled_from(data_lines))
    assert read_and_count(pb_path, "".join(lines[:at + 1] + lines[at:]).encode()) is None


def _digit_positions(text: str) -> list[int]:
    return [i for i, char in enumerate(text) if char.isascii() and char.isdigit()]


@HOSTILE
@given(base=st.sampled_from(sorted(BASES)), data=st.data())
def test_another_scripts_digit_is_never_read_as_a_number(pb_path, base, data):
    text = BASES[base]
    at = data.draw(st.sampled_from(_digit_positions(text)))
    digit = data.draw(st.sampled_from(OTHER_DIGITS))
    election = read_and_count(pb_path, (text[:at] + digit + text[at + 1:]).encode())
    if election is not None:  # it was in a name or an id: every number is as before
        assert _numbers(election) == _numbers(read_pb(text))


def _numbers(election: Election) -> tuple:
    """The budget, the costs and the points of an election, whatever its ids and names."""
    return (election.budget, sorted(p.cost for p in election.projects),
            sorted(point for ballot in election.ballots for point in ballot.points))


MUTATIONS = st.sampled_from(["digit", "huge", "swap", "bytes", "delete", "sections"])


@HOSTILE
@given(base=st.sampled_from(sorted(BASES)), kind=MUTATIONS, data=st.data())
def test_any_mutation_is_refused_or_counted_exactly(pb_path, base, kind, data):
    text = BASES[base]
    lines = text.splitlines(keepends=True)
    if kind == "digit":
        at = data.draw(st.sampled_from(_digit_positions(text)))
        mutated = (text[:at] + data.draw(st.sampled_from("0123456789")) + text[at + 1:]).encode()
    elif kind == "huge":
        at = data.draw(st.sampled_from(_digit_positions(text)))
        huge = data.draw(st.integers(10**14, 10**30) | st.sampled_from([2**62, 2**63, 2**64]))
        mutated = (text[:at] + str(huge) + text[at + 1:]).encode()
    elif kind == "swap":
        i, j = data.draw(st.lists(st.integers(0, len(lines) - 1), min_size=2, max_size=2))
        lines[i], lines[j] = lines[j], lines[i]
        mutated = "".join(lines).encode()
    elif kind == "delete":
        del lines[data.draw(st.integers(0, len(lines) - 1))]
        mutated = "".join(lines).encode()
    elif kind == "sections":
        meta, rest = text.split("PROJECTS\n")
        projects, votes = rest.split("VOTES\n")
        mutated = data.draw(st.sampled_from([meta + "VOTES\n" + votes + "PROJECTS\n" + projects,
                                             "PROJECTS\n" + projects + meta + "VOTES\n" + votes]))
        mutated = mutated.encode()
    else:
        raw = text.encode()
        at = data.draw(st.integers(0, len(raw)))
        mutated = raw[:at] + data.draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    read_and_count(pb_path, mutated)
