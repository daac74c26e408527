"""In headless Chromium, with JavaScript and without: a lead sets up a round in two steps
(the ballot and the count, then only the settings they need); every problem on a form is
shown at once; a refused phase move stays on the round's page; and the rounds and proposals
pages fit a 320 px screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from browser.journeys import sign_in
from factories import ProposalFactory
from playwright.sync_api import expect
from rounds.fixtures import live_round, make_locality, make_user
from sqlalchemy import select

from pb_app.accounts.models import GROUP_LEAD
from pb_app.extensions import db
from pb_app.rounds.models import Phase, Round

pytestmark = pytest.mark.browser

SETTINGS = ("max_choices", "min_share_percent", "points", "max_score", "top_k",
            "threshold_percent", "mes_completion", "mes_comparison")


@pytest.fixture
def people(app):
    """A lead and a resident of Eildon, and a round there taking proposals, with one."""
    with app.app_context():
        eildon = make_locality("Eildon", "TD1")
        lead = make_user("Lena Lead", eildon, GROUP_LEAD, eildon)
        resident = make_user("Rab Resident", eildon)
        round_ = live_round(eildon, Phase.PROPOSALS_OPEN, title="Eildon Community Fund 2026")
        proposal = ProposalFactory(round=round_, proposer=resident)
        db.session.commit()
        found = {"lead": lead.email, "resident": resident.email, "round": round_.id,
                 "proposal": proposal.id}
        db.session.remove()
    return found


def _shown_settings(page) -> set[str]:
    return {name for name in SETTINGS if page.locator(f'[name="{name}"]').count()}


def _fill_date(page, name: str, day: datetime) -> None:
    boxes = page.locator(f'input[name="{name}"]')
    for index, value in enumerate((day.day, day.month, day.year)):
        boxes.nth(index).fill(str(value))


def _set_up_round(page) -> None:
    """Both steps of a new round, as a lead fills them in."""
    page.goto("/rounds/new")
    expect(page.locator("h1")).to_contain_text("the ballot and the count")
    assert _shown_settings(page) == set() and page.locator('[name="budget"]').count() == 0
    page.get_by_label("Share out points").check()
    page.get_by_label("Most votes first, for projects with enough support").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-caption-l")).to_have_text("Step 2 of 2")
    assert _shown_settings(page) == {"points", "threshold_percent"}
    page.get_by_label("Title").fill("Teviot Wellbeing Fund")
    page.get_by_label("Budget, in pounds").fill("20,000")
    page.get_by_label("Largest project cost, in pounds").fill("5000")
    page.get_by_label("Early intervention and prevention").check()
    page.get_by_label("How many points does each voter share out?").fill("12")
    page.get_by_label("Minimum support, in percent of voters").fill("15")
    today = datetime.now(UTC)
    for name, days in (("proposals_open_at", 1), ("proposals_close_at", 30),
                       ("voting_open_at", 45), ("voting_close_at", 60)):
        _fill_date(page, name, today + timedelta(days=days))
    page.get_by_role("button", name="Save the round").click()
    expect(page.locator("body")).to_contain_text("Teviot Wellbeing Fund has been created")


def _stored_round(app) -> tuple:
    with app.app_context():
        round_ = db.session.scalars(select(Round).where(Round.title == "Teviot Wellbeing Fund")
                                    ).one()
        found = (round_.ballot_type, round_.ballot_params, round_.tally_rule, round_.tally_params)
        db.session.remove()
    return found


def test_a_round_is_set_up_in_two_steps_without_javascript(browser, live_server, people, app):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, people["lead"])
        _set_up_round(page)
    finally:
        context.close()
    assert _stored_round(app) == ("cumulative", {"points": 12}, "greedy-threshold",
                                  {"threshold_percent": 15})


def test_the_two_steps_with_javascript_are_accessible_and_fit_a_phone(
        page, people, app, assert_accessible, assert_reflows):
    sign_in(page, people["lead"])
    page.goto("/rounds/new")
    assert_accessible(page)
    assert_reflows(page)
    page.set_viewport_size({"width": 1024, "height": 800})
    page.get_by_role("button", name="Continue").click()  # equal shares, as recommended
    expect(page.locator(".govuk-caption-l")).to_have_text("Step 2 of 2")
    assert _shown_settings(page) == {"max_choices", "mes_completion", "mes_comparison"}
    assert_accessible(page)
    assert_reflows(page)
    page.set_viewport_size({"width": 1024, "height": 800})
    page.get_by_label("Budget, in pounds").fill("lots")
    page.get_by_label("How many projects may a voter choose?").fill("0")
    _fill_date(page, "voting_open_at", datetime(2020, 1, 1, tzinfo=UTC))
    _fill_date(page, "proposals_close_at", datetime(2030, 1, 1, tzinfo=UTC))
    page.get_by_role("button", name="Save the round").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    for link in ("#title", "#budget", "#priorities", "#max_choices", "#voting_open_at"):
        expect(summary.locator(f'a[href="{link}"]')).to_have_count(1)
    assert_accessible(page)
    assert_reflows(page)


def test_a_refused_move_stays_on_the_round_page(page, people, assert_accessible,
                                                assert_reflows):
    sign_in(page, people["lead"])
    page.goto(f"/rounds/{people['round']}")
    page.get_by_role("button", name="Move on to: Reviewing proposals").click()
    expect(page.locator("h1")).to_have_text("Close proposals early?")
    page.get_by_role("button", name="Close proposals now").click()
    page.get_by_role("button", name="Move on to: Voting open").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("cannot move on yet")
    expect(summary.get_by_role("link", name="1 proposal still waits for a decision",
                               exact=False)).to_have_attribute(
        "href", f"/rounds/{people['round']}/review")
    assert_accessible(page)
    assert_reflows(page)


def test_every_problem_of_a_proposal_at_once_and_the_pages_fit_a_phone(
        page, people, assert_accessible, assert_reflows):
    round_id = people["round"]
    sign_in(page, people["resident"])
    page.goto(f"/rounds/{round_id}/proposals/new")
    page.get_by_label("Title").fill("T" * 201)
    page.get_by_label("Summary").fill("S" * 501)
    page.get_by_label("Item 1").fill("Food")
    page.get_by_label("Amount 1, in pounds").fill("lots")
    page.get_by_role("button", name="Save as a draft").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    for link in ("#title", "#summary", "#cost_lines-0-amount"):
        expect(summary.locator(f'a[href="{link}"]')).to_have_count(1)
    expect(page.locator("#cost_lines-0-amount-error")).to_be_visible()
    assert_accessible(page)
    assert_reflows(page)
    for path in ("/rounds/", f"/rounds/{round_id}", f"/rounds/{round_id}/proposals",
                 f"/proposals/{people['proposal']}", "/proposals/mine",
                 f"/rounds/{round_id}/proposals/new"):
        page.set_viewport_size({"width": 1024, "height": 800})
        page.goto(path)
        assert_reflows(page)
        assert_accessible(page)


def test_the_lead_pages_fit_a_phone(page, people, assert_accessible, assert_reflows):
    round_id = people["round"]
    sign_in(page, people["lead"])
    for path in ("/rounds/", f"/rounds/{round_id}", f"/rounds/{round_id}/edit",
                 f"/rounds/{round_id}/edit?step=rules", f"/rounds/{round_id}/review",
                 f"/proposals/{people['proposal']}/review"):
        page.set_viewport_size({"width": 1024, "height": 800})
        page.goto(path)
        assert_reflows(page)
        assert_accessible(page)
