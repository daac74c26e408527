"""With the mail server down, every page that sends mail still saves and answers as usual:
the message waits in the outbox and ``flask mail send`` delivers it once the server is back.

Before the outbox, mail went out inside the request after the commit: each of these answered
500 ("nothing was saved") although the change was saved, and a reset request told existing
accounts from unknown ones by that 500.
"""

from __future__ import annotations

import re
from datetime import date

import voting.builders as voting
from factories import ProposalFactory, RoundFactory
from voting.helpers import receipt_in, vote
from werkzeug.datastructures import MultiDict

from mail.helpers import outbox_rows, sent_messages
from pb_app.extensions import db
from pb_app.proposals.models import Status
from pb_app.rounds.models import Phase


def test_a_lead_s_decision_is_saved_and_its_email_waits_for_the_server(
        client, sign_in, eildon, lead, resident, smtp_down, runner):
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.REVIEW),
                               proposer=resident)
    db.session.commit()
    sign_in(lead)
    response = client.post(f"/proposals/{proposal.id}/decide", data={
        "decision": "accept", "feasibility": "feasible", "fit": "strong",
        "reason": "A good plan."})
    assert response.status_code == 302
    db.session.expire_all()
    assert proposal.status == Status.ACCEPTED.value
    [waiting] = outbox_rows()
    assert (waiting.status, waiting.to_address) == ("pending", resident.email)

    assert "to retry 1" in runner.invoke(args=["mail", "send"]).output  # still down
    smtp_down.down = False
    db.session.execute(db.update(type(waiting)).values(next_attempt_at=waiting.created_at))
    db.session.commit()
    assert "sent 1" in runner.invoke(args=["mail", "send"]).output
    assert "sent 0" in runner.invoke(args=["mail", "send"]).output
    [message] = sent_messages()
    assert message["To"] == resident.email and "A good plan." in message.get_content()


def test_a_reset_request_answers_the_same_for_existing_and_unknown_accounts(
        client, resident, smtp_down):
    db.session.commit()
    known = client.post("/reset-password", data={"email": resident.email})
    unknown = client.post("/reset-password", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert (known.get_data(as_text=True).replace(resident.email, "EMAIL")
            == unknown.get_data(as_text=True).replace("nobody@example.org", "EMAIL"))
    [waiting] = outbox_rows()
    assert (waiting.to_address, waiting.subject) == (resident.email, "Reset your password")


def test_a_voter_who_asks_for_an_emailed_receipt_sees_it_on_screen_while_mail_is_down(
        client, sign_in, smtp_down, runner):
    round_ = voting.voting_round(voting.place("Eildon", "TD1"))
    voter = voting.resident("Voter", "TD1 3AB", date(1986, 4, 1))
    sign_in(voter)
    choice = [("project", voting.project_ids(round_)[0])]
    response = vote(client, round_.id, [*choice, ("email_receipt", "y")])
    assert response.status_code == 200
    receipt = receipt_in(response.get_data(as_text=True))
    [waiting] = outbox_rows()
    assert (waiting.status, waiting.to_address) == ("pending", voter.email)
    assert receipt.encode() not in waiting.body  # sealed: the database cannot link them

    again = client.post(f"/rounds/{round_.id}/vote/confirm", data=MultiDict(choice))
    assert again.status_code in (403, 409)  # the vote was saved: once is enough
    assert "You have already voted in this round" in again.get_data(as_text=True)

    smtp_down.down = False
    runner.invoke(args=["mail", "send"])
    [message] = sent_messages()
    assert re.search(rf"Your receipt code is {receipt}\b", message.get_content())
    assert outbox_rows()[0].body is None
