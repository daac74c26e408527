"""How an oversight report writes its figures, and its charts: the same for the page, the PDF
and the CSV, so that one figure never reads two ways."""

from __future__ import annotations

from dataclasses import dataclass

from pb_app.money import financial_year_label, format_pounds
from pb_app.monitoring.suppression import HIDDEN_MARK, HIDDEN_NOTE, hidden_text
from pb_app.reports.services import ALL_AGES, ALL_LOCALITIES, OversightReport, Tally
from pb_app.results.explanation import support_text
from pb_app.results.presentation import set_aside_text
from pb_app.web.charts import BarChart, bar_chart

NOT_KNOWN = "not known"
RECORDED = ("Recorded: counted from the voting records, with each voter's age as checked "
            "for eligibility when they voted. Every voter is counted.")
SELF_REPORTED = ("Self-reported: the answers people chose to give in the optional equalities "
                 "questionnaire offered after voting, never linked to a vote. A last row "
                 "counts the voters who did not fill it in, so every table adds up to the "
                 "voters.")
TURNOUT_NOTE = (
    "Turnout is voters as a share of the residents old enough to vote, everywhere in this "
    "report, to two decimal places. Residents old enough to vote come from the locality's "
    "population by age band; a band that straddles the round's minimum voting age counts pro "
    "rata by years of age (the top band as ages 75 to 89), to the nearest person for each round "
    "and band. Where a locality has no population by age band, its turnout is not known."
)


def number_text(hundredths: int) -> str:
    """``1234`` hundredths -> ``12.34``: exact, no float in between."""
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def percent_text(hundredths: int) -> str:
    """``1234`` hundredths of a percent -> ``12.34%``."""
    return f"{number_text(hundredths)}%"


def eligible_text(line) -> str:
    """Residents old enough to vote of a round or age line, or ``not known``."""
    return NOT_KNOWN if line.eligible is None else f"{line.eligible:,}"


def turnout_text(line) -> str:
    """Turnout of a round or age line: ``0.82%``, ``*`` when its voters are hidden,
    ``not known`` without a population by age band, or ``nobody old enough`` to vote."""
    if line.voters is None:
        return HIDDEN_MARK
    if line.eligible is None:
        return NOT_KNOWN
    hundredths = line.turnout_hundredths
    return "nobody old enough" if hundredths is None else percent_text(hundredths)


def turnout_number(line) -> str:
    """Turnout for the CSV: the same figure as ``turnout_text`` without the ``%`` sign."""
    return turnout_text(line).removesuffix("%")


def voters_text(line) -> str:
    """The voters of a line, or ``*`` when hidden."""
    return hidden_text(line.voters)


def summary_figures(report: OversightReport) -> list[tuple[str, str]]:
    """The summary's (label, figure) pairs, the same on the page, in the PDF and the CSV."""
    funded = sum(1 for p in report.projects if p.is_funded)
    respondents = report.equalities_respondents
    return [
        ("Budget of the rounds covered", format_pounds(report.budget_pence)),
        ("Allocated by signed-off results", format_pounds(report.allocated_pence)),
        ("Left unallocated", format_pounds(report.budget_pence - report.allocated_pence)),
        ("Spent so far on funded projects", format_pounds(report.spent_pence)),
        ("Funded projects", f"{funded} of {len(report.projects)} on the ballots"),
        ("Voters (recorded)", f"{report.voters:,}"),
        ("Voted on paper or with help (recorded)", f"{report.in_person_voters:,}"),
        ("Voted online (recorded)", f"{report.voters - report.in_person_voters:,}"),
        ("Ballots counted", f"{report.ballots:,}"),
        ("Paper sheets set aside as blank or spoilt, not counted",
         set_aside_text(report.blank_sheets, report.spoilt_sheets) or "None"),
        ("Residents old enough to vote", eligible_text(report)),
        ("Turnout", turnout_text(report)),
        ("Answered the equalities questionnaire (self-reported)",
         f"{respondents:,} of {report.voters:,} voters"),
    ]


def _voters_by_age_chart(report: OversightReport) -> BarChart:
    """Recorded voters by band across localities; a hidden count gets no bar and a ``*``."""
    bands = [t for t in report.age_totals if t.age_band != ALL_AGES]
    return BarChart(
        "Voters by age band (recorded)",
        tuple(t.age_band for t in bands),
        tuple(t.voters or 0 for t in bands),
        tuple(voters_text(t) for t in bands),
    )


def report_charts(report: OversightReport) -> list[BarChart]:
    """Money by round, projects by outcome, turnout by round, voters by channel and age."""
    return [
        bar_chart(
            "Budget allocated by each round's result",
            [(f"{r.locality}: {r.title}", r.allocated_pence) for r in report.rounds],
            format_pounds,
        ),
        bar_chart(
            "Funded projects by National Health and Wellbeing Outcome",
            [(t.label, t.count) for t in report.by_outcome],
        ),
        bar_chart(
            "Turnout by round: voters as a share of residents old enough to vote",
            [(f"{r.locality}: {r.title}", r.turnout_hundredths) for r in report.rounds
             if r.turnout_hundredths is not None],
            percent_text,
        ),
        bar_chart("Voters by channel (recorded)",
                  [(t.label, t.count) for t in report.by_channel]),
        _voters_by_age_chart(report),
        bar_chart(
            "Turnout by age band: voters as a share of residents old enough to vote",
            [(t.age_band, t.turnout_hundredths) for t in report.age_turnout
             if t.locality == ALL_LOCALITIES and t.turnout_hundredths is not None],
            percent_text,
        ),
    ]


@dataclass(frozen=True)
class FigureTable:
    """One table of the report as text: the page and the PDF print exactly these cells.

    The first cell of each row names it; ``numeric`` holds the indexes of number columns.
    """

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    source: str = ""
    numeric: frozenset[int] = frozenset()


def _tally_table(caption: str, label: str, count_label: str, tallies: list[Tally],
                 with_money: bool, source: str = "") -> FigureTable:
    header = (label, count_label, *(["Allocated"] if with_money else []))
    rows = tuple(
        (t.label, f"{t.count:,}", *([format_pounds(t.amount_pence)] if with_money else []))
        for t in tallies
    )
    total = sum(t.count for t in tallies)
    if not with_money:
        rows += (("All", f"{total:,}"),)
    return FigureTable(caption, header, rows, source, frozenset(range(1, len(header))))


def rounds_table(report: OversightReport) -> FigureTable:
    """Money and turnout by round, with the totals of every round covered."""
    rows = tuple(
        (r.title, r.locality, format_pounds(r.budget_pence), format_pounds(r.allocated_pence),
         format_pounds(r.spent_pence), f"{r.voters:,}", eligible_text(r), turnout_text(r))
        for r in report.rounds
    )
    rows += (("All rounds", "", format_pounds(report.budget_pence),
              format_pounds(report.allocated_pence), format_pounds(report.spent_pence),
              f"{report.voters:,}", eligible_text(report), turnout_text(report)),)
    return FigureTable(
        "Budget, allocation, spend and turnout by round",
        ("Round", "Locality", "Budget", "Allocated", "Spent", "Voters",
         "Residents old enough to vote", "Turnout"),
        rows, f"Voters: {RECORDED} {TURNOUT_NOTE}", frozenset(range(2, 8)),
    )


def projects_table(report: OversightReport) -> FigureTable:
    """Every project on a counted ballot, its support and what became of it."""
    rows = tuple(
        (p.title, p.locality, format_pounds(p.cost_pence), support_text(p.support, p.support_unit),
         "Funded" if p.is_funded else "Not funded", ", ".join(map(str, p.outcomes)),
         p.delivery, p.flag)
        for p in report.projects
    )
    return FigureTable(
        "Projects on the ballot",
        ("Project", "Locality", "Cost", "Support", "Result", "Outcomes", "Delivery", "Flag"),
        rows, numeric=frozenset({2, 3}),
    )


def age_table(report: OversightReport) -> FigureTable:
    """Recorded voters by locality and age band against the residents old enough to vote."""
    rows = tuple((t.locality, t.age_band, voters_text(t), eligible_text(t), turnout_text(t))
                 for t in report.age_turnout)
    missing = report.localities_without_age_bands
    gap = (f" Population by age band missing, so turnout not known, for: {', '.join(missing)}."
           if missing else "")
    return FigureTable(
        "Voters and turnout by locality and age band",
        ("Locality", "Age band", "Voters", "Residents old enough to vote", "Turnout"),
        rows, f"{RECORDED} {TURNOUT_NOTE}{gap} {HIDDEN_NOTE}", frozenset({2, 3, 4}),
    )


def equalities_tables(report: OversightReport) -> list[FigureTable]:
    """Each questionnaire question's answers by locality, hidden figures marked."""
    tables = []
    for aggregate in report.equalities:
        table = aggregate.table
        columns = len(table.column_labels) + 1
        rows = tuple(
            (label, *map(hidden_text, cells), hidden_text(total))
            for label, cells, total in zip(table.row_labels, table.cells, table.row_totals,
                                           strict=True)
        )
        rows += (("All voters", *map(hidden_text, table.column_totals),
                  hidden_text(table.grand_total)),)
        tables.append(FigureTable(
            aggregate.question.label, ("Answer", *table.column_labels, "All localities"), rows,
            "Self-reported: equalities questionnaire.", frozenset(range(1, columns + 1)),
        ))
    return tables


def ledger_table(report: OversightReport) -> FigureTable:
    """Money by locality and financial year, and whether it reconciles."""
    rows = tuple(
        (t.locality, financial_year_label(t.financial_year), format_pounds(t.budget_pence),
         format_pounds(t.allocated_pence), format_pounds(t.unallocated_pence),
         format_pounds(t.spent_pence), format_pounds(t.returned_pence),
         format_pounds(t.outstanding_pence), "Yes" if t.reconciles else "No")
        for t in report.ledger_totals
    )
    return FigureTable(
        "Ledger totals by locality and year",
        ("Locality", "Year", "Budget", "Allocated", "Unallocated", "Spent", "Returned",
         "Outstanding", "Reconciles"),
        rows, numeric=frozenset(range(2, 8)),
    )


def report_tables(report: OversightReport) -> list[FigureTable]:
    """Every table of the report, in order, before the equalities tables."""
    return [
        rounds_table(report),
        projects_table(report),
        _tally_table("Funded projects by National Health and Wellbeing Outcome", "Outcome",
                     "Projects", report.by_outcome, True),
        _tally_table("Funded projects by IJB priority", "Priority", "Projects",
                     report.by_priority, True),
        _tally_table("Voters by channel", "Channel", "Voters", report.by_channel, False,
                     f"{RECORDED} Paper or assisted: {report.in_person_voters:,}; online: "
                     f"{report.voters - report.in_person_voters:,}."),
        age_table(report),
        _tally_table("Delivery status of funded projects", "Status", "Projects",
                     report.delivery, True),
        ledger_table(report),
    ]


def equalities_intro(report: OversightReport) -> str:
    """What the equalities tables are, the same words on the page, in the PDF and the CSV."""
    return (f"{report.equalities_respondents:,} of {report.voters:,} voters answered the "
            f"optional equalities questionnaire. {SELF_REPORTED} {HIDDEN_NOTE}")
