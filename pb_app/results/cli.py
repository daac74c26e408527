"""``flask results count | sign-off | publish``: the count's steps from the command line.

Each command acts as the named user (``--as EMAIL``), so the same permission rules and audit
entries apply as on the pages.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from pb_app.accounts.services import find_user_by_email
from pb_app.errors import DomainError
from pb_app.extensions import db
from pb_app.results import services
from pb_app.rounds.services import get_round
from pb_app.voting.cli import ROW_ID

AS_OPTION = click.option("--as", "email", required=True, help="Email of the person acting.")


def _actor(email: str):
    user = find_user_by_email(email)
    if user is None:
        raise click.BadParameter(f"No account has the email {email}", param_hint="--as")
    return user


def _run(action) -> None:
    """Run one service call, commit, or print the refusal and exit 1 with nothing written."""
    try:
        message = action()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(message)


@click.command("count")
@click.argument("round_id", type=ROW_ID)
@AS_OPTION
@with_appcontext
def count_command(round_id: int, email: str) -> None:
    """Count a round whose voting has closed, and print the snapshot's figures."""

    def action() -> str:
        """Count, and describe the new snapshot."""
        snapshot = services.count_round(get_round(round_id), _actor(email))
        return (
            f"Count {snapshot.sequence}: spent {snapshot.spent_pence} of "
            f"{snapshot.budget_pence} pence; winners {snapshot.winners_json}; "
            f"input SHA-256 {snapshot.input_fingerprint}"
            + ("; DIFFERS from the count before" if snapshot.is_different_from_previous else "")
        )

    _run(action)


@click.command("sign-off")
@click.argument("round_id", type=ROW_ID)
@AS_OPTION
@with_appcontext
def sign_off_command(round_id: int, email: str) -> None:
    """Sign off the round's latest count (a finance officer who did not run it)."""

    def action() -> str:
        """Sign off the latest count."""
        snapshot = services.latest_snapshot(get_round(round_id))
        if snapshot is None:
            raise click.ClickException("This round has not been counted")
        services.sign_off(snapshot, _actor(email))
        return f"Count {snapshot.sequence} signed off (snapshot SHA-256 {snapshot.content_hash})"

    _run(action)


@click.command("publish")
@click.argument("round_id", type=ROW_ID)
@AS_OPTION
@with_appcontext
def publish_command(round_id: int, email: str) -> None:
    """Publish the round's signed-off result."""

    def action() -> str:
        """Publish, and say where."""
        publication = services.publish_result(get_round(round_id), _actor(email))
        return f"Published: /results/round/{publication.round_id}"

    _run(action)
