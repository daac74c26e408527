"""In headless Chromium: a lead counts, a finance officer signs off, the lead publishes, and a
resident reads the result, checks a receipt and opens the oversight report."""

from __future__ import annotations

import pytest
from browser.journeys import sign_in, sign_out
from factories import RoundFactory
from playwright.sync_api import expect
from results.builders import cast, make_projects, paper_batch, staff

from pb_app.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def closed_round(app):
    """A closed round with six ballots (two on paper), its lead and a finance officer."""
    with app.app_context():
        round_ = RoundFactory(to_count=True, budget_pence=1_000_000,
                              title="Cheviot Community Chest")
        lunch, bus, walks = make_projects(
            round_, {"Kelso lunch club": 400_000, "Jedburgh bus": 500_000, "Walking group": 200_000}
        )
        cast(round_, [lunch, bus], times=3)
        batch = paper_batch(round_, declared=2)
        cast(round_, [lunch, walks], times=2, channel="paper", batch=batch)
        (code,) = cast(round_, [bus, walks])
        lead, _, officer = staff(round_)
        db.session.commit()
        found = (round_.id, lead.email, officer.email, code)
        db.session.remove()
    return found


def test_count_sign_off_publish_and_check_a_receipt(page, closed_round, look_over):
    round_id, lead, officer, code = closed_round
    sign_in(page, lead)
    page.goto(f"/results/round/{round_id}/count")
    page.get_by_role("button", name="Run the count").click()
    expect(page.locator("main")).to_contain_text("Waiting for a finance officer to sign it off")
    look_over("count-waiting")
    sign_out(page)

    sign_in(page, officer)
    page.goto(f"/results/round/{round_id}/count")
    page.get_by_role("button", name="Sign off this result").click()
    expect(page.locator("body")).to_contain_text("Result signed off")
    sign_out(page)

    sign_in(page, lead)
    page.goto(f"/results/round/{round_id}/count")
    page.get_by_role("button", name="Publish the result").click()
    expect(page.locator("h1")).to_contain_text("Results: Cheviot Community Chest")
    sign_out(page)

    page.goto(f"/results/round/{round_id}")
    text = page.inner_text("main")
    assert "Results: Cheviot Community Chest" in text
    assert "It had 5 votes and cost £4,000. It was funded" in text
    assert "£9,000" in text and "£1,000" in text
    look_over("results-published")

    page.get_by_role("link", name="Check your ballot was counted with your receipt code").click()
    page.get_by_label("Your receipt code").fill(code)
    page.get_by_role("button", name="Check my ballot").click()
    expect(page.locator("main")).to_contain_text("Your ballot was counted")
    look_over("results-receipt-counted")

    page.goto(f"/reports/round/{round_id}")
    assert "Oversight report: Cheviot Community Chest" in page.inner_text("main")
    look_over("round-report")
    look_over.done()
