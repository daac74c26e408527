"""Fixtures for tests that drive headless Chromium against the app served for real.

``live_server`` serves the session's ``app`` (and so its test database) over HTTP on
127.0.0.1; ``page`` is a fresh Playwright page (own cookies) per test, with ``goto`` paths
relative to the server; ``assert_accessible(page)`` runs axe-core on the page as it stands, and
``assert_reflows(page)`` checks that it does not scroll sideways at 320 px, and
``look_over(name)`` does both (at 375 and 320 px) on each page of a journey, failing at
``look_over.done()`` with every problem found.

Every test in this folder is marked ``browser`` and ``committing``: the server answers from
its own thread and connections, so it only sees committed rows, and the tables are emptied
after each test.

Needs the Debian packages ``chromium`` and ``chromium-driver``, the PyPI package
``playwright`` (its own browser download is not used) and the built assets
(``npm ci && npm run build``, which also installs axe-core).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rounds.fixtures import outbox  # noqa: F401  (the emails the app sends)
from werkzeug.serving import make_server

CHROMIUM = Path(os.environ.get("PB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HERE = Path(__file__).parent
AXE = HERE.parents[1] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA, as the public sector accessibility regulations require, plus
# axe's best practices (landmarks, one h1, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser`` and ``committing``."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.committing)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served on a free port of 127.0.0.1; yields its base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the system packages, driven by Playwright."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed: apt-get install chromium chromium-driver")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed: pip install playwright")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A new page in a new browser context (no cookies), with a 10-second default timeout.

    The test fails if the page logged any Content Security Policy violation: the policy is
    strict, and whatever it blocks is broken for real users too.
    """
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    blocked = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert blocked == [], "the page broke its Content Security Policy"


@pytest.fixture
def assert_accessible():
    """A check that fails, naming each rule and element, if axe-core finds a violation."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run npm ci")

    def check(page) -> None:
        page.evaluate(AXE.read_text())  # evaluated by the browser's tools, so the CSP allows it
        result = page.evaluate("tags => axe.run(document, {runOnly: tags})", AXE_TAGS)
        problems = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(str(node["target"]) for node in violation["nodes"])
            + f" ({violation['nodes'][0].get('failureSummary', '')})"
            for violation in result["violations"]
        ]
        assert problems == [], f"accessibility problems on {page.url}"

    return check


SCREENSHOTS = os.environ.get("PB_SCREENSHOTS")
NARROW = (375, 320)  # a common phone, and the 320 CSS px that WCAG 1.4.10 (reflow) asks for

# The innermost elements that reach past the right edge of the window, as CSS-like names.
WIDE_ELEMENTS = """() => {
  const wide = [...document.querySelectorAll("body *")].filter(
    element => element.getBoundingClientRect().right > window.innerWidth + 0.5);
  return wide.filter(element => !wide.some(other => other !== element && element.contains(other)))
    .slice(0, 5).map(element => element.tagName.toLowerCase()
      + (element.id ? "#" + element.id : "")
      + [...element.classList].map(name => "." + name).join("")
      + " (" + Math.round(element.getBoundingClientRect().right) + " px)");
}"""


def sideways_scrolling(page, width: int) -> str | None:
    """At ``width`` CSS px, what scrolls sideways on the page (None when nothing does).

    Leaves the window at that width; media queries apply on resizing, so nothing reloads.
    """
    page.set_viewport_size({"width": width, "height": 800})
    wide, viewport = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    if wide <= viewport:
        return None
    return (f"{page.url} is {wide} px wide at {width} px: "
            + ", ".join(page.evaluate(WIDE_ELEMENTS)))


@pytest.fixture
def assert_reflows():
    """A check that fails if the page scrolls sideways at ``width`` (320) px (WCAG 1.4.10),
    naming the elements that stick out; the page is left at that width."""

    def check(page, width: int = 320) -> None:
        problem = sideways_scrolling(page, width)
        assert problem is None, problem

    return check


class Inspector:
    """Checks each page a journey reaches: axe, and no sideways scrolling at 375 and 320 px.

    Problems are collected, so that one run names them all, and ``done`` fails on any. With
    ``PB_SCREENSHOTS=/some/folder`` each page is also saved there at 1280 and 375 px.
    """

    def __init__(self, page, assert_accessible) -> None:
        self.page, self.assert_accessible = page, assert_accessible
        self.problems: list[str] = []
        self.names: list[str] = []

    def __call__(self, name: str) -> None:
        """Check the page as it stands (``name`` names it and its screenshots)."""
        page = self.page
        self.names.append(name)
        page.wait_for_load_state()
        try:
            self.assert_accessible(page)
        except AssertionError as error:
            self.problems.append(f"{name}: {error}")
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SCREENSHOTS}/{name}-1280.png", full_page=True)
        try:
            for width in NARROW:
                problem = sideways_scrolling(page, width)
                if SCREENSHOTS and width == 375:
                    page.screenshot(path=f"{SCREENSHOTS}/{name}-375.png", full_page=True)
                if problem:
                    self.problems.append(f"{name}: {problem}")
        finally:
            page.set_viewport_size({"width": 1280, "height": 720})

    def done(self) -> None:
        """Fail naming every problem found on the pages checked."""
        assert self.problems == [], "\n".join(self.problems)


@pytest.fixture
def look_over(page, assert_accessible) -> Inspector:
    """``look_over(name)`` checks the page as it stands; ``look_over.done()`` at the end."""
    return Inspector(page, assert_accessible)


def _missing(reason: str) -> None:
    """Skip on a developer's machine without a browser; fail in CI, where it must be there."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
