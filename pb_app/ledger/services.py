"""The allocation ledger: funded projects, their delivery, spend lines and funds returned.

Allocations are created when a finance officer signs a result off, one per funded project,
in the financial year (April to March) of the sign-off. Spend lines and returns are
append-only entries. Totals per locality and year come from two independent sources (the
signed-off snapshots and the allocation rows) and must agree to the penny.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import case, func, select

from pb_app.accounts.models import User
from pb_app.accounts.services import oversees_locality
from pb_app.audit.services import record_event
from pb_app.errors import InvalidInput, NotFound, PermissionDenied
from pb_app.extensions import db
from pb_app.ledger.models import ENTRY_KINDS, RETURN, SPEND, Allocation, Delivery, LedgerEntry
from pb_app.localities.models import Locality
from pb_app.money import financial_year_label, financial_year_of
from pb_app.results.models import SIGNED_OFF, CountSnapshot, SnapshotReview
from pb_app.results.services import result_signed_off
from pb_app.rounds.models import Round

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
OVERSPENT = "overspent"
UNDERSPENT = "underspent"
DELIVERY_LABELS = {status.value: status.label for status in Delivery}
FLAG_LABELS = {OVERSPENT: "Over-spent", UNDERSPENT: "Under-spent: money neither spent nor returned"}


@result_signed_off.connect
def create_allocations(
    snapshot: CountSnapshot, review: SnapshotReview, officer: User
) -> list[Allocation]:
    """One allocation per funded project of a signed-off snapshot; writes one audit entry.
    However a result is signed off (on its page or by ``flask results sign-off``), this runs
    as part of it."""
    year = financial_year_of(review.decided_at.date())
    round_ = snapshot.round
    allocations = [
        Allocation(
            round_id=round_.id,
            locality_id=round_.locality_id,
            proposal_id=int(project),
            review_id=review.id,
            amount_pence=amount,
            financial_year=year,
        )
        for project, amount in json.loads(snapshot.allocation_json)
    ]
    db.session.add_all(allocations)
    db.session.flush()
    record_event(
        "ledger.allocated",
        actor=officer,
        subject=review,
        round_id=round_.id,
        after={
            "snapshot_hash": snapshot.content_hash,
            "financial_year": year,
            "allocations": [[a.proposal_id, a.amount_pence] for a in allocations],
        },
    )
    return allocations


def get_allocation(allocation_id: int) -> Allocation:
    """The allocation with this id; raises NotFound."""
    allocation = db.session.get(Allocation, allocation_id)
    if allocation is None:
        raise NotFound("There is no such allocation")
    return allocation


def can_record(user: User, allocation: Allocation) -> bool:
    """True if ``check_can_record`` lets the user add lines and set delivery (for the page)."""
    try:
        check_can_record(user, allocation)
    except PermissionDenied:
        return False
    return True


def check_can_record(user: User, allocation: Allocation) -> None:
    """Raise PermissionDenied unless the user leads the locality or is finance or admin."""
    if oversees_locality(user, allocation.locality):
        return
    raise PermissionDenied(
        f"Only the group lead of {allocation.locality.name} or a finance officer can do this"
    )


def _validated_entry(
    allocation: Allocation,
    kind: str,
    description: str,
    amount_pence: int,
    entry_on: date,
    today: date,
) -> str:
    description = (description or "").strip()
    if kind not in ENTRY_KINDS:
        raise InvalidInput("Choose whether this is spend or funds returned")
    if not description:
        raise InvalidInput("Enter what the money was for")
    if len(description) > 200:
        raise InvalidInput("The description must be 200 characters or fewer")
    if amount_pence <= 0:
        raise InvalidInput("The amount must be more than £0")
    if entry_on > today:
        raise InvalidInput("The date cannot be in the future")
    if kind == RETURN and amount_pence > max(balance_of(allocation), 0):
        raise InvalidInput("You cannot return more than the money left on this allocation")
    return description


def add_entry(
    allocation: Allocation,
    actor: User,
    *,
    kind: str,
    description: str,
    amount_pence: int,
    entry_on: date,
    today: date,
) -> LedgerEntry:
    """Record a spend line or funds returned against an allocation; writes an audit entry.

    Raises PermissionDenied (not the locality's lead or finance), InvalidInput (unknown kind,
    no description, amount not positive, a date in the future, a return above what is left).
    """
    check_can_record(actor, allocation)
    description = _validated_entry(allocation, kind, description, amount_pence, entry_on, today)
    entry = LedgerEntry(
        allocation=allocation,
        kind=kind,
        description=description,
        amount_pence=amount_pence,
        entry_on=entry_on,
        entered_by_id=actor.id,
        entered_at=datetime.now(UTC),
    )
    db.session.add(entry)
    db.session.flush()
    record_event(
        f"ledger.{kind}",
        actor=actor,
        subject=entry,
        round_id=allocation.round_id,
        after={
            "allocation_id": allocation.id,
            "amount_pence": amount_pence,
            "description": description,
            "entry_on": entry_on,
        },
    )
    return entry


def set_delivery(allocation: Allocation, actor: User, status: str) -> Allocation:
    """Change a funded project's delivery status; writes an audit entry.

    Raises PermissionDenied as ``add_entry``, InvalidInput for an unknown status.
    """
    check_can_record(actor, allocation)
    if status not in {item.value for item in Delivery}:
        raise InvalidInput("Choose a delivery status")
    before = allocation.delivery
    allocation.delivery = status
    db.session.flush()
    record_event(
        "ledger.delivery",
        actor=actor,
        subject=allocation,
        round_id=allocation.round_id,
        before={"delivery": before},
        after={"delivery": status},
    )
    return allocation


def balance_of(allocation: Allocation) -> int:
    """Allocated minus spent minus returned, in pence (negative when over-spent)."""
    query = (
        select(LedgerEntry.kind, func.sum(LedgerEntry.amount_pence))
        .where(LedgerEntry.allocation_id == allocation.id)
        .group_by(LedgerEntry.kind)
    )
    sums = dict(db.session.execute(query).all())
    return allocation.amount_pence - int(sums.get(SPEND, 0)) - int(sums.get(RETURN, 0))


@dataclass(frozen=True)
class LedgerLine:
    """One funded project's money: allocated, spent, returned, balance and any flag."""

    allocation: Allocation
    spent_pence: int
    returned_pence: int

    @property
    def balance_pence(self) -> int:
        """Allocated minus spent minus returned."""
        return self.allocation.amount_pence - self.spent_pence - self.returned_pence

    @property
    def flag(self) -> str | None:
        """``overspent``; ``underspent`` once delivered or cancelled with money left; or None."""
        if self.balance_pence < 0:
            return OVERSPENT
        finished = self.allocation.delivery in (Delivery.DELIVERED, Delivery.CANCELLED)
        return UNDERSPENT if finished and self.balance_pence > 0 else None


def filter_choices() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The financial years and the localities that have allocations, as (value, label)."""
    years = db.session.scalars(
        select(Allocation.financial_year).distinct().order_by(Allocation.financial_year.desc())
    )
    localities = db.session.execute(
        select(Locality.id, Locality.name)
        .where(Locality.id.in_(select(Allocation.locality_id)))
        .order_by(Locality.name)
    )
    return [(y, financial_year_label(y)) for y in years], [(i, name) for i, name in localities]


def ledger_lines(
    *,
    year: int | None = None,
    locality_id: int | None = None,
    round_ids: Sequence[int] | None = None,
) -> list[LedgerLine]:
    """Every allocation (filtered by year, locality, rounds) with its spend and returns."""
    spent = func.coalesce(
        func.sum(case((LedgerEntry.kind == SPEND, LedgerEntry.amount_pence), else_=0)), 0
    )
    returned = func.coalesce(
        func.sum(case((LedgerEntry.kind == RETURN, LedgerEntry.amount_pence), else_=0)), 0
    )
    query = (
        select(Allocation, spent, returned)
        .outerjoin(LedgerEntry, LedgerEntry.allocation_id == Allocation.id)
        .group_by(Allocation.id)
        .order_by(
            Allocation.financial_year, Allocation.locality_id, Allocation.round_id, Allocation.id
        )
    )
    for column, value in ((Allocation.financial_year, year), (Allocation.locality_id, locality_id)):
        if value is not None:
            query = query.where(column == value)
    if round_ids is not None:
        query = query.where(Allocation.round_id.in_(round_ids))
    return [
        LedgerLine(allocation, int(s), int(r)) for allocation, s, r in db.session.execute(query)
    ]


@dataclass(frozen=True)
class LedgerTotal:
    """One locality's money in one financial year, from snapshots and from allocations."""

    locality: str
    financial_year: int
    budget_pence: int
    result_spent_pence: int
    allocated_pence: int
    spent_pence: int
    returned_pence: int

    @property
    def unallocated_pence(self) -> int:
        """Budget the signed-off results left unallocated."""
        return self.budget_pence - self.allocated_pence

    @property
    def outstanding_pence(self) -> int:
        """Allocated money neither spent nor returned yet (negative when over-spent)."""
        return self.allocated_pence - self.spent_pence - self.returned_pence

    @property
    def reconciles(self) -> bool:
        """True when the allocations add up to the signed-off results, to the penny."""
        return self.allocated_pence == self.result_spent_pence


def _signed_off_budgets(
    year: int | None, locality_id: int | None, round_ids: Sequence[int] | None
) -> dict[tuple[str, int], tuple[int, int]]:
    """(locality, year) -> (budget, result spend) summed over signed-off snapshots."""
    query = (
        select(
            Locality.name,
            SnapshotReview.decided_at,
            CountSnapshot.budget_pence,
            CountSnapshot.spent_pence,
        )
        .join(CountSnapshot, SnapshotReview.snapshot_id == CountSnapshot.id)
        .join(Round, CountSnapshot.round_id == Round.id)
        .join(Locality, Round.locality_id == Locality.id)
        .where(SnapshotReview.decision == SIGNED_OFF)
    )
    if locality_id is not None:
        query = query.where(Round.locality_id == locality_id)
    if round_ids is not None:
        query = query.where(Round.id.in_(round_ids))
    totals: dict[tuple[str, int], tuple[int, int]] = {}
    for name, decided_at, budget, spent in db.session.execute(query):
        key = (name, financial_year_of(decided_at.date()))
        if year is None or key[1] == year:
            old_budget, old_spent = totals.get(key, (0, 0))
            totals[key] = (old_budget + budget, old_spent + spent)
    return totals


def ledger_totals(
    *,
    year: int | None = None,
    locality_id: int | None = None,
    round_ids: Sequence[int] | None = None,
) -> list[LedgerTotal]:
    """Totals per locality and financial year (filtered as ``ledger_lines``), by name then year.

    The budgets and result spend come from the signed-off snapshots, the allocated, spent and
    returned sums from the ledger rows: ``reconciles`` compares the two.
    """
    lines = ledger_lines(year=year, locality_id=locality_id, round_ids=round_ids)
    budgets = _signed_off_budgets(year, locality_id, round_ids)
    sums: dict[tuple[str, int], list[int]] = {key: [0, 0, 0] for key in budgets}
    for line in lines:
        key = (line.allocation.locality.name, line.allocation.financial_year)
        row = sums.setdefault(key, [0, 0, 0])
        row[0] += line.allocation.amount_pence
        row[1] += line.spent_pence
        row[2] += line.returned_pence
    return [
        LedgerTotal(name, year, *budgets.get((name, year), (0, 0)), *sums[(name, year)])
        for name, year in sorted(sums)
    ]


def safe_cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula (text only; numbers pass)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def pounds_cell(pence: int) -> Decimal:
    """Pence as an exact number of pounds for CSV: ``-1250`` -> ``Decimal("-12.50")``."""
    return Decimal(pence).scaleb(-2)


LEDGER_CSV_HEADER = (
    "financial_year",
    "locality",
    "round",
    "project",
    "allocated_gbp",
    "spent_gbp",
    "returned_gbp",
    "balance_gbp",
    "delivery",
    "flag",
    "signed_off_by_review",
)


def ledger_csv(lines: Iterable[LedgerLine]) -> str:
    """The ledger as CSV, text cells guarded against spreadsheet formula injection."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LEDGER_CSV_HEADER)
    for line in lines:
        allocation = line.allocation
        writer.writerow(
            [
                safe_cell(cell)
                for cell in (
                    financial_year_label(allocation.financial_year),
                    allocation.locality.name,
                    allocation.round.title,
                    allocation.proposal.title,
                    pounds_cell(allocation.amount_pence),
                    pounds_cell(line.spent_pence),
                    pounds_cell(line.returned_pence),
                    pounds_cell(line.balance_pence),
                    allocation.delivery,
                    line.flag or "",
                    allocation.review_id,
                )
            ]
        )
    return out.getvalue()
