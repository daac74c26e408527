"""The ballot in headless Chromium, with JavaScript and without: reading about a project and
coming back with the choices kept, the running total (live and polite with JavaScript, on the
review page without), and every voting page at 320 px without sideways scrolling."""

from __future__ import annotations

from datetime import date

import pytest
from journeys import sign_in
from playwright.sync_api import expect
from voting.builders import lead_of, place, resident, voting_round

from pb_app.extensions import db
from pb_app.voting.services import create_paper_batch, generate_voting_codes

pytestmark = pytest.mark.browser


@pytest.fixture
def eildon_rounds(app):
    """Eildon rounds in voting, one of each kind the tests need, by name; a resident's and a
    lead's email; a batch of paper ballots and a voting code."""
    with app.app_context():
        eildon = place("Eildon", "TD1")
        rounds = {
            "approval": voting_round(eildon, title="Eildon Fund"),
            "knapsack": voting_round(eildon, title="Eildon Budget", ballot_type="knapsack",
                                     ballot_params={}),
            "cumulative": voting_round(eildon, title="Eildon Points", ballot_type="cumulative",
                                       ballot_params={"points": 10}),
            "code": voting_round(eildon, title="Eildon Code Vote",
                                 voter_verification="voting-code"),
            "ranked": voting_round(eildon, title="Eildon Ranks", ballot_type="ordinal",
                                   ballot_params={"top_k": 3}),
        }
        lead = lead_of(eildon)
        batch = create_paper_batch(rounds["approval"], lead, "Melrose Wynd Hall", 1)
        code, = generate_voting_codes(rounds["code"], lead, 1)
        voter = resident("Isla", "TD1 3HW", date(1961, 8, 14))
        db.session.commit()
        found = {"ids": {name: round_.id for name, round_ in rounds.items()},
                 "voter": voter.email, "lead": lead.email, "batch": batch.id, "code": code}
        db.session.remove()
    return found


@pytest.fixture
def page_without_js(browser, live_server):
    """A page in a browser context with JavaScript turned off."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fits(page, width: int = 320) -> None:
    """Check, without reloading (a page answering a POST), that the page does not scroll
    sideways at the viewport's width."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def choose_and_read_more(page, round_id: int) -> str:
    """Tick Projects 1 and 3, read about Project 4, and come back to the ballot; returns the
    address of Project 4's page."""
    page.goto(f"/rounds/{round_id}/vote/ballot")
    page.get_by_label("Project 1 (£3,000)").check()
    page.get_by_label("Project 3 (£2,500)").check()
    page.get_by_role("button", name="Read more about Project 4").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project 4")
    assert "?" not in page.url  # the choices travel in the session, not the address
    about = page.url
    page.get_by_role("link", name="Back to your ballot").click()
    expect(page.get_by_label("Project 1 (£3,000)")).to_be_checked()
    expect(page.get_by_label("Project 3 (£2,500)")).to_be_checked()
    expect(page.get_by_label("Project 4 (£5,000)")).not_to_be_checked()
    return about


def test_with_javascript_the_total_follows_the_choices_and_reading_more_keeps_them(
        page, eildon_rounds, assert_accessible, assert_reflows):
    round_id = eildon_rounds["ids"]["approval"]
    sign_in(page, eildon_rounds["voter"])
    page.goto(f"/rounds/{round_id}/vote")
    assert_reflows(page)
    page.get_by_role("button", name="Start voting").click()
    total = page.locator("#ballot-total")
    expect(total).to_have_text("0 of 3 chosen")
    expect(total).to_have_attribute("aria-live", "polite")
    for label in ("Project 1 (£3,000)", "Project 2 (£4,500)", "Project 3 (£2,500)"):
        page.get_by_label(label).check()
    page.get_by_label("Project 4 (£5,000)").check()
    expect(total).to_have_text("4 of 3 chosen, 1 too many")
    assert_accessible(page)
    page.get_by_label("Project 2 (£4,500)").uncheck()
    page.get_by_label("Project 4 (£5,000)").uncheck()
    expect(total).to_have_text("2 of 3 chosen")
    page.get_by_role("button", name="Read more about Project 4").click()
    assert_accessible(page)
    assert_reflows(page)
    page.get_by_role("link", name="Back to your ballot").click()
    expect(page.get_by_label("Project 1 (£3,000)")).to_be_checked()
    expect(total).to_have_text("2 of 3 chosen")
    assert_reflows(page)
    page.set_viewport_size({"width": 320, "height": 480})
    page.locator('input[name="project"]').first.focus()
    for _ in range(10):  # each box and button, down the page: none hides under the total
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_CLEAR_OF_TOTAL), page.evaluate("document.activeElement.id")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#ballot-total")).to_have_text("2 of 3 chosen")


# True when the focused element and the running total do not overlap on the screen.
FOCUS_CLEAR_OF_TOTAL = """() => {
    const focused = document.activeElement.getBoundingClientRect();
    const total = document.querySelector('#ballot-total').getBoundingClientRect();
    return focused.bottom <= total.top + 1 || focused.top >= total.bottom - 1;
}"""


def test_without_javascript_reading_more_keeps_the_choices_and_the_review_shows_the_total(
        page_without_js, eildon_rounds, assert_reflows):
    page = page_without_js
    round_id = eildon_rounds["ids"]["approval"]
    sign_in(page, eildon_rounds["voter"])
    about = choose_and_read_more(page, round_id)
    expect(page.locator("#ballot-total")).to_be_hidden()  # nothing could keep it up to date
    assert_reflows(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#ballot-total")).to_have_text("2 of 3 chosen")
    fits(page)
    page.get_by_role("button", name="Confirm my vote").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    page.goto(about)  # the kept choices went with the vote
    expect(page.get_by_role("link", name="Back to your ballot")).to_have_count(0)


def test_a_knapsack_total_in_pounds_matches_the_review_page(page, eildon_rounds):
    round_id = eildon_rounds["ids"]["knapsack"]
    sign_in(page, eildon_rounds["voter"])
    page.goto(f"/rounds/{round_id}/vote/ballot")
    total = page.locator("#ballot-total")
    expect(total).to_have_text("£0 of £10,000 spent")
    page.get_by_label("Project 2 (£4,500)").check()
    page.get_by_label("Project 5 (£1,500)").check()
    expect(total).to_have_text("£6,000 of £10,000 spent")
    page.get_by_label("Project 4 (£5,000)").check()
    expect(total).to_have_text("£11,000 of £10,000 spent, £1,000 over budget")
    page.set_viewport_size({"width": 320, "height": 800})
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("more than the budget")
    expect(total).to_have_text("£11,000 of £10,000 spent, £1,000 over budget")
    fits(page)
    page.get_by_label("Project 4 (£5,000)").uncheck()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#ballot-total")).to_have_text("£6,000 of £10,000 spent")


def test_points_used_add_up_and_enter_in_a_box_goes_to_the_review(page, eildon_rounds,
                                                                  assert_accessible,
                                                                  assert_reflows):
    round_id = eildon_rounds["ids"]["cumulative"]
    sign_in(page, eildon_rounds["voter"])
    page.goto(f"/rounds/{round_id}/vote/ballot")
    total = page.locator("#ballot-total")
    expect(total).to_have_text("0 of 10 points used")
    page.get_by_label("Project 2 (£4,500)").fill("4")
    page.get_by_label("Project 5 (£1,500)").fill("9")
    expect(total).to_have_text("13 of 10 points used, 3 too many")
    page.get_by_label("Project 5 (£1,500)").fill("3")
    expect(total).to_have_text("7 of 10 points used")
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    fits(page)
    page.get_by_label("Project 5 (£1,500)").press("Enter")  # Continue, not a "Read more"
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choices")
    expect(page.locator("#ballot-total")).to_have_text("7 of 10 points used")


def test_a_voting_code_holder_reads_more_and_votes_without_javascript(
        page_without_js, eildon_rounds, assert_reflows):
    page = page_without_js
    round_id = eildon_rounds["ids"]["code"]
    page.goto(f"/rounds/{round_id}/vote")
    assert_reflows(page)
    page.get_by_role("button", name="Vote with your code").click()
    assert_reflows(page)
    page.get_by_label("Voting code").fill(eildon_rounds["code"])
    page.get_by_label("Postcode").fill("TD1 2AB")
    page.fill("#date_of_birth-day", "29")
    page.fill("#date_of_birth-month", "2")
    page.fill("#date_of_birth-year", "1948")
    read_more = page.get_by_role("link", name="Read more about Project 4 (opens in a new tab)")
    assert read_more.get_attribute("target") == "_blank"  # what was typed stays on this tab
    page.get_by_label("Project 2 (£4,500)").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choices")
    choose_and_read_more(page, round_id)  # the code is kept: the ballot page now keeps choices
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm my vote").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    fits(page)


def test_at_the_desk_staff_read_more_and_come_back_to_the_voters_ballot(
        page, eildon_rounds, assert_accessible, assert_reflows):
    round_id = eildon_rounds["ids"]["approval"]
    sign_in(page, eildon_rounds["lead"])
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"/rounds/{round_id}/voting")
    assert_reflows(page)
    page.get_by_role("link", name="Correct the count of Melrose Wynd Hall").click()
    expect(page.locator("main")).to_contain_text("The batch says 1 ballot.")
    assert_reflows(page)
    page.goto(f"/rounds/{round_id}/desk")
    assert_reflows(page)
    page.get_by_label("Full name").fill("Agnes Hogg")
    page.get_by_label("Postcode").fill("TD1 1XY")
    page.fill("#date_of_birth-day", "5")
    page.fill("#date_of_birth-month", "11")
    page.fill("#date_of_birth-year", "1939")
    page.get_by_label("On this screen, with help from staff").check()
    page.get_by_role("button", name="Check and continue").click()
    fits(page)
    page.get_by_label("Project 2 (£4,500)").check()
    expect(page.locator("#ballot-total")).to_have_text("1 of 3 chosen")
    page.get_by_role("button", name="Read more about Project 5").click()
    page.get_by_role("link", name="Back to your ballot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the ballot")
    expect(page.get_by_label("Project 2 (£4,500)")).to_be_checked()
    assert_accessible(page)
    fits(page)
    page.get_by_role("button", name="Continue").click()
    fits(page)
    page.get_by_role("button", name="Confirm my vote").click()
    expect(page.locator("main")).to_contain_text("Ballot recorded")
    fits(page)
    page.goto(f"/rounds/{round_id}/receipt")
    assert_reflows(page)
    page.goto(f"/rounds/{eildon_rounds['ids']['code']}/voting")  # with the voting codes form
    assert_reflows(page)


def test_a_ranked_ballot_lists_the_projects_to_read_about_and_keeps_the_ranks(
        page_without_js, eildon_rounds, assert_accessible, assert_reflows):
    page = page_without_js
    round_id = eildon_rounds["ids"]["ranked"]
    sign_in(page, eildon_rounds["voter"])
    page.goto(f"/rounds/{round_id}/vote/ballot")
    assert_reflows(page)
    page.get_by_label("Rank 1").select_option(label="Project 4 (£5,000)")
    page.get_by_label("Rank 2").select_option(label="Project 2 (£4,500)")
    expect(page.locator("#ballot-total")).to_have_count(0)  # a ranking has no total
    page.get_by_role("button", name="Read more about Project 2").click()
    page.get_by_role("link", name="Back to your ballot").click()
    expect(page.get_by_label("Rank 1")).to_have_value(page.get_by_label("Rank 1").locator(
        "option", has_text="Project 4").get_attribute("value"))
    expect(page.get_by_label("Rank 2").locator("option:checked")).to_have_text(
        "Project 2 (£4,500)")
    expect(page.get_by_label("Rank 3").locator("option:checked")).to_have_text("No project")
