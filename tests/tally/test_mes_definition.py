"""The fast MES (``mes``, ``add1``) against its plain definition (``mes_definition``).

Both must fund the same projects in the same order at the same exact prices, and add1 must
keep the same endowment: on generated small elections with many ties and voters who run
out of money, and on a few real small files.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pb_app.tally import mes_definition
from pb_app.tally.add1 import search_add1, start_endowment
from pb_app.tally.mes import prepare, run_mes
from pb_app.tally.model import Ballot, Election, Project, TieBreak, VoteType
from pb_app.tally.support import build_profile
from pb_app.tally.tiebreak import build_tie_order
from tests.tally.real_elections import ELECTIONS, TESTVECTORS, load

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TIE_BREAKS = [
    TieBreak(criteria=(), order="lexico"),
    TieBreak(),
    TieBreak(criteria=("cost",), order="lottery", seed="drawn"),
]


@st.composite
def elections(draw) -> Election:
    """Up to 8 projects drawn from few costs (equal prices are common; points ballots may
    have free projects), up to 12 distinct ballots with weights up to 3, and a budget
    from tight (many voters run out of money) to loose."""
    vote_type = draw(st.sampled_from(list(VoteType)))
    ids = [f"p{i}" for i in range(draw(st.integers(1, 8)))]
    low = 1 if vote_type in (VoteType.APPROVAL, VoteType.CHOOSE_1) else 0
    base = draw(st.lists(st.integers(low, 30), min_size=1, max_size=3))
    costs = [draw(st.sampled_from(base)) for _ in ids]
    ballots = []
    for _ in range(draw(st.integers(1, 12))):
        most = 1 if vote_type == VoteType.CHOOSE_1 else len(ids)
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, min_size=1, max_size=most))
        points = ()
        if vote_type in (VoteType.CUMULATIVE, VoteType.SCORING):
            points = tuple(draw(st.integers(0, 5)) for _ in chosen)  # 0: listed, no utility
        ballots.append(Ballot(tuple(chosen), points, draw(st.integers(1, 3))))
    return Election(
        projects=tuple(Project(pid, c) for pid, c in zip(ids, costs, strict=True)),
        ballots=tuple(ballots),
        budget=draw(st.integers(1, 2 * sum(costs) + 1)),
        vote_type=vote_type,
    )


def _both(election: Election, tie_break: TieBreak):
    """The fast path's prepared data and tie order, and the plain definition's input."""
    profile = build_profile(election)
    order = build_tie_order(profile, tie_break)
    return prepare(profile, order), order, mes_definition.ballots_from(profile, order)


def _funded(run) -> tuple[tuple[int, Fraction | None], ...]:
    """A fast run's funded projects with their exact prices, as the definition lists them."""
    return (tuple((j, None) for j in run.free)
            + tuple((paid.project, paid.alpha) for paid in run.rounds))


def assert_mes_agrees(election: Election, tie_break: TieBreak) -> None:
    """Plain MES at B/n: same projects, order and prices."""
    data, order, plain = _both(election, tie_break)
    endowment = Fraction(election.budget, max(data.profile.n_voters, 1))
    expected = mes_definition.equal_shares(plain, endowment)
    assert _funded(run_mes(data, order, endowment)) == expected.funded


def assert_add1_agrees(election: Election, tie_break: TieBreak, increment: int,
                       integral_start: bool, exhaustive_stop: bool) -> None:
    """MES with add1: same kept endowment, projects, order and prices."""
    data, order, plain = _both(election, tie_break)
    start = start_endowment(election.budget, max(data.profile.n_voters, 1), integral_start)
    kept = search_add1(data, order, start, increment, exhaustive_stop).kept
    expected = mes_definition.add1(plain, increment, integral_start, exhaustive_stop)
    assert (kept.endowment, _funded(kept)) == (expected.endowment, expected.funded)


@SETTINGS
@given(elections(), st.sampled_from(TIE_BREAKS))
def test_mes_equals_definition(election, tie_break):
    assert_mes_agrees(election, tie_break)


@SETTINGS
@given(elections(), st.sampled_from(TIE_BREAKS), st.integers(1, 3), st.booleans(),
       st.booleans())
def test_add1_equals_definition(election, tie_break, increment, integral_start,
                                exhaustive_stop):
    assert_add1_agrees(election, tie_break, increment, integral_start, exhaustive_stop)


def test_definition_reproduces_equalshares_net_examples():
    """The definition itself, on the examples equalshares.net works through by hand (plain
    MES at B/n, as the files' rule says)."""
    for name, winners in [("equalshares_net_example1.pb", {"bike", "playground", "library"}),
                          ("equalshares_net_example2.pb", {"gym", "park", "playground"})]:
        election, _ = load(TESTVECTORS / name)
        _, _, plain = _both(election, TieBreak())
        outcome = mes_definition.equal_shares(plain, Fraction(election.budget, plain.voters))
        assert {election.projects[c].id for c in outcome.projects} == winners


@pytest.mark.parametrize("name", ["equalshares_net_example1.pb", "equalshares_net_example2.pb",
                                  "tie_demo.pb"])
def test_test_vectors_agree(name):
    election, _ = load(TESTVECTORS / name)
    assert_mes_agrees(election, TieBreak())
    assert_add1_agrees(election, TieBreak(), 1, False, False)


SMALL_FILES = [
    "Worldwide_Mechanical_Turk_Utilities_3.pb",  # cumulative
    "Worldwide_Mechanical_Turk_Ranking_value_3.pb",  # ordinal, scored 3-2-1 style (borda)
    "Worldwide_Mechanical_Turk_Knapsack_3.pb",  # approval
    "Netherlands_Assen_2024.pb",  # approval, official rule equalshares/add1
]


@pytest.mark.parametrize("name", SMALL_FILES)
def test_real_files_mes_agrees(name):
    election, _ = load(ELECTIONS / name)
    assert_mes_agrees(election, TieBreak())


@pytest.mark.slow
@pytest.mark.parametrize(("name", "increment"), [
    ("Worldwide_Mechanical_Turk_Utilities_3.pb", 50),
    ("Worldwide_Mechanical_Turk_Ranking_value_3.pb", 1),
    ("Worldwide_Mechanical_Turk_Knapsack_3.pb", 50),
    ("Netherlands_Assen_2024.pb", 1),
])
def test_real_files_add1_agrees(name, increment):
    """add1 by unit stepping in fractions takes up to a minute here: the larger increments
    keep the other files to a few hundred steps."""
    election, _ = load(ELECTIONS / name)
    assert_add1_agrees(election, TieBreak(), increment, False, False)
