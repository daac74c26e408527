"""Reading and writing pabulib ``.pb`` files: every shared file, malformed files, canonical form."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pb_app.tally.model import Ballot, Election, Project, VoteType
from pb_app.tally.pabulib import (
    PabulibError,
    canonical_election,
    fingerprint,
    read_pb,
    read_pb_with_selected,
    write_pb,
)
from tests.tally.real_elections import (
    ELECTIONS,
    TESTVECTORS,
    checker_report,
    election_files,
    index_rows,
    load,
    vector_files,
)

# Files whose PROJECTS ``votes`` column counts a voter who listed a project twice as two votes;
# an approval ballot is a set, so the reader (like pabutools) counts that voter once.
DUPLICATED_APPROVALS = {
    "Netherlands_Amsterdam_604.pb": {"42346": 1, "42350": 1, "42355": 1, "42360": 1},
    "Poland_Warszawa_2026_Miedzylesie_Radosc.pb": {"1232": 1},
    "US_Stanford_Dataset_Your_Voice_Your_Choice_Parks_and_Streets-_Seattle_2019_District_3"
    "_vote_knapsacks.pb": {"1227": 1, "1229": 1, "1230": 1},
}

EXAMPLE = """META
key;value
description;A tiny round
country;United Kingdom
unit;Scottish Borders
instance;2026
num_projects;3
num_votes;4
budget;100.0
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name
10;60;2;"Benches; and bins"
9;50;3;Bus shelter
a;40;1;Allotment
VOTES
voter_id;vote;age
v1;9,10;30
v2;10,9;41
v3;9;25
v4;a;
"""

EXAMPLE_CANONICAL = """META
key;value
description;A tiny round
country;United Kingdom
unit;Scottish Borders
instance;2026
num_projects;3
num_votes;4
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name
9;50;3;Bus shelter
10;60;2;"Benches; and bins"
a;40;1;Allotment
VOTES
voter_id;vote
1;9
2;9,10
3;9,10
4;a
"""


def _file_columns(text: str, column: str) -> dict[str, str]:
    """A PROJECTS column of a ``.pb`` text, by project id (read with the csv module alone)."""
    rows = list(csv.reader(io.StringIO(text.split("\nVOTES")[0]), delimiter=";"))
    start = next(i for i, row in enumerate(rows) if row and row[0].strip() == "PROJECTS")
    header = [cell.strip() for cell in rows[start + 1]]
    result = {}
    for row in rows[start + 2:]:
        if column in header and row:
            result[row[0].strip()] = row[header.index(column)]
    return result


def test_the_shared_data_is_there():
    assert len(election_files()) == 316
    assert len(vector_files()) == 3
    assert len(index_rows()) == 316


@pytest.mark.parametrize("path", election_files() + vector_files(), ids=lambda p: p.name)
def test_every_shared_file_reads_and_survives_a_round_trip(path: Path):
    election, _ = load(path)
    text = write_pb(election)
    assert read_pb(text) == election
    if path.parent == ELECTIONS:
        row = index_rows()[path.name]
        assert sum(b.weight for b in election.ballots) == int(row["voters"])
        assert len(election.projects) == int(row["projects"])
        assert election.vote_type == row["vote_type"]
        assert election.budget == int(float(row["budget"]))
    assert _derived_differences(path.read_text(encoding="utf-8-sig"), text) == {
        "votes": DUPLICATED_APPROVALS.get(path.name, {}), "score": {}}


def _derived_differences(original: str, ours: str) -> dict[str, dict[str, int]]:
    """How much the file's own votes and score columns exceed the counts from its ballots."""
    differences = {}
    for column in ("votes", "score"):
        theirs = {k: v for k, v in _file_columns(original, column).items() if v.strip()}
        computed = _file_columns(ours, column)
        differences[column] = {
            project_id: int(float(value)) - int(computed[project_id])
            for project_id, value in theirs.items()
            if int(float(value)) != int(computed[project_id])
        }
    return differences


def test_a_tiny_file_is_written_in_the_canonical_form():
    election = read_pb(EXAMPLE)
    assert write_pb(election) == EXAMPLE_CANONICAL
    assert fingerprint(election) == hashlib.sha256(EXAMPLE_CANONICAL.encode()).hexdigest()
    assert election.budget == 100
    assert [p.id for p in election.projects] == ["9", "10", "a"]
    assert election.projects[1] == Project("10", 60, "Benches; and bins")
    assert election.ballots == (Ballot(("9",), (), 1), Ballot(("9", "10"), (), 2),
                                Ballot(("a",), (), 1))


def test_meta_and_extra_project_columns_survive_and_selected_is_returned_apart():
    path = ELECTIONS / "Poland_Wieliczka_2023_Green_Budget.pb"
    election, selected = read_pb_with_selected(path)
    assert dict(election.meta)["rule"] == "equalshares/add1-comparison"
    assert "num_votes" not in dict(election.meta)
    assert dict(dict(election.project_meta)["24"]) == {
        "latitude": "49.9873919", "longitude": "20.0835982"}
    assert selected is not None and sum(selected.values()) == 30
    assert selected["24"] == 1 and selected["21"] == 0


def test_a_file_without_selected_flags_says_so():
    assert read_pb_with_selected(TESTVECTORS / "tie_demo.pb")[1] is None


def test_fractional_budgets_are_rounded_down_and_whole_float_costs_accepted():
    election = read_pb(ELECTIONS / "Poland_Krakow_2023_Podgorze_Duchackie.pb")
    assert election.budget == 1643824
    toulouse = read_pb(
        ELECTIONS / "France_Toulouse_2022_10_-_Jolimont_Soupetard_Roseraie_Gloire_Gramont"
        "_Amouroux.pb")
    assert toulouse.budget == 400000
    assert all(isinstance(p.cost, int) for p in toulouse.projects)


def test_an_approval_ballot_naming_a_project_twice_counts_it_once():
    election = read_pb(EXAMPLE.replace("v3;9;25", "v3;9,9;25"))
    assert election.ballots[0] == Ballot(("9",), (), 1)


def test_cumulative_ballots_keep_their_points_listed_most_first():
    text = EXAMPLE.replace("approval", "cumulative").replace(
        "voter_id;vote;age\nv1;9,10;30\nv2;10,9;41\nv3;9;25\nv4;a;\n",
        "voter_id;vote;points\nv1;9,10;1,2\nv2;10,9;2,1\nv3;9;3\nv4;a,9;2,2\n")
    election = read_pb(text)
    assert election.ballots == (Ballot(("9",), (3,), 1), Ballot(("9", "a"), (2, 2), 1),
                                Ballot(("10", "9"), (2, 1), 2))
    written = write_pb(election)
    assert "voter_id;vote;points\n1;9;3\n2;9,a;2,2\n3;10,9;2,1\n4;10,9;2,1\n" in written
    assert _file_columns(written, "score") == {"9": "7", "10": "4", "a": "2"}


def test_ranked_ballots_keep_their_order_and_score_by_length():
    text = EXAMPLE.replace("approval", "ordinal")
    election = read_pb(text)
    assert Ballot(("10", "9"), (), 1) in election.ballots
    assert Ballot(("9", "10"), (), 1) in election.ballots
    assert _file_columns(write_pb(election), "score") == {"9": "4", "10": "3", "a": "1"}


def test_crlf_line_ends_a_byte_order_mark_and_blank_lines_are_accepted(tmp_path: Path):
    path = tmp_path / "windows.pb"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.replace("\n", "\r\n\r\n").encode())
    assert read_pb(path) == read_pb(EXAMPLE)


MALFORMED = [
    ("no VOTES section", EXAMPLE.split("VOTES")[0], None),
    ("PROJECTS where META", "PROJECTS\n" + EXAMPLE.split("PROJECTS\n", 1)[1], 1),
    ("data before the META", "hello;world\n" + EXAMPLE, 1),
    ("unknown vote_type 'approve'", EXAMPLE.replace("vote_type;approval", "vote_type;approve"),
     10),
    ("META has no budget", EXAMPLE.replace("budget;100.0\n", ""), 1),
    ("budget 'lots' is not a number", EXAMPLE.replace("budget;100.0", "budget;lots"), 9),
    ("cost '12.5' is not a whole number", EXAMPLE.replace("9;50;3", "9;12.5;3"), 15),
    ("cost '-5' is not a non-negative number", EXAMPLE.replace("9;50;3", "9;-5;3"), 15),
    ("a vote for 'zz', which is not in PROJECTS", EXAMPLE.replace("v3;9;25", "v3;zz;25"), 21),
    ("project id '9' is empty or repeated", EXAMPLE.replace("a;40;1", "9;40;1"), 16),
    ("4 fields in a VOTES row whose header has 3", EXAMPLE.replace("v3;9;25", "v3;9;25;x"),
     21),
    ("5 fields in a PROJECTS row", EXAMPLE.replace("a;40;1;Allotment", "a;40;1;All;x"), 16),
    ("META key 'unit' appears twice", EXAMPLE.replace("instance;2026", "unit;again"), 6),
    ("repeated columns ['cost']", EXAMPLE.replace("project_id;cost;votes", "project_id;cost;cost"),
     13),
    ("a second VOTES section", EXAMPLE + "VOTES\nvoter_id;vote\n", 23),
    ("cumulative ballots need a points column", EXAMPLE.replace("approval", "cumulative"), 18),
    ("2 projects but 1 points",
     EXAMPLE.replace("approval", "scoring").replace("voter_id;vote;age", "voter_id;vote;points")
     .replace("v1;9,10;30", "v1;9,10;3"), 19),
    ("a ordinal ballot names a project twice",
     EXAMPLE.replace("approval", "ordinal").replace("v3;9;25", "v3;9,9;25"), 21),
    ("the PROJECTS header must start with project_id",
     EXAMPLE.replace("project_id;cost", "id;cost"), 13),
    ("the VOTES header must start with voter_id", EXAMPLE.replace("voter_id;", "voter;"), 18),
    ("unreadable row", EXAMPLE.replace("v3;9;25", 'v3;"9"x";25'), 21),
]


@pytest.mark.parametrize(("message", "text", "line"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_file_is_refused_with_its_line_number(message: str, text: str, line):
    with pytest.raises(PabulibError) as raised:
        read_pb(text)
    assert message in str(raised.value)
    assert raised.value.line == line
    if line:
        assert str(raised.value).startswith(f"line {line}: ")


def test_missing_and_unreadable_files_are_clear_errors(tmp_path: Path):
    with pytest.raises(PabulibError, match="no such file"):
        read_pb(tmp_path / "missing.pb")
    latin = tmp_path / "latin1.pb"
    latin.write_bytes(EXAMPLE.replace("Allotment", "Jardín").encode("latin-1"))
    with pytest.raises(PabulibError, match="is not UTF-8 text"):
        read_pb(latin)
    with pytest.raises(PabulibError, match="cannot read"):
        read_pb(tmp_path)


def test_writing_refuses_what_the_format_cannot_hold():
    election = read_pb(EXAMPLE)
    with pytest.raises(PabulibError, match="not in the election"):
        write_pb(election, selected=["nope"])
    comma = Election((Project("a,b", 10),), (Ballot(("a,b",)),), 10, VoteType.APPROVAL)
    with pytest.raises(PabulibError, match="cannot appear in a vote list"):
        write_pb(comma)
    with pytest.raises(PabulibError, match="unknown projects"):
        canonical_election(Election((Project("a", 10),), (Ballot(("b",)),), 10,
                                    VoteType.APPROVAL))


def test_vote_cells_are_quoted_only_when_a_project_id_needs_it():
    """Ids holding a separator or a quote are quoted in the vote list as csv writes them, and
    read back to the same election; cells of ordinary ids stay bare."""
    election = Election(
        projects=(Project("a;b", 10), Project('c"d', 20), Project("e", 30)),
        ballots=(Ballot(("a;b", 'c"d')), Ballot(("e",), (), 2)),
        budget=40,
        vote_type=VoteType.APPROVAL,
    )
    text = write_pb(election)
    votes = text.split("\nVOTES\n")[1]
    assert votes.splitlines()[1:] == ['1;"a;b,c""d"', "2;e", "3;e"]
    assert [row[1] for row in csv.reader(io.StringIO(votes), delimiter=";")][1:] == [
        'a;b,c"d', "e", "e"]
    assert read_pb(text) == canonical_election(election)
    plain = Election((Project("x", 10),), (Ballot(("x",)),), 10, VoteType.APPROVAL)
    assert write_pb(plain).endswith("VOTES\nvoter_id;vote\n1;x\n")


def test_a_shuffled_export_reads_back_to_the_same_election_and_fingerprint():
    election, _ = load(ELECTIONS / "Poland_Wieliczka_2023_Green_Budget.pb")
    shuffled = write_pb(election, shuffle_seed="drawn at the count")
    assert shuffled != write_pb(election)
    assert shuffled == write_pb(election, shuffle_seed="drawn at the count")
    assert shuffled != write_pb(election, shuffle_seed="another seed")
    assert read_pb(shuffled) == election
    assert fingerprint(read_pb(shuffled)) == fingerprint(election)


def test_the_fingerprint_is_the_sha256_of_the_canonical_export():
    election, _ = load(TESTVECTORS / "equalshares_net_example1.pb")
    text = write_pb(election)
    assert fingerprint(election) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    other, _ = load(TESTVECTORS / "equalshares_net_example2.pb")
    assert fingerprint(other) != fingerprint(election)


@pytest.mark.parametrize(
    "name",
    ["Netherlands_Assen_2024.pb", "Poland_Krakow_2018_Zwierzyniec.pb", "France_Toulouse_2019.pb",
     "Poland_Gdynia_2020_Srodmiescie__small.pb"],
)
def test_exports_of_valid_files_pass_pabulib_checker(name: str):
    election, flags = load(ELECTIONS / name)
    funded = [p for p, flag in (flags or {}).items() if flag == 1] if flags else None
    assert checker_report(write_pb(election, selected=funded))["errors"] == {}


PROJECTS = [Project("1", 30), Project("2", 50), Project("10", 20), Project("x", 70)]
_ids = st.sampled_from([p.id for p in PROJECTS])
_approval = st.builds(lambda ids, w: Ballot(tuple(ids), (), w),
                      st.lists(_ids, min_size=1, max_size=4), st.integers(1, 3))
_cumulative = st.builds(
    lambda ids, points, w: Ballot(tuple(ids), tuple(points[: len(ids)]), w),
    st.lists(_ids, min_size=1, max_size=4, unique=True),
    st.lists(st.integers(0, 5), min_size=4, max_size=4), st.integers(1, 3))


def _split_weights(ballots: list[Ballot]) -> list[Ballot]:
    return [Ballot(b.projects, b.points, 1) for b in ballots for _ in range(b.weight)]


@settings(max_examples=60, deadline=None)
@given(ballots=st.lists(_approval, max_size=12), data=st.data())
def test_approval_fingerprint_ignores_ballot_order_grouping_and_project_order(ballots, data):
    first = Election(tuple(PROJECTS), tuple(ballots), 100, VoteType.APPROVAL)
    shuffled = data.draw(st.permutations(_split_weights(ballots)))
    reordered = [Ballot(tuple(reversed(b.projects)), b.points, b.weight) for b in shuffled]
    second = Election(tuple(reversed(PROJECTS)), tuple(reordered), 100, VoteType.APPROVAL)
    assert fingerprint(first) == fingerprint(second)
    assert canonical_election(first) == canonical_election(second)
    assert read_pb(write_pb(first)) == canonical_election(first)


@settings(max_examples=60, deadline=None)
@given(ballots=st.lists(_cumulative, max_size=12), data=st.data())
def test_cumulative_round_trip_and_order_independence(ballots, data):
    first = Election(tuple(PROJECTS), tuple(ballots), 100, VoteType.CUMULATIVE)
    shuffled = data.draw(st.permutations(_split_weights(ballots)))
    second = Election(tuple(PROJECTS), tuple(shuffled), 100, VoteType.CUMULATIVE)
    assert fingerprint(first) == fingerprint(second)
    assert read_pb(write_pb(first)) == canonical_election(first)


@settings(max_examples=40, deadline=None)
@given(ballots=st.lists(_approval, min_size=1, max_size=8))
def test_a_changed_ballot_changes_the_fingerprint(ballots):
    first = Election(tuple(PROJECTS), tuple(ballots), 100, VoteType.APPROVAL)
    extra = Election(tuple(PROJECTS), (*ballots, Ballot(("x",))), 100, VoteType.APPROVAL)
    assert fingerprint(first) != fingerprint(extra)
