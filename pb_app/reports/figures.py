"""The charts of an oversight report, the same for its page and its PDF."""

from __future__ import annotations

from pb_app.reports.charts import BarChart, bar_chart
from pb_app.reports.services import ALL_LOCALITIES, AgeTurnout, OversightReport
from pb_app.results.ledger import money_text


def percent_text(hundredths: int) -> str:
    """``1234`` hundredths of a percent -> ``12.34%``."""
    return f"{hundredths / 100:.2f}%"


def eligible_text(line: AgeTurnout) -> str:
    """The eligible population of a turnout line, to the nearest person."""
    return f"{line.eligible:,.0f}"


def turnout_text(line: AgeTurnout) -> str:
    """``12.5%``, ``*`` when the voters are suppressed, or ``-`` when nobody is eligible."""
    if line.voters is None:
        return "*"
    percent = line.turnout_percent
    return "-" if percent is None else f"{percent:.1f}%"


def voters_text(line: AgeTurnout) -> str:
    """The voters of a turnout line, or ``*`` when suppressed."""
    return "*" if line.voters is None else f"{line.voters:,}"


AGE_TURNOUT_NOTE = (
    "Eligible population: residents of the locality at or above the round's minimum voting "
    "age, from the locality's population by age band; a band that straddles the minimum age "
    "counts pro rata by years of age (the top band as ages 75 to 89). Where a locality held "
    "several rounds, voters and eligible residents are summed over them. Voter counts under 5, "
    "and any that would let one be worked out, are shown as *."
)


def report_charts(report: OversightReport) -> list[BarChart]:
    """Money by round, projects by outcome, turnout by locality, voters by channel and age."""
    return [
        bar_chart(
            "Budget allocated by each round's result",
            [(f"{r.locality}: {r.title}", r.allocated_pence) for r in report.rounds],
            money_text,
        ),
        bar_chart(
            "Funded projects by National Health and Wellbeing Outcome",
            [(t.label, t.count) for t in report.by_outcome],
        ),
        bar_chart(
            "Turnout: voters as a share of the locality's population",
            [(r.locality, round(r.turnout_percent * 100)) for r in report.rounds],
            percent_text,
        ),
        bar_chart("Voters by channel", [(t.label, t.count) for t in report.by_channel]),
        bar_chart("Voters by age band", [(t.label, t.count) for t in report.by_age_band]),
        bar_chart(
            "Turnout by age band: voters as a share of the eligible population",
            [(t.age_band, round(t.turnout_percent * 100)) for t in report.age_turnout
             if t.locality == ALL_LOCALITIES and t.turnout_percent is not None],
            percent_text,
        ),
    ]
