"""What a hostile database administrator can do to the audit trail: raw SQL, no app key.

On PostgreSQL the audit tables refuse UPDATE, DELETE and TRUNCATE by trigger; a superuser
can switch triggers off for a transaction, so the tampering here does that first, as an
attacker with the database's highest rights would.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, text

from pb_app.audit.models import AuditCheckpoint, AuditEntry
from pb_app.audit.services import compute_hash
from pb_app.extensions import db


def as_dba(statement: str, **params) -> None:
    """Run ``statement`` with the audit tables' triggers off (PostgreSQL), as a superuser."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(text(statement), params)
    db.session.expire_all()


@dataclass
class ForgedEntry:
    """The columns of an entry a forger writes; ``compute_hash`` reads them by name."""

    sequence: int
    previous_hash: str
    action: str = "forged"
    created_at: datetime = datetime(2026, 12, 1, 12, tzinfo=UTC)
    actor_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    round_id: int | None = None
    before_json: str | None = None
    after_json: str | None = None


def chain() -> list[AuditEntry]:
    """Every entry, in sequence order."""
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.sequence)))


def append_forged(action: str = "forged", mac: str | None = None) -> ForgedEntry:
    """INSERT an entry after the last one with a correct hash (the algorithm is public) and
    ``mac`` (the forger does not have the key, so it is a guess or nothing)."""
    last = chain()[-1]
    forged = ForgedEntry(last.sequence + 1, last.hash, action)
    # INSERT is not refused by the trigger; the Core statement only types the timestamp.
    db.session.execute(insert(AuditEntry.__table__).values(
        sequence=forged.sequence, created_at=forged.created_at, action=action,
        previous_hash=forged.previous_hash, hash=compute_hash(forged), mac=mac))
    db.session.expire_all()
    return forged


def rewrite_from(sequence: int, *, strip_macs: bool = False, **changes) -> None:
    """UPDATE entry ``sequence`` with ``changes`` and recompute the hash of it and of every
    entry after it, so that the chain links again; optionally remove every MAC too."""
    previous_hash = None
    for entry in chain():
        if entry.sequence < sequence:
            previous_hash = entry.hash
            continue
        values = {column: getattr(entry, column) for column in (
            "sequence", "created_at", "actor_id", "action", "object_type", "object_id",
            "round_id", "before_json", "after_json")}
        if entry.sequence == sequence:
            values.update(changes)
        values["previous_hash"] = previous_hash or entry.previous_hash
        new_hash = compute_hash(ForgedEntry(**values))
        as_dba("UPDATE audit_entry SET action = :action, actor_id = :actor_id,"
               " after_json = :after_json, previous_hash = :previous_hash, hash = :hash"
               " WHERE sequence = :sequence", action=values["action"],
               actor_id=values["actor_id"], after_json=values["after_json"],
               previous_hash=values["previous_hash"], hash=new_hash, sequence=entry.sequence)
        previous_hash = new_hash
    if strip_macs:
        as_dba("UPDATE audit_entry SET mac = NULL")


def guessed_mac(entry_hash: str) -> str:
    """A MAC a forger might try without the key: a plain SHA-256 of the hash."""
    return hashlib.sha256(entry_hash.encode()).hexdigest()


def stored_checkpoints() -> list[AuditCheckpoint]:
    """Every stored checkpoint, oldest first."""
    return list(db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
