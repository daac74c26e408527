"""Properties checked on many small random elections (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pb_app.tally import add1, mes
from pb_app.tally.engine import run_tally
from pb_app.tally.model import Ballot, Election, Project, RuleSpec, TieBreak, VoteType
from pb_app.tally.support import build_profile
from pb_app.tally.tiebreak import build_tie_order

LEXICO = TieBreak(criteria=(), order="lexico")
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def elections(draw, vote_type: VoteType | None = None, max_budget: int = 120) -> Election:
    """Up to 5 projects and 8 distinct ballots (weights up to 3)."""
    vote_type = vote_type or draw(st.sampled_from([VoteType.APPROVAL, VoteType.CUMULATIVE]))
    n = draw(st.integers(1, 5))
    ids = [f"p{i}" for i in range(n)]
    costs = draw(st.lists(st.integers(1, 60), min_size=n, max_size=n))
    ballots = []
    for _ in range(draw(st.integers(1, 8))):
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=n))
        points = (tuple(draw(st.lists(st.integers(1, 4), min_size=len(chosen),
                                      max_size=len(chosen))))
                  if vote_type == VoteType.CUMULATIVE else ())
        ballots.append(Ballot(tuple(chosen), points, draw(st.integers(1, 3))))
    return Election(
        projects=tuple(Project(pid, c) for pid, c in zip(ids, costs, strict=True)),
        ballots=tuple(ballots),
        budget=draw(st.integers(1, max_budget)),
        vote_type=vote_type,
    )


SPECS = [
    RuleSpec("greedy", tie_break=LEXICO),
    RuleSpec("greedy-no-skip"),
    RuleSpec("greedy-threshold", threshold=2),
    RuleSpec("mes", tie_break=LEXICO),
    RuleSpec("mes", completion="add1"),
    RuleSpec("mes", completion="add1-greedy", exhaustive_stop=True, comparison=True),
    RuleSpec("phragmen", tie_break=LEXICO),
]


def _applicable(election: Election) -> list[RuleSpec]:
    return [s for s in SPECS if s.rule != "phragmen" or election.vote_type == VoteType.APPROVAL]


@SETTINGS
@given(elections(), st.randoms(use_true_random=False))
def test_no_outcome_exceeds_the_budget_nor_depends_on_ballot_order(election, rnd) -> None:
    shuffled = list(election.ballots)
    rnd.shuffle(shuffled)
    other = Election(election.projects, tuple(shuffled), election.budget, election.vote_type)
    for spec in _applicable(election):
        result = run_tally(election, spec)
        assert result.spent == sum(c for _, c in result.allocation) <= election.budget
        assert result.unspent == election.budget - result.spent
        again = run_tally(other, spec)
        assert (again.selected, again.steps, again.ties) == (
            result.selected, result.steps, result.ties)


@SETTINGS
@given(elections(), st.integers(0, 4))
def test_greedy_is_exhaustive(election, threshold) -> None:
    profile = build_profile(election)
    for spec in (RuleSpec("greedy"), RuleSpec("greedy-threshold", threshold=threshold)):
        result = run_tally(election, spec)
        eligible = [
            p for p, s in zip(election.projects, profile.support, strict=True)
            if s >= spec.threshold and p.id not in result.selected
        ]
        assert all(p.cost > result.unspent for p in eligible)


def _reference_mes(
    election: Election, endowment: Fraction
) -> tuple[list[str], list[dict], dict[str, Fraction]]:
    """MES by the definition, voter by voter in fractions, ties by project id as strings."""
    approval = election.vote_type == VoteType.APPROVAL
    cost = {p.id: p.cost for p in election.projects}
    voters = [b for b in election.ballots for _ in range(b.weight)]
    utility = [
        {pid: (cost[pid] if approval else pts) for pid, pts in
         zip(b.projects, b.points or [1] * len(b.projects), strict=True)} for b in voters
    ]
    money = [endowment] * len(voters)
    funded: list[str] = []
    payments: list[dict] = []
    while True:
        prices = {}
        for pid in sorted(cost):
            backers = [i for i, u in enumerate(utility) if u.get(pid, 0) > 0]
            if pid in funded or not backers or cost[pid] == 0:
                continue
            if sum(money[i] for i in backers) < cost[pid]:
                continue
            levels = sorted({money[i] / utility[i][pid] for i in backers})
            for level in levels:  # the price is the first level where the rich can cover
                paid = sum(min(money[i], level * utility[i][pid]) for i in backers)
                if paid >= cost[pid]:
                    rich = [i for i in backers if money[i] / utility[i][pid] >= level]
                    poor_paid = sum(money[i] for i in backers if i not in rich)
                    prices[pid] = (Fraction(cost[pid]) - poor_paid) / sum(
                        utility[i][pid] for i in rich)
                    break
        if not prices:
            left = {pid: sum((money[i] for i, u in enumerate(utility) if u.get(pid, 0) > 0),
                             Fraction(0)) for pid in cost}
            return funded, payments, left
        best = min(prices.values())
        pid = min(p for p in prices if prices[p] == best)
        pay = {i: min(money[i], best * utility[i][pid]) for i, u in enumerate(utility)
               if u.get(pid, 0) > 0}
        for i, amount in pay.items():
            money[i] -= amount
        funded.append(pid)
        payments.append(pay)


@SETTINGS
@given(elections(), st.integers(0, 30))
def test_mes_matches_the_definition_and_the_equal_shares_constraint(election, extra) -> None:
    profile = build_profile(election)
    order = build_tie_order(profile, LEXICO)
    data = mes.prepare(profile, order)
    endowment = Fraction(election.budget, profile.n_voters) + extra
    run = mes.run_mes(data, order, endowment)
    expected, payments, left = _reference_mes(election, endowment)
    assert [profile.ids[j] for j in run.sequence if profile.costs[j] > 0] == expected
    assert {profile.ids[j]: m for j, m in run.left_for.items()} == {
        profile.ids[j]: left[profile.ids[j]] for j in run.left_for}
    paid_by = {}
    for pid, pay in zip(expected, payments, strict=True):
        assert sum(pay.values()) == next(p.cost for p in election.projects if p.id == pid)
        for voter, amount in pay.items():
            paid_by[voter] = paid_by.get(voter, 0) + amount
    assert all(0 <= total <= endowment for total in paid_by.values())
    for r, pid in zip(run.rounds, expected, strict=True):
        assert r.full_payers + r.capped_payers == sum(1 for _ in payments[expected.index(pid)])


@SETTINGS
@given(elections(), st.integers(0, 30))
def test_the_float_run_agrees_with_the_exact_run(election, extra) -> None:
    profile = build_profile(election)
    order = build_tie_order(profile, LEXICO)
    data = mes.prepare(profile, order)
    endowment = Fraction(election.budget, profile.n_voters) + extra
    exact = mes._exact_run(data, order, endowment, None)
    try:
        fast = mes._float_run(data, order, endowment, None)
    except mes._Ambiguous:
        return
    assert fast.sequence == exact.sequence
    assert [r.alpha for r in fast.rounds] == [r.alpha for r in exact.rounds]
    assert [(r.tied, r.decided_by) for r in fast.rounds] == [
        (r.tied, r.decided_by) for r in exact.rounds]


def _scaled(election: Election, factor: int) -> Election:
    """Points (cumulative) or costs and budget (approval) times ``factor``: the same election
    in other units, so the same funded sequence."""
    if election.vote_type == VoteType.CUMULATIVE:
        ballots = tuple(replace(b, points=tuple(p * factor for p in b.points))
                        for b in election.ballots)
        return replace(election, ballots=ballots)
    projects = tuple(replace(p, cost=p.cost * factor) for p in election.projects)
    return replace(election, projects=projects, budget=election.budget * factor)


@SETTINGS
@given(elections(), st.sampled_from([1, 300, 70_000, 3 * 10**9]), st.integers(0, 30))
def test_float_and_exact_runs_agree_on_money_left_at_any_scale(election, factor, extra) -> None:
    base = build_profile(election)
    profile = build_profile(_scaled(election, factor))
    order = build_tie_order(profile, LEXICO)
    data = mes.prepare(profile, order)
    endowment = (Fraction(profile.budget, profile.n_voters)
                 + extra * (factor if profile.is_approval else 1))
    exact = mes._exact_run(data, order, endowment, None)
    assert len(exact.sequence) == len(mes._exact_run(
        mes.prepare(base, order), order, Fraction(base.budget, base.n_voters) + extra,
        None).sequence)
    try:
        fast = mes._float_run(data, order, endowment, None)
    except mes._Ambiguous:
        return
    assert fast.sequence == exact.sequence
    assert fast.left_for == exact.left_for


@SETTINGS
@given(elections(max_budget=400), st.booleans(), st.booleans(), st.sampled_from([1, 1, 2, 7]))
def test_add1_jumps_equal_unit_stepping(election, exhaustive, integral, increment) -> None:
    profile = build_profile(election)
    order = build_tie_order(profile, LEXICO)
    data = mes.prepare(profile, order)
    start = add1.start_endowment(election.budget, profile.n_voters, integral)
    fast = add1.search_add1(data, order, start, increment, exhaustive)
    slow = add1.step_add1(data, order, start, increment, exhaustive)
    assert (fast.kept.sequence, fast.kept.endowment, fast.reason, fast.steps) == (
        slow.kept.sequence, slow.kept.endowment, slow.reason, slow.steps)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 2**20), st.integers(1, 5), st.integers(1, 9)),
                min_size=1, max_size=300),
       st.integers(1, 2**30), st.integers(0, 40))
def test_certified_price_interval_holds_the_exact_price(groups, cost, shift) -> None:
    """Budgets k / 2^shift (exact in floats); many groups far below the level, so the level
    rests on a few rich ones, the case where the first interval guess is too narrow."""
    b = np.array([k / 2**shift for k, _, _ in groups])
    u = np.array([float(x) for _, x, _ in groups])
    w = np.array([float(x) for _, _, x in groups])
    budgets = [Fraction(k, 2**shift) for k, _, _ in groups]
    sup = list(range(len(groups)))
    if sum(wi * bi for wi, bi in zip(w.tolist(), budgets, strict=True)) < cost:
        return
    exact = mes._exact_level(sup, [int(x) for x in w], [int(x) for x in u], budgets, cost)
    total_u = int(w @ u)
    try:
        lo, hi, _ = mes._water_level(b, u, w, cost, total_u, 0.0)
    except mes._Ambiguous:
        return
    assert lo < exact <= hi


def test_price_interval_is_certified_when_almost_everybody_is_capped() -> None:
    """97% of the supporters hold crumbs, the cost takes 90% of all money: the level rests on
    a few rich groups and is certified (no fallback to fractions) around the exact price."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        k = rng.integers(0, 2**20, 200)
        k[rng.random(200) < 0.97] = 3
        u, w = rng.integers(1, 6, 200), rng.integers(1, 10, 200)
        budgets = [Fraction(int(x), 2**10) for x in k]
        cost = int(sum(int(wi) * bi for wi, bi in zip(w, budgets, strict=True)) * 9 / 10)
        exact = mes._exact_level(list(range(200)), w.tolist(), u.tolist(), budgets, cost)
        lo, hi, _ = mes._water_level(k / 2**10, u.astype(float), w.astype(float), cost,
                                     int(w @ u), 0.0)
        assert lo < exact <= hi
