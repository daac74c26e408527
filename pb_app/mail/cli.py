"""``flask mail send``: deliver the outbox once, or keep delivering it as a worker."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from pb_app.errors import ConfigurationError
from pb_app.extensions import db
from pb_app.mail.services import check_mail_settings, deliver_due

mail_cli = AppGroup("mail", help="The mail outbox.")


@mail_cli.command("send")
@click.option("--watch", is_flag=True, help="Keep running, delivering new messages as they come.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="With --watch: seconds between two looks at the outbox.")
def send_command(watch: bool, interval: float) -> None:
    """Deliver the messages that are due; with --watch, until SIGTERM or Ctrl-C."""
    try:
        check_mail_settings()
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None
    if not watch:
        click.echo(deliver_due().describe())
        return
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set())
                for number in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"Delivering mail every {interval:g} s; stop with SIGTERM or Ctrl-C.")
    try:
        while not stop.is_set():
            _deliver_once(stop)
            stop.wait(interval)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo("Stopped.")


def _deliver_once(stop: threading.Event) -> None:
    """One pass; a database error is logged and the next pass tries again."""
    try:
        report = deliver_due(should_stop=stop.is_set)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("The mail worker could not read the outbox")
        return
    if report.sent or report.retried or report.failed:
        click.echo(report.describe())
