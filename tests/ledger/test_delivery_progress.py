"""What happened to the money: delivery status, the exact share spent from the ledger, and
dated public updates written on the allocation's ledger page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import RoundFactory, UserFactory, finance_officer, group_lead
from results.builders import cast, make_projects, publish
from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.ledger.delivery import delivery_progress
from pb_app.ledger.models import Allocation, DeliveryUpdate
from pb_app.ledger.services import add_entry, set_delivery

TODAY = datetime.now(UTC).date()


@pytest.fixture
def published():
    """A published round that funded a lunch club (£3,333.33) and a bus (£5,000), not walks."""
    round_ = RoundFactory(to_count=True, budget_pence=1_000_000, title="Cheviot Chest")
    lunch, bus, walks = make_projects(
        round_, {"Kelso lunch club": 333_333, "Jedburgh bus": 500_000, "Walking group": 300_000})
    cast(round_, [lunch, bus], times=3)
    cast(round_, [walks])
    lead, _ = publish(round_, when=datetime.now(UTC) - timedelta(days=30))
    db.session.commit()
    allocations = {a.proposal.title: a for a in db.session.scalars(
        select(Allocation).where(Allocation.round_id == round_.id))}
    return round_, lead, allocations


def _updates() -> int:
    return db.session.scalar(select(func.count()).select_from(DeliveryUpdate))


def _spend(allocation, lead, pence: int, kind: str = "spend") -> None:
    add_entry(allocation, lead, kind=kind, description="Invoice", amount_pence=pence,
              entry_on=TODAY, today=TODAY)


def test_progress_is_exact_to_the_penny_and_in_the_order_funded(published):
    round_, lead, allocations = published
    lunch, bus = allocations["Kelso lunch club"], allocations["Jedburgh bus"]
    _spend(lunch, lead, 111_111)
    _spend(bus, lead, 499_998)
    _spend(bus, lead, 1, kind="return")
    set_delivery(bus, lead, "delivered")
    progress = delivery_progress(round_)
    assert [p.title for p in progress] == ["Kelso lunch club", "Jedburgh bus"]
    assert [(p.allocated_pence, p.spent_pence, p.returned_pence, p.percent_spent, p.status)
            for p in progress] == [(333_333, 111_111, 0, 33, "Not started"),
                                   (500_000, 499_998, 1, 99, "Delivered")]


def test_an_overspent_project_shows_more_than_all_of_its_money_spent(published):
    round_, lead, allocations = published
    _spend(allocations["Jedburgh bus"], lead, 500_001)
    assert [p.percent_spent for p in delivery_progress(round_)] == [0, 100]
    _spend(allocations["Jedburgh bus"], lead, 4_999)
    assert delivery_progress(round_)[1].percent_spent == 101


def test_the_results_page_shows_each_funded_projects_progress_and_updates(
        client, sign_in, published):
    round_, lead, allocations = published
    lunch, bus = allocations["Kelso lunch club"], allocations["Jedburgh bus"]
    _spend(lunch, lead, 111_111)
    _spend(bus, lead, 499_998)
    _spend(bus, lead, 1, kind="return")
    set_delivery(lunch, lead, "in-progress")
    db.session.commit()
    sign_in(lead)
    page = f"/results/allocation/{lunch.id}/updates/new"
    for day, note in ((TODAY - timedelta(days=1), "The hall is booked."),
                      (TODAY, "The first lunch served 24 people.")):
        added = client.post(page, data={"noted_on": day.isoformat(), "note": note})
        assert added.status_code == 302
    ledger_page = client.get(f"/results/allocation/{lunch.id}").get_data(as_text=True)
    assert "The hall is booked." in ledger_page and "Add an update for the public" in ledger_page
    with client.session_transaction() as session:
        session.clear()

    text = client.get(f"/results/round/{round_.id}").get_data(as_text=True)
    assert "What happened to the money" in text
    assert "£1,111.11 spent of the £3,333.33 allocated (33%)" in text
    assert "£4,999.98 spent of the £5,000 allocated (99%); £0.01 handed back unspent" in text
    assert 'max="333333" value="111111"' in text
    assert "In progress" in text and "No updates yet." in text
    newest, older = text.index("The first lunch served 24 people."), text.index("The hall")
    assert newest < older
    assert f'datetime="{TODAY.isoformat()}"' in text
    assert "Walking group" not in text.split("What happened to the money")[1]


@pytest.mark.parametrize(("data", "message"), [
    ({"noted_on": TODAY.isoformat(), "note": "  "}, "Enter the update"),
    ({"noted_on": TODAY.isoformat(), "note": "x" * 501}, "500 characters or fewer"),
    ({"noted_on": (TODAY + timedelta(days=1)).isoformat(), "note": "Soon"}, "in the future"),
    ({"noted_on": "2020-01-01", "note": "Early"}, "before the money was allocated"),
    ({"noted_on": "1 May", "note": "Bad date"}, "Enter the date as YYYY-MM-DD"),
])
def test_a_bad_update_gets_a_message_and_nothing_is_written(client, sign_in, published, data,
                                                            message):
    _, lead, allocations = published
    sign_in(lead)
    refused = client.post(
        f"/results/allocation/{allocations['Kelso lunch club'].id}/updates/new", data=data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert message in page and 'class="govuk-error-summary' in page
    assert _updates() == 0


def test_only_the_localitys_lead_and_finance_officers_write_updates(client, sign_in, published):
    round_, _, allocations = published
    page = f"/results/allocation/{allocations['Jedburgh bus'].id}/updates/new"
    data = {"noted_on": TODAY.isoformat(), "note": "Bus ordered."}
    resident, stranger_lead = UserFactory(), group_lead(RoundFactory(to_count=True).locality)
    officer = finance_officer()
    db.session.commit()
    for person in (resident, stranger_lead):
        sign_in(person)
        assert client.post(page, data=data).status_code == 403
        assert client.get(page).status_code == 403
    assert _updates() == 0
    sign_in(officer)
    assert client.post(page, data=data).status_code == 302
    update = db.session.scalars(select(DeliveryUpdate)).one()
    assert (update.note, update.noted_on, update.written_by_id) == (
        "Bus ordered.", TODAY, officer.id)
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "ledger.delivery_update" and entry.round_id == round_.id


def test_a_round_with_nothing_funded_yet_shows_no_progress():
    assert delivery_progress(RoundFactory(to_count=True)) == []
