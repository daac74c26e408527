"""Shared fixtures: one app and one schema per session, each test rolled back.

Set ``PB_TEST_DATABASE_URL`` to run the suite on PostgreSQL; otherwise it runs on a
SQLite file in a temporary folder.
"""

from __future__ import annotations

import os

import pytest
from flask import g, has_app_context
from flask.globals import app_ctx
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session
from sqlalchemy.orm import scoped_session, sessionmaker

from pb_app import create_app
from pb_app.extensions import db


def _test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("PB_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, bound to a fresh test database whose tables exist once per session."""
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": _test_database_url(tmp_path_factory),
                      "PICTURES_DIR": str(tmp_path_factory.mktemp("pictures"))})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


class _ConnectionBoundSession(Session):
    """A session that sends every statement to the connection it was made with.

    Flask-SQLAlchemy's ``get_bind`` picks an engine by bind key and ignores ``bind=``; without
    this, what a view commits would go through a fresh connection and outlive the test.
    """

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def db_session(request, app):
    """Run each test inside a transaction that is rolled back afterwards.

    Requests made by the test client share the connection (and, through the app context the
    test has pushed, the session), so what a view commits is only a released savepoint. A
    domain error rolls the session back to its last commit: tests commit their setup first.
    Tests marked ``committing`` (real concurrent requests) get real commits instead, and
    every table is emptied after them.
    """
    if request.node.get_closest_marker("committing"):
        yield db.session
        _empty_all_tables(app)
        return
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original_session = db.session
        db.session = _session_bound_to(connection)
        try:
            with app.app_context():
                yield db.session
        finally:
            db.session.remove()
            db.session = original_session
            transaction.rollback()
            connection.close()


def _session_bound_to(connection) -> scoped_session:
    """A session registry like ``db.session`` (one session per app context, Flask-SQLAlchemy's
    session class and query class) whose sessions all use ``connection``, each commit
    releasing a savepoint inside the test's transaction."""
    factory = sessionmaker(
        db=db,
        bind=connection,
        class_=_ConnectionBoundSession,
        query_cls=db.Query,
        join_transaction_mode="create_savepoint",
    )
    return scoped_session(factory, scopefunc=_app_context_id)


def _app_context_id() -> int:
    """The id of the current app context, the scope Flask-SQLAlchemy gives ``db.session``."""
    return id(app_ctx._get_current_object())


def _empty_all_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # The audit tables refuse DELETE by trigger. Tests connect as a superuser,
                # who may switch triggers off for this one cleanup transaction.
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


class _TestClient(FlaskClient):
    """A test client that forgets the signed-in user between requests.

    Requests reuse the app context the ``db_session`` fixture pushed, and Flask-Login caches
    the user on ``g`` there; without this, a sign-in or sign-out in the middle of a test
    would not be seen by the next request.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    """A test client for the app."""
    app.test_client_class = _TestClient
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for the app's command-line commands."""
    return app.test_cli_runner()


@pytest.fixture
def sign_in(client):
    """``sign_in(user)`` makes ``client`` signed in as ``user`` (no form, no throttle) and
    returns the client."""

    def _sign_in(user):
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return client

    return _sign_in
