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
    Table,
    TableStyle,
)

from pb_app.reports.figures import (
    RECORDED,
    SELF_REPORTED,
    FigureTable,
    equalities_intro,
    equalities_tables,
    report_charts,
    report_tables,
    summary_figures,
)
from pb_app.reports.services import OversightReport
from pb_app.web.charts import to_drawing

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


def _figure_table(table: FigureTable, heading: str = "Heading2") -> list:
    """A report table: its heading, where its figures come from, and its cells."""
    return [
        Paragraph(escape(table.caption), STYLES[heading]),
        *([Paragraph(escape(table.source), SMALL)] if table.source else []),
        _table(table.header, table.rows),
    ]


def _summary(report: OversightReport) -> list:
    return [
        _heading("Summary"),
        _table(["Figure", "Value"], summary_figures(report), [100 * mm, 60 * mm]),
        Paragraph(escape(f"Where figures come from: {RECORDED} {SELF_REPORTED}"), SMALL),
    ]


def _verification(report: OversightReport) -> list:
    verification = [
        [r.title, r.rule, r.algorithm_version, r.input_fingerprint] for r in report.rounds
    ]
    return [
        _heading("Tally rule and verification"),
        Paragraph(
            "Anyone can recount a round from its published anonymised ballots: the input "
            "fingerprint is the SHA-256 of the canonical pabulib file of the ballots.",
            BODY,
        ),
        _table(
            ["Round", "Rule", "Algorithm", "Input SHA-256"],
            verification,
            [33 * mm, 57 * mm, 25 * mm, 54 * mm],  # fits A4 less margins and padding
        ),
    ]


def _equalities(report: OversightReport) -> list:
    flow = [_heading("Equalities reach"), Paragraph(escape(equalities_intro(report)), BODY)]
    for table in equalities_tables(report):
        flow.append(KeepTogether(_figure_table(table, "Heading4")))
    return flow


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
    first, *others = report_tables(report)
    flow += _figure_table(first) + _verification(report)
    for table in others:
        flow += _figure_table(table)
    flow += _equalities(report)
    document.build(flow, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()
