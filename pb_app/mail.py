"""Sending email: "log" writes messages to the app log, "smtp" sends them, "none" drops them.

A message written while a database transaction is open waits for that transaction: it goes
out when the transaction commits and is dropped if it rolls back, so nobody is told of a
decision that was never saved.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from pb_app.extensions import db

PENDING_KEY = "pb_app.pending_mail"


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text message once the current transaction commits (at once if none is open)."""
    # One line, as email headers must be: a title typed with a line break stays on one line.
    message = (to, " ".join(subject.split()), body)
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(PENDING_KEY, []).append(message)
    else:
        deliver(*message)


def deliver(to: str, subject: str, body: str) -> None:
    """Hand a message to the backend named by ``MAIL_BACKEND``, now."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "log":
        # A warning, so that it shows at the default log level when developing.
        current_app.logger.warning(
            "Email not sent (MAIL_BACKEND is log):\nTo: %s\nSubject: %s\n\n%s", to, subject, body
        )
    elif backend == "smtp":
        _send_smtp(to, subject, body)
    elif backend != "none":
        raise RuntimeError(f"MAIL_BACKEND must be 'log', 'smtp' or 'none', not {backend!r}")


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for message in session.info.pop(PENDING_KEY, []):
        deliver(*message)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint in it
        session.info.pop(PENDING_KEY, None)


def _send_smtp(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"], timeout=30) as smtp:
        smtp.send_message(message)
