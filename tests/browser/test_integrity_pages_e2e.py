"""In headless Chromium, the pages that keep a round honest, walked as their users walk them.

- A finance officer sets up a ballot box key and a recovery key and retires a departed
  colleague's key; voting runs; the lead closes it; the finance officer opens the box with
  the passphrase; the lead counts; a second finance officer signs off, sees the suspected
  duplicate voters and the audit checkpoint, and verifies the audit trail; voters check
  their receipts while the box is sealed and after the result is published.
- An administrator sets up a second factor (the code computed from the key shown on the
  page), signs in again with a code and makes a second factor compulsory for staff.
- A resident registers with the emailed link, downloads their data and closes the account.

Every new page passes axe and fits a 375 and a 320 px wide screen without sideways
scrolling. With ``PB_SCREENSHOTS=/some/folder`` each is also saved there at 1280 and 375 px.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from browser.journeys import sign_in, sign_out
from factories import DEFAULT_PASSWORD, administrator, finance_officer
from playwright.sync_api import expect
from sqlalchemy import select
from voting.builders import lead_of, place, project_ids, resident, voting_round

from pb_app.accounts.models import User
from pb_app.ballotbox.models import BallotBox
from pb_app.ballotbox.services import add_key_holder, get_box
from pb_app.extensions import db
from pb_app.localities.models import Locality
from pb_app.rounds.models import Round
from pb_app.voting.ballots import Choices
from pb_app.voting.services import cast_ballot, voter_at_desk, voter_for_user

pytestmark = pytest.mark.browser

PASSPHRASE = "heather on the eildon hills"
DESK_VOTERS = 45  # one community event's assisted ballots: enough for a second audit page


def check_receipt(page, round_id: int, receipt: str, published: bool = False) -> str:
    """Check a receipt on the round's page (or the published result's); returns the main text."""
    if published:
        page.goto(f"/results/round/{round_id}/receipt")
        page.get_by_label("Your receipt code").fill(receipt)
        page.get_by_role("button", name="Check my ballot").click()
    else:
        page.goto(f"/rounds/{round_id}/receipt")
        page.get_by_label("Receipt code").fill(receipt)
        page.get_by_role("button", name="Check").click()
    return page.inner_text("main")


# The ballot box, the count and the audit trail ---------------------------------------------

@pytest.fixture
def people(app):
    """Eildon with its group lead, two finance officers and a departed officer's key."""
    with app.app_context():
        eildon = place("Eildon", "TD1")
        lead = lead_of(eildon)
        officer = finance_officer(user__full_name="Morag Elliot")
        second = finance_officer(user__full_name="Callum Scott")
        departed = finance_officer(user__full_name="Iain Turnbull")
        add_key_holder(departed, "an old passphrase nobody has", "an old passphrase nobody has")
        db.session.commit()
        found = {"eildon": eildon.id, "lead": lead.email, "officer": officer.email,
                 "second": second.email}
        db.session.remove()
    return found


def run_voting(app, locality_id: int) -> tuple[int, str]:
    """Open a round (its box sealed to the key holders set up by then) and cast ballots:
    one resident online, then the same person again at the desk under another spelling of
    her name, and ``DESK_VOTERS`` more people with help at an event. Returns the round's id
    and the online voter's receipt."""
    now = datetime.now(UTC)
    with app.app_context():
        eildon = db.session.get(Locality, locality_id)
        round_ = voting_round(eildon, title="Eildon Community Chest")
        lead, ids = lead_of(eildon), project_ids(round_)
        agnes = resident("Agnes Hogg", "TD1 3HW", date(1941, 3, 9))
        receipt = cast_ballot(round_, voter_for_user(round_, agnes), Choices((ids[0],)),
                              channel="online", now=now)
        again = voter_at_desk("Agnes Hog", "TD1 3HW", date(1941, 3, 9))
        cast_ballot(round_, again, Choices((ids[0],)), channel="assisted", now=now, helper=lead)
        for number in range(DESK_VOTERS):
            born = date(1950, 1, 1) + timedelta(days=number * 101)  # nobody else's birthday
            voter = voter_at_desk(f"Neighbour {number}", "TD1 1AB", born)
            cast_ballot(round_, voter, Choices((ids[number % 3],)), channel="assisted", now=now,
                        helper=lead)
        db.session.commit()
        round_id = round_.id
        db.session.remove()
    return round_id, receipt


def test_keys_open_the_box_count_sign_off_and_audit(app, page, people, look_over):
    # A finance officer sets up her key and a recovery key, and retires a departed colleague's.
    sign_in(page, people["officer"])
    page.goto("/ballot-box/keys")
    assert "Iain Turnbull" in page.inner_text("#key-holders")
    look_over("keys")
    page.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    page.get_by_label("Type the passphrase again").fill(PASSPHRASE)
    page.get_by_role("button", name="Set up my key").click()
    expect(page.locator("main")).to_contain_text("Your key is set up")
    page.get_by_role("button", name="Make a recovery key").click()
    recovery = page.inner_text("#recovery-code").strip()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){7}", recovery)
    look_over("recovery-key")
    page.get_by_role("link", name="Back to ballot box keys").click()
    page.get_by_role("link", name="Retire Iain Turnbull").click()
    expect(page.locator("h1")).to_have_text("Retire Iain Turnbull?")
    look_over("retire-key")
    page.get_by_role("button", name="Retire this key").click()
    expect(page.locator("main")).to_contain_text("Iain Turnbull will not be given shares")
    holders = page.inner_text("#key-holders")
    assert "Morag Elliot" in holders and "Recovery key made by Morag Elliot" in holders
    assert "Iain Turnbull" not in holders
    look_over("keys-set-up")
    sign_out(page)

    round_id, receipt = run_voting(app, people["eildon"])
    with app.app_context():
        box = get_box(db.session.get(Round, round_id))
        mine, spare = sorted(share.holder.label for share in box.shares)
        assert mine == "Morag Elliot" and spare.startswith("Recovery key made by Morag Elliot")
        db.session.remove()

    # While voting is open a voter finds her ballot sealed in the box.
    text = check_receipt(page, round_id, receipt)
    assert "Your ballot is in the ballot box" in text
    look_over("receipt-sealed")
    page.goto(f"/rounds/{round_id}/ballot-box")  # staff only
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # The lead looks at the sealed box, sees the suspected duplicate and closes voting.
    sign_in(page, people["lead"])
    page.goto(f"/rounds/{round_id}/voting")
    assert "1 group of people who voted gave the same postcode" in page.inner_text(
        "#suspected-duplicates")
    page.get_by_role("link", name="The ballot box").click()
    assert f"The box holds {DESK_VOTERS + 2} sealed ballots. Nobody can read them" in \
        page.inner_text("#box-state")
    look_over("ballot-box-sealed")
    page.go_back()
    page.get_by_role("button", name="Close voting now").click()
    expect(page.locator("h1")).to_have_text("Close voting early?")
    page.get_by_role("button", name="Close voting now").click()
    expect(page.locator("main")).to_contain_text(
        f"Voting is closed. {DESK_VOTERS + 2} ballots were cast")
    sign_out(page)

    # The finance officer opens the box: a wrong passphrase first, then hers.
    sign_in(page, people["officer"])
    page.get_by_role("link", name="Results").click()
    page.get_by_role("link", name="Eildon Community Chest").click()
    assert f"still holds {DESK_VOTERS + 2} sealed ballots" in page.inner_text("#box-sealed")
    page.get_by_role("link", name="go to the ballot box").click()
    assert f"The box holds {DESK_VOTERS + 2} sealed ballots" in page.inner_text("#box-state")
    look_over("ballot-box-closed")
    page.get_by_label("Passphrase of Morag Elliot").fill("heather on the pentland hills")
    page.get_by_role("button", name="Open the ballot box").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "That is not the passphrase of Morag Elliot")
    look_over("ballot-box-wrong-passphrase")
    page.get_by_label("Passphrase of Morag Elliot").fill(PASSPHRASE)
    page.get_by_role("button", name="Open the ballot box").click()
    expect(page.locator("body")).to_contain_text(
        f"The ballot box is open: {DESK_VOTERS + 2} ballots are ready to count")
    assert page.url.endswith(f"/results/round/{round_id}/count")
    page.goto(f"/rounds/{round_id}/ballot-box")
    assert "The ballot box was opened on" in page.inner_text("#box-state")
    look_over("ballot-box-opened")
    sign_out(page)
    with app.app_context():
        assert db.session.get(BallotBox, box.id).shares == []
        db.session.remove()

    # The lead counts; a second finance officer signs off with the checks in front of him.
    sign_in(page, people["lead"])
    page.goto(f"/results/round/{round_id}/count")
    page.get_by_role("button", name="Run the count").click()
    expect(page.locator("main")).to_contain_text("Waiting for a finance officer to sign it off")
    sign_out(page)
    sign_in(page, people["second"])
    page.goto(f"/results/round/{round_id}/count")
    duplicates = page.inner_text("#suspected-duplicates")
    assert "1 group of people who voted gave the same postcode and date of birth" \
        in duplicates
    assert "online on" in duplicates and "with help from staff on" in duplicates
    page.get_by_role("button", name="Sign off this result").click()
    expect(page.locator("body")).to_contain_text("Result signed off")
    checkpoint = page.inner_text("#sign-off-checkpoint code").strip()
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", checkpoint)
    look_over("count-signed-off")

    # He holds the audit trail to account: two pages of entries, and verified on demand.
    page.goto("/audit/")
    count_text = page.inner_text("#entry-count")
    assert re.fullmatch(r"Entries [\d,]+ to [\d,]+, newest first\.", count_text), count_text
    look_over("audit")
    page.get_by_role("link", name="Older entries").click()
    expect(page.locator("#entry-count")).to_contain_text("1, newest first.")
    page.get_by_text("Compare with published checkpoints").click()
    page.get_by_label("Checkpoints to compare with (optional)").fill(checkpoint)
    page.get_by_role("button", name="Verify the audit trail").click()
    expect(page.locator("#verdict")).to_contain_text("Verified")
    look_over("audit-verified")
    sign_out(page)

    sign_in(page, people["lead"])
    page.goto(f"/results/round/{round_id}/count")
    page.get_by_role("button", name="Publish the result").click()
    expect(page.locator("h1")).to_contain_text("Results: Eildon Community Chest")
    sign_out(page)

    # The voter checks her receipt again, on the round and on the published result.
    assert "Your ballot was counted" in check_receipt(page, round_id, receipt)
    look_over("receipt-counted")
    assert "Your ballot was counted" in check_receipt(page, round_id, receipt, published=True)
    look_over("results-receipt")
    look_over.done()


# The second factor -------------------------------------------------------------------------

@pytest.fixture
def staff(app):
    """An administrator and a group lead, neither with a second factor yet."""
    with app.app_context():
        admin = administrator(user__full_name="Fiona Kerr")
        lead = lead_of(place("Tweeddale", "EH45"))
        db.session.commit()
        found = (admin.email, lead.email)
        db.session.remove()
    return found


def test_staff_set_up_a_second_factor_and_sign_in_with_a_code(page, staff, look_over):
    admin, lead = staff
    sign_in(page, admin)
    page.goto("/account/second-factor")
    look_over("second-factor-off")
    page.get_by_role("button", name="Set up a second factor").click()
    expect(page.locator("h1")).to_have_text("Set up your second factor")
    expect(page.locator(".app-qr-code svg")).to_be_visible()
    totp = pyotp.TOTP(page.inner_text("#totp-secret").strip())
    look_over("second-factor-confirm")
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("h1")).to_have_text("Your second factor is set up")
    assert len(page.locator("#recovery-codes li").all()) > 0
    look_over("recovery-codes")
    page.goto("/account/second-factor")
    assert "Your account has a second factor" in page.inner_text("main")
    look_over("second-factor-on")
    sign_out(page)

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(admin)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Enter your code")
    assert page.url.endswith("/sign-in/code")
    look_over("sign-in-code")
    live = {totp.at(time.time() + steps * totp.interval) for steps in range(-2, 3)}
    page.get_by_label("Code").fill(next(code for code in ("000000", "111111", "222222")
                                        if code not in live))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the 6-digit code")
    look_over("sign-in-code-wrong")
    # The code used to confirm is spent: the next time step's code, within the allowed drift.
    page.get_by_label("Code").fill(totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto("/admin/second-factor")
    look_over("second-factor-requirement")
    page.get_by_label("Second factor for staff").select_option("yes")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text("Saved.")
    sign_out(page)

    # A lead without a second factor is now sent to set one up before any staff page.
    sign_in(page, lead)
    page.goto("/rounds/")
    assert page.url.endswith("/account/second-factor")
    assert "Staff must have a second factor before any staff page works" in page.inner_text(
        "main")
    look_over("second-factor-required")
    look_over.done()


# A resident's own data ---------------------------------------------------------------------

@pytest.fixture
def round_in_voting(app):
    """An Eildon round in voting."""
    with app.app_context():
        round_id = voting_round(place("Eildon", "TD1"), title="Eildon Community Chest").id
        db.session.remove()
    return round_id


def test_a_resident_registers_downloads_their_data_and_closes_the_account(
        app, page, round_in_voting, outbox, look_over):
    page.goto("/register")
    look_over("register")
    page.get_by_label("Full name").fill("Jessie Cranston")
    page.get_by_label("Email address").fill("jessie@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_label("Confirm password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    look_over("register-sent")
    link, = re.findall(r"http://\S+(/register/\S+)", outbox[-1].get_content())
    page.goto(link)
    look_over("register-confirm")
    page.get_by_role("button", name="Confirm and continue").click()
    page.get_by_label("Postcode").fill("TD1 2QQ")
    page.fill("#date_of_birth-day", "23")
    page.fill("#date_of_birth-month", "6")
    page.fill("#date_of_birth-year", "1987")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text("You take part in Eildon")

    with app.app_context():  # she votes (the voting pages have their own browser tests)
        round_ = db.session.get(Round, round_in_voting)
        jessie = db.session.scalar(select(User).where(User.email == "jessie@example.org"))
        cast_ballot(round_, voter_for_user(round_, jessie), Choices((project_ids(round_)[1],)),
                    channel="online", now=datetime.now(UTC))
        db.session.commit()
        db.session.remove()

    page.get_by_role("link", name="See and download the data we hold about you").click()
    text = page.inner_text("main")
    assert "jessie@example.org" in text and "TD1 2QQ" in text
    assert "Eildon Community Chest (Eildon): online, on" in text
    look_over("your-data")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data (JSON file)").click()
    assert download.value.suggested_filename == "your-data.json"
    data = json.loads(Path(download.value.path()).read_text())
    assert data["account"]["email"] == "jessie@example.org"
    assert [vote["round"] for vote in data["rounds_voted_in"]] == ["Eildon Community Chest"]
    assert "choices" not in json.dumps(data["rounds_voted_in"])

    page.get_by_role("link", name="Close your account").click()
    look_over("close-account")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Close my account").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    look_over("close-account-wrong-password")
    page.get_by_label("Your password").fill("a long enough password")
    page.get_by_role("button", name="Close my account").click()
    expect(page.locator("body")).to_contain_text("Your account is closed")
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()

    page.goto("/sign-in")
    page.get_by_label("Email address").fill("jessie@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    look_over.done()
