"""What a clerk types for one paper sheet: project numbers, read into ballot choices.

Projects are numbered 1..N in the ballot's fixed order (by proposal id). A clerk types the
numbers marked on the sheet, separated by spaces or commas: "3 7 12" (for a ranked ballot, in
rank order), or for points and scores a number for each project, "3=5 7=2". The typed text
becomes the ballot form that ``read_choices`` checks, so paper sheets meet exactly the rules
of every other channel. A sheet that holds no vote is keyed as a word instead: "blank" when
nothing is marked, "spoilt" when its marks cannot be counted (more than the ballot allows,
unclear, or naming the voter). Nothing here touches the database.
"""

from __future__ import annotations

from enum import StrEnum

from werkzeug.datastructures import MultiDict

from pb_app.errors import InvalidInput
from pb_app.money import format_pounds
from pb_app.rounds.rules import BallotKind
from pb_app.voting.ballots import BallotRules, Choices, read_choices
from pb_app.voting.wording import count_of

POINTS_SEPARATOR = "="
MAX_NUMBER_DIGITS = 6  # far above any ballot's length; int() refuses 4,300 digits


class SetAside(StrEnum):
    """Why a sheet holds no vote; it is keyed as this word and counted on its batch."""

    BLANK = "blank"
    SPOILT = "spoilt"


# What a clerk may type for a sheet set aside (either spelling of spoilt).
SET_ASIDE_WORDS = {"blank": SetAside.BLANK, "spoilt": SetAside.SPOILT, "spoiled": SetAside.SPOILT}
HOW_TO_SET_ASIDE = ("If nothing is marked, type blank; if the marks cannot be counted (too "
                    "many, unclear, or naming the voter), type spoilt.")


def project_numbers(rules: BallotRules) -> dict[str, int]:
    """Each project's number on the keying page (1..N), by its ballot id."""
    return {project: number for number, project in enumerate(rules.costs, 1)}


def how_to_key(rules: BallotRules) -> str:
    """What to type for a sheet of this ballot, with its limit, in one sentence."""
    if rules.ballot_type == BallotKind.CUMULATIVE:
        return (f"Type each project's number and its points, {count_of(rules.points or 0, 'point')}"
                " at most in all: for example 3=5 7=2.")
    if rules.ballot_type == BallotKind.SCORING:
        return (f"Type each scored project's number and its score, from 0 to {rules.max_score}: "
                "for example 3=5 7=2.")
    if rules.ballot_type == BallotKind.ORDINAL:
        return (f"Type the numbers in the order ranked, first choice first, up to "
                f"{rules.rank_count}: for example 7 3 12.")
    limit = {BallotKind.APPROVAL: f"up to {rules.total_limit}",
             BallotKind.KNAPSACK: f"costing {format_pounds(rules.budget_pence or 0)} at most"}
    return (f"Type the numbers of the projects marked, {limit[rules.ballot_type]}: "
            "for example 3 7 12.")


def read_keyed(rules: BallotRules, typed: str) -> Choices | SetAside:
    """The choices of one sheet as typed, or why it is set aside; raises InvalidInput naming
    what is wrong (for marks that break the ballot's rules, that such a sheet is spoilt: a
    clerk keys what is on the paper, never a corrected ballot)."""
    set_aside = SET_ASIDE_WORDS.get(typed.strip().lower())
    if set_aside is not None:
        return set_aside
    form = _ballot_form(rules, typed)
    try:
        return read_choices(rules, form)
    except InvalidInput as broken:
        raise InvalidInput(f"These marks break the ballot's rules ({_reason(broken.message)}). "
                           f"If the sheet is marked like this, key it as {SetAside.SPOILT}; if "
                           "not, correct the numbers.") from broken


def _reason(voter_message: str) -> str:
    """The reason in a message written to a voter, without its advice: "Your choices cost £9.
    Remove a project and try again." gives "your choices cost £9"."""
    reason = voter_message.split(". ")[0].rstrip(".")
    return reason[:1].lower() + reason[1:]


def in_numbers(rules: BallotRules, choices: Choices | SetAside) -> str:
    """Choices as a clerk would type them: "3 7 12", or "3=5 7=2" for points and scores; a
    sheet set aside as its word."""
    if isinstance(choices, SetAside):
        return str(choices)
    numbers = project_numbers(rules)
    if rules.uses_points:
        pairs = sorted((numbers[project], value)
                       for project, value in zip(choices.projects, choices.points, strict=True))
        return " ".join(f"{number}{POINTS_SEPARATOR}{value}" for number, value in pairs)
    keyed = [numbers[project] for project in choices.projects]
    return " ".join(str(number) for number in (keyed if rules.ballot_type == BallotKind.ORDINAL
                                               else sorted(keyed)))


def _ballot_form(rules: BallotRules, typed: str) -> MultiDict:
    items = typed.replace(",", " ").split()
    if not items:
        raise InvalidInput("Type the numbers of the projects marked on the sheet, such as 3 7 12,"
                           " or blank if nothing is marked.")
    projects = list(rules.costs)
    if rules.uses_points:
        pairs = [_points_pair(item) for item in items]
        return MultiDict([(f"points-{_project(projects, number)}", value)
                          for number, value in pairs])
    chosen = [_project(projects, item) for item in items]
    if rules.ballot_type == BallotKind.ORDINAL:
        return MultiDict([(f"rank-{rank}", project) for rank, project in enumerate(chosen, 1)])
    return MultiDict([("project", project) for project in chosen])


def _points_pair(item: str) -> tuple[str, str]:
    number, separator, value = item.partition(POINTS_SEPARATOR)
    if not separator or not value:
        raise InvalidInput(f"'{item[:20]}' needs a project number and its points, such as 3=5.")
    return number, value


def _project(projects: list[str], typed: str) -> str:
    well_formed = typed.isascii() and typed.isdigit() and len(typed) <= MAX_NUMBER_DIGITS
    if not well_formed or not 1 <= int(typed) <= len(projects):
        raise InvalidInput(f"'{typed[:20]}' is not a project number: the projects are numbered "
                           f"1 to {len(projects)}.")
    return projects[int(typed) - 1]
