"""Photos and delivery progress in headless Chromium: a proposer adds a photo with its alt
text (and is told when it is missing), the photo loads under the page's security policy on
the proposal's page and beside its project on the ballot, and the results page shows what
happened to the money; each page accessible and at 320 px without sideways scrolling."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import ProposalFactory, RoundFactory
from journeys import sign_in, sign_out
from PIL import Image
from playwright.sync_api import expect
from results.builders import cast, make_projects, publish
from rounds.fixtures import live_round, make_user
from voting.builders import place, resident, voting_round

from pb_app.accounts.models import GROUP_LEAD
from pb_app.extensions import db
from pb_app.ledger.delivery import add_delivery_update
from pb_app.ledger.services import add_entry, ledger_lines, set_delivery
from pb_app.pictures.services import store_photo
from pb_app.proposals.models import Status
from pb_app.rounds.models import Phase

pytestmark = pytest.mark.browser
ALT = "Volunteers serving soup at long tables in a village hall"


def _jpeg(size=(1200, 900)) -> bytes:
    out = io.BytesIO()
    picture = Image.new("RGB", size, (90, 150, 220))
    picture.paste((60, 160, 70), (0, size[1] * 2 // 3, size[0], size[1]))
    picture.save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path, monkeypatch):
    """Photos on disk in the test's own folder (the live server reads the same config)."""
    monkeypatch.setitem(app.config, "PICTURES_STORAGE", "disk")
    monkeypatch.setitem(app.config, "PICTURES_DIR", str(tmp_path / "pictures"))


@pytest.fixture
def draft(app):
    """A resident's draft proposal in a Galashiels round taking proposals; (id, email)."""
    with app.app_context():
        locality = place("Eildon", "TD1")
        proposer = make_user("Rab Resident", locality)
        proposal = ProposalFactory(round=live_round(locality, Phase.PROPOSALS_OPEN),
                                   proposer=proposer, status=Status.DRAFT,
                                   title="Galashiels soup lunch")
        db.session.commit()
        found = (proposal.id, proposer.email)
        db.session.remove()
    return found


def _loaded(page, selector: str) -> None:
    """The image was fetched and decoded (the security policy let it through)."""
    expect(page.locator(selector).first).to_be_visible()
    assert page.locator(selector).first.evaluate("img => img.complete && img.naturalWidth > 0")


def test_a_proposer_adds_a_photo_with_alt_text(page, draft, assert_accessible, assert_reflows):
    proposal_id, email = draft
    sign_in(page, email)
    page.goto(f"/proposals/{proposal_id}")
    page.get_by_role("link", name="Add photos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Photos")
    assert_accessible(page)
    assert_reflows(page)

    page.set_viewport_size({"width": 1024, "height": 800})
    photo = {"name": "soup.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    page.get_by_label("Photo", exact=True).set_input_files(photo)
    page.get_by_role("button", name="Add photo").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Describe the photo for people who cannot see it")
    assert page.title().startswith("Error: ")
    assert_accessible(page)

    page.get_by_label("Photo", exact=True).set_input_files(photo)
    page.get_by_label("Describe the photo (alt text)").fill(ALT)
    page.get_by_role("button", name="Add photo").click()
    expect(page.locator("body")).to_contain_text("The photo has been added.")
    _loaded(page, f'img[alt="{ALT}"]')
    assert_accessible(page)
    assert_reflows(page)

    page.goto(f"/proposals/{proposal_id}")
    _loaded(page, f'img[alt="{ALT}"]')
    assert_accessible(page)
    assert_reflows(page)
    sign_out(page)


@pytest.fixture
def ballot(app):
    """A round in voting whose first project has a photo; (round id, a voter's email)."""
    with app.app_context():
        locality = place("Cheviot", "TD5")
        round_ = voting_round(locality, costs=(300_000, 200_000))
        first = min(round_ballot(round_), key=lambda p: p.id)
        lead = make_user("Cheviot Lead", locality, GROUP_LEAD, locality)
        store_photo(first, lead, _jpeg(), "soup.jpg", ALT)
        voter = resident("Isla", "TD5 7AB", date(1961, 8, 14))
        db.session.commit()
        found = (round_.id, voter.email)
        db.session.remove()
    return found


def round_ballot(round_) -> list:
    """The projects on a round's ballot."""
    from pb_app.voting.services import ballot_proposals

    return ballot_proposals(round_)


def test_the_ballot_shows_the_photo_beside_its_project(page, ballot, assert_accessible,
                                                       assert_reflows):
    round_id, email = ballot
    sign_in(page, email)
    page.goto(f"/rounds/{round_id}/vote/ballot")
    _loaded(page, f'img[alt="{ALT}"]')
    assert page.locator("img").count() == 1
    assert_accessible(page)
    assert_reflows(page)
    box = page.locator(f'img[alt="{ALT}"]').bounding_box()
    assert box["x"] + box["width"] <= 320


@pytest.fixture
def published(app):
    """A published round whose funded lunch club has spend and two public updates."""
    with app.app_context():
        round_ = RoundFactory(to_count=True, budget_pence=1_000_000,
                              title="Cheviot Community Chest")
        lunch, bus = make_projects(round_, {"Kelso lunch club with a rather long name for a"
                                            " narrow screen": 333_333, "Jedburgh bus": 500_000})
        cast(round_, [lunch, bus], times=3)
        lead, _ = publish(round_, when=datetime.now(UTC) - timedelta(days=20))
        today = datetime.now(UTC).date()
        first = ledger_lines(round_ids=[round_.id])[0].allocation
        add_entry(first, lead, kind="spend", description="Food", amount_pence=111_111,
                  entry_on=today, today=today)
        set_delivery(first, lead, "in-progress")
        for days, note in ((10, "The hall is booked."), (1, "The first lunch was served.")):
            add_delivery_update(first, lead, note=note, noted_on=today - timedelta(days=days),
                                today=today)
        db.session.commit()
        found = round_.id
        db.session.remove()
    return found


def test_the_results_page_shows_what_happened_to_the_money(page, published, assert_accessible,
                                                           assert_reflows):
    page.goto(f"/results/round/{published}")
    section = page.locator("section.app-delivery")
    expect(section).to_contain_text("£1,111.11 spent of the £3,333.33 allocated (33%)")
    expect(section).to_contain_text("The first lunch was served.")
    expect(section).to_contain_text("In progress")
    assert_accessible(page)
    assert_reflows(page)
