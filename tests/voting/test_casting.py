"""Casting online with an account: choose -> review -> confirm, eligibility, refusals."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from ballotbox.builders import peek
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from pb_app.extensions import db
from pb_app.voting.ballots import Choices
from pb_app.voting.codes import hash_code
from pb_app.voting.models import Participation
from voting.builders import CLOSES_ON, place, project_ids, resident, voting_round
from voting.helpers import counts, receipt_in, vote


def test_a_resident_chooses_reviews_confirms_and_gets_a_receipt(client, sign_in, approval_round,
                                                                   voter):
    sign_in(voter)
    first, second, *_ = project_ids(approval_round)
    start = client.get(f"/rounds/{approval_round.id}/vote").get_data(as_text=True)
    assert "You can vote in this round." in start
    page = client.get(f"/rounds/{approval_round.id}/vote/ballot").get_data(as_text=True)
    assert page.count('name="project"') == 5 and "Choose up to 3 projects." in page
    fields = [("project", first), ("project", second)]
    reviewed = client.post(f"/rounds/{approval_round.id}/vote/review", data=MultiDict(fields))
    assert "Check your choices" in reviewed.get_data(as_text=True)
    assert counts(approval_round.id) == (0, 0)
    confirmed = client.post(f"/rounds/{approval_round.id}/vote/confirm", data=MultiDict(fields))
    assert confirmed.status_code == 200
    assert confirmed.headers["Cache-Control"] == "no-store"
    receipt = receipt_in(confirmed.get_data(as_text=True))
    questionnaire = re.search(r'href="([^"]+)" id="questionnaire"', confirmed.get_data(True))
    assert client.get(questionnaire.group(1)).status_code == 200
    participation = db.session.scalar(select(Participation))
    [(ballot, choices)] = peek(approval_round)
    assert (participation.user_id, participation.channel, participation.age_years) == (
        voter.id, "online", CLOSES_ON.year - 1986 - ((CLOSES_ON.month, CLOSES_ON.day) < (4, 1)))
    assert ballot.receipt_hash == hash_code(receipt)
    assert receipt.replace("-", "") not in choices.to_json() + ballot.id
    assert choices == Choices(tuple(sorted([first, second])))
    assert (ballot.channel, ballot.cast_on, ballot.round_id) == (
        "online", datetime.now(UTC).date(), approval_round.id)


def test_a_second_ballot_is_refused_and_nothing_more_is_stored(client, sign_in, approval_round,
                                                               voter):
    sign_in(voter)
    first = project_ids(approval_round)[0]
    assert vote(client, approval_round.id, [("project", first)]).status_code == 200
    again = client.post(f"/rounds/{approval_round.id}/vote/confirm",
                        data=MultiDict([("project", first)]))
    assert again.status_code == 403
    assert "You have already voted in this round (online)" in again.get_data(as_text=True)
    assert counts(approval_round.id) == (1, 1)
    start = client.get(f"/rounds/{approval_round.id}/vote").get_data(as_text=True)
    assert f'id="check-receipt" href="/rounds/{approval_round.id}/receipt"' in start


def test_tampered_confirmations_are_refused_and_store_nothing(client, sign_in, eildon,
                                                              approval_round, voter):
    """Confirming casts the choices the review page showed, never what the confirmation
    posts: without a review nothing is cast, and fields changed after it are ignored."""
    other = voting_round(place("Cheviot", "TD5"), title="Cheviot 2026")
    sign_in(voter)
    ours = project_ids(approval_round)
    for fields in ([("project", project_ids(other)[0])], [("project", p) for p in ours[:4]],
                   [("project", ours[0]), ("project", ours[0])], [("points-" + ours[0], "3")],
                   [("project", ours[0])]):
        refused = client.post(f"/rounds/{approval_round.id}/vote/confirm", data=MultiDict(fields))
        assert refused.status_code == 422
        assert "Your choices were not found" in refused.get_data(as_text=True)
    assert counts() == (0, 0)
    reviewed = client.post(f"/rounds/{approval_round.id}/vote/review",
                           data=MultiDict([("project", ours[1])]))
    assert reviewed.status_code == 200
    cast = client.post(f"/rounds/{approval_round.id}/vote/confirm",
                       data=MultiDict([("project", p) for p in ours[:4]]))
    assert cast.status_code == 200
    assert [choices for _, choices in peek(approval_round)] == [Choices((ours[1],))]


def test_a_review_for_one_round_or_voter_does_not_confirm_another(client, sign_in, eildon,
                                                                  approval_round, voter):
    other = voting_round(eildon, title="Eildon Small Grants")
    sign_in(voter)
    client.post(f"/rounds/{other.id}/vote/review",
                data=MultiDict([("project", project_ids(other)[0])]))
    refused = client.post(f"/rounds/{approval_round.id}/vote/confirm")
    assert refused.status_code == 422
    sign_in(resident("Neighbour", "TD1 3AB", date(1980, 1, 1)))
    assert client.post(f"/rounds/{other.id}/vote/confirm").status_code == 422
    assert counts() == (0, 0)


def test_review_shows_the_choose_page_again_with_the_error(client, sign_in, approval_round, voter):
    sign_in(voter)
    ours = project_ids(approval_round)
    page = client.post(f"/rounds/{approval_round.id}/vote/review",
                       data=MultiDict([("project", p) for p in ours]))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "You can choose up to 3 projects; you chose 5." in html
    assert html.count("checked") == 5


def test_ineligible_residents_are_told_each_rule_that_stops_them(client, sign_in, approval_round):
    too_young = CLOSES_ON.replace(year=CLOSES_ON.year - 16) + timedelta(days=1)
    elsewhere = resident("Away", "EH45 8AA", too_young)
    sign_in(elsewhere)
    html = client.get(f"/rounds/{approval_round.id}/vote").get_data(as_text=True)
    assert "EH45 8AA is in Tweeddale, not Eildon." in html
    assert f"You must be at least 16 on {CLOSES_ON:%-d %B %Y}, the day voting closes." in html
    assert "You will be 15 then." in html
    refused = client.get(f"/rounds/{approval_round.id}/vote/ballot")
    assert refused.status_code == 403


def test_sixteen_on_the_closing_day_is_old_enough(client, sign_in, approval_round):
    sixteen_that_day = resident("Young", "TD1 2AA", CLOSES_ON.replace(year=CLOSES_ON.year - 16))
    sign_in(sixteen_that_day)
    response = vote(client, approval_round.id, [("project", project_ids(approval_round)[1])])
    assert response.status_code == 200
    assert counts(approval_round.id) == (1, 1)


def test_a_resident_confirms_their_email_before_voting(client, sign_in, approval_round, outbox):
    unconfirmed = resident("New", "TD1 4AA", date(1990, 1, 1), confirmed=False)
    sign_in(unconfirmed)
    start = client.get(f"/rounds/{approval_round.id}/vote").get_data(as_text=True)
    assert "Confirm your email address before you vote" in start
    assert client.get(f"/rounds/{approval_round.id}/vote/ballot").status_code == 403
    client.post(f"/rounds/{approval_round.id}/vote/confirm-email")
    link = re.search(r"http://localhost(/vote/confirm-email/[\w.-]+)",
                     outbox[-1].get_content()).group(1)
    assert client.get(link[:-3] + "abc").status_code == 422
    opened = client.get(link)  # as a mail scanner would: a button, nothing confirmed yet
    assert opened.status_code == 200 and "Confirm my email address" in opened.text
    assert unconfirmed.email_confirmed_at is None
    assert client.post(link).status_code == 302
    assert "You can vote in this round." in client.get(
        f"/rounds/{approval_round.id}/vote").get_data(as_text=True)


def test_an_email_link_confirms_only_for_the_account_it_was_sent_to(client, sign_in,
                                                                   approval_round, outbox):
    """Someone signed in to an account at another person's address asks for a link; its owner
    opens it: signed out they are asked to sign in, signed in as themselves they are refused,
    and the address stays unconfirmed."""
    impostor = resident("Impostor", "TD1 4AA", date(1990, 1, 1), confirmed=False)
    sign_in(impostor)
    client.post(f"/rounds/{approval_round.id}/vote/confirm-email")
    link = re.search(r"http://localhost(/vote/confirm-email/[\w.-]+)",
                     outbox[-1].get_content()).group(1)
    owner = client.application.test_client()
    for method in (owner.get, owner.post):
        assert urlsplit(method(link).location).path == "/sign-in"
    someone = resident("Owner", "TD1 4AB", date(1980, 1, 1))
    with owner.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(someone.id), True
    assert owner.get(link).status_code == 403
    assert owner.post(link).status_code == 403
    db.session.refresh(impostor)
    assert impostor.email_confirmed_at is None


def test_voting_closed_at_its_date_or_not_yet_open_refuses_ballots(client, sign_in,
                                                                   approval_round, voter):
    sign_in(voter)
    fields = [("project", project_ids(approval_round)[0])]
    approval_round.voting_close_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.flush()
    closed = client.post(f"/rounds/{approval_round.id}/vote/confirm", data=MultiDict(fields))
    assert closed.status_code == 409
    assert "Voting in this round has closed." in closed.get_data(as_text=True)
    approval_round.voting_close_at = datetime.now(UTC) + timedelta(days=3)
    approval_round.voting_open_at = datetime.now(UTC) + timedelta(days=1)
    db.session.flush()
    early = client.post(f"/rounds/{approval_round.id}/vote/confirm", data=MultiDict(fields))
    assert early.status_code == 409 and "opens on" in early.get_data(as_text=True)
    assert counts() == (0, 0)


def test_anonymous_visitors_are_asked_to_sign_in_or_use_a_code(client, approval_round):
    start = client.get(f"/rounds/{approval_round.id}/vote").get_data(as_text=True)
    here = f"/rounds/{approval_round.id}/vote"
    assert f'href="/sign-in?next={here}"' in start and f'href="/register?next={here}"' in start
    refused = client.post(f"/rounds/{approval_round.id}/vote/confirm",
                          data=MultiDict([("project", project_ids(approval_round)[0])]))
    assert refused.status_code == 403 and "Sign in to vote" in refused.get_data(as_text=True)


def test_the_receipt_can_be_emailed_and_checked(client, sign_in, sign_out, approval_round, voter,
                                                outbox):
    sign_in(voter)
    first = project_ids(approval_round)[0]
    client.post(f"/rounds/{approval_round.id}/vote/review", data=MultiDict([("project", first)]))
    confirmed = client.post(f"/rounds/{approval_round.id}/vote/confirm",
                            data=MultiDict([("project", first), ("email_receipt", "y")]))
    receipt = receipt_in(confirmed.get_data(as_text=True))
    email, = outbox
    assert email["To"] == voter.email
    assert f"Your receipt code is {receipt}" in email.get_content()
    assert f"http://localhost/rounds/{approval_round.id}/receipt" in email.get_content()
    assert "Project" not in email["Subject"] + email.get_content()
    sign_out()
    checked = client.post(f"/rounds/{approval_round.id}/receipt",
                          data={"receipt": receipt.lower().replace("-", " ")})
    assert checked.status_code == 200
    assert "Your ballot is in the ballot box" in checked.get_data(True)
    wrong = client.post(f"/rounds/{approval_round.id}/receipt", data={"receipt": "ABCDE"})
    assert wrong.status_code == 422
    assert "No ballot in this round has that receipt code" in wrong.get_data(as_text=True)


def test_a_resident_without_postcode_or_birthday_is_sent_to_their_profile(client, sign_in,
                                                                          approval_round):
    sign_in(resident("Blank", None, None))
    start = client.get(f"/rounds/{approval_round.id}/vote").get_data(as_text=True)
    assert "Add your postcode and date of birth to your profile before you vote." in start
    assert f'href="/profile?next=/rounds/{approval_round.id}/vote"' in start  # and back here


def test_the_database_itself_refuses_a_second_participation(approval_round, voter):
    def participation(person_key: str, user_id: int | None = None) -> Participation:
        return Participation(round_id=approval_round.id, person_key=person_key, user_id=user_id,
                             channel="paper", age_years=40, voted_on=date(2026, 1, 1))

    db.session.add_all([participation("same"), participation("k1", voter.id)])
    db.session.flush()
    for duplicate in (participation("same"), participation("k2", voter.id)):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(duplicate)
    assert counts(approval_round.id) == (2, 0)


def test_in_person_rounds_take_no_online_ballots_and_drafts_are_hidden(client, sign_in, eildon,
                                                                       voter):
    in_person = voting_round(eildon, voter_verification="in-person", title="At events only")
    sign_in(voter)
    start = client.get(f"/rounds/{in_person.id}/vote").get_data(as_text=True)
    assert "This vote takes place in person at community events" in start
    refused = client.post(f"/rounds/{in_person.id}/vote/confirm",
                          data=MultiDict([("project", project_ids(in_person)[0])]))
    assert refused.status_code == 403 and "in person" in refused.get_data(as_text=True)
    in_person.phase = "draft"
    db.session.commit()
    assert client.get(f"/rounds/{in_person.id}/vote").status_code == 404
    assert counts() == (0, 0)
