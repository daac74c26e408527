"""End to end in headless Chromium: a clerk keys two paper sheets with the keyboard alone,
the page checking the numbers as they are typed; the keying pages pass axe and fit 320 px."""

from __future__ import annotations

import pytest
from journeys import sign_in
from playwright.sync_api import expect
from sqlalchemy import func, select
from voting.builders import lead_of, place, voting_round

from pb_app.extensions import db
from pb_app.paper.models import KeyedSheet
from pb_app.voting.models import PaperBatch

pytestmark = pytest.mark.browser


@pytest.fixture
def keying_batch(app):
    """A committed batch of three sheets in an Eildon round in voting, and its lead's email."""
    with app.app_context():
        round_ = voting_round(place("Eildon", "TD1"))
        lead = lead_of(round_.locality)
        batch = PaperBatch(round_id=round_.id, label="Melrose hall", declared_count=3,
                           created_by_id=lead.id)
        db.session.add(batch)
        db.session.commit()
        found = (f"/rounds/{round_.id}/voting/batches/{batch.id}/keying", lead.email)
        db.session.remove()
    return found


def test_a_clerk_keys_two_sheets_with_the_keyboard_only(app, page, keying_batch, look_over):
    path, email = keying_batch
    sign_in(page, email)
    page.goto(path)
    look_over("paper-batch-rule")
    page.get_by_label("Single keying").check()
    page.get_by_role("button", name="Save the keying rule").click()
    page.get_by_role("link", name="Key sheets").click()

    expect(page.locator("h1")).to_have_text("Sheet 1 of 3")
    expect(page.get_by_label("Project numbers marked on this sheet")).to_be_focused()
    look_over("paper-entry")
    page.keyboard.type("2 9")
    expect(page.locator("#projects-check")).to_contain_text("'9' is not a project number")
    page.keyboard.press("Backspace")
    page.keyboard.type("1")
    expect(page.locator("#projects-check")).to_have_text("2 Project 2; 1 Project 1")
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Sheet 2 of 3")
    expect(page.get_by_text("Sheet 1 keyed: 1 2")).to_be_visible()
    expect(page.get_by_label("Project numbers marked on this sheet")).to_be_focused()
    page.keyboard.type("1 2 3 4")
    expect(page.locator("#projects-check")).to_have_text(
        "Up to 3 projects on this ballot; 4 typed.")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_contain_text("up to 3 projects")
    expect(page.get_by_label("Project numbers marked on this sheet")).to_have_value("1 2 3 4")
    look_over("paper-entry-refused")
    expect(page.get_by_label("Project numbers marked on this sheet")).to_be_focused()
    page.keyboard.press("End")
    for _ in range(2):
        page.keyboard.press("Backspace")
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Sheet 3 of 3")
    expect(page.get_by_text("Sheet 2 keyed: 1 2 3")).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(KeyedSheet)) == 2
        db.session.remove()
    page.goto(path)
    look_over("paper-batch-progress")
    look_over.done()


def test_a_spoilt_sheet_is_keyed_as_a_word_and_set_aside_on_acceptance(app, page, keying_batch):
    path, email = keying_batch
    sign_in(page, email)
    page.goto(path)
    page.get_by_label("Single keying").check()
    page.get_by_role("button", name="Save the keying rule").click()
    page.get_by_role("link", name="Key sheets").click()
    for sheet, typed, check in (
            (1, "1 2", "1 Project 1; 2 Project 2"),
            (2, "Spoilt", "Set aside as spoilt: it counts on the batch, not as a vote."),
            (3, "blank", "Set aside as blank: it counts on the batch, not as a vote.")):
        expect(page.locator("h1")).to_have_text(f"Sheet {sheet} of 3")
        expect(page.get_by_label("Project numbers marked on this sheet")).to_be_focused()
        page.keyboard.type(typed)  # at once: the banner of the sheet before takes no keystroke
        expect(page.locator("#projects-check")).to_have_text(check)
        page.keyboard.press("Enter")
    expect(page.get_by_text("Sheet 3 keyed: blank")).to_be_visible()
    page.get_by_role("button", name="Accept the batch").click()
    expect(page.get_by_text("Batch 'Melrose hall' accepted: 1 ballot in the ballot box; "
                            "1 blank sheet and 1 spoilt sheet set aside.")).to_be_visible()
    expect(page.locator("td[data-label='Blank or spoilt']")).to_have_text("2")
