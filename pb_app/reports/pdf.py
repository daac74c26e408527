"""The oversight report as a PDF a board paper can append: text, tables and charts (ReportLab)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from pb_app.reports.charts import to_drawing
from pb_app.reports.figures import (
    AGE_TURNOUT_NOTE,
    eligible_text,
    report_charts,
    turnout_text,
    voters_text,
)
from pb_app.reports.services import OversightReport, Tally
from pb_app.results.ledger import financial_year_label, money_text

STYLES = getSampleStyleSheet()
BODY = STYLES["BodyText"]
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7, leading=8.5)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=9.5)
TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)
CONTENT_WIDTH = A4[0] - 36 * mm


def _p(text: object, style: ParagraphStyle = CELL) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(
    header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float] | None = None
) -> Table:
    data = [[_p(cell) for cell in header]] + [[_p(cell) for cell in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TABLE_STYLE)
    return table


def _heading(text: str) -> Paragraph:
    return Paragraph(escape(text), STYLES["Heading2"])


def _tally_rows(tallies: Sequence[Tally], with_money: bool) -> list[list[object]]:
    return [
        [t.label, t.count, *([money_text(t.amount_pence)] if with_money else [])] for t in tallies
    ]


def _summary(report: OversightReport) -> list:
    left = report.budget_pence - report.allocated_pence
    figures = [
        ["Budget of the rounds covered", money_text(report.budget_pence)],
        ["Allocated by signed-off results", money_text(report.allocated_pence)],
        ["Left unallocated", money_text(left)],
        ["Spent so far on funded projects", money_text(report.spent_pence)],
        ["Voters", f"{report.voters:,}"],
        ["Voted on paper or with help", f"{report.in_person_voters:,}"],
        [
            "Funded projects",
            f"{sum(1 for p in report.projects if p.is_funded)}"
            f" of {len(report.projects)} on the ballots",
        ],
    ]
    return [_heading("Summary"), _table(["Figure", "Value"], figures, [90 * mm, 60 * mm])]


def _rounds(report: OversightReport) -> list:
    rows = [
        [
            r.locality,
            r.title,
            money_text(r.budget_pence),
            money_text(r.allocated_pence),
            money_text(r.spent_pence),
            f"{r.voters:,}",
            f"{r.population:,}",
            f"{r.turnout_percent:.2f}%",
        ]
        for r in report.rounds
    ]
    verification = [
        [r.title, r.rule, r.algorithm_version, r.input_fingerprint] for r in report.rounds
    ]
    return [
        _heading("Budget, allocation, spend and turnout by round"),
        _table(
            [
                "Locality",
                "Round",
                "Budget",
                "Allocated",
                "Spent",
                "Voters",
                "Population",
                "Turnout",
            ],
            rows,
        ),
        _heading("Tally rule and verification"),
        Paragraph(
            "Anyone can recount a round from its published anonymised ballots: the input "
            "fingerprint is the SHA-256 of the canonical pabulib file of the ballots.",
            BODY,
        ),
        _table(
            ["Round", "Rule", "Algorithm", "Input SHA-256"],
            verification,
            [35 * mm, 60 * mm, 25 * mm, 54 * mm],
        ),
    ]


def _projects(report: OversightReport) -> list:
    rows = [
        [
            p.title,
            p.locality,
            money_text(p.cost_pence),
            p.support,
            "Funded" if p.is_funded else "Not funded",
            ", ".join(map(str, p.outcomes)),
            p.delivery,
            p.flag,
        ]
        for p in report.projects
    ]
    return [
        _heading("Projects on the ballot"),
        _table(
            ["Project", "Locality", "Cost", "Support", "Result", "Outcomes", "Delivery", "Flag"],
            rows,
        ),
        _heading("Funded projects by National Health and Wellbeing Outcome"),
        _table(
            ["Outcome", "Projects", "Allocated"],
            _tally_rows(report.by_outcome, True),
            [110 * mm, 20 * mm, 30 * mm],
        ),
        _heading("Funded projects by IJB priority"),
        _table(
            ["Priority", "Projects", "Allocated"],
            _tally_rows(report.by_priority, True),
            [110 * mm, 20 * mm, 30 * mm],
        ),
        _heading("Delivery status of funded projects"),
        _table(["Status", "Projects", "Allocated"], _tally_rows(report.delivery, True)),
    ]


def _reach(report: OversightReport) -> list:
    return [
        _heading("Reach: channel and age"),
        Paragraph(
            f"Paper or assisted: {report.in_person_voters:,}; online: "
            f"{report.voters - report.in_person_voters:,}.",
            BODY,
        ),
        _table(["Channel", "Voters"], _tally_rows(report.by_channel, False)),
        Spacer(1, 4 * mm),
        _table(["Age band", "Voters"], _tally_rows(report.by_age_band, False)),
        *_age_turnout(report),
    ]


def _age_turnout(report: OversightReport) -> list:
    rows = [
        [t.locality, t.age_band, voters_text(t), eligible_text(t), turnout_text(t)]
        for t in report.age_turnout
    ]
    missing = report.localities_without_age_bands
    return [
        _heading("Turnout by locality and age band"),
        Paragraph(escape(AGE_TURNOUT_NOTE), BODY),
        *([Paragraph(escape("No population by age band for: " + ", ".join(missing)), BODY)]
          if missing else []),
        _table(["Locality", "Age band", "Voters", "Eligible population", "Turnout"], rows),
    ]


def _ledger(report: OversightReport) -> list:
    rows = [
        [
            financial_year_label(t.financial_year),
            t.locality,
            money_text(t.budget_pence),
            money_text(t.allocated_pence),
            money_text(t.spent_pence),
            money_text(t.returned_pence),
            money_text(t.outstanding_pence),
            "Yes" if t.reconciles else "NO",
        ]
        for t in report.ledger_totals
    ]
    return [
        _heading("Ledger totals by locality and year"),
        _table(
            [
                "Year",
                "Locality",
                "Budget",
                "Allocated",
                "Spent",
                "Returned",
                "Outstanding",
                "Reconciles",
            ],
            rows,
        ),
    ]


def _equalities(report: OversightReport) -> list:
    flow = [
        _heading("Equalities reach"),
        Paragraph(
            f"{report.equalities_respondents:,} people answered the optional equalities "
            "questions. Counts under 5, and any count that would let one be worked out, "
            "are shown as *.",
            BODY,
        ),
    ]
    for aggregate in report.equalities:
        table = aggregate.table
        rows = [
            [label, *[_star(v) for v in cells], _star(total)]
            for label, cells, total in zip(
                table.row_labels, table.cells, table.row_totals, strict=True
            )
        ]
        rows.append(["All", *[_star(v) for v in table.column_totals], _star(table.grand_total)])
        flow.append(
            KeepTogether(
                [
                    Paragraph(escape(aggregate.question.label), STYLES["Heading4"]),
                    _table(["Answer", *table.column_labels, "All"], rows),
                ]
            )
        )
    return flow


def _star(value: int | None) -> str:
    return "*" if value is None else str(value)


def _checkpoint(report: OversightReport) -> list:
    if not report.checkpoint:
        return []
    return [Paragraph(
        f"Audit checkpoint: <font name='Courier'>{escape(report.checkpoint)}</font>. The audit"
        " trail's length and newest hash when this report was made: with it, anyone can have"
        " the trail checked for changes to what it covers.", BODY)]


def _footer(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7)
    canvas.drawString(18 * mm, 10 * mm, document.title)
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {document.page}")
    canvas.restoreState()


def report_pdf(report: OversightReport, partnership: str) -> bytes:
    """Render the report as PDF bytes: summary, charts, tables and the equalities reach."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=report.title,
        author=partnership,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    )
    flow: list = [
        Paragraph(escape(report.title), STYLES["Title"]),
        Paragraph(
            escape(
                f"{partnership}. {report.period}. Generated "
                f"{report.generated_at:%d %B %Y %H:%M} UTC."
            ),
            BODY,
        ),
        *_checkpoint(report),
        *_summary(report),
    ]
    for chart in report_charts(report):
        flow.append(
            KeepTogether(
                [
                    Paragraph(escape(chart.title), STYLES["Heading3"]),
                    to_drawing(chart, CONTENT_WIDTH),
                ]
            )
        )
    flow += _rounds(report) + _projects(report) + _reach(report) + _ledger(report)
    flow += _equalities(report)
    document.build(flow, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()
