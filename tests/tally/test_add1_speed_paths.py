"""The add1 search's sequence-only runs against exact runs and unit stepping.

The search runs MES without exact prices (``prices=False``) and abandons failed jumps early;
these tests look for any election where that changes the outcome, with weights on ties,
near-ties and voters who run out of money.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pb_app.tally import add1, lockstep, mes
from pb_app.tally.model import Ballot, Election, Project, TieBreak, VoteType
from pb_app.tally.support import build_profile
from pb_app.tally.tiebreak import build_tie_order
from tests.tally.real_elections import ELECTIONS, PABUTOOLS_TIES, load

LEXICO = TieBreak(criteria=(), order="lexico")
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scaled_elections(draw) -> tuple[Election, int]:
    """Up to 6 projects drawn from few costs (ties in price are common), up to 14 ballots
    with weights up to 4, and a budget that leaves many voters short (capped payers).
    Approval costs and budget are scaled by a factor, now and then large (float rounding at
    scale); the factor comes along so that add1 can raise endowments in the same units."""
    vote_type = draw(st.sampled_from([VoteType.APPROVAL, VoteType.CUMULATIVE]))
    n = draw(st.integers(2, 6))
    ids = [f"p{i}" for i in range(n)]
    base = draw(st.lists(st.integers(1, 40), min_size=1, max_size=3))
    costs = [draw(st.sampled_from(base)) for _ in ids]
    ballots = []
    for _ in range(draw(st.integers(1, 14))):
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, min_size=1, max_size=n))
        points = (tuple(draw(st.lists(st.integers(1, 5), min_size=len(chosen),
                                      max_size=len(chosen))))
                  if vote_type == VoteType.CUMULATIVE else ())
        ballots.append(Ballot(tuple(chosen), points, draw(st.integers(1, 4))))
    budget = draw(st.integers(1, 3 * sum(costs)))
    scale = draw(st.sampled_from([1, 1, 1, 7, 10**9])) if vote_type == VoteType.APPROVAL else 1
    election = Election(
        projects=tuple(Project(pid, c * scale) for pid, c in zip(ids, costs, strict=True)),
        ballots=tuple(ballots),
        budget=budget * scale,
        vote_type=vote_type,
    )
    return election, scale


def crowded_elections() -> st.SearchStrategy[Election]:
    """``scaled_elections`` without the factor."""
    return scaled_elections().map(lambda pair: pair[0])


def _setup(election: Election):
    profile = build_profile(election)
    order = build_tie_order(profile, LEXICO)
    return profile, order, mes.prepare(profile, order)


@SETTINGS
@given(scaled_elections(), st.booleans(), st.booleans(), st.sampled_from([1, 1, 3]))
def test_search_equals_unit_stepping_on_crowded_elections(scaled, exhaustive, integral,
                                                          increment) -> None:
    election, scale = scaled
    profile, order, data = _setup(election)
    increment *= scale
    start = add1.start_endowment(election.budget, profile.n_voters, integral)
    fast = add1.search_add1(data, order, start, increment, exhaustive)
    slow = add1.step_add1(data, order, start, increment, exhaustive)
    assert (fast.kept.sequence, fast.kept.endowment, fast.reason, fast.steps) == (
        slow.kept.sequence, slow.kept.endowment, slow.reason, slow.steps)
    assert [(r.alpha, r.tied, r.full_payers, r.capped_paid) for r in fast.kept.rounds] == [
        (r.alpha, r.tied, r.full_payers, r.capped_paid) for r in slow.kept.rounds]
    assert fast.kept.left_for == slow.kept.left_for


@SETTINGS
@given(crowded_elections(), st.integers(0, 40))
def test_sequence_only_runs_fund_the_exact_sequence(election, extra) -> None:
    profile, order, data = _setup(election)
    endowment = Fraction(election.budget, profile.n_voters) + extra
    exact = mes._exact_run(data, order, endowment, None)
    probe = mes.run_mes(data, order, endowment, prices=False)
    assert probe.sequence == exact.sequence
    assert [r.tied for r in probe.rounds] == [r.tied for r in exact.rounds]
    for r, e in zip(probe.rounds, exact.rounds, strict=True):
        assert r.alpha is None or r.alpha == e.alpha
        assert e.alpha <= r.ceiling


@SETTINGS
@given(crowded_elections(), st.integers(0, 20), st.integers(1, 6))
def test_a_sequence_only_certificate_holds_at_every_endowment_between(election, extra,
                                                                      jump) -> None:
    profile, order, data = _setup(election)
    low = Fraction(election.budget, profile.n_voters) + extra
    base = mes.run_mes(data, order, low, prices=False)
    probe = mes.run_mes(data, order, low + jump, watch=base, prices=False)
    abandoned = mes.run_mes(data, order, low + jump, watch=base, prices=False, abandon=True)
    assert abandoned.certified == probe.certified
    if probe.certified:
        for step in range(jump + 1):
            assert mes._exact_run(data, order, low + step, None).sequence == base.sequence


@SETTINGS
@given(crowded_elections(), st.integers(0, 20), st.integers(2, 12), st.booleans())
def test_a_broken_certificate_still_bounds_every_endowment_between(election, extra, jump,
                                                                   exact) -> None:
    """Where a jump's certificate breaks, its ``Suffix`` holds at every endowment between:
    each run funds the certified prefix first, later only projects in ``fundable``, and those
    cost at most ``most_paid``. Checked for float runs and exact runs."""
    profile, order, data = _setup(election)
    low = Fraction(election.budget, profile.n_voters) + extra
    base = mes.run_mes(data, order, low, prices=False)
    seen = []
    bridge = seen.append
    if exact:
        probe = mes._exact_run(data, order, low + jump, base, abandon=True, bridge=bridge)
    else:
        probe = mes.run_mes(data, order, low + jump, watch=base, prices=False, abandon=True,
                            bridge=bridge)
    if probe.certified:
        return
    (suffix,) = seen
    assert suffix.prefix_cost == sum(profile.costs[j] for j in suffix.funded)
    for step in range(jump + 1):
        run = mes._exact_run(data, order, low + step, None)
        prefix, later = run.sequence[:len(suffix.funded)], run.sequence[len(suffix.funded):]
        assert set(prefix) == suffix.funded
        assert set(later) <= suffix.fundable
        assert sum(profile.costs[j] for j in later) <= suffix.most_paid


@contextmanager
def _recorded_rates():
    """Every fall rate ``mes._Reach.rate`` reports, as ``(round, project, rate)``."""
    seen, rate = [], mes._Reach.rate

    def recording(reach, j, price, r):
        value = rate(reach, j, price, r)
        seen.append((r, j, value))
        return value

    mes._Reach.rate = recording
    try:
        yield seen
    finally:
        mes._Reach.rate = rate


def _exact_price_after(data, e: Fraction, prefix, j) -> Fraction | None:
    """Project j's exact price at endowment e once ``prefix`` is funded (None when its
    supporters cannot pay it)."""
    profile = data.profile
    budgets = [e] * len(profile.groups)
    for k in (*prefix, j):
        sup = profile.supporters[k].tolist()
        w, u = profile.weights[sup].tolist(), [int(x) for x in data.util[k]]
        if sum(wi * budgets[g] for g, wi in zip(sup, w, strict=True)) < profile.costs[k]:
            return None
        alpha = mes._exact_level(sup, w, u, budgets, profile.costs[k])
        if k != j:
            mes._pay_exact(profile, u, budgets, k, alpha)
    return alpha


@st.composite
def uneven_elections(draw) -> Election:
    """Cumulative ballots spreading 1-9 points over up to 5 projects of similar cost: voters
    who give a project many points run short of money first, so prices fall as endowments
    grow, round after round."""
    n = draw(st.integers(2, 5))
    ids = [f"p{i}" for i in range(n)]
    base = draw(st.integers(20, 200))
    costs = [base + draw(st.integers(-base // 4, base // 4)) for _ in ids]
    ballots = []
    for _ in range(draw(st.integers(3, 24))):
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, min_size=1, max_size=n))
        points = tuple(draw(st.integers(1, 9)) for _ in chosen)
        ballots.append(Ballot(tuple(chosen), points, draw(st.integers(1, 3))))
    return Election(projects=tuple(Project(p, c) for p, c in zip(ids, costs, strict=True)),
                    ballots=tuple(ballots), budget=sum(costs), vote_type=VoteType.CUMULATIVE)


@SETTINGS
@given(st.one_of(crowded_elections(), uneven_elections()), st.integers(0, 12),
       st.integers(1, 24), st.integers(1, 4))
def test_prices_fall_at_least_at_the_rate_a_jump_counts_on(election, extra, jump,
                                                          quarters) -> None:
    """A jump certifies a rival that is not above the winner's price at the far end when
    both prices fall fast enough (``mes._Reach``). Each rate it counts on must hold between
    any two endowments of the jump, with exact prices after the certified rounds."""
    profile, order, data = _setup(election)
    low = Fraction(election.budget, profile.n_voters) + Fraction(extra, 4)
    high = low + Fraction(jump * quarters, 4)
    base = mes.run_mes(data, order, low, prices=False)
    with _recorded_rates() as rates:
        mes.run_mes(data, order, high, watch=base, prices=False)
    points = [low + (high - low) * i / 6 for i in range(7)]
    for r, j, rate in rates:
        prefix = [paid.project for paid in base.rounds[:r]]
        prices = [(e, _exact_price_after(data, e, prefix, j)) for e in points]
        known = [(e, price) for e, price in prices if price is not None]
        for (e, price), (later, later_price) in itertools.combinations(known, 2):
            assert price - later_price >= Fraction(rate) * (later - e)


# Found in CI: the far end's floats are ambiguous, so its run falls back to exact arithmetic.
FALLS_BACK_TO_EXACT = Election(
    projects=(Project("p0", 87), Project("p1", 77)),
    ballots=(Ballot(("p0",), (7,), weight=3), Ballot(("p1",), (1,)),
             Ballot(("p0", "p1"), (6, 1)), Ballot(("p0",), (4,)), Ballot(("p0",), (6,)),
             Ballot(("p0",), (4,), weight=3), Ballot(("p0",), (3,)), Ballot(("p0",), (1,)),
             Ballot(("p0",), (3,)), *[Ballot(("p0",), (1,))] * 7),
    budget=164, vote_type=VoteType.CUMULATIVE)


@SETTINGS
@given(st.one_of(crowded_elections(), uneven_elections()), st.integers(0, 12),
       st.integers(1, 24), st.integers(1, 4))
@example(FALLS_BACK_TO_EXACT, 0, 1, 2)
def test_prices_fall_at_most_at_the_fastest_rate_a_jump_counts_on(election, extra, jump,
                                                                 quarters) -> None:
    """A jump certifies a rival that overtakes the winner only past the far end when the
    rival's price falls faster than the winner's can (``mes._Reach.fastest``). Each of those
    upper bounds must hold between any two endowments of the jump, with exact prices after
    the rounds both ends fund alike."""
    profile, order, data = _setup(election)
    low = Fraction(election.budget, profile.n_voters) + Fraction(extra, 4)
    high = low + Fraction(jump * quarters, 4)
    base = mes.run_mes(data, order, low, prices=False)
    far = mes.run_mes(data, order, high, prices=False)
    # A jump is certified in floats only: a run that fell back to exact arithmetic (its
    # floats ambiguous) records no capped groups, and the tally builds no reach for it.
    assume(base.capped_at is not None and far.capped_at is not None)
    reach = mes._Reach(data, base, high, far.capped_at)
    same = [a.project == b.project for a, b in zip(base.rounds, far.rounds, strict=False)]
    alike = same.index(False) if False in same else len(same)
    points = [low + (high - low) * i / 6 for i in range(7)]
    for r in range(min(alike + 1, len(base.rounds))):
        fastest = reach.fastest(r)
        if fastest is None:
            continue
        prefix = [paid.project for paid in base.rounds[:r]]
        prices = [(e, _exact_price_after(data, e, prefix, base.rounds[r].project))
                  for e in points]
        for (e, price), (later, later_price) in itertools.combinations(prices, 2):
            assert price - later_price <= Fraction(fastest) * (later - e)


def test_a_rival_that_overtakes_past_the_jump_keeps_the_certificate(monkeypatch) -> None:
    """Budapest 2024, 13,464 to 13,836 above B/n (the add1 search's own jump): in round 8 a
    rival closes in on the winner all the way and funds first at 13,837. Only the bound
    on how fast the winner's price can fall certifies the jump; every endowment sampled in
    between funds what the near end funds."""
    profile = build_profile(load(ELECTIONS / "Hungary_Budapest_2024.pb")[0])
    order = build_tie_order(profile, PABUTOOLS_TIES)
    data = mes.prepare(profile, order)
    start = add1.start_endowment(profile.budget, profile.n_voters, False)
    base = mes.run_mes(data, order, start + 13464, prices=False)
    assert mes.run_mes(data, order, start + 13836, watch=base, prices=False).certified
    for step in range(13464, 13837, 31):
        assert mes.run_mes(data, order, start + step, prices=False).sequence == base.sequence
    after = mes.run_mes(data, order, start + 13837, prices=False)
    assert after.sequence[:7] == base.sequence[:7] != after.sequence
    monkeypatch.setattr(mes._Reach, "fastest", lambda reach, r: None)
    assert not mes.run_mes(data, order, start + 13836, watch=base, prices=False).certified


def test_a_jump_towards_a_change_interpolates_the_price_gap() -> None:
    """The departed round's two projects: 0.3 apart at the base, the rival 0.1 ahead at the
    wall, so they cross three quarters of the way; halfway when a price is missing."""
    near = mes.Purchase(0, None, 1.0, prices={0: 1.0, 1: 1.3})
    base = mes.Run(Fraction(10), (), [near])
    wall = mes.Run(Fraction(50), (), [], departure=mes.Departure(0, 1, {0: 0.9, 1: 0.8}))
    assert add1._toward_change(base, wall, 40) == 30
    wall.departure.prices.pop(0)
    assert add1._toward_change(base, wall, 40) == 20


def test_a_rival_falling_alongside_the_winner_keeps_the_certificate() -> None:
    """Two projects, each backed by one voter with 9 points (who pays all they hold) and
    light voters with 1 point: both prices fall as endowments grow, b's faster, and b
    overtakes a at an endowment of 10. From 9.2 to 9.95, b's price at the far end is below
    a's at the near end, so only the rates certify the jump; past 10 nothing may."""
    heavy_a, heavy_b = Ballot(("a",), (9,), 1), Ballot(("b",), (9,), 1)
    election = Election(
        projects=(Project("a", 100), Project("b", 91)),
        ballots=(heavy_a, Ballot(("a",), (1,), 10), heavy_b, Ballot(("b",), (1,), 9)),
        budget=191,
        vote_type=VoteType.CUMULATIVE,
    )
    profile, order, data = _setup(election)
    low, high = Fraction(92, 10), Fraction(995, 100)
    base = mes.run_mes(data, order, low, prices=False)
    assert [profile.ids[j] for j in base.sequence] == ["a", "b"]
    near_a = mes._exact_run(data, order, low, None).rounds[0].alpha
    assert _exact_price_after(data, high, [], 1) < near_a
    assert mes.run_mes(data, order, high, watch=base, prices=False).certified
    for step in range(16):
        e = low + (high - low) * step / 15
        assert mes._exact_run(data, order, e, None).sequence == base.sequence
    assert not mes.run_mes(data, order, Fraction(1005, 100), watch=base, prices=False).certified

def _suffix(funded=(), fundable=(), most_paid=0, costs=None) -> mes.Suffix:
    costs = costs or {}
    return mes.Suffix(frozenset(funded), sum(costs.get(j, 0) for j in funded),
                      frozenset(fundable), most_paid)


@pytest.mark.parametrize(("suffix", "exhaustive", "never"), [
    (_suffix({0}, {1}, 40, {0: 50}), False, True),  # 90 of 100 at most, project 2 never funded
    (_suffix({0}, {1}, 51, {0: 50}), False, False),  # 101 could overspend
    (_suffix({0}, {1, 2}, 10, {0: 50}), False, False),  # everything could be funded
    (_suffix({0}, {1}, 40, {0: 50}), True, False),  # project 2 (30) would not fit in 10
    (_suffix({0}, {1}, 20, {0: 50}), True, True),  # it fits in 30: never exhaustive
])
def test_a_suffix_shows_no_stop_only_when_no_rule_can_fire(suffix, exhaustive, never) -> None:
    """Budget 100, costs 50, 20 and 30: a jump may bridge only when no endowment it covers
    could overspend, fund every project, or (with the exhaustive stop) leave nothing that
    fits."""
    election = Election(
        projects=(Project("a", 50), Project("b", 20), Project("c", 30)),
        ballots=(Ballot(("a", "b", "c"), (), 1),),
        budget=100,
        vote_type=VoteType.APPROVAL,
    )
    _, _, data = _setup(election)
    assert add1._never_stops(data, suffix, exhaustive) is never


def _at_the_level() -> Election:
    """Two voters with exactly the price each: both sit on the water level, which float
    budgets cannot classify, so the sequence-only run must hand over to exact prices."""
    return Election(
        projects=(Project("a", 10), Project("b", 7)),
        ballots=(Ballot(("a",), (), 1), Ballot(("a", "b"), (), 1)),
        budget=10,
        vote_type=VoteType.APPROVAL,
    )


def test_a_group_on_the_level_forces_the_exact_fallback() -> None:
    profile, order, data = _setup(_at_the_level())
    endowment = Fraction(5)
    with pytest.raises(mes._Ambiguous):
        mes._float_run(data, order, endowment, None, exact=False)
    probe = mes.run_mes(data, order, endowment, prices=False)
    assert probe.sequence == mes._exact_run(data, order, endowment, None).sequence
    assert [profile.ids[j] for j in probe.sequence] == ["a"]


def test_exact_ties_are_broken_without_fallback_when_everybody_pays_in_full() -> None:
    """Same cost, same backers: the prices are equal exactly and the order decides."""
    election = Election(
        projects=(Project("x", 30), Project("y", 30), Project("z", 50)),
        ballots=(Ballot(("x", "y"), (), 3), Ballot(("x", "y", "z"), (), 2)),
        budget=60,
        vote_type=VoteType.APPROVAL,
    )
    profile, order, data = _setup(election)
    endowment = Fraction(13)
    probe = mes._float_run(data, order, endowment, None, exact=False)
    exact = mes._exact_run(data, order, endowment, None)
    assert probe.sequence == exact.sequence == (0, 1)
    assert probe.rounds[0].tied == exact.rounds[0].tied == (0, 1)
    assert probe.rounds[0].decided_by == exact.rounds[0].decided_by


GROUPS = st.lists(st.tuples(st.integers(0, 2**20), st.integers(1, 4)), min_size=1, max_size=40)


def _one_project(groups, share, shift):
    """Project 0 backed by one voter group per ``(k, points)`` in ``groups`` (a dummy project
    each keeps the groups apart), each holding k / 2^shift (exact in floats), the cost a
    share (per mille) of all they hold. Returns the data, the cost, the budgets and points in
    the order of the project's supporters, or None when they cannot afford it."""
    cost = max(1, sum(k for k, _ in groups) * share // (1000 * 2**shift))
    election = Election(
        projects=(Project("p", cost), *(Project(f"d{i}", 1) for i in range(len(groups)))),
        ballots=tuple(Ballot(("p", f"d{i}"), (pts, 1), 1) for i, (_, pts) in enumerate(groups)),
        budget=cost,
        vote_type=VoteType.CUMULATIVE,
    )
    profile, _, data = _setup(election)
    order_in_groups = [profile.groups[g][0][1] - 1 for g in profile.supporters[0]]  # dummies
    budgets = [Fraction(groups[i][0], 2**shift) for i in order_in_groups]
    if sum(budgets) < cost:
        return None
    return data, cost, budgets, [int(x) for x in profile.points[0]]


@SETTINGS
@given(GROUPS, st.integers(1, 1000), st.integers(0, 30), st.sampled_from([0.0, 2.0**-40]))
def test_the_tight_price_holds_the_exact_price(groups, share, shift, error) -> None:
    """Budgets k / 2^shift (exact in floats) but declared uncertain by ``error``; the cost a
    share of all they hold. When the supporters can be classified, the interval holds the
    exact water level and the poor are exactly those below it."""
    if (setup := _one_project(groups, share, shift)) is None:
        return
    data, cost, budgets, points = setup
    state = mes._State(Fraction(0), [float(b) for b in budgets], None, error, data, None,
                       mes.np.full(len(budgets), error), mes.np.full(len(budgets), mes.NEVER))
    b = mes.np.array([float(x) for x in budgets])
    price = mes._tight_price(data, state, 0, b, 0.0)
    if price is None:
        return
    exact = mes._exact_level(list(range(len(budgets))), [1] * len(budgets), points, budgets,
                             cost)
    assert price.lo <= exact <= price.hi
    poor = [x < exact * u for x, u in zip(budgets, points, strict=True)]
    assert poor == ([False] * len(budgets) if price.poor is None else price.poor.tolist())


@SETTINGS
@given(GROUPS, st.integers(1, 1000), st.integers(0, 30), st.sampled_from([0.0, 2.0**-40]),
       st.fractions(0, 3))
def test_a_floor_above_a_level_is_at_most_the_exact_price(groups, share, shift, error,
                                                         ratio) -> None:
    """``_floor_above`` (one sum instead of the price) answers only when the exact price is
    above the level, and then with a bound at most the exact price; clearly above, it
    answers. The side-by-side version (its sums rounded differently) does the same."""
    if (setup := _one_project(groups, share, shift)) is None:
        return
    data, cost, budgets, points = setup
    exact = mes._exact_level(list(range(len(budgets))), [1] * len(budgets), points, budgets,
                             cost)
    level = float(exact * ratio)
    b = mes.np.array([float(x) for x in budgets])
    floor = mes._floor_above(data, 0, b, level, error)
    if floor is not None:
        assert level < exact and floor <= exact
    if level < exact * Fraction(99, 100):
        assert floor is not None and floor > level
    rows = lockstep._floor_above_rows(data, 0, mes.np.array([b, b]),
                                      mes.np.array([level, level]),
                                      mes.np.array([error, error])).tolist()
    for row in rows:
        if row > -mes.np.inf:
            assert level < exact and row <= exact
    if level < exact * Fraction(99, 100):
        assert rows[0] > level and rows[1] > level


def test_a_tie_the_order_keeps_deciding_does_not_stop_the_jumps() -> None:
    """x and y have the same cost and backers, so they tie at every endowment and the order
    funds x first each time. The search certifies jumps across that tie (hundreds of
    unchanged steps in a few dozen runs) and still ends where unit stepping does."""
    election = Election(
        projects=(Project("x", 3000), Project("y", 3000), Project("z", 7000)),
        ballots=(Ballot(("x", "y"), (), 3), Ballot(("x", "y", "z"), (), 2),
                 Ballot(("z",), (), 1)),
        budget=10000,
        vote_type=VoteType.APPROVAL,
    )
    profile, order, data = _setup(election)
    start = add1.start_endowment(election.budget, profile.n_voters, False)
    fast = add1.search_add1(data, order, start, 1, False)
    slow = add1.step_add1(data, order, start, 1, False)
    assert (fast.kept.sequence, fast.steps, fast.reason) == (slow.kept.sequence, slow.steps,
                                                             slow.reason)
    assert fast.kept.rounds[0].tied == (0, 1)
    assert slow.steps > 1000
    assert fast.runs < 60


@pytest.mark.parametrize(("name", "exhaustive"), [
    ("Netherlands_Assen_2025.pb", False),
    ("Netherlands_Assen_2025.pb", True),
    ("US_Stanford_Dataset_PB_Adler_2021_Students_vote_knapsacks.pb", False),
    ("US_Stanford_Dataset_PB_Chicago_39th_Ward_2021_vote_knapsacks.pb", False),
])
def test_bridged_jumps_end_where_unit_stepping_does_on_real_cities(name, exhaustive,
                                                                  monkeypatch) -> None:
    """Real elections where jumps bridge stretches whose outcome changes: the search still
    stops exactly where unit stepping does, with the same kept run."""
    profile = build_profile(load(ELECTIONS / name)[0])
    order = build_tie_order(profile, PABUTOOLS_TIES)
    data = mes.prepare(profile, order)
    start = add1.start_endowment(profile.budget, profile.n_voters, False)
    bridged = []

    def spy(*args, **kwargs):
        run = mes.run_mes(*args, **kwargs)
        bridged.append(run.bridged)
        return run

    monkeypatch.setattr(add1, "run_mes", spy)
    fast = add1.search_add1(data, order, start, 1, exhaustive)
    monkeypatch.undo()
    slow = add1.step_add1(data, order, start, 1, exhaustive)
    assert any(bridged)
    assert (fast.kept.sequence, fast.kept.endowment, fast.reason, fast.steps) == (
        slow.kept.sequence, slow.kept.endowment, slow.reason, slow.steps)
    assert [r.alpha for r in fast.kept.rounds] == [r.alpha for r in slow.kept.rounds]


@SETTINGS
@given(crowded_elections(), st.integers(0, 20), st.integers(2, 9))
def test_runs_side_by_side_fund_what_single_runs_fund(election, extra, size) -> None:
    """``lockstep.runs_at`` at neighbouring endowments: each row funds the sequence of a
    single sequence-only run, with the same exact prices where a tie made them known and a
    ceiling at least the exact price. A row it cannot certify is left to a single run."""
    profile, order, data = _setup(election)
    low = Fraction(election.budget, profile.n_voters) + extra
    endowments = [low + step for step in range(size)]
    for endowment, row in zip(endowments, lockstep.runs_at(data, order, endowments),
                              strict=True):
        if row is None:
            continue
        single = mes.run_mes(data, order, endowment, prices=False)
        exact = mes._exact_run(data, order, endowment, None)
        assert row.sequence == single.sequence == exact.sequence
        for mine, theirs in zip(row.rounds, exact.rounds, strict=True):
            assert mine.alpha is None or mine.alpha == theirs.alpha
            assert theirs.alpha <= mine.ceiling


def test_runs_side_by_side_on_a_real_city_where_every_step_changes_the_outcome() -> None:
    """Toulouse 2024: 24 neighbouring endowments around where its add1 search ends, each
    row certified and funding the single run's sequence."""
    path = ELECTIONS / "France_Toulouse_2024.pb"
    profile = build_profile(load(path)[0])
    order = build_tie_order(profile, PABUTOOLS_TIES)
    data = mes.prepare(profile, order)
    low = Fraction(profile.budget, profile.n_voters) + 640
    endowments = [low + step for step in range(24)]
    rows = lockstep.runs_at(data, order, endowments)
    singles = [mes.run_mes(data, order, e, prices=False) for e in endowments]
    assert [row.sequence for row in rows] == [single.sequence for single in singles]
    assert len({row.sequence for row in rows}) > 1
    assert [[r.alpha for r in row.rounds] for row in rows] == [
        [r.alpha for r in single.rounds] for single in singles]
