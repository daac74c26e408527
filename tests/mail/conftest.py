"""Fixtures for the mail tests: a fake SMTP server at the edge of the world, and one that
is down."""

from __future__ import annotations

import smtplib

import pytest
from rounds.fixtures import eildon, lead, resident  # noqa: F401

from mail.helpers import FakeSMTP, FakeSMTP_SSL


@pytest.fixture
def smtp_server(app, monkeypatch):
    """The SMTP backend pointed at the fake server (up); yields its record of calls."""
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSMTP_SSL)
    monkeypatch.setattr(FakeSMTP, "down", False)
    FakeSMTP.sent, FakeSMTP.calls = [], []
    return FakeSMTP.calls


@pytest.fixture
def smtp_down(smtp_server, monkeypatch):
    """The SMTP backend with its server refusing connections; ``FakeSMTP.down = False``
    brings it back."""
    monkeypatch.setattr(FakeSMTP, "down", True)
    return FakeSMTP
