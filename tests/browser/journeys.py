"""Steps that browser journeys share: signing in and out through the pages."""

from __future__ import annotations

from factories import DEFAULT_PASSWORD
from playwright.sync_api import expect


def sign_in(page, email: str) -> None:
    """Sign in with the test password, as someone without a second factor."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page) -> None:
    """Sign out with the button in the header (always shown, at any width: the "Sign in" link
    that replaces it may be folded into the navigation's menu on a phone)."""
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.locator('header a[href$="/sign-in"]')).to_have_count(1)
