"""The home page in a real browser: styled by GOV.UK Frontend, scripts started, all local."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_home_page_is_styled_local_and_keyboard_ready(page, live_server):
    """The stylesheet applies, the skip link comes first and works, nothing leaves the host."""
    requested: list[str] = []
    failed: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("response", lambda response: response.ok or failed.append(response.url))

    response = page.goto("/")

    assert response is not None and response.status == 200
    # Set by GOV.UK Frontend's stylesheet as configured in app.scss: the system font
    # stack instead of GDS Transport, and the skip link moved off-screen until focused.
    skip_link = page.evaluate(
        "(({fontFamily, position}) => ({fontFamily, position}))"
        "(getComputedStyle(document.querySelector('.govuk-skip-link')))"
    )
    assert skip_link["fontFamily"].startswith("system-ui")
    assert "GDS Transport" not in skip_link["fontFamily"]
    assert skip_link["position"] == "absolute"

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "govuk-skip-link"
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    # GOV.UK Frontend's skip-link module (started by app.mjs) moves focus to <main>.
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()

    assert {live_server + "/static/build/" + name for name in ("app.css", "app.mjs")} <= set(
        requested
    )
    assert failed == []
    assert [url for url in requested if not url.startswith(live_server + "/")] == []
    assert {cookie["name"] for cookie in page.context.cookies()} <= {"session"}


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/sign-in"])
def test_pages_pass_axe_checks(page, assert_accessible, path):
    """The home page, the error page and a form meet WCAG 2.2 AA as far as axe can tell."""
    page.goto(path)

    assert_accessible(page)


def test_form_errors_pass_axe_checks_and_take_focus(page, assert_accessible):
    """After a bad submit the error summary has focus and the page still passes axe."""
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert page.title().startswith("Error: ")
    assert_accessible(page)
