"""Fixtures for the accounts tests."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def mail_log(app, caplog):
    """Capture the app log, where the "log" mail backend writes every message it sends."""
    caplog.set_level(logging.INFO, logger=app.logger.name)
    return caplog
