"""``flask voting ...``: letters with voting codes, paper reconciliation, closing a vote."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from pb_app.accounts.models import User
from pb_app.errors import DomainError
from pb_app.extensions import db
from pb_app.moments import when
from pb_app.rounds.services import get_round
from pb_app.voting import services
from pb_app.voting.letters import render_letters
from pb_app.voting.wording import count_of
from pb_app.web.layout import MAX_DATABASE_ID

voting_cli = AppGroup("voting", help="Voting codes, paper ballots and closing.")
ROW_ID = click.IntRange(1, MAX_DATABASE_ID)  # a larger id is a usage error, not a database one


def _staff(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account has the email address {email}")
    return user


def _run(action):
    """Run ``action``; a domain error becomes a clear message and exit code 1."""
    try:
        return action()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None


@voting_cli.command("letters")
@click.argument("round_id", type=ROW_ID)
@click.argument("count", type=int)
@click.option("--lead", "email", required=True, help="Email of the group lead making them.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--base-url", default="http://localhost:5000", show_default=True,
              help="The service's address, printed in the letters.")
def letters_command(round_id: int, count: int, email: str, out: Path, base_url: str) -> None:
    """Make COUNT voting codes for a round and write their letters to a PDF."""
    round_ = _run(lambda: get_round(round_id))
    codes = _run(lambda: services.generate_voting_codes(round_, _staff(email), count))
    out.write_bytes(render_letters(
        partnership=current_app.config["PARTNERSHIP_NAME"], locality=round_.locality.name,
        round_title=round_.title, closes=when(round_.voting_close_at, closing=True), codes=codes,
        vote_url=f"{base_url.rstrip('/')}/rounds/{round_.id}/vote/code"))
    db.session.commit()
    click.echo(f"Wrote {count_of(count, 'letter')} to {out}. The codes exist only in that file.")


@voting_cli.command("reconcile")
@click.argument("round_id", type=ROW_ID)
def reconcile_command(round_id: int) -> None:
    """Check that every paper batch holds the ballots its count says; exit 1 if not."""
    round_ = _run(lambda: get_round(round_id))
    problems = services.reconcile_ballots(round_)
    for problem in problems:
        click.echo(problem)
    if problems:
        raise SystemExit(1)
    click.echo(f"The paper ballots of {round_.title} reconcile.")


@voting_cli.command("close")
@click.argument("round_id", type=ROW_ID)
@click.option("--lead", "email", required=True, help="Email of the group lead closing it.")
def close_command(round_id: int, email: str) -> None:
    """Close voting in a round now; no ballot is accepted afterwards."""
    round_ = _run(lambda: get_round(round_id))
    count = _run(lambda: services.close_voting(round_, _staff(email), datetime.now(UTC)))
    db.session.commit()
    click.echo(f"Voting in {round_.title} is closed: {count_of(count, 'ballot')}.")
