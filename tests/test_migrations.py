"""The reviewed migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from pb_app import create_app, database_uri
from pb_app.extensions import db


@contextmanager
def empty_database(tmp_path):
    """Yield the URL of a brand-new empty database of the kind the suite runs on."""
    url = os.environ.get("PB_TEST_DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path / "migrated.sqlite")
        return
    server = make_url(database_uri(create_app({"ENV_NAME": "testing", "DATABASE_URL": url})))
    name = f"pb_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrated_app(tmp_path):
    """An app whose empty database has been upgraded to the newest revision."""
    with empty_database(tmp_path) as url:
        app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
        with app.app_context():
            flask_migrate.upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()


def test_migrations_leave_no_pending_autogenerate_diff(migrated_app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_downgrade_to_an_empty_database(migrated_app):
    flask_migrate.downgrade(revision="base")
    with db.engine.connect() as connection:
        remaining = set(inspect(connection).get_table_names()) - {"alembic_version"}
    assert remaining == set()
