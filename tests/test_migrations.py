"""The reviewed migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import json
import os
import re
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from pb_app import create_app, database_uri
from pb_app.ballotbox import crypto
from pb_app.extensions import db
from pb_app.monitoring.models import SealedResponse
from pb_app.monitoring.services import answers_mac


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


ANSWERS = {"age_band": "25_34", "disability": "no", "gender_reassignment": "no",
           "marital_status": "married", "pregnancy_maternity": "neither",
           "ethnic_group": "white_scottish", "religion": "none", "sex": "female",
           "sexual_orientation": "straight", "area_type": "rural"}


def _old_round(connection, locality_id: int, title: str) -> int:
    """A draft round written as the schema before ``ballot_version`` had it; returns its id."""
    connection.execute(text(
        "INSERT INTO round (locality_id, title, description, budget_pence, "
        "min_project_cost_pence, max_project_cost_pence, priorities, is_group_proposals_allowed,"
        " is_ballot_order_fixed, minimum_voting_age, voter_verification, ballot_type, "
        "ballot_params, tally_rule, tally_params, tie_break, lottery_seed, phase, created_at) "
        "VALUES (:locality_id, :title, '', 100000, 0, 100000, '[]', false, false, 16, "
        "'self-declared', 'approval', '{}', 'greedy', '{}', 'support-cost-lottery', 'seed', "
        "'draft', CURRENT_TIMESTAMP)"), {"locality_id": locality_id, "title": title})
    return connection.execute(text("SELECT id FROM round WHERE title = :title"),
                              {"title": title}).scalar_one()


def test_the_upgrade_gives_each_round_a_ballot_version_of_its_own(migrated_app):
    """Every process keeps fixed ballots under the round's version: rounds that were there
    before it existed each get a random one, never a shared default."""
    flask_migrate.downgrade(revision="f145f7b91010")
    with db.engine.begin() as connection:
        locality_id = connection.execute(db.metadata.tables["locality"].insert().values(
            name="Eildon", slug="eildon", population=1000)).inserted_primary_key[0]
        for title in ("First", "Second"):
            _old_round(connection, locality_id, title)
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        versions = connection.execute(text("SELECT ballot_version FROM round")).scalars().all()
    assert len(versions) == len(set(versions)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{16}", version) for version in versions)


def _round_with_box(connection, locality_id: int, public_key: bytes, opened: bool) -> int:
    tables = db.metadata.tables
    round_id = _old_round(connection, locality_id, f"Round {opened}")
    connection.execute(tables["ballot_box"].insert().values(
        round_id=round_id, public_key=public_key, public_key_mac="0" * 64, threshold=1,
        opened_at=datetime.now(UTC) if opened else None))
    return round_id


def test_the_upgrade_seals_the_clear_answers_of_a_round_whose_box_is_not_opened(migrated_app):
    """Answers stored in the clear before sealed answers existed: those of a round still in
    voting are sealed to its box and their clear rows deleted; a counted round's stay."""
    flask_migrate.downgrade(revision="e5a0c41d7b3f")
    public_key, private_key = crypto.new_key_pair()
    with db.engine.begin() as connection:
        locality_id = connection.execute(db.metadata.tables["locality"].insert().values(
            name="Eildon", slug="eildon", population=1000)).inserted_primary_key[0]
        in_voting = _round_with_box(connection, locality_id, public_key, opened=False)
        counted = _round_with_box(connection, locality_id, public_key, opened=True)
        for round_id, sex in ((in_voting, "female"), (counted, "male")):
            row = {**ANSWERS, "sex": sex, "round_id": round_id, "locality_id": locality_id}
            connection.execute(text(
                f"INSERT INTO equalities_response ({', '.join(row)}, answered_on) "
                f"VALUES ({', '.join(':' + key for key in row)}, CURRENT_DATE)"), row)
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        clear = connection.execute(text("SELECT round_id, sex FROM equalities_response")).all()
        sealed = connection.execute(text(
            "SELECT id, round_id, sealed_answers, answers_mac FROM sealed_equalities_response"
        )).all()
    assert [tuple(row) for row in clear] == [(counted, "male")]
    unseal = crypto.padded_unsealer(private_key)
    assert [(row.round_id, json.loads(unseal(bytes(row.sealed_answers)))) for row in sealed] == [
        (in_voting, ANSWERS)]
    # padded and vouched for, as the app seals an answer, so the opening takes it
    response = SealedResponse(id=sealed[0].id, round_id=in_voting,
                              sealed_answers=bytes(sealed[0].sealed_answers))
    assert len(response.sealed_answers) == crypto.PADDING_BLOCK + 48
    assert sealed[0].answers_mac == answers_mac(response)
