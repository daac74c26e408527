"""Database types and settings shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from factories import UserFactory
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from pb_app.accounts.models import User
from pb_app.extensions import db


def test_datetimes_come_back_aware_and_in_utc_on_every_database():
    summer = timezone(timedelta(hours=1))
    user = UserFactory(created_at=datetime(2026, 6, 1, 9, 30, tzinfo=summer))
    db.session.flush()
    db.session.expire(user)
    assert user.created_at == datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    assert user.created_at.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused_rather_than_guessed():
    with pytest.raises(StatementError, match="naive datetime"):
        UserFactory(created_at=datetime(2026, 6, 1, 9, 30))  # the factory flushes


def test_sqlite_connections_enforce_foreign_keys():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL always enforces foreign keys")
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_stored_utc_time_compares_with_a_fresh_aware_time():
    UserFactory(email="jean@example.org")
    db.session.flush()
    db.session.expire_all()
    stored = db.session.scalar(select(User.created_at))
    assert stored < datetime.now(UTC) + timedelta(seconds=1)
