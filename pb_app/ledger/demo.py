"""Demo ledger: the funded Cheviot projects are spent against and say how they are getting on,
as their group lead would have written it on each allocation's ledger page.

The first funded project is a quarter spent and in progress; the others are delivered, with
most of the money left over handed back and the rest still to come.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import select

from pb_app.accounts.models import GROUP_LEAD, RoleGrant, User
from pb_app.extensions import db
from pb_app.ledger.delivery import add_delivery_update
from pb_app.ledger.models import Allocation
from pb_app.ledger.services import add_entry, set_delivery
from pb_app.money import format_pounds

# Of the money a delivered project did not spend, most is handed back and a little is still
# to come, so that the ledger's flag for money not yet returned can be seen.
RETURNED_PENCE, UNSPENT_PENCE = 12_000, 12_345
NOTES = {
    "in-progress": ["The hall is booked for Thursdays and volunteers have their food hygiene"
                    " certificates.", "The first lunch was served: 24 people came."],
    "delivered": [f"Finished and paid for. {format_pounds(UNSPENT_PENCE)} was not needed: "
                  f"{format_pounds(RETURNED_PENCE)} has been handed back, and the last "
                  f"{format_pounds(UNSPENT_PENCE - RETURNED_PENCE)} will follow."],
}


def _lead_of(allocation: Allocation) -> User:
    """The first group lead of the allocation's locality."""
    return db.session.scalars(select(User).join(RoleGrant).where(
        RoleGrant.role == GROUP_LEAD, RoleGrant.locality_id == allocation.locality_id)
        .order_by(User.id)).first()


def _spend(allocation: Allocation, lead: User, first: bool, today: date) -> None:
    """A quarter spent on the first project, in progress; the others spent and delivered, most
    of the money left over returned."""
    def entry(kind: str, description: str, amount_pence: int) -> None:
        add_entry(allocation, lead, kind=kind, description=description,
                  amount_pence=amount_pence, entry_on=today, today=today)

    if first:
        entry("spend", "Food, first quarter", allocation.amount_pence // 4)
        set_delivery(allocation, lead, "in-progress")
        return
    entry("spend", "All costs as invoiced", allocation.amount_pence - UNSPENT_PENCE)
    entry("return", "Unspent, returned", RETURNED_PENCE)
    set_delivery(allocation, lead, "delivered")


def load_demo(echo: Callable[[str], None]) -> None:
    """Add spend lines, returns, delivery statuses and public updates to every funded project,
    by the lead of its locality."""
    today = datetime.now(UTC).date()
    allocations = db.session.scalars(select(Allocation).order_by(Allocation.id)).all()
    for number, allocation in enumerate(allocations):
        lead = _lead_of(allocation)
        _spend(allocation, lead, number == 0, today)
        for note in NOTES[allocation.delivery]:
            add_delivery_update(allocation, lead, note=note, noted_on=today, today=today)
        echo(f"Delivery updates: {allocation.proposal.title}"
             f" (/results/round/{allocation.round_id})")
