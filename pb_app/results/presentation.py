"""A snapshot in plain words: each project's support, cost, result and why, and the recount
figures a resident needs to check the result themselves."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from pb_app.extensions import db
from pb_app.proposals.models import Proposal
from pb_app.results.explanation import (
    Sentence,
    count_in_sentences,
    project_reasons,
    read_count,
    support_text,
)
from pb_app.results.models import CountSnapshot
from pb_app.results.spending import SpendingRow, spending_rows, spending_summary, spending_svg
from pb_app.rounds.rules import TALLY_RULES
from pb_app.tally.explain import describe_rule, spec_from_dict
from pb_app.voting.wording import count_of
from pb_app.web.charts import bar_chart, to_svg


@dataclass(frozen=True)
class ProjectOutcome:
    """One project on the ballot, as the results page shows it, with why it was funded or not:
    ``why`` the headline, ``detail`` the step, the shortfall and the votes it needed;
    ``support`` counts ``support_unit`` (votes, points, ...: see ``support_unit``)."""

    project_id: str
    title: str
    cost_pence: int
    support: int
    support_unit: str
    is_funded: bool
    allocated_pence: int
    why: str
    detail: str = ""

    @property
    def support_text(self) -> str:
        """The support with its unit: "18 points", "1 vote"."""
        return support_text(self.support, self.support_unit)


@dataclass(frozen=True)
class Explained:
    """A snapshot explained for people: the projects, the count's steps, the spending."""

    outcomes: list[ProjectOutcome]
    steps: list[Sentence]
    spending: list[SpendingRow]
    spending_chart: str
    spending_summary: str


def _titles(snapshot: CountSnapshot) -> dict[str, tuple[str, int]]:
    """The title and cost of every project on the snapshot's ballot, by id."""
    ids = [int(pid) for pid in json.loads(snapshot.support_json)]
    proposals = db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)))
    return {str(p.id): (p.title, p.cost_pence) for p in proposals}


def explain(snapshot: CountSnapshot) -> Explained:
    """Everything the count and results pages say about ``snapshot``, read once."""
    titles = _titles(snapshot)
    figures, count = read_count(snapshot, titles)
    reasons = project_reasons(figures, count)
    support, unit = figures.supporters, figures.support_unit
    allocation = [(pid, amount) for pid, amount in count.allocation]
    allocated = dict(allocation)
    order = [pid for pid, _ in allocation] + sorted(
        (pid for pid in support if pid not in allocated), key=lambda pid: (-support[pid], pid)
    )
    outcomes = [
        ProjectOutcome(pid, figures.title(pid), figures.costs[pid], support[pid], unit,
                       pid in allocated, allocated.get(pid, 0), reasons[pid].summary,
                       reasons[pid].detail)
        for pid in order
    ]
    rows = spending_rows(allocation, figures.titles, snapshot.budget_pence)
    return Explained(outcomes, count_in_sentences(figures, count), rows,
                     spending_svg(rows, snapshot.budget_pence),
                     spending_summary(rows, snapshot.budget_pence))


def project_outcomes(snapshot: CountSnapshot) -> list[ProjectOutcome]:
    """Every project: funded ones in the order they were chosen, then the rest by support."""
    return explain(snapshot).outcomes


def support_chart(outcomes: list[ProjectOutcome]) -> str:
    """An SVG bar chart of each project's support, funded projects in green."""
    unit = outcomes[0].support_unit if outcomes else "votes"
    chart = bar_chart(
        f"Support for each project, in {unit} (funded in green)",
        [(o.title, o.support) for o in outcomes],
        lambda n: f"{n:,}",
        highlighted=[o.is_funded for o in outcomes],
    )
    return to_svg(chart)


def rule_name(snapshot: CountSnapshot) -> str:
    """The rule's name as the round's settings offer it."""
    rule = json.loads(snapshot.rule_json)["rule"]
    return TALLY_RULES[rule].summary if rule in TALLY_RULES else rule


def rule_in_words(snapshot: CountSnapshot) -> str:
    """The rule and every option that changes its result, in one line."""
    return describe_rule(spec_from_dict(json.loads(snapshot.rule_json)))


def lottery_seed(snapshot: CountSnapshot) -> str | None:
    """The tie-break seed revealed with the result, if the round used a lottery."""
    return json.loads(snapshot.rule_json)["tie_break"].get("seed")


def sheets_set_aside(snapshot: CountSnapshot) -> tuple[int, int]:
    """How many paper sheets the count recorded as set aside: (blank, spoilt)."""
    batches = json.loads(snapshot.checks_json).get("paper_batches", [])
    return (sum(batch.get("blank", 0) for batch in batches),
            sum(batch.get("spoilt", 0) for batch in batches))


def set_aside_text(blank: int, spoilt: int) -> str:
    """Paper sheets set aside in words (empty when there were none): "2 blank sheets and 1
    spoilt sheet"."""
    if not blank and not spoilt:
        return ""
    return f"{count_of(blank, 'blank sheet')} and {count_of(spoilt, 'spoilt sheet')}"


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
