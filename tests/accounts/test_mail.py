"""The mail backends: "log" writes to the app log, "smtp" hands the message to an SMTP server."""

from __future__ import annotations

import logging
import smtplib
import ssl

import pytest
from factories import UserFactory

from pb_app import mail
from pb_app.extensions import db


class FakeSMTP:
    """Stands in for smtplib.SMTP: the edge of the world. ``calls`` keeps what was asked of
    the server, in order; a login with the password "wrong" is refused as a server would."""

    sent: list = []
    calls: list = []

    def __init__(self, host, port, timeout, context=None):
        self.address = (host, port)
        FakeSMTP.calls.append(("connect", type(self).__name__, context is not None))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def starttls(self, context):
        FakeSMTP.calls.append(("starttls", context.verify_mode == ssl.CERT_REQUIRED))

    def login(self, user, password):
        FakeSMTP.calls.append(("login", user))
        if password == "wrong":
            raise smtplib.SMTPAuthenticationError(535, b"Authentication failed")

    def close(self):
        FakeSMTP.calls.append(("close",))

    def send_message(self, message):
        FakeSMTP.calls.append(("send",))
        FakeSMTP.sent.append((self.address, message))


class FakeSMTP_SSL(FakeSMTP):
    """Stands in for smtplib.SMTP_SSL."""


@pytest.fixture
def smtp_server(app, monkeypatch):
    """The SMTP backend pointed at the fake server; yields its record of calls."""
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(mail.smtplib, "SMTP_SSL", FakeSMTP_SSL)
    FakeSMTP.sent, FakeSMTP.calls = [], []
    return FakeSMTP.calls


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


def test_starttls_with_a_checked_certificate_then_login_then_send(app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SMTP_SECURITY", "starttls")
    monkeypatch.setitem(app.config, "MAIL_SMTP_USERNAME", "pb@example.org")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PASSWORD", "secret")
    mail.send_mail("jean@example.org", "Hello", "Dear Jean")
    assert smtp_server == [("connect", "FakeSMTP", False), ("starttls", True),
                           ("login", "pb@example.org"), ("send",), ("close",)]


def test_implicit_tls_connects_with_a_checked_certificate(app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SMTP_SECURITY", "ssl")
    mail.send_mail("jean@example.org", "Hello", "Dear Jean")
    assert smtp_server == [("connect", "FakeSMTP_SSL", True), ("send",), ("close",)]


def test_a_refused_login_closes_the_connection_and_sends_nothing(app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SMTP_USERNAME", "pb@example.org")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PASSWORD", "wrong")
    with pytest.raises(smtplib.SMTPAuthenticationError):
        mail.send_mail("jean@example.org", "Hello", "Dear Jean")
    assert smtp_server == [("connect", "FakeSMTP", False), ("login", "pb@example.org"),
                           ("close",)]
    assert FakeSMTP.sent == []


def test_an_unknown_smtp_security_is_a_configuration_error(app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SMTP_SECURITY", "tls1.0")
    with pytest.raises(RuntimeError, match="must be 'starttls', 'ssl' or 'none', not 'tls1.0'"):
        mail.send_mail("jean@example.org", "Hello", "Dear Jean")
    assert smtp_server == []


def test_production_sends_with_starttls_on_the_submission_port():
    from config import ProductionConfig

    assert (ProductionConfig.MAIL_BACKEND, ProductionConfig.MAIL_SMTP_SECURITY,
            ProductionConfig.MAIL_SMTP_PORT) == ("smtp", "starttls", 587)
