"""Each person's journey in headless Chromium, every page checked by axe and for reflow.

- The public: the home page, a locality, a published result and its explanation, the
  anonymised ballots (downloaded and read back), the recount guide and the year's report
  (its PDF opened).
- A resident: registers, confirms the emailed link, finds their locality, puts forward an
  idea, votes and checks the receipt. A newcomer who meets the vote first registers from it
  and is brought back to it once their profile is saved.
- A group lead: reviews proposals, opens voting, enters a paper batch at the desk and closes
  voting.
- A finance officer: records spending against a funded project and reads the ledger.
- An administrator: makes a user a group lead.

Every page is checked as it stands: axe-core finds no WCAG 2.2 A/AA problem, and nothing
scrolls sideways at 375 or 320 px (``look_over``). The service navigation keeps to one line at
1280 px for every role.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from ballotbox.builders import key_holders
from browser.journeys import sign_in, sign_out
from factories import DEFAULT_PASSWORD, RoundFactory, UserFactory, administrator, finance_officer
from playwright.sync_api import expect
from pypdf import PdfReader
from results.builders import cast, make_projects, paper_batch, publish
from sqlalchemy import select
from voting.builders import lead_of, place, voting_round

from pb_app.extensions import db
from pb_app.proposals.models import Proposal
from pb_app.rounds.models import Phase, Round
from pb_app.voting.models import Participation

pytestmark = pytest.mark.browser


def navigation_lines(page) -> int:
    """How many lines the service navigation's links take up at the page's width."""
    return page.evaluate("""() => new Set([...document.querySelectorAll(
        '.govuk-service-navigation__item')].map(item => Math.round(item.offsetTop))).size""")


def smallest_chart_text(page, width: int = 320) -> float:
    """The height in CSS px of the smallest text in the page's charts at ``width`` px."""
    page.set_viewport_size({"width": width, "height": 800})
    heights = page.evaluate("""() => [...document.querySelectorAll('svg text')].map(
        text => text.getBoundingClientRect().height)""")
    page.set_viewport_size({"width": 1280, "height": 720})
    assert heights, "no chart on the page"
    return min(heights)


def download(page, link_name: str) -> Path:
    """Follow a download link by its name; returns the downloaded file's path."""
    with page.expect_download() as started:
        page.get_by_role("link", name=link_name).click()
    return Path(started.value.path())


# The public ---------------------------------------------------------------------------------

@pytest.fixture
def published(app):
    """Cheviot's published round: three projects, six ballots (two on paper)."""
    with app.app_context():
        cheviot = place("Cheviot", "TD5")
        round_ = RoundFactory(to_count=True, locality=cheviot, title="Cheviot Community Chest",
                              budget_pence=1_000_000)
        lunch, bus, walks = make_projects(round_, {
            "Kelso lunch club": 400_000, "Jedburgh bus": 500_000, "Walking group": 200_000})
        cast(round_, [lunch, bus], times=3)
        cast(round_, [lunch, walks], times=2, channel="paper",
             batch=paper_batch(round_, declared=2))
        cast(round_, [bus, walks])
        publish(round_, when=datetime(2026, 6, 1, tzinfo=UTC))
        db.session.commit()
        found = {"round": round_.id, "slug": cheviot.slug}
        db.session.remove()
    return found


def test_the_public_reads_a_result_checks_it_and_reads_the_report(page, published, look_over):
    page.goto("/")
    look_over("home")
    page.get_by_role("link", name="Cheviot").click()
    expect(page.locator("h1")).to_have_text("Cheviot")
    look_over("locality")
    page.get_by_role("link", name="What Cheviot Community Chest funded").click()
    expect(page.locator("h1")).to_have_text("Results: Cheviot Community Chest")
    main = page.inner_text("main")
    assert "Kelso lunch club" in main and "£10,000" in main
    look_over("results")
    assert smallest_chart_text(page) >= 12  # the charts stay readable on a phone

    ballots = download(page, "Anonymised ballots (CSV)")
    rows = list(csv.DictReader(io.StringIO(ballots.read_text())))
    assert len(rows) == 6

    page.get_by_role("link", name="How to recount it yourself").click()
    look_over("recount")
    page.go_back()
    page.get_by_role("link", name="Oversight report for this round").click()
    expect(page.locator("h1")).to_contain_text("Cheviot Community Chest")
    look_over("round-report")

    page.goto("/results")
    look_over("results-list")
    page.get_by_role("link", name="Funding rounds").click()
    look_over("rounds-list")
    page.goto("/reports/year/2026")
    look_over("year-report")
    assert smallest_chart_text(page) >= 12
    report = download(page, re.compile("PDF", re.I))
    text = "".join(p.extract_text() for p in PdfReader(report).pages)
    assert "Cheviot Community Chest" in text
    look_over.done()


# A resident ---------------------------------------------------------------------------------

@pytest.fixture
def eildon(app):
    """Eildon with a round in voting and another taking ideas."""
    with app.app_context():
        locality = place("Eildon", "TD1")
        voting = voting_round(locality, title="Eildon Community Fund")
        ideas = RoundFactory(to_count=True, locality=locality, phase=Phase.PROPOSALS_OPEN,
                             title="Eildon Small Grants",
                             proposals_open_at=datetime.now(UTC) - timedelta(days=1),
                             proposals_close_at=datetime.now(UTC) + timedelta(days=20))
        db.session.commit()
        found = {"voting": voting.id, "ideas": ideas.id}
        db.session.remove()
    return found


def register(page, outbox, name: str, email: str, start: str | None = "/register",
             look_over=None) -> None:
    """Register (from ``start``, or from the registration page already open), follow the
    emailed link and give a postcode and a date of birth in Eildon; ``look_over``, if given,
    checks the pages on the way."""
    page.goto(emailed_link(page, outbox, name, email, start, look_over))
    page.get_by_role("button", name="Confirm and continue").click()
    fill_in_profile(page)


def emailed_link(page, outbox, name: str, email: str, start: str | None = "/register",
                 look_over=None) -> str:
    """Fill in the registration form (from ``start``, or the one already open) and return the
    path of the link emailed to confirm the address."""
    if start:
        page.goto(start)
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_label("Confirm password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("h1")).to_contain_text("Check your email")
    if look_over:
        look_over("registration-sent")
    link, = re.findall(r"http://\S+(/register/\S+)", outbox[-1].get_content())
    return link


def fill_in_profile(page) -> None:
    """Give a postcode in Eildon and a date of birth on the profile page."""
    page.get_by_label("Postcode").fill("TD1 3HW")
    page.fill("#date_of_birth-day", "14")
    page.fill("#date_of_birth-month", "8")
    page.fill("#date_of_birth-year", "1961")
    page.get_by_role("button", name="Save").click()


def test_a_resident_proposes_votes_and_checks_the_receipt(app, page, eildon, outbox, look_over):
    register(page, outbox, "Isla Pringle", "isla@example.org")
    look_over("profile")
    page.goto("/")
    page.locator("#localities").get_by_role("link", name="Eildon").click()
    look_over("locality-signed-in")

    page.get_by_role("link", name="Put forward an idea for Eildon Small Grants").click()
    look_over("proposal-form")
    page.get_by_label("Title").fill("Tweedbank repair cafe")
    page.get_by_label("Summary").fill("Volunteers fix clothes, bikes and lamps over tea.")
    page.get_by_label("Full description").fill("Once a month in the community centre.")
    page.get_by_label("Where in the locality it happens").fill("Tweedbank")
    page.get_by_label("Postcode of where it happens").fill("TD1 3RS")
    page.locator("input[name=outcomes]").first.check()
    page.locator("input[name=priorities]").first.check()
    page.fill("#cost_lines-0-item", "Tools and parts")
    page.fill("#cost_lines-0-amount", "1400")
    page.get_by_role("button", name="Save as a draft").click()
    look_over("proposal-draft")
    page.get_by_role("button", name=re.compile("Send|Submit")).click()
    look_over("proposal-sent")
    with app.app_context():
        proposal = db.session.scalar(select(Proposal).where(
            Proposal.title == "Tweedbank repair cafe"))
        assert (proposal.status, proposal.cost_pence) == ("submitted", 140_000)
        db.session.remove()

    page.goto("/localities/eildon")
    page.get_by_role("button", name="Vote in Eildon Community Fund").click()
    look_over("vote-start")
    page.get_by_role("button", name="Start voting").click()
    look_over("ballot")
    page.get_by_label(re.compile(r"^Project 1 \(")).check()
    page.get_by_role("button", name="Continue").click()
    look_over("ballot-review")
    page.get_by_role("button", name="Confirm my vote").click()
    receipt = page.inner_text("#receipt-code").strip()
    look_over("receipt")
    page.goto("/localities/eildon")
    expect(page.locator(f"#voted-{eildon['voting']}")).to_contain_text("You have voted")
    page.get_by_role("link", name="Check your receipt").click()
    page.get_by_label("Receipt code").fill(receipt)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("main")).to_contain_text("Your ballot is in the ballot box")
    look_over("receipt-checked")
    look_over.done()


def test_a_newcomer_who_meets_the_vote_first_is_brought_back_to_it(page, eildon, outbox,
                                                                   look_over):
    vote = f"/rounds/{eildon['voting']}/vote"
    page.goto(vote)
    page.get_by_role("link", name="create an account").click()
    # A long address, as some people have, must wrap rather than widen the page.
    register(page, outbox, "Ewan Scott", "ewan.alexandermacdonaldscott.galashiels@example.org",
             start=None, look_over=look_over)
    expect(page).to_have_url(re.compile(f"{re.escape(vote)}$"))
    expect(page.locator("main")).to_contain_text("Saved. You take part in Eildon.")
    look_over("vote-start-after-registering")
    page.get_by_role("button", name="Start voting").click()
    expect(page.get_by_label(re.compile(r"^Project 1 \("))).to_be_visible()
    look_over.done()


def test_a_newcomer_who_confirms_on_a_phone_is_brought_back_to_the_vote_there(
        page, browser, live_server, eildon, outbox, assert_accessible):
    vote = f"/rounds/{eildon['voting']}/vote"
    page.goto(vote)
    page.get_by_role("link", name="create an account").click()
    link = emailed_link(page, outbox, "Ailsa Kerr", "ailsa.kerr@example.org", start=None)
    phone = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 800})
    try:
        on_phone = phone.new_page()
        on_phone.goto(link)  # away from the browser that registered: the password is asked
        password = on_phone.get_by_label("Password", exact=True)
        expect(password).to_be_visible()
        assert_accessible(on_phone)
        assert on_phone.evaluate("document.documentElement.scrollWidth") <= 375
        password.fill(DEFAULT_PASSWORD)
        on_phone.get_by_role("button", name="Confirm and continue").click()
        fill_in_profile(on_phone)
        expect(on_phone).to_have_url(re.compile(f"{re.escape(vote)}$"))
        on_phone.get_by_role("button", name="Start voting").click()
        expect(on_phone.get_by_label(re.compile(r"^Project 1 \("))).to_be_visible()
    finally:
        phone.close()


# A group lead -------------------------------------------------------------------------------

@pytest.fixture
def round_in_review(app):
    """Teviot's round in review with three submitted proposals, and its ballot box keys."""
    with app.app_context():
        teviot = place("Teviot", "TD9")
        round_ = RoundFactory(to_count=True, locality=teviot, phase=Phase.REVIEW,
                              title="Teviot Fund",
                              proposals_open_at=datetime.now(UTC) - timedelta(days=30),
                              proposals_close_at=datetime.now(UTC) - timedelta(days=2),
                              voting_open_at=datetime.now(UTC) + timedelta(days=1),
                              voting_close_at=datetime.now(UTC) + timedelta(days=20))
        projects = make_projects(round_, {"Hawick walks": 200_000, "Newcastleton cafe": 300_000,
                                          "Denholm bus": 400_000})
        for project in projects:
            project.status, project.location = "submitted", "Hawick"
            project.description, project.location_postcode = "Run by volunteers.", "TD9 7AB"
        key_holders(2)
        lead = lead_of(teviot)
        db.session.commit()
        found = {"round": round_.id, "lead": lead.email}
        db.session.remove()
    return found


def test_a_lead_reviews_opens_voting_enters_paper_and_closes(app, page, round_in_review,
                                                             look_over):
    round_id = round_in_review["round"]
    sign_in(page, round_in_review["lead"])
    assert navigation_lines(page) == 1
    page.goto(f"/rounds/{round_id}")
    look_over("round-page-lead")
    page.get_by_role("link", name="Review proposals").click()
    look_over("review-list")
    review_list = page.url
    for title in ("Hawick walks", "Newcastleton cafe", "Denholm bus"):
        page.goto(review_list)
        page.get_by_role("link", name=title).click()
        page.get_by_label("Accept onto the ballot").check()
        page.get_by_label("Feasible as proposed").check()
        page.get_by_label("Fits the round's priorities well").check()
        page.locator("#reason").fill("It meets the criteria.")
        page.get_by_role("button", name="Record the decision").click()
    look_over("reviewed")
    page.goto(f"/rounds/{round_id}")
    page.get_by_role("button", name="Move on to: Voting open").click()
    expect(page.locator("h1")).to_have_text("Open voting early?")  # its date is to come
    look_over("open-voting-early")
    page.get_by_role("button", name="Open voting now").click()
    expect(page.locator("main")).to_contain_text("Voting open")
    with app.app_context():  # the day voting opens comes
        db.session.get(Round, round_id).voting_open_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
        db.session.remove()

    page.goto(f"/rounds/{round_id}/voting")
    look_over("voting-manage")
    page.get_by_label("Batch label").fill("Hawick library, 12 March")
    page.get_by_label("Number of ballots in the batch").fill("1")
    page.get_by_role("button", name="Add batch").click()
    expect(page.locator("main")).to_contain_text("Hawick library, 12 March")
    look_over("paper-batch")
    page.goto(f"/rounds/{round_id}/voting")
    page.get_by_role("link", name=re.compile("voting desk", re.I)).click()
    look_over("desk")
    page.get_by_label("Full name").fill("Agnes Hogg")
    page.get_by_label("Postcode").fill("TD9 7AB")
    page.fill("#date_of_birth-day", "9")
    page.fill("#date_of_birth-month", "3")
    page.fill("#date_of_birth-year", "1941")
    page.get_by_label("On a ballot paper, keyed later with its batch").check()
    page.get_by_role("button", name="Check and continue").click()
    expect(page.locator("main")).to_contain_text("give the person a ballot paper")
    look_over("desk-recorded")
    page.goto(f"/rounds/{round_id}/voting")
    page.get_by_role("link", name="Key the sheets of Hawick library, 12 March").click()
    page.get_by_label("Single keying").check()
    page.get_by_role("button", name="Save the keying rule").click()
    look_over("paper-keying-rule")
    page.get_by_role("link", name="Key sheets").click()
    walks = re.search(r"(\d+)\s+Hawick walks", page.inner_text("main")).group(1)
    page.get_by_label("Project numbers marked on this sheet").fill(walks)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text(f"Sheet 1 keyed: {walks}")
    page.get_by_role("button", name="Accept the batch").click()
    page.goto(f"/rounds/{round_id}/voting")
    expect(page.locator("#reconcile-ok")).to_be_visible()
    page.get_by_role("button", name="Close voting now").click()
    expect(page.locator("h1")).to_have_text("Close voting early?")
    look_over("close-voting-early")
    page.get_by_role("button", name="Close voting now").click()
    expect(page.locator("main")).to_contain_text("Voting is closed. 1 ballot was cast")
    look_over("voting-closed")
    with app.app_context():
        assert db.session.scalar(select(Participation.channel)) == "paper"
        db.session.remove()
    look_over.done()


# A finance officer --------------------------------------------------------------------------

def test_a_finance_officer_records_spending_and_reads_the_ledger(app, page, published,
                                                                 look_over):
    with app.app_context():
        officer = finance_officer().email
        db.session.commit()
        db.session.remove()
    sign_in(page, officer)
    assert navigation_lines(page) == 1
    page.get_by_role("link", name="Ledger").click()
    look_over("ledger")
    page.get_by_role("link", name="Kelso lunch club").click()
    look_over("allocation")
    page.get_by_label("Spend", exact=True).check()
    page.get_by_label("What was it for?").fill("Food for the first ten weeks")
    page.get_by_label("Amount in pounds").fill("840.50")
    page.get_by_label("Date").fill(date.today().isoformat())
    page.get_by_role("button", name="Add to the ledger").click()
    main = page.inner_text("main")
    assert "£840.50" in main and "£3,159.50" in main  # spent, and left of £4,000
    look_over("allocation-spent")
    page.get_by_role("link", name="Ledger").click()
    look_over("ledger-after")
    look_over.done()


# An administrator ---------------------------------------------------------------------------

def test_an_administrator_makes_a_user_a_group_lead(app, page, look_over):
    with app.app_context():
        place("Berwickshire", "TD11")
        admin = administrator().email
        UserFactory(full_name="Shona Renwick", email="shona.renwick.macdonald.1280@example.org")
        db.session.commit()
        db.session.remove()
    sign_in(page, admin)
    assert navigation_lines(page) == 1
    page.get_by_role("link", name="Users and roles").click()
    look_over("users")
    page.get_by_role("link", name="Shona Renwick").click()
    page.get_by_label("Role").select_option(label="Group lead")
    page.get_by_label("Locality (group leads only)").select_option(label="Berwickshire")
    page.get_by_role("button", name="Grant role").click()
    expect(page.locator("main")).to_contain_text("Berwickshire")
    look_over("user-roles")
    sign_out(page)
    look_over.done()
