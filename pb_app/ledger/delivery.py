"""What happened to the money: each funded project's delivery, for everyone to read.

A funded project's progress is its delivery status, the share of its allocation spent (from
the ledger's spend lines, in pence) and dated updates: short public notes that the group
lead of its locality or a finance officer add on the allocation's ledger page. Updates are
append-only, like the ledger's entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from pb_app.accounts.models import User
from pb_app.audit.services import record_event
from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.ledger.models import MAX_NOTE, Allocation, DeliveryUpdate
from pb_app.ledger.services import DELIVERY_LABELS, LedgerLine, check_can_record, ledger_lines
from pb_app.rounds.models import Round


class UpdateDateRefused(InvalidInput):
    """The date of a delivery update is in the future or before the money was allocated."""


def add_delivery_update(allocation: Allocation, actor: User, *, note: str, noted_on: date,
                        today: date) -> DeliveryUpdate:
    """Add a dated public note on a funded project's delivery; writes an audit entry.

    Raises PermissionDenied (not the locality's lead, a finance officer or an administrator)
    and InvalidInput (no note, too long, a date in the future or before the money was
    allocated).
    """
    check_can_record(actor, allocation)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Enter the update: what has happened with the project")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The update must be {MAX_NOTE} characters or fewer")
    if noted_on > today:
        raise UpdateDateRefused("The date of the update cannot be in the future")
    allocated_on = allocation.review.decided_at.date()
    if noted_on < allocated_on:
        raise UpdateDateRefused(f"The date cannot be before the money was allocated, on"
                           f" {allocated_on.day} {allocated_on:%B %Y}")
    update = DeliveryUpdate(allocation=allocation, note=note, noted_on=noted_on,
                            written_by_id=actor.id, written_at=datetime.now(UTC))
    db.session.add(update)
    db.session.flush()
    record_event("ledger.delivery_update", actor=actor, subject=update,
                 round_id=allocation.round_id,
                 after={"allocation_id": allocation.id, "noted_on": noted_on, "note": note})
    return update


@dataclass(frozen=True)
class DeliveryProgress:
    """A funded project's progress as the public results page shows it."""

    line: LedgerLine
    updates: list[DeliveryUpdate]

    @property
    def title(self) -> str:
        """The project's title."""
        return self.line.allocation.proposal.title

    @property
    def status(self) -> str:
        """The delivery status in plain words."""
        return DELIVERY_LABELS[self.line.allocation.delivery]

    @property
    def allocated_pence(self) -> int:
        """The money allocated to the project."""
        return self.line.allocation.amount_pence

    @property
    def spent_pence(self) -> int:
        """The money spent, from the ledger's spend lines."""
        return self.line.spent_pence

    @property
    def returned_pence(self) -> int:
        """The money handed back unspent."""
        return self.line.returned_pence

    @property
    def percent_spent(self) -> int:
        """The share of the allocation spent, in whole percent rounded down (so 100 means all
        of it, never 99.6%); more than 100 when over-spent."""
        return self.spent_pence * 100 // self.allocated_pence


def delivery_progress(round_: Round) -> list[DeliveryProgress]:
    """The progress of each funded project of a round, in the order the count funded them."""
    lines = ledger_lines(round_ids=[round_.id])
    updates: dict[int, list[DeliveryUpdate]] = {line.allocation.id: [] for line in lines}
    for update in db.session.scalars(
            select(DeliveryUpdate).where(DeliveryUpdate.allocation_id.in_(updates))
            .order_by(DeliveryUpdate.noted_on.desc(), DeliveryUpdate.id.desc())):
        updates[update.allocation_id].append(update)
    return [DeliveryProgress(line, updates[line.allocation.id]) for line in lines]
