"""Sending email through an outbox table.

``send_mail`` adds a row to the current transaction: the message exists only if the change it
reports is saved, and saving never waits on, or fails because of, a mail server.
``deliver_due`` (``flask mail send``) hands waiting messages to the backend named by
``MAIL_BACKEND``, retrying failures with a growing delay up to ``MAIL_MAX_ATTEMPTS``.

The "log" backend (development) needs no worker: the message is written to the app log as
soon as its transaction commits, and its row is recorded as sent without a body. "none" drops
messages without a trace. "smtp" keeps the body, sealed with the outbox key, until the
worker has sent it, then erases it.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any

from flask import current_app
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from sqlalchemy import delete, select

from pb_app.after_commit import after_commit
from pb_app.errors import ConfigurationError
from pb_app.extensions import db, sqlite_writes
from pb_app.mail.models import MailMessage, MailStatus

BACKENDS = ("log", "smtp", "none")
SMTP_SECURITY = ("starttls", "ssl", "none")
OUTBOX_KEY_LABEL = b"pb_app mail outbox v1"
# A claimed message is left alone by other workers for this long: longer than one SMTP
# exchange (30 s timeout), short enough that a killed worker's message soon goes out.
CLAIM_SECONDS = 300


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def send_mail(to: str, subject: str, body: str) -> MailMessage | None:
    """Queue a plain-text message in the current transaction (flushed, never committed); None
    when the backend is "none", which drops it.

    A rollback drops it with the change it reports. Raises ConfigurationError when
    ``MAIL_BACKEND`` is not one of ``BACKENDS`` (``create_app`` refuses such a value; this
    catches one changed since), before anything is saved.
    """
    backend = _backend()
    if backend == "none":
        return None
    # One line, as email headers must be: a title typed with a line break stays on one line.
    subject = " ".join(subject.split())
    now = utcnow()
    message = MailMessage(to_address=to, subject=subject, created_at=now)
    if backend == "smtp":
        message.status, message.attempts = MailStatus.PENDING.value, 0
        message.body, message.next_attempt_at = seal(body), now
    else:
        message.status, message.attempts = MailStatus.SENT.value, 1
        message.last_attempt_at = message.sent_at = now
    session = db.session()
    session.add(message)
    session.flush()
    if backend == "log":
        after_commit(partial(_log_message, to, subject, body), "write an email to the log",
                     session)
    return message


def check_mail_settings(config: Mapping[str, Any] | None = None) -> None:
    """Raise ConfigurationError when ``MAIL_BACKEND`` or ``MAIL_SMTP_SECURITY`` holds a value
    the mail code does not know, naming the setting, its value and the values allowed.

    ``config`` is the current app's unless given: ``create_app`` checks its own at startup, so
    that a typo stops the app rather than the first message sent.
    """
    config = current_app.config if config is None else config
    _allowed_setting(config, "MAIL_BACKEND", BACKENDS)
    _allowed_setting(config, "MAIL_SMTP_SECURITY", SMTP_SECURITY)


def _allowed_setting(config: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    """The value of setting ``name``; raises ConfigurationError unless it is one of ``allowed``."""
    value = config[name]
    if value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ConfigurationError(f"{name} must be {choices}, not {value!r}")
    return value


def _backend() -> str:
    return _allowed_setting(current_app.config, "MAIL_BACKEND", BACKENDS)


def _log_message(to: str, subject: str, body: str) -> None:
    # A warning, so that it shows at the default log level when developing.
    current_app.logger.warning(
        "Email not sent (MAIL_BACKEND is log):\nTo: %s\nSubject: %s\n\n%s", to, subject, body
    )


def _outbox_box() -> SecretBox:
    """The key that seals bodies: from ``MAIL_OUTBOX_KEY``, or else ``SECRET_KEY``; never
    stored in the database, so a copy of the database alone cannot read a waiting message."""
    secret = current_app.config.get("MAIL_OUTBOX_KEY") or current_app.config["SECRET_KEY"]
    key = hmac.new(str(secret).encode(), OUTBOX_KEY_LABEL, hashlib.sha256).digest()
    return SecretBox(key)


def seal(body: str) -> bytes:
    """Encrypt and authenticate a message body with the outbox key."""
    return bytes(_outbox_box().encrypt(body.encode()))


def unseal(sealed: bytes) -> str:
    """Open a body sealed by ``seal``; raises ``nacl.exceptions.CryptoError`` if the key
    has changed since or the bytes were altered."""
    return _outbox_box().decrypt(sealed).decode()


@dataclass
class DeliveryReport:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    def describe(self) -> str:
        """One line for the command line."""
        return f"sent {self.sent}, to retry {self.retried}, given up {self.failed}"


def deliver_due(now: Callable[[], datetime] = utcnow, *, limit: int | None = None,
                should_stop: Callable[[], bool] = lambda: False) -> DeliveryReport:
    """Deliver every pending message that is due, one at a time; commits after each step.

    Each message is first claimed (its attempt counted, its next attempt pushed past the
    claim period) in a short transaction of its own, so that several workers can run at once:
    on PostgreSQL the claim skips rows another worker has locked; on SQLite it takes the
    single write lock. A failure is retried after a delay that doubles each time, up to
    ``MAIL_MAX_ATTEMPTS``; then the message is marked failed and logged as an error.
    Raises ConfigurationError for a configuration mistake, before touching any message.
    """
    check_mail_settings()
    report = DeliveryReport()
    with sqlite_writes():  # every transaction here writes
        while (limit is None or report.sent + report.retried + report.failed < limit) \
                and not should_stop():
            claimed = _claim_next(now())
            if claimed is None:
                break
            message_id, to, subject, body = claimed
            error = _try_delivery(to, subject, body)
            outcome = _record_outcome(message_id, error, now())
            setattr(report, outcome, getattr(report, outcome) + 1)
        _forget_old(now())
    return report


def _claim_next(now: datetime) -> tuple[int, str, str, bytes | None] | None:
    """Claim the oldest due message and commit the claim; None when nothing is due."""
    message = db.session.scalars(
        select(MailMessage)
        .where(MailMessage.status == MailStatus.PENDING.value,
               MailMessage.next_attempt_at <= now)
        .order_by(MailMessage.next_attempt_at, MailMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if message is None:
        db.session.commit()
        return None
    message.attempts += 1
    message.last_attempt_at = now
    message.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
    claimed = (message.id, message.to_address, message.subject, message.body)
    db.session.commit()
    return claimed


def _try_delivery(to: str, subject: str, sealed: bytes | None) -> BaseException | None:
    """Hand one message to the backend; return the error instead of raising it (whatever
    goes wrong with one message must not stop the others)."""
    try:
        body = unseal(sealed) if sealed is not None else ""
        deliver(to, subject, body)
    except Exception as error:
        return error
    return None


def _record_outcome(message_id: int, error: BaseException | None, now: datetime) -> str:
    """Mark the message sent, to retry or failed, and commit; returns which."""
    message = db.session.get(MailMessage, message_id)
    config = current_app.config
    if error is None:
        message.status, message.sent_at, message.last_error = MailStatus.SENT.value, now, None
        message.body = message.next_attempt_at = None
        outcome = "sent"
    else:
        message.last_error = _describe(error)[:500]
        if message.attempts >= config["MAIL_MAX_ATTEMPTS"] or _is_permanent(error):
            message.status, message.body = MailStatus.FAILED.value, None
            message.next_attempt_at = None
            current_app.logger.error("Gave up sending email %d to %s after %d attempt(s): %s",
                                     message.id, message.to_address, message.attempts,
                                     message.last_error)
            outcome = "failed"
        else:
            delay = min(config["MAIL_RETRY_SECONDS"] * 2 ** (message.attempts - 1),
                        config["MAIL_RETRY_MAX_SECONDS"])
            message.next_attempt_at = now + timedelta(seconds=delay)
            current_app.logger.warning("Email %d to %s not sent (attempt %d), next try in %d s: "
                                       "%s", message.id, message.to_address, message.attempts,
                                       delay, message.last_error)
            outcome = "retried"
    db.session.commit()
    return outcome


def _describe(error: BaseException) -> str:
    if isinstance(error, CryptoError):
        return "the body cannot be opened with this outbox key (was SECRET_KEY changed?)"
    return f"{type(error).__name__}: {error}"


def _is_permanent(error: BaseException) -> bool:
    """True for failures that a retry cannot mend: a body sealed with another key, or a
    server refusing every recipient with a 5xx code (no such mailbox)."""
    if isinstance(error, CryptoError):
        return True
    return isinstance(error, smtplib.SMTPRecipientsRefused) and bool(error.recipients) and all(
        code >= 500 for code, _ in error.recipients.values())


def _forget_old(now: datetime) -> None:
    """Delete the records of messages sent or given up more than ``MAIL_KEEP_DAYS`` ago."""
    cutoff = now - timedelta(days=current_app.config["MAIL_KEEP_DAYS"])
    db.session.execute(delete(MailMessage).where(
        MailMessage.status != MailStatus.PENDING.value, MailMessage.last_attempt_at < cutoff))
    db.session.commit()


def deliver(to: str, subject: str, body: str) -> None:
    """Hand a message to the backend named by ``MAIL_BACKEND``, now; raises what it raises."""
    backend = _backend()
    if backend == "log":
        _log_message(to, subject, body)
    elif backend == "smtp":
        _send_smtp(to, subject, body)


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
    security = _allowed_setting(config, "MAIL_SMTP_SECURITY", SMTP_SECURITY)
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
