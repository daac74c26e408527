"""The mail tests' fake SMTP server and readers of what was sent and queued."""

from __future__ import annotations

import smtplib
import ssl

from sqlalchemy import select

from pb_app.extensions import db
from pb_app.mail.models import MailMessage


class FakeSMTP:
    """Stands in for smtplib.SMTP. ``calls`` keeps what was asked of the server, in order;
    a login with the password "wrong" is refused as a server would; while ``down`` is set,
    connecting fails as it does when nothing listens on the port."""

    sent: list = []
    calls: list = []
    down = False

    def __init__(self, host, port, timeout, context=None):
        if FakeSMTP.down:
            raise ConnectionRefusedError(111, "Connection refused")
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


def sent_messages() -> list:
    """The messages the fake server has accepted, as ``email.message.EmailMessage``."""
    return [message for _, message in FakeSMTP.sent]


def outbox_rows() -> list[MailMessage]:
    """Every row of the outbox, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))
