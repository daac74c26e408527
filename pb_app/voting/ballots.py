"""Ballot types and their limits, checked on the server for every channel.

- approval: choose up to ``max_choices`` projects;
- knapsack: choose projects whose total cost fits the budget, and uses at least
  ``min_share_percent`` of it when the round asks for that;
- cumulative: spread up to ``points`` points, whole numbers, none negative;
- scoring: give each project a whole score from 0 to ``max_score``;
- ordinal: put up to ``top_k`` projects in order, most preferred first.

The names and parameters are those of the catalogue, ``pb_app.rounds.rules.BALLOT_TYPES``.

``read_choices`` turns a submitted form into ``Choices`` or raises ``InvalidInput`` with a
message a voter can act on. Nothing here touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from pb_app.errors import InvalidInput
from pb_app.money import format_pounds as pounds
from pb_app.rounds.rules import BallotKind
from pb_app.voting.wording import count_of

NOT_ON_BALLOT = "One of your choices is not a project on this ballot. Choose again from the list."


@dataclass(frozen=True)
class BallotRules:
    """What one round's ballot allows: its type, its projects and their costs, its limits."""

    ballot_type: str
    costs: Mapping[str, int]
    max_choices: int | None = None
    budget_pence: int | None = None
    min_share_percent: int = 0
    points: int | None = None
    max_score: int | None = None
    top_k: int | None = None

    @property
    def uses_points(self) -> bool:
        """True for the types where a voter gives each project a number."""
        return self.ballot_type in (BallotKind.CUMULATIVE, BallotKind.SCORING)

    @property
    def rank_count(self) -> int:
        """How many rank positions a ranked ballot offers."""
        return min(self.top_k or len(self.costs), len(self.costs))

    @property
    def total_limit(self) -> int | None:
        """What a voter's running total counts up to: the most projects on an approval ballot,
        the budget in pence on a knapsack ballot, the points on a cumulative one; else None."""
        return {BallotKind.APPROVAL: self.max_choices or len(self.costs),
                BallotKind.KNAPSACK: self.budget_pence or 0,
                BallotKind.CUMULATIVE: self.points or 0}.get(self.ballot_type)


@dataclass(frozen=True)
class Choices:
    """A valid ballot's content: project ids and, for points and scores, their numbers.

    Approval and knapsack choices are sorted by id, ranked choices are in rank order,
    points and scores keep only the projects given more than zero, sorted by id.
    """

    projects: tuple[str, ...]
    points: tuple[int, ...] = ()

    def to_json(self) -> str:
        """The canonical JSON stored on the ballot."""
        return json.dumps({"projects": list(self.projects), "points": list(self.points)},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Choices:
        """Read choices back from their stored JSON: project ids as text, points as whole
        numbers. The one reader of stored choices, for the ballot pages and the count alike."""
        data = json.loads(text)
        return cls(projects=tuple(map(str, data["projects"])),
                   points=tuple(map(int, data["points"])))

    def as_form(self, ballot_type: str) -> MultiDict:
        """The form fields that would submit these choices (to carry them to the next step)."""
        if ballot_type in (BallotKind.CUMULATIVE, BallotKind.SCORING):
            return MultiDict(
                [(f"points-{project}", str(value))
                 for project, value in zip(self.projects, self.points, strict=True)]
            )
        if ballot_type == BallotKind.ORDINAL:
            return MultiDict([(f"rank-{n}", project) for n, project in enumerate(self.projects, 1)])
        return MultiDict([("project", project) for project in self.projects])


def total_in_words(rules: BallotRules, used: int) -> str:
    """A running total: "3 of 4 chosen", "£41,200 of £60,000 spent", "7 of 10 points used",
    and by how much it is over the limit when it is ("5 of 4 chosen, 1 too many").

    Only for ballots with a ``total_limit``. ballot-total.mjs words it the same way in the
    browser, as the voter chooses.
    """
    limit = rules.total_limit or 0
    over = used - limit
    if rules.ballot_type == BallotKind.KNAPSACK:
        words = f"{pounds(used)} of {pounds(limit)} spent"
        return f"{words}, {pounds(over)} over budget" if over > 0 else words
    if rules.ballot_type == BallotKind.CUMULATIVE:
        words = f"{used:,} of {count_of(limit, 'point')} used"
    else:
        words = f"{used:,} of {limit:,} chosen"
    return f"{words}, {over:,} too many" if over > 0 else words


def total_of(rules: BallotRules, choices: Choices) -> str:
    """The running total of valid ``choices`` in words, or "" for ballots that keep none."""
    if rules.total_limit is None:
        return ""
    used = {BallotKind.APPROVAL: len(choices.projects),
            BallotKind.CUMULATIVE: sum(choices.points),
            BallotKind.KNAPSACK: sum(rules.costs[project] for project in choices.projects)}
    return total_in_words(rules, used[rules.ballot_type])


def draft_fields(rules: BallotRules, form: MultiDict) -> list[tuple[str, str]]:
    """The choices of a ballot still being filled in, as (name, value) fields to keep while
    the voter reads about a project. Only this ballot's fields and projects are kept, so a
    draft is never bigger than its ballot; the limits are checked later, at review."""
    if rules.ballot_type in (BallotKind.APPROVAL, BallotKind.KNAPSACK):
        chosen = dict.fromkeys(form.getlist("project"))
        return [("project", project) for project in chosen if project in rules.costs]
    if rules.uses_points:
        names = [f"points-{project}" for project in rules.costs]
    else:
        names = [f"rank-{n}" for n in range(1, rules.rank_count + 1)]
    fields = [(name, form.get(name, "").strip()[:MAX_NUMBER_DIGITS + 1]) for name in names]
    return [(name, value) for name, value in fields
            if value and (rules.uses_points or value in rules.costs)]


def read_choices(rules: BallotRules, form: MultiDict) -> Choices:
    """Check a submitted ballot form against the round's rules.

    Raises ``InvalidInput`` naming the first broken rule: a project not on this ballot,
    a duplicate, too many choices, over budget, points that are not whole numbers or are
    negative, too many points, a score out of range, ranks out of order.
    """
    if rules.ballot_type in (BallotKind.APPROVAL, BallotKind.KNAPSACK):
        return _read_selection(rules, form)
    if rules.uses_points:
        return _read_points(rules, form)
    if rules.ballot_type == BallotKind.ORDINAL:
        return _read_ranking(rules, form)
    raise InvalidInput(f"This round has an unknown ballot type: {rules.ballot_type}.")


def _check_known(rules: BallotRules, projects: list[str]) -> None:
    if any(project not in rules.costs for project in projects):
        raise InvalidInput(NOT_ON_BALLOT)
    if len(set(projects)) != len(projects):
        raise InvalidInput("You chose the same project more than once. Choose each one once.")


def _read_selection(rules: BallotRules, form: MultiDict) -> Choices:
    projects = form.getlist("project")
    _check_known(rules, projects)
    if not projects:
        raise InvalidInput("Choose at least one project.")
    if rules.ballot_type == BallotKind.APPROVAL:
        limit = rules.max_choices or len(rules.costs)
        if len(projects) > limit:
            raise InvalidInput(
                f"You can choose up to {count_of(limit, 'project')}; you chose {len(projects)}. "
                "Remove some and try again."
            )
    else:
        _check_budget(rules, sum(rules.costs[project] for project in projects))
    return Choices(projects=tuple(sorted(projects)))


def _check_budget(rules: BallotRules, total: int) -> None:
    budget = rules.budget_pence or 0
    if total > budget:
        raise InvalidInput(
            f"Your choices cost {pounds(total)}, which is more than the budget of "
            f"{pounds(budget)}. Remove a project and try again."
        )
    minimum = -(-budget * rules.min_share_percent // 100)
    if total < minimum:
        raise InvalidInput(
            f"Your choices must use at least {rules.min_share_percent}% of the budget "
            f"({pounds(minimum)}); they cost {pounds(total)}. Add a project and try again."
        )


MAX_NUMBER_DIGITS = 9  # far above any points or score limit


def _whole_number(text: str) -> int:
    text = text.strip()
    if text == "":
        return 0
    if not text.lstrip("-").isdigit() or not text.isascii():
        raise InvalidInput(f"Give whole numbers only: '{text[:20]}' is not a whole number.")
    if len(text.lstrip("-").lstrip("0")) > MAX_NUMBER_DIGITS:  # int() refuses 4,300 digits
        raise InvalidInput(f"'{text[:20]}...' is more points than any ballot allows.")
    value = int(text)
    if value < 0:
        raise InvalidInput("Points and scores cannot be negative. Give 0 or more.")
    return value


def _read_points(rules: BallotRules, form: MultiDict) -> Choices:
    fields = [(key, value) for key, value in form.items(multi=True) if key.startswith("points-")]
    projects = [key.removeprefix("points-") for key, _ in fields]
    _check_known(rules, projects)
    given = {project: _whole_number(value) for project, (_, value) in zip(projects, fields,
                                                                          strict=True)}
    if rules.ballot_type == BallotKind.CUMULATIVE:
        limit = rules.points or 0
        if sum(given.values()) > limit:
            raise InvalidInput(
                f"You have {count_of(limit, 'point')} to spread; you gave {sum(given.values())}. "
                "Take some away and try again."
            )
    else:
        top = rules.max_score or 0
        if any(value > top for value in given.values()):
            raise InvalidInput(
                f"Scores go from 0 to {top}. Give each project a score in that range."
            )
    kept = sorted((project, value) for project, value in given.items() if value > 0)
    if not kept:
        raise InvalidInput("Give at least one project more than 0.")
    return Choices(projects=tuple(p for p, _ in kept), points=tuple(v for _, v in kept))


def _read_ranking(rules: BallotRules, form: MultiDict) -> Choices:
    count = rules.rank_count
    allowed = {f"rank-{n}" for n in range(1, count + 1)}
    if any(key.startswith("rank-") and key not in allowed for key in form.keys()):
        raise InvalidInput(f"You can rank up to {count_of(count, 'project')}. Rank fewer and try "
                           "again.")
    if any(len(form.getlist(key)) > 1 for key in allowed):
        raise InvalidInput("Each rank holds one project. Choose one project for each rank.")
    ranked = [form.get(f"rank-{n}", "").strip() for n in range(1, count + 1)]
    while ranked and ranked[-1] == "":
        ranked.pop()
    if "" in ranked:
        raise InvalidInput("Fill the ranks in order from 1, without gaps.")
    _check_known(rules, ranked)
    if not ranked:
        raise InvalidInput("Rank at least one project.")
    return Choices(projects=tuple(ranked))
