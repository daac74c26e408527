"""``flask demo load``: fill an empty database with a living demo of the service."""

from __future__ import annotations

import importlib

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from pb_app.accounts.models import User
from pb_app.extensions import db
from pb_app.localities.models import Locality

demo_cli = AppGroup("demo", help="Demo data for a newcomer.")

# Each module has ``load_demo(echo)``; they run in this order, each building on the last.
DEMO_LOADERS = [
    "pb_app.localities.demo",
    "pb_app.accounts.demo",
    "pb_app.ballotbox.demo",
    "pb_app.rounds.demo",
    "pb_app.voting.demo",
    "pb_app.results.demo",
    "pb_app.pictures.demo",
    "pb_app.ledger.demo",
]


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (and succeed) when the database already has data.")
def load_command(if_empty: bool) -> None:
    """Create the demo localities, accounts, rounds and ballots, and print the sign-ins."""
    if database_has_data():
        if if_empty:
            click.echo("The database already has data: the demo was not loaded again.")
            return
        raise click.ClickException(
            "This database already has data, and the demo only loads into an empty one. "
            "Use a new database: for the default SQLite file, delete instance/pb_app.sqlite, "
            "then run flask --app wsgi db upgrade and flask --app wsgi demo load again."
        )
    # The demo's people are fictional: whatever the backend, no email goes out while loading.
    mail_backend = current_app.config["MAIL_BACKEND"]
    current_app.config["MAIL_BACKEND"] = "none"
    try:
        for module_name in DEMO_LOADERS:
            importlib.import_module(module_name).load_demo(click.echo)
        db.session.commit()  # mail waits for the commit: send it while the backend is "none"
    finally:
        current_app.config["MAIL_BACKEND"] = mail_backend
    click.echo("Demo data loaded.")


def database_has_data() -> bool:
    """True when any locality or user exists: the demo never mixes with real data."""
    return any(db.session.scalar(select(model.id).limit(1)) for model in (Locality, User))
