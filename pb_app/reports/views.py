"""Public oversight reports for the IJB: per round and per financial year, HTML, PDF and CSV."""

from __future__ import annotations

from flask import Blueprint, render_template

from pb_app.errors import NotFound
from pb_app.extensions import db
from pb_app.money import financial_year_label
from pb_app.reports.cli import export_command, render_report
from pb_app.reports.services import (
    NoRoundsThatYear,
    OversightReport,
    publish_report,
    report_years,
    round_report,
    year_report,
)
from pb_app.rounds.services import get_round
from pb_app.web.layout import attempt, download

bp = Blueprint(
    "reports", __name__, url_prefix="/reports", template_folder="templates", cli_group="reports"
)
bp.cli.add_command(export_command)
FORMATS = ("html", "pdf", "csv")


def _respond(report: OversightReport, fmt: str, filename: str):
    """The report in ``fmt``, carrying the audit checkpoint that is stored as published."""
    if fmt not in FORMATS:
        raise NotFound("Reports come as a page, a PDF or a CSV file")
    report = publish_report(report)
    db.session.commit()
    body = render_report(report, fmt)
    if fmt == "html":
        return body
    mimetype = "application/pdf" if fmt == "pdf" else "text/csv; charset=utf-8"
    return download(body, mimetype, f"{filename}.{fmt}")


@bp.route("/")
def index():
    """List the financial years with published rounds."""
    return render_template("reports/index.html", years=report_years())


def _no_report(message: str):
    """The 404 page for a year without a report, with links to the years that have one."""
    return render_template("reports/no_report.html", message=message, years=report_years()), 404


@bp.route("/year/<int:year>", defaults={"fmt": "html"})
@bp.route("/year/<int:year>.<fmt>")
def year(year: int, fmt: str):
    """The oversight report for a financial year across all localities."""
    with attempt(NoRoundsThatYear) as reporting:
        report = year_report(year)
    if reporting.refusal:
        return _no_report(reporting.refusal.message)
    return _respond(report, fmt, f"oversight-report-{financial_year_label(year)}")


@bp.route("/year/<path:text>")
def not_a_year(text: str):
    """A year that is not a whole number (``/reports/year/abc``): say so, as a 404."""
    return _no_report(f"“{text}” is not a financial year. Give the year it starts in: "
                      "2026 for April 2026 to March 2027.")


@bp.route("/round/<int:round_id>", defaults={"fmt": "html"})
@bp.route("/round/<int:round_id>.<fmt>")
def round_(round_id: int, fmt: str):
    """The oversight report for one published round."""
    return _respond(round_report(get_round(round_id)), fmt, f"oversight-report-round-{round_id}")
