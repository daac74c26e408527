"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from __future__ import annotations

from datetime import UTC, datetime

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

    A request that may write (``lock_sqlite_for_writes``) or a command that writes sets
    ``g.sqlite_begin_immediate`` before it touches the database: its transaction then takes
    the write lock at once and waits its turn (busy timeout), instead of failing when a stale
    read snapshot upgrades.
    """
    if connection.dialect.name != "sqlite":
        return
    from flask import g, has_app_context

    immediate = has_app_context() and g.get("sqlite_begin_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def lock_sqlite_for_writes() -> None:
    """Let every request that may change data (POST, PUT, PATCH, DELETE: any method but GET,
    HEAD, OPTIONS and TRACE) take SQLite's write lock with its first statement, so concurrent
    changes queue instead of failing (registered before any other request hook, so that no
    hook's read starts the transaction first)."""
    from flask import g, request

    if request.method not in SAFE_METHODS:
        g.sqlite_begin_immediate = True


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
