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
    """Sign out with the button in the header."""
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
