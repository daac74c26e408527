"""Database types and settings shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from factories import UserFactory
from sql_sent import sql_sent
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from pb_app.accounts.models import User
from pb_app.extensions import db, lock_sqlite_for_writes, sqlite_writes


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


def _first_statement(app, method: str = "GET", *, inside=None) -> str:
    """The statement that begins the database transaction of a ``method`` request, opened
    inside the context manager ``inside`` if one is given."""
    with app.test_request_context("/", method=method), db.engine.connect() as connection, \
            sql_sent(connection) as sent:
        lock_sqlite_for_writes()
        if inside is None:
            connection.execute(text("SELECT 1"))
        else:
            with inside:
                connection.execute(text("SELECT 1"))
        connection.rollback()
    return sent[0][0]


@pytest.mark.committing
@pytest.mark.parametrize(("method", "begin"), [
    ("POST", "BEGIN IMMEDIATE"),
    ("PUT", "BEGIN IMMEDIATE"),
    ("PATCH", "BEGIN IMMEDIATE"),
    ("DELETE", "BEGIN IMMEDIATE"),
    ("GET", "BEGIN"),
    ("HEAD", "BEGIN"),
    ("OPTIONS", "BEGIN"),
])
def test_every_request_that_may_write_takes_the_sqlite_write_lock_first(app, method, begin):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("PostgreSQL locks rows, not the whole database")
    assert _first_statement(app, method) == begin


@pytest.mark.committing
def test_a_command_that_writes_takes_the_sqlite_write_lock_and_gives_it_back(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("PostgreSQL locks rows, not the whole database")
    assert _first_statement(app, inside=sqlite_writes()) == "BEGIN IMMEDIATE"
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError), sqlite_writes():
            raise RuntimeError("the command failed")
        assert _first_statement(app) == "BEGIN"  # the flag was restored after the failure


def test_the_sqlite_lock_is_decided_before_any_other_request_hook(app):
    assert app.before_request_funcs[None][0] is lock_sqlite_for_writes
