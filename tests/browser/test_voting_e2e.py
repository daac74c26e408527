"""End to end in headless Chromium: a resident signs up, confirms their email, votes and sees
the receipt; another resident votes with a code from a letter and no account."""

from __future__ import annotations

import re
from datetime import date

import pytest
from ballotbox.builders import peek
from factories import DEFAULT_PASSWORD
from playwright.sync_api import expect
from sqlalchemy import select
from voting.builders import lead_of, place, voting_round

from pb_app.ballotbox.models import BallotEnvelope
from pb_app.extensions import db
from pb_app.rounds.models import Round
from pb_app.voting.codes import hash_code
from pb_app.voting.models import Participation
from pb_app.voting.services import generate_voting_codes

pytestmark = pytest.mark.browser
RECEIPT = re.compile(r"^[2-9A-HJKMNP-Z]{5}(-[2-9A-HJKMNP-Z]{5}){3}$")


@pytest.fixture
def rounds(app):
    """Two Eildon rounds in voting: one self-declared, one with voting codes (and a code)."""
    with app.app_context():
        eildon = place("Eildon", "TD1")
        online = voting_round(eildon, title="Eildon Fund")
        by_code = voting_round(eildon, title="Eildon Code Vote", voter_verification="voting-code")
        code, = generate_voting_codes(by_code, lead_of(eildon), 1)
        db.session.commit()
        ids = (online.id, by_code.id)
        db.session.remove()
    return ids, code


def fill_date(page, born: date) -> None:
    """Fill the GOV.UK date of birth boxes."""
    page.fill("#date_of_birth-day", str(born.day))
    page.fill("#date_of_birth-month", str(born.month))
    page.fill("#date_of_birth-year", str(born.year))


def test_resident_signs_up_verifies_votes_and_sees_the_receipt(app, page, rounds, outbox,
                                                              look_over):
    (round_id, _), _ = rounds
    page.goto("/register")
    page.get_by_label("Full name").fill("Isla Pringle")
    page.get_by_label("Email address").fill("isla@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_label("Confirm password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    assert "Check your email" in page.inner_text("main")
    look_over("register-sent")
    link, = re.findall(r"http://\S+(/register/\S+)", outbox[-1].get_content())
    page.goto(link)
    page.get_by_role("button", name="Confirm and continue").click()
    page.get_by_label("Postcode").fill("td1 3hw")
    fill_date(page, date(1961, 8, 14))
    page.get_by_role("button", name="Save").click()
    page.goto(f"/rounds/{round_id}/vote")
    assert "Confirm your email address" not in page.inner_text("main")  # done at sign-up
    page.get_by_role("button", name="Start voting").click()
    look_over("ballot-online")
    page.get_by_label("Project 1 (£3,000)").check()
    page.get_by_label("Project 3 (£2,500)").check()
    page.get_by_role("button", name="Continue").click()
    assert "Check your choices" in page.inner_text("main")
    page.get_by_role("button", name="Confirm my vote").click()
    receipt = page.inner_text("#receipt-code").strip()
    assert RECEIPT.match(receipt)
    look_over("receipt-online")
    with app.app_context():
        [(ballot, choices)] = peek(db.session.get(Round, round_id))
        assert ballot.receipt_hash == hash_code(receipt)
        assert len(choices.projects) == 2
        assert db.session.scalar(select(Participation.channel)) == "online"
        db.session.remove()
    look_over.done()


def test_a_resident_votes_with_a_code_and_no_account(app, page, rounds, look_over):
    (_, round_id), code = rounds
    page.goto(f"/rounds/{round_id}/vote")
    look_over("vote-start-code")
    page.get_by_role("button", name="Vote with your code").click()
    look_over("code-form")
    page.get_by_label("Voting code").fill(code.lower().replace("-", " "))
    page.get_by_label("Postcode").fill("TD1 2AB")
    fill_date(page, date(1948, 2, 29))
    page.get_by_label("Project 2 (£4,500)").check()
    page.get_by_role("button", name="Continue").click()
    look_over("ballot-code")
    page.get_by_role("button", name="Confirm my vote").click()
    assert RECEIPT.match(page.inner_text("#receipt-code").strip())
    assert page.context.cookies() == [] or all(
        cookie["name"] == "session" for cookie in page.context.cookies())
    page.goto(f"/rounds/{round_id}/vote/code")
    page.get_by_label("Voting code").fill(code)
    page.get_by_label("Postcode").fill("TD1 2AB")
    fill_date(page, date(1948, 2, 29))
    page.get_by_role("button", name="Continue").click()
    assert "This voting code has already been used" in page.inner_text("main")
    with app.app_context():
        assert db.session.scalar(select(Participation.channel)) == "code"
        assert len(db.session.scalars(select(BallotEnvelope)).all()) == 1
        db.session.remove()
    look_over.done()


def test_a_lead_hands_out_a_ballot_paper_at_the_desk_and_keys_its_batch(app, page, rounds,
                                                                        look_over):
    (round_id, _), _ = rounds
    with app.app_context():
        lead_email = lead_of(db.session.get(Round, round_id).locality).email
        db.session.remove()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(lead_email)
    page.get_by_role("textbox", name="Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/rounds/{round_id}/voting")
    page.get_by_label("Batch label").fill("Melrose Wynd Hall")
    page.get_by_label("Number of ballots in the batch").fill("1")
    page.get_by_role("button", name="Add batch").click()
    assert "says 1 ballot but 0 were entered" in page.inner_text("#reconcile-problems")
    look_over("voting-unreconciled")
    page.get_by_role("link", name="Open the voting desk").click()
    look_over("desk-form")
    page.get_by_label("Full name").fill("Agnes Hogg")
    page.get_by_label("Postcode").fill("TD1 1XY")
    fill_date(page, date(1939, 11, 5))
    page.get_by_label("On a ballot paper, keyed later with its batch").check()
    page.get_by_role("button", name="Check and continue").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "give the person a ballot paper")
    expect(page.get_by_label("Full name")).to_have_value("")  # ready for the next person
    look_over("desk-handed-out")
    page.goto(f"/rounds/{round_id}/voting")
    page.get_by_role("link", name="Key the sheets of Melrose Wynd Hall").click()
    page.get_by_label("Single keying").check()
    page.get_by_role("button", name="Save the keying rule").click()
    page.get_by_role("link", name="Key sheets").click()
    page.get_by_label("Project numbers marked on this sheet").fill("4")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("Sheet 1 keyed: 4")
    page.get_by_role("button", name="Accept the batch").click()
    page.goto(f"/rounds/{round_id}/voting")
    assert "The paper ballots reconcile." in page.inner_text("main")
    look_over.done()
