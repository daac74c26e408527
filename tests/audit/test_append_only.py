"""On PostgreSQL the database refuses UPDATE, DELETE and TRUNCATE on the audit tables, both
in tables built from the models (the tests) and in tables built by the migrations."""

from __future__ import annotations

import flask_migrate
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from test_migrations import empty_database

from pb_app import create_app
from pb_app.audit.services import record_checkpoint, record_event, verify_chain
from pb_app.extensions import db

REFUSED = [
    "UPDATE audit_entry SET action = 'rewritten'",
    "DELETE FROM audit_entry WHERE sequence = 1",
    "DELETE FROM audit_entry",
    "TRUNCATE audit_entry CASCADE",
    "UPDATE audit_checkpoint SET hash = repeat('0', 64)",
    "DELETE FROM audit_checkpoint",
    "TRUNCATE audit_checkpoint",
]


@pytest.fixture
def postgresql_only():
    """Skip on SQLite, which has no TRUNCATE and whose file anyone who can write it can edit:
    the trigger guards the production database, PostgreSQL."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")


@pytest.mark.parametrize("statement", REFUSED)
def test_changing_or_removing_audit_rows_is_refused(postgresql_only, statement):
    record_event("test.step", after={"n": 1})
    record_checkpoint("test")
    with pytest.raises(DBAPIError, match="the audit trail is append-only"):
        with db.session.begin_nested():
            db.session.execute(text(statement))
    assert verify_chain().is_intact


def test_the_migrations_create_the_trigger(postgresql_only, tmp_path):
    with empty_database(tmp_path) as url:
        app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
        with app.app_context():
            flask_migrate.upgrade()
            try:
                record_event("test.migrated")
                db.session.commit()
                for statement in ("UPDATE audit_entry SET action = 'x'",
                                  "DELETE FROM audit_entry", "TRUNCATE audit_checkpoint"):
                    with pytest.raises(DBAPIError, match="the audit trail is append-only"):
                        db.session.execute(text(statement))
                    db.session.rollback()
                assert verify_chain().entries_checked == 1
            finally:
                db.session.remove()
                db.engine.dispose()
