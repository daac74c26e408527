"""The mail backends: "log" writes to the app log once the transaction commits, "smtp" hands
the message to an SMTP server from ``flask mail send``, "none" drops it."""

from __future__ import annotations

import logging

import pytest
from factories import UserFactory

from mail.helpers import FakeSMTP, outbox_rows, sent_messages
from pb_app.extensions import db
from pb_app.mail import send_mail
from pb_app.mail.services import deliver_due


def test_the_log_backend_writes_the_readable_message_once_committed(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    send_mail("jean@example.org", "Hello", "Dear Jean,\nA line longer than seventy-six "
              "characters stays on one line in the log, unlike quoted-printable.")
    assert caplog.records == []
    db.session.commit()
    [record] = caplog.records
    assert record.getMessage().endswith(
        "To: jean@example.org\nSubject: Hello\n\nDear Jean,\nA line longer than seventy-six "
        "characters stays on one line in the log, unlike quoted-printable.")


def test_the_log_backend_needs_no_worker_and_keeps_no_body(app, caplog):
    send_mail("jean@example.org", "Hello", "Your receipt code is ABCDE")
    db.session.commit()
    [row] = outbox_rows()
    assert (row.status, row.body, row.to_address, row.subject) == (
        "sent", None, "jean@example.org", "Hello")
    assert deliver_due().describe() == "sent 0, to retry 0, given up 0"


def test_the_smtp_backend_sends_to_the_configured_server(app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "mail.example.org")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", 2525)
    send_mail("jean@example.org", "Hello", "Dear Jean")
    db.session.commit()
    assert FakeSMTP.sent == []  # the worker sends, not the request
    deliver_due()
    [(address, message)] = FakeSMTP.sent
    assert address == ("mail.example.org", 2525)
    assert (message["To"], message["Subject"], message["From"]) == (
        "jean@example.org", "Hello", app.config["MAIL_DEFAULT_SENDER"])
    assert message.get_content().strip() == "Dear Jean"


def test_an_unknown_backend_is_a_configuration_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "pigeon")
    with pytest.raises(RuntimeError, match="must be 'log', 'smtp' or 'none', not 'pigeon'"):
        send_mail("jean@example.org", "Hello", "Dear Jean")
    assert outbox_rows() == []


def test_the_none_backend_sends_and_logs_nothing(app, monkeypatch, smtp_server, caplog):
    caplog.set_level(logging.DEBUG, logger=app.logger.name)
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "none")
    send_mail("jean@example.org", "Hello", "Dear Jean")
    db.session.commit()
    deliver_due()
    assert FakeSMTP.sent == []
    assert caplog.records == []
    assert outbox_rows() == []


def test_a_line_break_typed_into_a_subject_cannot_break_the_headers(app, smtp_server):
    send_mail("jean@example.org", "Your proposal: Lunch\r\nBcc: all@example.org", "Hi")
    db.session.commit()
    deliver_due()
    [message] = sent_messages()
    assert message["Subject"] == "Your proposal: Lunch Bcc: all@example.org"
    assert message["Bcc"] is None


def test_mail_written_in_a_transaction_that_rolls_back_is_never_sent(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    UserFactory()
    send_mail("jean@example.org", "Decided", "Your proposal was accepted.")
    db.session.rollback()
    db.session.commit()
    assert caplog.records == []
    assert outbox_rows() == []


def test_a_savepoint_rolling_back_keeps_the_transactions_mail(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    UserFactory()
    send_mail("jean@example.org", "Decided", "Your proposal was accepted.")
    with db.session.begin_nested() as savepoint:
        savepoint.rollback()
    db.session.commit()
    assert len(caplog.records) == 1
    assert len(outbox_rows()) == 1


def test_mail_written_inside_a_savepoint_that_rolls_back_is_dropped_with_it(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    send_mail("jean@example.org", "Kept", "Sent before the savepoint.")
    with db.session.begin_nested() as savepoint:
        send_mail("jean@example.org", "Dropped", "Written inside the savepoint.")
        savepoint.rollback()
    db.session.commit()
    assert [record.args[1] for record in caplog.records] == ["Kept"]
    assert [row.subject for row in outbox_rows()] == ["Kept"]


def test_mail_of_a_session_closed_without_commit_is_never_logged(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    send_mail("jean@example.org", "Unsaved", "Never committed.")
    db.session.close()
    send_mail("jean@example.org", "Saved", "Committed.")
    db.session.commit()
    assert [record.args[1] for record in caplog.records] == ["Saved"]


def _deliver_one(subject="Hello"):
    send_mail("jean@example.org", subject, "Dear Jean")
    db.session.commit()
    return deliver_due()


def test_starttls_with_a_checked_certificate_then_login_then_send(app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SMTP_SECURITY", "starttls")
    monkeypatch.setitem(app.config, "MAIL_SMTP_USERNAME", "pb@example.org")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PASSWORD", "secret")
    _deliver_one()
    assert smtp_server == [("connect", "FakeSMTP", False), ("starttls", True),
                           ("login", "pb@example.org"), ("send",), ("close",)]


def test_implicit_tls_connects_with_a_checked_certificate(app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SMTP_SECURITY", "ssl")
    _deliver_one()
    assert smtp_server == [("connect", "FakeSMTP_SSL", True), ("send",), ("close",)]


def test_a_refused_login_closes_the_connection_sends_nothing_and_retries(app, monkeypatch,
                                                                         smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SMTP_USERNAME", "pb@example.org")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PASSWORD", "wrong")
    assert _deliver_one().retried == 1
    assert smtp_server == [("connect", "FakeSMTP", False), ("login", "pb@example.org"),
                           ("close",)]
    assert FakeSMTP.sent == []
    [row] = outbox_rows()
    assert row.status == "pending" and row.last_error.startswith("SMTPAuthenticationError")


def test_an_unknown_smtp_security_is_a_configuration_error(app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SMTP_SECURITY", "tls1.0")
    with pytest.raises(RuntimeError, match="must be 'starttls', 'ssl' or 'none', not 'tls1.0'"):
        _deliver_one()
    assert smtp_server == []
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("pending", 0)  # a setting to fix, not a try


def test_production_sends_with_starttls_on_the_submission_port():
    from config import ProductionConfig

    assert (ProductionConfig.MAIL_BACKEND, ProductionConfig.MAIL_SMTP_SECURITY,
            ProductionConfig.MAIL_SMTP_PORT) == ("smtp", "starttls", 587)
