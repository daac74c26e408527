"""Take the README's screenshots of the demo: ``python docs/take_screenshots.py [BASE_URL]``.

Run it against a fresh ``make run`` (http://127.0.0.1:5000 by default); it signs in as the
demo's people and writes JPEGs into docs/screenshots/. Needs Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PASSWORDS = {"resident@example.org": "demo-resident-password"}
STAFF_PASSWORD = "demo-staff-password"
# (who is signed in, or None; the page; the file's name; the window's width; the whole page?)
SHOTS = [
    (None, "/", "home", 1280, False),
    (None, "/", "home-phone", 375, True),
    ("resident@example.org", "/localities/eildon", "locality", 1280, False),
    ("resident@example.org", "ballot", "ballot-phone", 375, True),
    (None, "/results/round/4", "results", 1280, True),
    (None, "/reports/year/2026", "year-report", 1280, False),
    ("lead.eildon@example.org", "/rounds/new", "round-form", 1280, True),
    ("finance@example.org", "/results/ledger", "ledger-phone", 375, True),
]


def sign_in(page, email: str) -> None:
    """Sign in through the page as one of the demo's people."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORDS.get(email, STAFF_PASSWORD))
    page.get_by_role("button", name="Sign in").click()


def open_ballot(page) -> None:
    """Start voting in the demo's Eildon round and tick two projects."""
    page.goto("/rounds/1/vote")
    page.get_by_role("button", name="Start voting").click()
    boxes = page.locator("input[name=project]")
    boxes.nth(0).check()
    boxes.nth(3).check()


def main(base_url: str) -> None:
    """Take every screenshot in SHOTS."""
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless"])
        for who, path, name, width, whole in SHOTS:
            context = browser.new_context(base_url=base_url, viewport={
                "width": width, "height": 900 if width > 400 else 740})
            page = context.new_page()
            if who:
                sign_in(page, who)
            if path == "ballot":
                open_ballot(page)
            else:
                page.goto(path)
            page.screenshot(path=OUT / f"{name}.jpg", type="jpeg", quality=70, full_page=whole)
            print(f"{name}: {page.url}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
