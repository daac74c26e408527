"""``flask ballot-box ...``: list the key holders, and open a closed round's box for the count."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from sqlalchemy import select

from pb_app.accounts.models import User
from pb_app.ballotbox import services
from pb_app.errors import DomainError
from pb_app.extensions import db
from pb_app.rounds.services import get_round
from pb_app.web.layout import MAX_DATABASE_ID

ballot_box_cli = AppGroup("ballot-box", help="The sealed ballot box and its key holders.")
ROW_ID = click.IntRange(1, MAX_DATABASE_ID)


@ballot_box_cli.command("holders")
def holders_command() -> None:
    """List the active key holders, by id."""
    for holder in services.active_key_holders():
        click.echo(f"{holder.id}\t{holder.label}")


@ballot_box_cli.command("open")
@click.argument("round_id", type=ROW_ID)
@click.option("--as", "email", required=True, help="Email of the staff member opening it.")
@click.option("--holder", "holder_ids", type=ROW_ID, multiple=True, required=True,
              help="Id of a key holder present (repeat); each is asked for their passphrase.")
def open_command(round_id: int, email: str, holder_ids: tuple[int, ...]) -> None:
    """Open a closed round's ballot box with the key holders' passphrases (typed, not echoed).

    Exits 1 when the box cannot be opened (nothing is written), 2 for bad arguments.
    """
    actor = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if actor is None:
        raise click.BadParameter(f"no account has the email address {email}", param_hint="--as")
    passphrases = {
        holder_id: click.prompt(f"Passphrase of key holder {holder_id}", hide_input=True)
        for holder_id in holder_ids
    }
    try:
        opened = services.open_box(get_round(round_id), actor, passphrases, datetime.now(UTC))
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"The ballot box of round {round_id} is open: {opened} ballots are ready to count.")
