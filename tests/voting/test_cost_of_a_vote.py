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

# Code page: the round, the projects. Code and choices: the round, the code (and whether it was
# used), the postcode's locality, the projects. Confirm: the round, the participation, the box,
# the sealed ballot.
STATEMENTS_PER_STEP = {"code page": 2, "code and choices": 4, "confirm": 4}


def request_alone(send):
    """Send one request with nothing loaded beforehand; return it and the statements the app
    sent (the harness's savepoints left out)."""
    db.session.expunge_all()
    with sql_sent() as sent:
        response = send()
    return response, [statement for statement, _ in sent if not statement.lstrip().upper()
                      .startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def code_round(eildon):
    """A voting-code round in Eildon, and one code for it."""
    round_ = voting_round(eildon, voter_verification="voting-code")
    code, = generate_voting_codes(round_, lead_of(eildon), 1)
    db.session.commit()
    return round_.id, code, project_ids(round_)


def test_a_whole_vote_by_code_costs_at_most_ten_statements(client, eildon):
    round_id, code, (first, second, *_) = code_round(eildon)
    page, page_sql = request_alone(lambda: client.get(f"/rounds/{round_id}/vote/code"))
    assert page.status_code == 200 and f'value="{first}"' in page.get_data(as_text=True)
    reviewed, review_sql = request_alone(lambda: client.post(f"/rounds/{round_id}/vote/code", data={
        "code": code, "postcode": "TD1 2XY", "date_of_birth": ["1", "2", "1960"],
        "project": [first, second]}))
    assert reviewed.status_code == 200 and "Check your choices" in reviewed.get_data(as_text=True)
    confirmed, confirm_sql = request_alone(
        lambda: client.post(f"/rounds/{round_id}/vote/confirm", data={}))
    assert receipt_in(confirmed.get_data(as_text=True))
    spent = {"code page": page_sql, "code and choices": review_sql, "confirm": confirm_sql}
    assert {step: len(sql) for step, sql in spent.items()} == STATEMENTS_PER_STEP, spent
    assert sum(STATEMENTS_PER_STEP.values()) <= 10
    assert counts(round_id) == (1, 1)


def test_a_vote_by_code_reads_no_table_twice_in_one_request(client, eildon):
    """The work the old journey repeated: the round after the commit, the projects twice, and a
    clean-up of code attempts when the code was right."""
    round_id, code, (first, *_) = code_round(eildon)
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
    """A project's description, costing and review records can be long; the code page and the
    review read its title, summary, cost and status only (and its photos)."""
    round_id, code, (first, *_) = code_round(eildon)
    for send in (lambda: client.get(f"/rounds/{round_id}/vote/code"),
                 lambda: client.post(f"/rounds/{round_id}/vote/code", data={
                     "code": code, "postcode": "TD1 2XY", "date_of_birth": ["1", "2", "1960"],
                     "project": first})):
        response, sent = request_alone(send)
        assert response.status_code == 200
        projects = [statement for statement in sent if re.search(r"\bFROM proposal\b", statement)]
        assert len(projects) == 1
        for column in ("description", "check_results", "outcomes", "conflict_of_interest"):
            assert f"proposal.{column}" not in projects[0]
