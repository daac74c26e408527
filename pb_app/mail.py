"""Sending email: "log" writes messages to the app log, "smtp" sends them, "none" drops them.

A message written while a database transaction is open waits for that transaction: it goes
out when the transaction commits and is dropped if it rolls back, so nobody is told of a
decision that was never saved.
"""

from __future__ import annotations

import smtplib
import ssl
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


SMTP_SECURITY = ("starttls", "ssl", "none")


def _send_smtp(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with _smtp_connection(config) as smtp:
        smtp.send_message(message)


def _smtp_connection(config: dict) -> smtplib.SMTP:
    """A connection to the configured server: encrypted as ``MAIL_SMTP_SECURITY`` says (the
    server's certificate checked), and logged in when ``MAIL_SMTP_USERNAME`` is set."""
    security = config["MAIL_SMTP_SECURITY"]
    if security not in SMTP_SECURITY:
        raise RuntimeError(f"MAIL_SMTP_SECURITY must be 'starttls', 'ssl' or 'none', "
                           f"not {security!r}")
    address = (config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"])
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(*address, timeout=30, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(*address, timeout=30)
    try:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_SMTP_USERNAME"]:
            smtp.login(config["MAIL_SMTP_USERNAME"], config["MAIL_SMTP_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp
