"""A project withdrawn after the vote: never funded, its votes set aside, the count says why;
only a lead of the locality may do it, with a reason, between the close and the sign-off."""

from __future__ import annotations

import json
import threading
from functools import partial

import pytest
from concurrently import run_together
from factories import RoundFactory
from sqlalchemy import select

from pb_app.accounts.models import User
from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.results.presentation import explain
from pb_app.results.services import count_round, publish_result, sign_off, withdraw_after_vote
from pb_app.rounds.models import Phase, Round
from results.builders import cast, make_projects, staff

REASON = "The hall it needed has closed."


@pytest.fixture
def closed():
    """Lunch club £4,000 (5 votes), transport £5,000 (4), walks £2,000 (3); £10,000."""
    round_ = RoundFactory(to_count=True, budget_pence=1_000_000)
    lunch, transport, walks = make_projects(
        round_, {"Lunch club": 400_000, "Community transport": 500_000, "Walking group": 200_000})
    cast(round_, [lunch, transport], times=3)
    cast(round_, [lunch, walks], times=2)
    cast(round_, [transport, walks], times=1)
    lead, officer, _ = staff(round_)
    db.session.commit()
    return round_, {"lunch": lunch, "transport": transport, "walks": walks}, lead, officer


def _withdraw(client, round_, project, reason=REASON):
    return client.post(f"/results/round/{round_.id}/withdraw",
                       data={"project": str(project.id), "reason": reason})


def test_a_withdrawn_project_is_not_funded_and_the_count_says_why(client, sign_in, closed):
    round_, projects, lead, officer = closed
    sign_in(lead)
    page = client.get(f"/results/round/{round_.id}/count").text
    assert "Withdraw a project from the count" in page
    assert _withdraw(client, round_, projects["lunch"]).status_code == 302
    assert round_.withdrawn_after_vote == {str(projects["lunch"].id): REASON}
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "round.project_withdrawn"))
    assert json.loads(entry.after_json) == {"project_id": str(projects["lunch"].id),
                                            "reason": REASON}
    assert f"Lunch club: {REASON}" in client.get(f"/results/round/{round_.id}/count").text

    snapshot = count_round(round_, lead)
    assert set(json.loads(snapshot.winners_json)) == {str(projects["transport"].id),
                                                      str(projects["walks"].id)}
    lunch = next(o for o in explain(snapshot).outcomes if o.title == "Lunch club")
    assert not lunch.is_funded and "withdrawn after the vote" in lunch.why
    sign_off(snapshot, officer)
    publish_result(round_, lead)
    db.session.commit()
    assert f"Lunch club: {REASON}" in client.get(f"/results/round/{round_.id}").text


@pytest.mark.parametrize("fields, message", [
    ({"reason": ""}, "Say why the project is withdrawn"),
    ({"project": ""}, "Choose the project to withdraw"),
    ({"project": "999999"}, "Choose a project on the ballot"),
])
def test_a_withdrawal_needs_a_project_on_the_ballot_and_a_reason(
        client, sign_in, closed, fields, message):
    round_, projects, lead, _ = closed
    sign_in(lead)
    data = {"project": str(projects["lunch"].id), "reason": REASON, **fields}
    refused = client.post(f"/results/round/{round_.id}/withdraw", data=data)
    assert refused.status_code == 422
    assert message in refused.text and "govuk-error-summary" in refused.text
    db.session.refresh(round_)
    assert round_.withdrawn_after_vote == {}


def test_only_a_lead_between_the_close_and_the_sign_off(client, sign_in, closed):
    round_, projects, lead, officer = closed
    sign_in(officer)
    assert _withdraw(client, round_, projects["lunch"]).status_code == 403
    sign_in(lead)
    round_.phase = Phase.VOTING.value
    db.session.commit()
    assert _withdraw(client, round_, projects["lunch"]).status_code == 409
    round_.phase = Phase.CLOSED.value
    db.session.commit()
    sign_off(count_round(round_, lead), officer)
    db.session.commit()
    refused = _withdraw(client, round_, projects["lunch"])
    assert refused.status_code == 409 and "signed off" in refused.text
    db.session.refresh(round_)
    assert round_.withdrawn_after_vote == {}


def test_at_least_one_project_stays_in_the_count(client, sign_in, closed):
    round_, projects, lead, _ = closed
    sign_in(lead)
    assert _withdraw(client, round_, projects["lunch"]).status_code == 302
    assert _withdraw(client, round_, projects["walks"]).status_code == 302
    refused = _withdraw(client, round_, projects["transport"])
    assert refused.status_code == 409 and "At least one project must stay" in refused.text
    again = _withdraw(client, round_, projects["lunch"])
    assert again.status_code == 422 and "already withdrawn" in again.text


@pytest.mark.committing
def test_two_withdrawals_at_once_both_count(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the row lock is PostgreSQL's")
    with app.app_context():
        round_ = RoundFactory(to_count=True, budget_pence=1_000_000)
        projects = make_projects(round_, {"Lunch club": 400_000, "Community transport": 500_000,
                                          "Walking group": 200_000})
        lead = staff(round_)[0]
        db.session.commit()
        ids = (round_.id, lead.id, [str(p.id) for p in projects[:2]])
        db.session.remove()
    round_id, lead_id, withdrawing = ids
    barrier = threading.Barrier(2)

    def withdraw(project_id: str) -> None:
        with app.app_context():
            round_, lead = db.session.get(Round, round_id), db.session.get(User, lead_id)
            barrier.wait()
            withdraw_after_vote(round_, lead, project_id, REASON)
            db.session.commit()
            db.session.remove()

    run_together(*(partial(withdraw, project_id) for project_id in withdrawing))
    with app.app_context():
        assert set(db.session.get(Round, round_id).withdrawn_after_vote) == set(withdrawing)
        db.session.remove()
