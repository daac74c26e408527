"""``flask data purge [--dry-run]``: remove what identifies the voters of rounds past retention."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.privacy import services
from pb_app.voting.services import CODE_ATTEMPT_WINDOW

LINES = (
    ("person_keys", "person keys (each replaced by a number)"),
    ("account_links", "links from a vote to a resident's account"),
    ("code_links", "links from a vote to a voting code"),
    ("unused_codes", "unused voting codes"),
    ("used_codes", "used voting codes"),
    ("followers", "people following the round"),
)


def _day(value) -> str:
    return f"{value:%-d %B %Y}"


def describe_plan(plan: services.PurgePlan) -> list[str]:
    """The purge's report, per round, one line per figure: the same for a dry and a real run."""
    lines = []
    for item in plan.due:
        heading = (f"Round {item.round_id}, {item.title} (published {_day(item.published_on)}, "
                   f"kept until {_day(item.kept_until)})")
        if item.is_empty:
            lines.append(f"{heading}: nothing left to remove.")
            continue
        counts = item.counts()
        lines.append(f"{heading}:")
        lines += [f"  {words}: {counts[name]}" for name, words in LINES if counts[name]]
    lines += [f"Round {item.round_id}, {item.title}: kept until {_day(item.kept_until)}, "
              "nothing removed yet." for item in plan.retained]
    if not plan.due and not plan.retained:
        lines.append("No round has been published yet.")
    minutes = int(CODE_ATTEMPT_WINDOW.total_seconds() // 60)
    lines.append(f"Failed voting-code attempts older than {minutes} minutes: {plan.code_attempts}")
    return lines


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; change nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Remove what identifies the voters of rounds published longer ago than the retention
    period (DATA_RETENTION_DAYS); results and anonymous ballots stay."""
    now = datetime.now(UTC)
    setting = current_app.config.get("DATA_RETENTION_DAYS")
    try:
        if dry_run:
            plan = services.plan_purge(now, setting)
        else:
            plan = services.purge_personal_data(now, setting)
    except InvalidInput as error:
        db.session.rollback()
        raise click.UsageError(error.message) from None
    days = services.read_retention_days(setting)
    click.echo(("Dry run: what a purge would remove now. " if dry_run else "Removing: ")
               + f"voters' details are kept {days} days after a round's result is published.")
    for line in describe_plan(plan):
        click.echo(line)
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was changed.")
        return
    db.session.commit()
    click.echo("Done. Each round purged is recorded in the audit trail, with these counts only.")
