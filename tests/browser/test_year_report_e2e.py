"""In headless Chromium: the year's oversight report on a realistic year, read at 1280 px, is
accessible, and fits a 320 px screen without sideways scrolling (its tables become lists)."""

from __future__ import annotations

import pytest
from reports.year_data import realistic_year

pytestmark = pytest.mark.browser


@pytest.fixture
def published_year(app):
    """The realistic year of three localities, committed for the live server."""
    with app.app_context():
        realistic_year()
        from pb_app.extensions import db

        db.session.remove()


def test_the_year_report_reads_at_1280_and_reflows_at_320(
        page, published_year, assert_accessible, assert_reflows):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/reports/year/2026")
    main = page.inner_text("main")
    assert "Participatory budgeting oversight report 2026-27" in main
    assert "Self-reported" in main and "Recorded" in main
    summary = page.locator("#summary")
    assert "425" in summary.inner_text()
    assert_accessible(page)
    assert_reflows(page, 375)  # a phone: the page was once 1,075 px wide here
    assert_reflows(page, 320)
    assert_accessible(page)


def test_a_year_without_rounds_links_to_the_years_with_reports(
        page, published_year, assert_accessible, assert_reflows):
    response = page.goto("/reports/year/1900")
    assert response.status == 404
    page.get_by_role("link", name="Financial year 2026-27").click()
    assert page.url.endswith("/reports/year/2026")
    page.goto("/reports/year/1900")
    assert_accessible(page)
    assert_reflows(page, 320)
