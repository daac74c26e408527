"""Hypothesis strategies for ballots: valid forms with the choices they must give, and
defects that the server must refuse. Projects are "11".."15" with the costs below."""

from __future__ import annotations

from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from pb_app.rounds.rules import BallotKind
from pb_app.voting.ballots import BallotRules, Choices

APPROVAL, KNAPSACK, CUMULATIVE, SCORING, ORDINAL = BallotKind

COSTS = {"11": 300_000, "12": 450_000, "13": 250_000, "14": 500_000, "15": 150_000}
RULES = {
    APPROVAL: BallotRules(APPROVAL, COSTS, max_choices=3),
    KNAPSACK: BallotRules(KNAPSACK, COSTS, budget_pence=1_000_000, min_share_percent=50),
    CUMULATIVE: BallotRules(CUMULATIVE, COSTS, points=10),
    SCORING: BallotRules(SCORING, COSTS, max_score=5),
    ORDINAL: BallotRules(ORDINAL, COSTS, top_k=3),
}
# The same limits as round settings (``Round.ballot_params``).
ROUND_PARAMS = {APPROVAL: {"max_choices": 3}, KNAPSACK: {"min_share_percent": 50},
                CUMULATIVE: {"points": 10}, SCORING: {"max_score": 5}, ORDINAL: {"top_k": 3}}


def form(*pairs: tuple[str, str]) -> MultiDict:
    """A submitted form from (name, value) pairs."""
    return MultiDict(list(pairs))


PROJECTS = sorted(COSTS)


@st.composite
def valid_ballot(draw, ballot_type: str) -> tuple[MultiDict, Choices]:
    """A valid submitted form of ``ballot_type`` and the choices it must give."""
    rules = RULES[ballot_type]
    if ballot_type == APPROVAL:
        chosen = draw(st.lists(st.sampled_from(PROJECTS), min_size=1, max_size=3, unique=True))
        return Choices(tuple(sorted(chosen))).as_form(APPROVAL), Choices(tuple(sorted(chosen)))
    if ballot_type == KNAPSACK:
        chosen = draw(st.lists(st.sampled_from(PROJECTS), min_size=1, unique=True).filter(
            lambda c: 500_000 <= sum(COSTS[p] for p in c) <= 1_000_000))
        return form(*[("project", p) for p in chosen]), Choices(tuple(sorted(chosen)))
    if ballot_type in (CUMULATIVE, SCORING):
        top = rules.points if ballot_type == CUMULATIVE else rules.max_score
        given_points = draw(st.dictionaries(st.sampled_from(PROJECTS), st.integers(0, top),
                                            min_size=1).filter(
            lambda d: any(d.values()) and (ballot_type == SCORING or sum(d.values()) <= top)))
        kept = sorted((p, v) for p, v in given_points.items() if v)
        fields = [(f"points-{p}", str(v)) for p, v in given_points.items()]
        return form(*fields), Choices(tuple(p for p, _ in kept), tuple(v for _, v in kept))
    ranked = draw(st.lists(st.sampled_from(PROJECTS), min_size=1, max_size=3, unique=True))
    return Choices(tuple(ranked)).as_form(ORDINAL), Choices(tuple(ranked))


def defect(ballot_type: str):
    """Strategies that break a valid form of ``ballot_type`` in one way the server must catch."""
    def add(name, value):
        return lambda fields: MultiDict([*fields.items(multi=True), (name, value)])

    def first_to(value):
        def change(fields):
            items = list(fields.items(multi=True))
            items[0] = (items[0][0], value)
            return MultiDict(items)
        return change

    def duplicate_first(fields):
        items = list(fields.items(multi=True))
        return MultiDict([*items, items[0]])

    common = [st.just(duplicate_first), st.sampled_from(["9999", "0", "-1", "<script>"]).map(
        lambda bad: add("project" if ballot_type in (APPROVAL, KNAPSACK) else
                        ("rank-1" if ballot_type == ORDINAL else f"points-{bad}"), bad))]
    if ballot_type == APPROVAL:
        return st.one_of(*common, st.just(lambda f: form(*[("project", p) for p in PROJECTS])))
    if ballot_type == KNAPSACK:
        return st.one_of(*common, st.just(lambda f: form(("project", "12"), ("project", "14"),
                                                         ("project", "15"))))
    if ballot_type in (CUMULATIVE, SCORING):
        return st.one_of(*common, st.integers(-50, -1).map(lambda n: first_to(str(n))),
                         st.sampled_from(["1.5", "x", "1e3", "⁵"]).map(first_to),
                         st.integers(11, 10**6).map(lambda n: first_to(str(n))))
    return st.one_of(*common, st.just(add("rank-4", "11")), st.just(add("rank-0", "11")))
