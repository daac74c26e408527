"""Tally tests need no app and no database: the autouse ``db_session`` becomes a no-op."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def db_session():
    """Override the app-wide transactional fixture: the tally core never touches a database."""
    yield None
