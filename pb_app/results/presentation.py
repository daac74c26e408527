"""A snapshot in plain words: each project's support, cost, result and why, and the recount
figures a resident needs to check the result themselves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from pb_app.extensions import db
from pb_app.proposals.models import Proposal
from pb_app.reports.charts import bar_chart, to_svg
from pb_app.results.ledger import money_text
from pb_app.results.models import CountSnapshot
from pb_app.tally.explain import describe_rule, spec_from_dict

VOTE_BALLOTS = ("approval", "knapsack")


@dataclass(frozen=True)
class ProjectOutcome:
    """One project on the ballot, as the results page shows it."""

    project_id: str
    title: str
    cost_pence: int
    support: int
    is_funded: bool
    allocated_pence: int
    why: str


def _why_greedy(data: dict, support_word: str) -> str:
    cost, left, support = data["cost"], data["left"], data["support"]
    head = f"It had {support:,} {support_word} and cost {money_text(cost)}."
    outcome = data["outcome"]
    if outcome == "funded":
        return f"{head} It was funded, leaving {money_text(left)} in the budget."
    if outcome == "does not fit":
        return f"{head} Not funded: when its turn came only {money_text(left)} was left."
    if outcome == "stopped":
        return (
            f"{head} Not funded: this rule stops at the first project that does not fit, "
            "and an earlier project did not fit."
        )
    return f"{head} Not funded: it had fewer supporters than the round's minimum."


def _why_equal_shares(step: dict) -> str:
    data = step["data"]
    if step["kind"] == "mes":
        return (
            f"Funded by equal shares: {data['full_payers'] + data['capped_payers']:,} of its "
            f"supporters together paid its cost of {money_text(data['cost'])} from their "
            "shares of the budget."
        )
    left = round(Decimal(str(data["supporters_left"]).replace(",", "")))
    return (
        f"Not funded: its supporters had only {money_text(left)} left of their shares, "
        f"less than its cost of {money_text(data['cost'])}."
    )


def _why(steps: list[dict], project_id: str, is_funded: bool, support_word: str) -> str:
    mine = [step for step in steps if step.get("project_id") == project_id]
    if mine and mine[-1]["kind"] == "greedy":
        return _why_greedy(mine[-1]["data"], support_word)
    if mine and mine[-1]["kind"] in ("mes", "mes-unfunded"):
        return _why_equal_shares(mine[-1])
    if is_funded:
        return "Funded: its supporters could pay for it from their equal shares of the budget."
    return (
        "Not funded: its supporters' shares of the budget could not cover its cost "
        "(see the full explanation)."
    )


def project_outcomes(snapshot: CountSnapshot) -> list[ProjectOutcome]:
    """Every project: funded ones in the order they were chosen, then the rest by support."""
    result = json.loads(snapshot.result_json)
    support = {pid: int(n) for pid, n in json.loads(snapshot.support_json).items()}
    allocated = dict(json.loads(snapshot.allocation_json))
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.id.in_([int(pid) for pid in support]))
    )
    titles = {str(p.id): (p.title, p.cost_pence) for p in proposals}
    word = "votes" if snapshot.round.ballot_type in VOTE_BALLOTS else "points"
    order = list(result.get("selected", [])) + sorted(
        (pid for pid in support if pid not in allocated), key=lambda pid: (-support[pid], pid)
    )
    return [
        ProjectOutcome(
            pid,
            titles[pid][0],
            titles[pid][1],
            support[pid],
            pid in allocated,
            allocated.get(pid, 0),
            _why(result.get("steps", []), pid, pid in allocated, word),
        )
        for pid in order
    ]


def support_chart(snapshot: CountSnapshot) -> str:
    """An SVG bar chart of each project's support, funded projects in green."""
    outcomes = project_outcomes(snapshot)
    chart = bar_chart(
        "Support for each project (funded in green)",
        [(o.title, o.support) for o in outcomes],
        lambda n: f"{n:,}",
        highlighted=[o.is_funded for o in outcomes],
    )
    return to_svg(chart)


def rule_in_words(snapshot: CountSnapshot) -> str:
    """The rule and every option that changes its result, in one line."""
    return describe_rule(spec_from_dict(json.loads(snapshot.rule_json)))


def lottery_seed(snapshot: CountSnapshot) -> str | None:
    """The tie-break seed revealed with the result, if the round used a lottery."""
    return json.loads(snapshot.rule_json)["tie_break"].get("seed")


def recount_options(snapshot: CountSnapshot) -> str:
    """The ``flask tally run`` options that repeat this count."""
    rule = json.loads(snapshot.rule_json)
    options = [f"--rule {rule['rule']}"]
    if rule.get("completion"):
        options.append(f"--completion {rule['completion']}")
    if rule.get("comparison"):
        options.append("--comparison")
    if rule.get("exhaustive_stop"):
        options.append("--exhaustive-stop")
    return " ".join(options)
