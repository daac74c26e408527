"""The mail backends: "log" writes to the app log, "smtp" hands the message to an SMTP server."""

from __future__ import annotations

import logging

import pytest
from factories import UserFactory

from pb_app import mail
from pb_app.extensions import db


class FakeSMTP:
    """Stands in for smtplib.SMTP: the edge of the world."""

    sent: list = []

    def __init__(self, host, port, timeout):
        self.address = (host, port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        FakeSMTP.sent.append((self.address, message))


def test_the_log_backend_writes_the_readable_message(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    mail.send_mail("jean@example.org", "Hello", "Dear Jean,\nA line longer than seventy-six "
                   "characters stays on one line in the log, unlike quoted-printable.")
    [record] = caplog.records
    assert record.getMessage().endswith(
        "To: jean@example.org\nSubject: Hello\n\nDear Jean,\nA line longer than seventy-six "
        "characters stays on one line in the log, unlike quoted-printable.")


def test_the_smtp_backend_sends_to_the_configured_server(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "mail.example.org")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", 2525)
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    mail.send_mail("jean@example.org", "Hello", "Dear Jean")
    [(address, message)] = FakeSMTP.sent
    assert address == ("mail.example.org", 2525)
    assert (message["To"], message["Subject"], message["From"]) == (
        "jean@example.org", "Hello", app.config["MAIL_DEFAULT_SENDER"])
    assert message.get_content().strip() == "Dear Jean"


def test_an_unknown_backend_is_a_configuration_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "pigeon")
    with pytest.raises(RuntimeError, match="must be 'log', 'smtp' or 'none', not 'pigeon'"):
        mail.send_mail("jean@example.org", "Hello", "Dear Jean")


def test_the_none_backend_sends_and_logs_nothing(app, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG, logger=app.logger.name)
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "none")
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    mail.send_mail("jean@example.org", "Hello", "Dear Jean")
    assert FakeSMTP.sent == []
    assert caplog.records == []


def test_a_line_break_typed_into_a_subject_cannot_break_the_headers(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    mail.send_mail("jean@example.org", "Your proposal: Lunch\r\nBcc: all@example.org", "Hi")
    [(_, message)] = FakeSMTP.sent
    assert message["Subject"] == "Your proposal: Lunch Bcc: all@example.org"
    assert message["Bcc"] is None


def test_mail_written_in_a_transaction_waits_for_its_commit(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    UserFactory()  # opens a transaction
    mail.send_mail("jean@example.org", "Decided", "Your proposal was accepted.")
    assert caplog.records == []
    db.session.commit()
    [record] = caplog.records
    assert "Subject: Decided" in record.getMessage()


def test_mail_written_in_a_transaction_that_rolls_back_is_never_sent(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    UserFactory()
    mail.send_mail("jean@example.org", "Decided", "Your proposal was accepted.")
    db.session.rollback()
    db.session.commit()
    assert caplog.records == []


def test_a_savepoint_rolling_back_keeps_the_transactions_mail(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    UserFactory()
    mail.send_mail("jean@example.org", "Decided", "Your proposal was accepted.")
    with db.session.begin_nested() as savepoint:
        savepoint.rollback()
    db.session.commit()
    assert len(caplog.records) == 1
