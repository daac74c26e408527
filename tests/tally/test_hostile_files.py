"""Hostile and damaged ``.pb`` files: each is read exactly or refused with its line, never
counted wrongly (overflow, a file cut short, a voter counted twice, digits of another script)."""

from __future__ import annotations

import warnings

import pytest

from pb_app.tally.engine import run_tally
from pb_app.tally.errors import MAX_AMOUNT, TallyError
from pb_app.tally.model import Ballot, Election, Project, VoteType
from pb_app.tally.pabulib import PabulibError, PabulibWarning, read_pb
from pb_app.tally.support import build_profile
from tests.tally.helpers import election, spec
from tests.tally.test_pabulib import EXAMPLE

CUMULATIVE = """META
key;value
num_projects;2
num_votes;3
budget;100
vote_type;cumulative
PROJECTS
project_id;cost;name
1;60;Benches
2;50;Bus shelter
VOTES
voter_id;vote;points
1;1,2;3,2
2;2;5
3;1;1
"""

REFUSED = [
    ("budget '1e400' is not a number", EXAMPLE.replace("budget;100.0", "budget;1e400"), 9),
    ("budget 'Infinity' is not a number", EXAMPLE.replace("budget;100.0", "budget;Infinity"), 9),
    ("larger than the tally accepts (1,000,000,000,000,000)",
     EXAMPLE.replace("budget;100.0", f"budget;{MAX_AMOUNT + 1}"), 9),
    ("cost '1234567890123456789012345' is larger",
     EXAMPLE.replace("9;50;3", "9;1234567890123456789012345;3"), 15),
    ("points '1234567890123456789012345' is larger",
     CUMULATIVE.replace("2;2;5", "2;2;1234567890123456789012345"), 14),
    ("points '4611686018427387904' is larger", CUMULATIVE.replace("2;2;5", f"2;2;{2**62}"), 14),
    ("cost '٥٠' is not a number", EXAMPLE.replace("9;50;3", "9;٥٠;3"), 15),  # Arabic-Indic
    ("cost '５０' is not a number", EXAMPLE.replace("9;50;3", "9;５０;3"), 15),  # full width
    ("cost '5_0' is not a number", EXAMPLE.replace("9;50;3", "9;5_0;3"), 15),
    ("points '١' is not a number", CUMULATIVE.replace("3;1;1", "3;1;١"), 15),
    ("META num_votes is 5 but the file lists 4 votes",
     EXAMPLE.replace("num_votes;4", "num_votes;5"), 8),
    ("META num_projects is 2 but the file lists 3 projects",
     EXAMPLE.replace("num_projects;3", "num_projects;2"), 7),
    ("num_votes '٤' is not a number", EXAMPLE.replace("num_votes;4", "num_votes;٤"), 8),
    ("voter id 'v1' appears twice, on lines 19 and 21", EXAMPLE.replace("v3;9;25", "v1;9;25"), 21),
    # Cut short at a line end: the declared count gives it away.
    ("META num_votes is 4 but the file lists 3 votes", EXAMPLE.removesuffix("v4;a;\n"), 8),
    ("META num_votes is 3 but the file lists 2 votes", CUMULATIVE.removesuffix("3;1;1\n"), 4),
    # Cut in the middle of the last line: a field or a list item is missing.
    ("2 fields in a VOTES row whose header has 3 (is the file cut short?)", EXAMPLE[:-2], 22),
    ("an empty item in the points list '3,'", CUMULATIVE.replace("1;1,2;3,2", "1;1,2;3,"), 13),
    ("an empty item in the vote list '9,'", EXAMPLE.replace("v3;9;25", "v3;9,;25"), 21),
    ("unreadable row: a badly quoted cell in the cost column",
     EXAMPLE.replace("9;50;3;Bus shelter", '9;"5"0;3;Bus shelter'), 15),
    ("unreadable row: a badly quoted cell in the vote column",
     EXAMPLE.replace("v3;9;25", 'v3;"9"x;25'), 21),
    ("unreadable row: a badly quoted cell", CUMULATIVE.replace(";cost;", ';"cost"s;'), 8),
    ("unreadable row: a quote that is never closed",
     EXAMPLE.replace("9;50;3;Bus shelter", '9;50;3;"Bus shelter'), 15),
]


@pytest.mark.parametrize(("message", "text", "line"), REFUSED, ids=[r[0][:40] for r in REFUSED])
def test_a_hostile_file_is_refused_with_its_line(message: str, text: str, line: int):
    with pytest.raises(PabulibError) as raised:
        read_pb(text)
    assert message in raised.value.reason
    assert raised.value.line == line
    assert isinstance(raised.value, TallyError)


def test_a_badly_quoted_name_is_read_leniently_with_a_warning():
    clean = read_pb(EXAMPLE)
    with pytest.warns(PabulibWarning, match="the name cell is badly quoted") as caught:
        damaged = read_pb(EXAMPLE.replace("9;50;3;Bus shelter", '9;50;3;"Bus" shelter'))
    assert caught[0].message.line == 15
    assert damaged == clean  # read as pabutools reads it: 'Bus shelter'


def test_badly_quoted_meta_free_text_is_read_leniently_with_a_warning():
    with pytest.warns(PabulibWarning, match="line 3: the description cell is badly quoted"):
        damaged = read_pb(EXAMPLE.replace("description;A tiny round",
                                          'description;"A tiny" round'))
    assert dict(damaged.meta)["description"] == "A tiny round"


def test_a_clean_file_reads_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_pb(EXAMPLE)


def test_points_that_would_wrap_int64_are_refused_not_summed():
    wrapping = election({"a": 10, "b": 10}, [{"a": 2**62}, {"a": 2**62}, {"b": 5}], 10,
                        VoteType.CUMULATIVE)
    with pytest.raises(TallyError, match="too large to add up exactly"):
        run_tally(wrapping, spec("greedy"))


def test_points_just_inside_the_bound_are_summed_exactly():
    big = election({"a": 10, "b": 10}, [{"a": 2**61}, {"a": 2**61 - 1}, {"b": 5}], 10,
                   VoteType.CUMULATIVE)
    profile = build_profile(big)
    assert profile.support == (2**62 - 1, 5)
    assert run_tally(big, spec("greedy")).selected == ("a",)


@pytest.mark.parametrize("budget", [MAX_AMOUNT + 1, 10**400])
def test_an_absurd_budget_is_refused_by_every_rule(budget: int):
    absurd = election({"a": 10}, [("a",)], budget)
    for rule in ("greedy", "mes", "phragmen"):
        with pytest.raises(TallyError, match="more than the tally accepts"):
            run_tally(absurd, spec(rule))


@pytest.mark.parametrize("declared", ["²", "9" * 5000, "1" * 17])
def test_an_odd_declared_ranking_length_never_crashes(declared: str):
    ranked = Election(projects=(Project("a", 1), Project("b", 1)),
                      ballots=(Ballot(("a", "b")),), budget=1, vote_type=VoteType.ORDINAL,
                      meta=(("max_length", declared),))
    try:
        result = run_tally(ranked, spec("greedy"))
    except TallyError as error:
        assert "more than the tally accepts" in str(error)
    else:
        assert result.selected == ("a",)

