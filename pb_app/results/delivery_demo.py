"""Demo delivery updates: the funded Cheviot projects say how they are getting on, as their
group lead would have written them on each allocation's ledger page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from pb_app.accounts.models import GROUP_LEAD, RoleGrant, User
from pb_app.extensions import db
from pb_app.results.delivery import add_delivery_update
from pb_app.results.models import Allocation

NOTES = {
    "in-progress": ["The hall is booked for Thursdays and volunteers have their food hygiene"
                    " certificates.", "The first lunch was served: 24 people came."],
    "delivered": ["Finished and paid for. The money left over has been handed back."],
}


def load_demo(echo: Callable[[str], None]) -> None:
    """Add public updates to every funded project, by the lead of its locality."""
    today = datetime.now(UTC).date()
    for allocation in db.session.scalars(select(Allocation).order_by(Allocation.id)):
        lead = db.session.scalars(select(User).join(RoleGrant).where(
            RoleGrant.role == GROUP_LEAD, RoleGrant.locality_id == allocation.locality_id)
            .order_by(User.id)).first()
        for note in NOTES.get(allocation.delivery, []):
            add_delivery_update(allocation, lead, note=note, noted_on=today, today=today)
        echo(f"Delivery updates: {allocation.proposal.title}"
             f" (/results/round/{allocation.round_id})")
