"""``flask reports export``: write an oversight report to a file (PDF, CSV or HTML)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app, render_template
from flask.cli import with_appcontext

from pb_app.errors import DomainError
from pb_app.extensions import db
from pb_app.reports.export import report_csv
from pb_app.reports.figures import (
    RECORDED,
    SELF_REPORTED,
    equalities_intro,
    equalities_tables,
    report_charts,
    report_tables,
    summary_figures,
)
from pb_app.reports.pdf import report_pdf
from pb_app.reports.services import (
    localities_without_rounds,
    publish_report,
    round_report,
    year_report,
)
from pb_app.rounds.services import get_round
from pb_app.voting.cli import ROW_ID
from pb_app.web.charts import to_svg


def render_report(report, fmt: str) -> bytes:
    """The report as bytes in ``fmt``: ``pdf``, ``csv`` or ``html``."""
    if fmt == "pdf":
        return report_pdf(report, current_app.config["PARTNERSHIP_NAME"])
    if fmt == "csv":
        return report_csv(report).encode("utf-8")
    charts = [(chart, to_svg(chart)) for chart in report_charts(report)]
    return render_template(
        "reports/report.html",
        report=report,
        charts=charts,
        missing=localities_without_rounds(report),
        summary=summary_figures(report),
        tables=report_tables(report),
        equalities=equalities_tables(report),
        equalities_intro=equalities_intro(report),
        recorded=RECORDED,
        self_reported=SELF_REPORTED,
    ).encode("utf-8")


@click.command("export")
@click.option("--year", type=int, help="Financial year by its first year: 2026 is 2026-27.")
@click.option("--round", "round_id", type=ROW_ID, help="One published round instead of a year.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "csv", "html"]), default="pdf")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_command(year: int | None, round_id: int | None, fmt: str, output: Path) -> None:
    """Write the oversight report for a financial year or a round to OUTPUT."""
    if (year is None) == (round_id is None):
        raise click.UsageError("Give either --year or --round")
    try:
        report = year_report(year) if round_id is None else round_report(get_round(round_id))
    except DomainError as error:
        raise click.ClickException(error.message) from error
    report = publish_report(report)
    db.session.commit()
    with current_app.test_request_context():
        body = render_report(report, fmt)
    output.write_bytes(body)
    click.echo(f"Wrote {output} ({len(body):,} bytes): {report.title}"
               f" (audit checkpoint {report.checkpoint})")
