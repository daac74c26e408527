"""The allocation ledger: allocations at sign-off, spend and returns, flags, totals, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from factories import LocalityFactory, RoundFactory, UserFactory, group_lead
from results.builders import make_projects, staff, stored_snapshot
from sqlalchemy import func, select

from pb_app.errors import InvalidInput, PermissionDenied
from pb_app.extensions import db
from pb_app.ledger.models import LedgerEntry
from pb_app.ledger.services import (
    OVERSPENT,
    UNDERSPENT,
    add_entry,
    ledger_csv,
    ledger_lines,
    ledger_totals,
    set_delivery,
)
from pb_app.results.services import sign_off

TODAY = date(2026, 11, 22)


def _signed(round_, amounts, when):
    lead, counter, officer = staff(round_)
    projects = make_projects(round_, {f"Project {i}": amount for i, amount in enumerate(amounts)})
    snapshot = stored_snapshot(round_, counter, list(zip(projects, amounts, strict=True)))
    sign_off(snapshot, officer, now=when)
    return lead, {
        line.allocation.proposal.title: line.allocation
        for line in ledger_lines(round_ids=[round_.id])
    }


def test_sign_off_creates_one_allocation_per_funded_project():
    round_ = RoundFactory(to_count=True, budget_pence=1_000_000)
    _, allocations = _signed(round_, [250_050, 400_000], datetime(2026, 6, 1, tzinfo=UTC))
    assert {title: a.amount_pence for title, a in allocations.items()} == {
        "Project 0": 250_050,
        "Project 1": 400_000,
    }
    assert {a.financial_year for a in allocations.values()} == {2026}
    assert {a.delivery for a in allocations.values()} == {"not-started"}


def test_spend_returns_balance_and_flags():
    round_ = RoundFactory(to_count=True)
    lead, allocations = _signed(
        round_, [100_000, 200_000, 300_000], datetime(2026, 6, 1, tzinfo=UTC)
    )
    over, under, fine = allocations["Project 0"], allocations["Project 1"], allocations["Project 2"]
    add_entry(
        over,
        lead,
        kind="spend",
        description="Minibus hire",
        amount_pence=100_001,
        entry_on=TODAY,
        today=TODAY,
    )
    add_entry(
        under,
        lead,
        kind="spend",
        description="Venue",
        amount_pence=150_000,
        entry_on=TODAY,
        today=TODAY,
    )
    set_delivery(under, lead, "delivered")
    add_entry(
        fine,
        lead,
        kind="spend",
        description="Tutor",
        amount_pence=299_999,
        entry_on=TODAY,
        today=TODAY,
    )
    add_entry(
        fine, lead, kind="return", description="Unused", amount_pence=1, entry_on=TODAY, today=TODAY
    )
    set_delivery(fine, lead, "delivered")
    lines = {line.allocation.proposal.title: line for line in ledger_lines(round_ids=[round_.id])}
    assert (lines["Project 0"].balance_pence, lines["Project 0"].flag) == (-1, OVERSPENT)
    assert (lines["Project 1"].balance_pence, lines["Project 1"].flag) == (50_000, UNDERSPENT)
    assert (lines["Project 2"].balance_pence, lines["Project 2"].flag) == (0, None)
    assert lines["Project 2"].returned_pence == 1


def test_totals_per_locality_and_year_reconcile_to_the_penny():
    cheviot = LocalityFactory(name="Cheviot")
    eildon = LocalityFactory(name="Eildon")
    lead, first = _signed(
        RoundFactory(to_count=True, locality=cheviot, budget_pence=1_000_000),
        [333_333, 333_333],
        datetime(2026, 3, 30, tzinfo=UTC),
    )
    _signed(RoundFactory(to_count=True, locality=cheviot,
                         budget_pence=500_000), [499_999], datetime(2026, 4, 2, tzinfo=UTC))
    _signed(
        RoundFactory(to_count=True, locality=eildon, budget_pence=2_000_001),
        [1_000_000, 999_999, 1],
        datetime(2026, 9, 9, tzinfo=UTC),
    )
    add_entry(
        first["Project 0"],
        lead,
        kind="spend",
        description="Chairs",
        amount_pence=123_45,
        entry_on=TODAY,
        today=TODAY,
    )
    add_entry(
        first["Project 0"],
        lead,
        kind="return",
        description="Left",
        amount_pence=209_888,
        entry_on=TODAY,
        today=TODAY,
    )
    totals = {(t.locality, t.financial_year): t for t in ledger_totals()}
    assert sorted(totals) == [("Cheviot", 2025), ("Cheviot", 2026), ("Eildon", 2026)]
    cheviot_2025 = totals[("Cheviot", 2025)]
    assert (cheviot_2025.budget_pence, cheviot_2025.allocated_pence) == (1_000_000, 666_666)
    assert (cheviot_2025.spent_pence, cheviot_2025.returned_pence) == (12_345, 209_888)
    assert cheviot_2025.unallocated_pence == 333_334
    assert cheviot_2025.outstanding_pence == 666_666 - 12_345 - 209_888
    assert totals[("Cheviot", 2026)].unallocated_pence == 1
    assert totals[("Eildon", 2026)].allocated_pence == 2_000_000
    assert totals[("Eildon", 2026)].unallocated_pence == 1
    assert all(total.reconciles for total in totals.values())
    everything = ledger_lines()
    assert sum(line.allocation.amount_pence for line in everything) == 666_666 + 499_999 + 2_000_000
    assert sum(t.budget_pence for t in totals.values()) == 3_500_001


@pytest.mark.parametrize(
    "kind, description, amount, day, message",
    [
        ("spend", "", 100, TODAY, "Enter what the money was for"),
        ("spend", "Hall", 0, TODAY, "more than £0"),
        ("spend", "Hall", -5, TODAY, "more than £0"),
        ("spend", "Hall", 100, date(2026, 11, 23), "future"),
        ("refund", "Hall", 100, TODAY, "spend or funds returned"),
        ("return", "Too much", 100_001, TODAY, "more than the money left"),
        ("spend", "x" * 201, 100, TODAY, "200 characters"),
    ],
)
def test_bad_entries_are_refused_and_nothing_written(kind, description, amount, day, message):
    lead, allocations = _signed(RoundFactory(to_count=True), [100_000],
                                datetime(2026, 6, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput, match=message):
        add_entry(
            allocations["Project 0"],
            lead,
            kind=kind,
            description=description,
            amount_pence=amount,
            entry_on=day,
            today=TODAY,
        )
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_only_the_locality_lead_or_finance_can_record():
    _, allocations = _signed(RoundFactory(to_count=True), [100_000],
                             datetime(2026, 6, 1, tzinfo=UTC))
    allocation = allocations["Project 0"]
    for outsider in (UserFactory(), group_lead(LocalityFactory())):
        with pytest.raises(PermissionDenied):
            add_entry(
                allocation,
                outsider,
                kind="spend",
                description="Hall",
                amount_pence=5,
                entry_on=TODAY,
                today=TODAY,
            )
        with pytest.raises(PermissionDenied):
            set_delivery(allocation, outsider, "delivered")
    with pytest.raises(InvalidInput):
        set_delivery(allocation, group_lead(allocation.locality), "finished")


def test_ledger_csv_is_safe_against_formula_injection():
    round_ = RoundFactory(to_count=True, title='=HYPERLINK("http://evil","x")')
    lead, allocations = _signed(round_, [100_000], datetime(2026, 6, 1, tzinfo=UTC))
    allocations["Project 0"].proposal.title = "+SUM(A1:A9)"
    add_entry(
        allocations["Project 0"],
        lead,
        kind="spend",
        description="Hall",
        amount_pence=100_050,
        entry_on=TODAY,
        today=TODAY,
    )
    rows = list(csv.reader(io.StringIO(ledger_csv(ledger_lines(round_ids=[round_.id])))))
    assert rows[0][:5] == ["financial_year", "locality", "round", "project", "allocated_gbp"]
    row = rows[1]
    assert row[2] == '\'=HYPERLINK("http://evil","x")'
    assert row[3] == "'+SUM(A1:A9)"
    assert row[4:10] == ["1000.00", "1000.50", "0.00", "-0.50", "not-started", "overspent"]
