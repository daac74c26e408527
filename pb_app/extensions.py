"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import g, has_app_context, request
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Engine

# Named constraints let Alembic alter and drop them the same way on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()

# Methods that only read (RFC 9110, section 9.2.1); every other one may write.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Set on ``g`` when the app context's transactions should take SQLite's write lock as they
# begin: by ``lock_sqlite_for_writes``, ``sqlite_writes`` and ``begin_writing`` only.
WRITE_LOCK_FLAG = "sqlite_begin_immediate"


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """Turn on foreign keys and real transactions for SQLite connections.

    pysqlite opens transactions lazily and breaks SAVEPOINT; taking over BEGIN ourselves
    (see the ``begin`` listener) gives SQLite the same transaction semantics as PostgreSQL.
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection):
    """Start SQLite transactions explicitly (paired with ``_configure_sqlite``).

    A request that may write (``lock_sqlite_for_writes``), a command that writes
    (``sqlite_writes``) or a read that finds it must write (``begin_writing``) sets
    ``WRITE_LOCK_FLAG`` before its transaction begins: the transaction then takes the write
    lock at once and waits its turn (busy timeout), instead of failing when a stale read
    snapshot upgrades.
    """
    if connection.dialect.name != "sqlite":
        return
    immediate = has_app_context() and g.get(WRITE_LOCK_FLAG, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def lock_sqlite_for_writes() -> None:
    """Let every request that may change data (POST, PUT, PATCH, DELETE: any method but GET,
    HEAD, OPTIONS and TRACE) take SQLite's write lock with its first statement, so concurrent
    changes queue instead of failing (registered before any other request hook, so that no
    hook's read starts the transaction first)."""
    if request.method not in SAFE_METHODS:
        setattr(g, WRITE_LOCK_FLAG, True)


@contextmanager
def sqlite_writes() -> Iterator[None]:
    """Within the block, every transaction takes SQLite's write lock as it begins: for a
    command or worker whose every transaction writes (the one writer at a time is what keeps
    two workers apart). What was set before is restored after."""
    before = g.get(WRITE_LOCK_FLAG, False)
    setattr(g, WRITE_LOCK_FLAG, True)
    try:
        yield
    finally:
        setattr(g, WRITE_LOCK_FLAG, before)


def begin_writing() -> None:
    """Make sure the transaction may write, waiting its turn, on SQLite as on PostgreSQL.

    A GET's SQLite transaction begins as a read (``lock_sqlite_for_writes`` takes the write
    lock for the other methods only), and SQLite refuses ("database is locked") to let a read
    become a write once another writer has committed since it began: with many readers of a
    round that falls due, all but the first would fail. So that read, which has written
    nothing, is ended here, and the next transaction begins with the write lock (BEGIN
    IMMEDIATE) and then reads afresh. PostgreSQL needs nothing: its row locks serialise the
    writers.
    """
    if database_dialect() != "sqlite" or g.get(WRITE_LOCK_FLAG):
        return
    setattr(g, WRITE_LOCK_FLAG, True)
    db.session.commit()


def database_dialect() -> str:
    """The name of the database the session talks to: ``postgresql`` or ``sqlite``."""
    return db.session.get_bind().dialect.name


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL keeps the zone; SQLite drops it and hands back naive values. This type stores
    UTC and always returns aware UTC datetimes, so code can compare them with ``utcnow()``.
    A naive value given to it is refused: its zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be stored as UTC: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
