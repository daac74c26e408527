"""In headless Chromium: the count explained in words, why each project was funded or not, and
spending against the budget, on the count, results and recount pages, accessible and without
sideways scrolling on a 320 px screen."""

from __future__ import annotations

import pytest
from browser.journeys import sign_in
from factories import RoundFactory
from results.builders import cast, make_projects, staff

from pb_app.extensions import db
from pb_app.results.services import count_round, publish_result, sign_off

pytestmark = pytest.mark.browser

LONG_TITLE = "Ettrick and Yarrow valleys community transport for hospital appointments"


@pytest.fixture
def published_round(app):
    """A published greedy round: lunch club and the long-named transport funded, walks not."""
    with app.app_context():
        round_ = RoundFactory(to_count=True, budget_pence=1_000_000, title="Eildon Community Chest")
        lunch, bus, walks = make_projects(
            round_, {"Lunch club": 400_000, LONG_TITLE: 500_000, "Walking group": 200_000}
        )
        cast(round_, [lunch, bus], times=3)
        cast(round_, [lunch, walks], times=2)
        cast(round_, [bus, walks])
        lead, _, officer = staff(round_)
        snapshot = count_round(round_, lead)
        sign_off(snapshot, officer)
        publish_result(round_, lead)
        db.session.commit()
        found = (round_.id, officer.email, str(walks.id))
        db.session.remove()
    return found


def _check_explained(page, walks_id: str) -> None:
    """The page explains the count in words and pounds, with the why and the spending."""
    main = page.inner_text("main")
    assert "Lunch club had 5 votes and cost £4,000: funded, leaving £6,000." in main
    why = page.inner_text(f"#project-{walks_id}")
    assert "It was £1,000 short at step 4." in why
    assert f"With 4 votes (1 more) it would have come before {LONG_TITLE}" in why
    assert "1,000,000" not in main and "raises checked" not in main
    chart = page.locator("svg.app-spending-chart")
    assert chart.is_visible()
    assert "Budget £10,000" in chart.inner_html() and "£9,000" in chart.inner_html()


def test_the_count_page_explains_the_count_and_fits_a_phone(
    page, published_round, assert_accessible, assert_reflows
):
    round_id, officer, walks_id = published_round
    sign_in(page, officer)
    page.goto(f"/results/round/{round_id}/count")
    _check_explained(page, walks_id)
    assert_accessible(page)
    assert_reflows(page, 320)
    chart_width = page.locator("svg.app-spending-chart").bounding_box()["width"]
    assert chart_width <= 320
    _check_explained(page, walks_id)
    assert_accessible(page)


def test_the_results_and_recount_pages_explain_the_count_and_fit_a_phone(
    page, published_round, assert_accessible, assert_reflows
):
    round_id, _, walks_id = published_round
    page.goto(f"/results/round/{round_id}")
    _check_explained(page, walks_id)
    assert_accessible(page)
    assert_reflows(page, 320)
    _check_explained(page, walks_id)
    page.goto(f"/results/round/{round_id}/recount")
    assert_accessible(page)
    assert_reflows(page, 320)
