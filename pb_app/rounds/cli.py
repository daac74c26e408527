"""``flask rounds advance``: move on every round whose date has passed (run it from cron)."""

from __future__ import annotations

import click

from pb_app.extensions import db
from pb_app.rounds.services import advance_due_rounds


@click.command("advance")
def advance_command() -> None:
    """Move each round whose date has passed to its next phase; report the stuck ones."""
    results = advance_due_rounds()
    db.session.commit()
    for round_, reason in results:
        if reason:
            click.echo(f"Round {round_.id} ({round_.title}) stays {round_.phase}: {reason}")
        else:
            click.echo(f"Round {round_.id} ({round_.title}) is now {round_.phase}")
    if not results:
        click.echo("No round was due to move on.")
