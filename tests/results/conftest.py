"""Fixtures shared by the results tests."""

from __future__ import annotations

import pytest
from flask import g


@pytest.fixture
def sign_in_as(sign_in):
    """Sign in as a user; also drop Flask-Login's user cached on ``g`` by an earlier request
    (the test's app context outlives each request)."""

    def _as(user):
        g.pop("_login_user", None)
        return sign_in(user)

    return _as
