"""The ledger pages: spend lines and delivery through the forms, totals and the CSV."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import RoundFactory, UserFactory
from results.builders import make_projects, staff, stored_snapshot
from sqlalchemy import func, select

from pb_app.extensions import db
from pb_app.ledger.models import Allocation, LedgerEntry
from pb_app.results.services import sign_off


@pytest.fixture
def allocation():
    """A signed-off allocation of £1,000 and the locality's lead."""
    round_ = RoundFactory(to_count=True, title="Cheviot Chest")
    lead, counter, officer = staff(round_)
    (project,) = make_projects(round_, {"Kelso lunch club": 100_000})
    snapshot = stored_snapshot(round_, counter, [(project, 100_000)])
    review = sign_off(snapshot, officer, now=datetime(2026, 6, 1, tzinfo=UTC))
    db.session.commit()
    return review.snapshot.round, lead, officer


def _allocation_id(round_) -> int:
    return db.session.scalar(select(Allocation.id).where(Allocation.round_id == round_.id))


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def test_lead_records_spend_and_delivery_and_finance_sees_the_totals(
        client, sign_in, allocation):
    round_, lead, officer = allocation
    sign_in(lead)
    allocation_id = _allocation_id(round_)
    page = f"/results/allocation/{allocation_id}"
    added = client.post(
        page,
        data={
            "kind": "spend",
            "description": "Hall hire",
            "amount": "1,250.50",
            "entry_on": "2026-10-01",
        },
    )
    assert added.status_code == 302
    assert client.post(f"{page}/delivery", data={"status": "delivered"}).status_code == 302
    text = client.get(page).get_data(as_text=True)
    assert "£1,250.50" in text and "-£250.50" in text and "Over-spent" in text
    assert ">Delivered</dd>" in text and ">Spend</td>" in text  # words, not stored values
    legend = '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Delivery status'
    assert legend in text

    sign_in(officer)
    ledger = client.get("/results/ledger?year=2026").get_data(as_text=True)
    assert "Kelso lunch club" in ledger and "£1,000" in ledger and "Yes" in ledger
    assert ">Delivered</td>" in ledger
    csv_text = client.get("/results/ledger.csv").get_data(as_text=True)
    assert (
        "2026-27,Locality" in csv_text
        and ",1000.00,1250.50,0.00,-250.50,delivered,overspent," in csv_text
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"kind": "spend", "description": "Hall", "amount": "abc", "entry_on": "2026-10-01"},
            "must be an amount in pounds",
        ),
        (
            {"kind": "spend", "description": "", "amount": "5", "entry_on": "2026-10-01"},
            "Enter what the money was for",
        ),
        (
            {"kind": "spend", "description": "Hall", "amount": "5", "entry_on": "1 October"},
            "Enter the date as YYYY-MM-DD",
        ),
        (
            {
                "kind": "return",
                "description": "Back",
                "amount": "1000.01",
                "entry_on": "2026-10-01",
            },
            "more than the money left",
        ),
    ],
)
def test_bad_spend_lines_get_a_message_and_nothing_is_written(
    client, sign_in, allocation, data, message
):
    round_, lead, _ = allocation
    allocation_id = _allocation_id(round_)
    sign_in(lead)
    response = client.post(f"/results/allocation/{allocation_id}", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "<title>Error: Ledger: Kelso lunch club" in page
    assert 'class="govuk-error-summary' in page  # the summary names the problem first
    assert _entries() == 0


def test_residents_cannot_open_the_ledger(client, sign_in, allocation):
    sign_in(UserFactory())
    db.session.commit()
    assert client.get("/results/ledger").status_code == 403
    assert client.get("/results/ledger.csv").status_code == 403
    assert client.get("/results/ledger?year=twenty").status_code == 403


@pytest.mark.parametrize("query", [
    "year=twenty", "year=%C2%B2", "year=-2026", "year=99999999999999999999",
    "locality=%D9%A3", "locality=99999999999999999999",
])
@pytest.mark.parametrize("page", ["/results/ledger", "/results/ledger.csv"])
def test_a_bad_ledger_filter_is_refused(client, sign_in, allocation, page, query):
    _, _, officer = allocation
    sign_in(officer)
    response = client.get(f"{page}?{query}")
    assert response.status_code == 422
    assert "Choose a year and a locality" in response.get_data(as_text=True)


def test_the_ledger_filters_by_year_and_locality_and_the_csv_follows(
        client, sign_in, allocation):
    round_, _, officer = allocation
    other = RoundFactory(to_count=True, title="Tweed Trust")
    other_lead, other_counter, _ = staff(other)
    (project,) = make_projects(other, {"Peebles walking group": 40_000})
    snapshot = stored_snapshot(other, other_counter, [(project, 40_000)])
    sign_off(snapshot, officer, now=datetime(2027, 6, 1, tzinfo=UTC))
    db.session.commit()
    sign_in(officer)

    everything = client.get("/results/ledger").get_data(as_text=True)
    assert "Kelso lunch club" in everything and "Peebles walking group" in everything
    assert '<option value="2027">2027-28</option>' in everything
    assert '<option value="2026">2026-27</option>' in everything

    one_year = client.get("/results/ledger?year=2027").get_data(as_text=True)
    assert "Peebles walking group" in one_year and "Kelso lunch club" not in one_year
    assert '<option value="2027" selected>2027-28</option>' in one_year
    assert 'href="/results/ledger.csv?year=2027"' in one_year

    locality = f"locality={round_.locality_id}"
    one_place = client.get(f"/results/ledger?{locality}").get_data(as_text=True)
    assert "Kelso lunch club" in one_place and "Peebles walking group" not in one_place
    csv_text = client.get(f"/results/ledger.csv?{locality}").get_data(as_text=True)
    assert "Kelso lunch club" in csv_text and "Peebles walking group" not in csv_text
