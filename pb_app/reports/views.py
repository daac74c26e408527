"""Public oversight reports for the IJB: per round and per financial year, HTML, PDF and CSV."""

from __future__ import annotations

from flask import Blueprint, render_template

from pb_app.errors import NotFound
from pb_app.extensions import db
from pb_app.layout import download
from pb_app.reports.cli import export_command, render_report
from pb_app.reports.figures import eligible_text, turnout_text, voters_text
from pb_app.reports.services import (
    OversightReport,
    publish_report,
    report_years,
    round_report,
    year_report,
)
from pb_app.results.ledger import financial_year_label, money_text
from pb_app.rounds.services import get_round

bp = Blueprint(
    "reports", __name__, url_prefix="/reports", template_folder="templates", cli_group="reports"
)
bp.cli.add_command(export_command)
bp.add_app_template_filter(money_text, "money")
bp.add_app_template_filter(financial_year_label, "financial_year")
bp.add_app_template_filter(eligible_text, "eligible")
bp.add_app_template_filter(turnout_text, "turnout")
bp.add_app_template_filter(voters_text, "voters_shown")
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


@bp.route("/year/<int:year>", defaults={"fmt": "html"})
@bp.route("/year/<int:year>.<fmt>")
def year(year: int, fmt: str):
    """The oversight report for a financial year across all localities."""
    return _respond(year_report(year), fmt, f"oversight-report-{financial_year_label(year)}")


@bp.route("/round/<int:round_id>", defaults={"fmt": "html"})
@bp.route("/round/<int:round_id>.<fmt>")
def round_(round_id: int, fmt: str):
    """The oversight report for one published round."""
    return _respond(round_report(get_round(round_id)), fmt, f"oversight-report-round-{round_id}")
