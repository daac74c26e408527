"""The outbox and its worker: a message is saved with its change, sent once by
``flask mail send``, retried with a growing delay when the server is down, given up after
``MAIL_MAX_ATTEMPTS``, and its body erased once it has gone."""

from __future__ import annotations

import logging
import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mail.helpers import FakeSMTP, outbox_rows, sent_messages
from pb_app import create_app
from pb_app.extensions import db
from pb_app.mail import send_mail
from pb_app.mail.models import MailMessage
from pb_app.mail.services import CLAIM_SECONDS, deliver_due, unseal

# Later than anything these tests queue, however long after collection they run (a whole
# suite takes minutes before it reaches them).
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=12)


def at(moment: datetime):
    """A clock for ``deliver_due`` that always says ``moment``."""
    return lambda: moment


def queue(subject: str = "Reset your password", body: str = "Open http://x/reset/SECRET"):
    """Queue one message and commit it."""
    send_mail("jean@example.org", subject, body)
    db.session.commit()


def test_a_waiting_body_is_sealed_sent_once_then_erased(app, smtp_server, runner):
    queue()
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.sent_at) == ("pending", 0, None)
    assert b"SECRET" not in row.body  # a copy of the database cannot read the reset link
    assert unseal(row.body) == "Open http://x/reset/SECRET"

    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "sent 1, to retry 0, given up 0" in result.output
    [message] = sent_messages()
    assert message["To"] == "jean@example.org"
    assert "http://x/reset/SECRET" in message.get_content()
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.body, row.last_error) == ("sent", 1, None, None)
    assert row.sent_at is not None and row.subject == "Reset your password"

    again = runner.invoke(args=["mail", "send"])
    assert "sent 0, to retry 0, given up 0" in again.output
    assert len(sent_messages()) == 1


def test_failures_are_retried_with_a_doubling_delay_then_given_up_and_logged(
        app, smtp_down, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "MAIL_RETRY_SECONDS", 60)
    queue()
    assert deliver_due(at(T0)).retried == 1
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == T0 + timedelta(seconds=60)
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"

    assert deliver_due(at(T0 + timedelta(seconds=59))).retried == 0  # not due yet
    assert deliver_due(at(T0 + timedelta(seconds=60))).retried == 1
    [row] = outbox_rows()
    assert row.next_attempt_at == T0 + timedelta(seconds=60 + 120)

    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        assert deliver_due(at(T0 + timedelta(seconds=180))).failed == 1
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.body, row.next_attempt_at) == ("failed", 3, None, None)
    assert "Gave up sending email" in caplog.text and "jean@example.org" in caplog.text

    smtp_down.down = False
    assert deliver_due(at(T0 + timedelta(days=1))).sent == 0
    assert sent_messages() == []


def test_the_retry_delay_stops_growing_at_its_ceiling(app, smtp_down, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_MAX_SECONDS", 3600)
    queue()
    moment = T0
    for _ in range(8):
        deliver_due(at(moment))
        [row] = outbox_rows()
        moment = row.next_attempt_at
    assert row.attempts == 8 and moment - row.last_attempt_at == timedelta(hours=1)


def test_a_mailbox_that_does_not_exist_is_given_up_at_once(app, smtp_server, monkeypatch):
    def refuse(self, message):
        raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"5.1.1 No such user")})

    monkeypatch.setattr(FakeSMTP, "send_message", refuse)
    queue()
    assert deliver_due(at(T0)).failed == 1
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "No such user" in row.last_error


def test_a_body_sealed_with_another_key_is_given_up_with_a_clear_reason(app, smtp_server,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_KEY", "the old key")
    queue()
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_KEY", "a new key")
    assert deliver_due(at(T0)).failed == 1
    [row] = outbox_rows()
    assert row.status == "failed" and "outbox key" in row.last_error
    assert sent_messages() == []


def test_a_worker_killed_while_sending_leaves_the_message_to_the_next_one(app, smtp_server,
                                                                          monkeypatch):
    def killed(self, message):
        raise SystemExit("killed")

    queue()
    monkeypatch.setattr(FakeSMTP, "send_message", killed)
    with pytest.raises(SystemExit):
        deliver_due(at(T0))
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    assert deliver_due(at(T0 + timedelta(seconds=10))).sent == 0  # still claimed
    assert deliver_due(at(T0 + timedelta(seconds=CLAIM_SECONDS))).sent == 1
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("sent", 2)


def test_records_of_old_messages_are_deleted_and_waiting_ones_kept(app, smtp_down, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_KEEP_DAYS", 30)
    queue("Still waiting")
    old = T0 - timedelta(days=31)
    db.session.add_all([
        MailMessage(to_address="a@example.org", subject="Old", status="sent", attempts=1,
                    created_at=old, last_attempt_at=old, sent_at=old),
        MailMessage(to_address="b@example.org", subject="Recent", status="failed",
                    attempts=10, created_at=T0, last_attempt_at=T0 - timedelta(days=29)),
    ])
    db.session.commit()
    deliver_due(at(T0))
    assert sorted(row.subject for row in outbox_rows()) == ["Recent", "Still waiting"]


class SlowSMTP(FakeSMTP):
    """A server that takes a moment per message, so that two workers overlap."""

    def send_message(self, message):
        time.sleep(0.005)
        super().send_message(message)


@pytest.mark.committing
def test_two_workers_at_once_send_every_message_exactly_once(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setattr(smtplib, "SMTP", SlowSMTP)
    FakeSMTP.sent, FakeSMTP.calls = [], []
    with app.app_context():
        for number in range(40):
            send_mail(f"person{number}@example.org", "Voting is open", "Come and vote.")
        db.session.commit()
    barrier = threading.Barrier(2)
    reports = []

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            reports.append(deliver_due())
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    recipients = [message["To"] for message in sent_messages()]
    assert sorted(recipients) == sorted(f"person{n}@example.org" for n in range(40))
    assert sum(report.sent for report in reports) == 40
    assert all(report.sent > 0 for report in reports)  # both really worked, side by side
    with app.app_context():
        assert {row.status for row in outbox_rows()} == {"sent"}
        assert all(row.attempts == 1 for row in outbox_rows())


def test_the_worker_stops_cleanly_on_sigterm(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'worker.sqlite'}"
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": database})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    environment = {**os.environ, "PB_ENV": "testing", "PB_DATABASE_URL": database}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "send", "--watch",
         "--interval", "0.2"], cwd=Path(__file__).parents[2], env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        started = worker.stdout.readline()
        assert "Delivering mail every 0.2 s" in started
        time.sleep(0.5)  # a few passes over the empty outbox
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert output.strip().endswith("Stopped.")
