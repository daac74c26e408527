"""What one vote costs the database: the SQL statements a whole vote by voting code sends, from
the code page to the receipt, counted on the connection. (Time is measured by
``benchmarks/web_load.py``, not here.)

Each request starts with an empty session, as it does in production, so that nothing the test
loaded earlier saves a query. The test harness turns each commit into a savepoint's release and
a new savepoint; those are not the app's statements and are not counted.
"""

from __future__ import annotations

import re

from sql_sent import sql_sent
from sqlalchemy import select

from pb_app.extensions import db
from pb_app.voting.models import Participation
from pb_app.voting.services import generate_voting_codes
from voting.builders import lead_of, project_ids, voting_round
from voting.helpers import counts, receipt_in

# Once voting is open, each app process keeps the ballot's projects (``voting.projects``) and
# the box's checked key (``ballotbox.services.seal_ballot``), so a vote reads neither. Code page:
# the round. Code and choices: the round, the code (with whether it was used, and whether the
# postcode lies in the round's locality). Confirm: the round, the participation, the sealed
# ballot (written only if the box still holds the key and is unopened).
STATEMENTS_PER_STEP = {"code page": 1, "code and choices": 2, "confirm": 3}


def request_alone(send):
    """Send one request with nothing loaded beforehand; return it and the statements the app
    sent (the harness's savepoints left out)."""
    db.session.expunge_all()
    with sql_sent() as sent:
        response = send()
    return response, [statement for statement, _ in sent if not statement.lstrip().upper()
                      .startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def code_round(eildon, codes: int = 1):
    """A voting-code round in Eildon, and ``codes`` codes for it."""
    round_ = voting_round(eildon, voter_verification="voting-code")
    made = generate_voting_codes(round_, lead_of(eildon), codes)
    db.session.commit()
    return round_.id, made, project_ids(round_)


def vote_by_code(client, round_id: int, code: str, projects: list[str]):
    """The three requests of a vote by code, each alone; returns the statements of each step."""
    page, page_sql = request_alone(lambda: client.get(f"/rounds/{round_id}/vote/code"))
    assert page.status_code == 200 and f'value="{projects[0]}"' in page.get_data(as_text=True)
    reviewed, review_sql = request_alone(lambda: client.post(f"/rounds/{round_id}/vote/code", data={
        "code": code, "postcode": "TD1 2XY", "date_of_birth": ["1", "2", "1960"],
        "project": projects}))
    assert reviewed.status_code == 200 and "Check your choices" in reviewed.get_data(as_text=True)
    confirmed, confirm_sql = request_alone(
        lambda: client.post(f"/rounds/{round_id}/vote/confirm", data={}))
    assert receipt_in(confirmed.get_data(as_text=True))
    return {"code page": page_sql, "code and choices": review_sql, "confirm": confirm_sql}


def test_a_whole_vote_by_code_costs_at_most_ten_statements(app, client, eildon):
    round_id, (earlier, code), (first, second, *_) = code_round(eildon, codes=2)
    vote_by_code(app.test_client(), round_id, earlier, [first])  # another voter, before
    spent = vote_by_code(client, round_id, code, [first, second])
    assert {step: len(sql) for step, sql in spent.items()} == STATEMENTS_PER_STEP, spent
    assert sum(STATEMENTS_PER_STEP.values()) <= 10
    assert counts(round_id) == (2, 2)


def test_the_first_vote_a_process_takes_reads_the_projects_once(client, eildon):
    round_id, (code,), (first, *_) = code_round(eildon)
    spent = vote_by_code(client, round_id, code, [first])
    projects = [step for step, sql in spent.items() for statement in sql
                if re.search(r"\bFROM proposal\b", statement)]
    assert projects == ["code page"]


def test_a_vote_by_code_reads_no_table_twice_in_one_request(client, eildon):
    """The work the old journey repeated: the round after the commit, the projects twice, and a
    clean-up of code attempts when the code was right."""
    round_id, (code,), (first, *_) = code_round(eildon)
    for send in (lambda: client.post(f"/rounds/{round_id}/vote/code", data={
                     "code": code, "postcode": "TD1 2XY", "date_of_birth": ["1", "2", "1960"],
                     "project": first}),
                 lambda: client.post(f"/rounds/{round_id}/vote/confirm", data={})):
        _, sent = request_alone(send)
        tables = [re.search(r"\bFROM\s+(\w+)", statement).group(1) for statement in sent
                  if statement.lstrip().startswith("SELECT")]
        assert len(tables) == len(set(tables)), sent
        assert not any("code_attempt" in statement for statement in sent)
    assert db.session.scalar(select(Participation.channel)) == "code"


def test_ballot_pages_read_only_what_they_show_of_each_project(client, eildon):
    """A project's description, costing and review records can be long; the ballot pages read
    its title, summary and cost only (and its photos)."""
    round_id, _codes, _projects = code_round(eildon)
    response, sent = request_alone(lambda: client.get(f"/rounds/{round_id}/vote/code"))
    assert response.status_code == 200
    projects = [statement for statement in sent if re.search(r"\bFROM proposal\b", statement)]
    assert len(projects) == 1
    for column in ("description", "check_results", "outcomes", "conflict_of_interest"):
        assert f"proposal.{column}" not in projects[0]
