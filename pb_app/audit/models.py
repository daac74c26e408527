"""Audit entries, the checkpoints the app has published, and the PostgreSQL guard on both.

There is no stored chain head: an append finds the chain's end by reading the last entry
while it holds the chain's lock (see ``services.record_event``), so no row is one that every
append must update. A deleted tail is caught by the published checkpoints instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from pb_app.extensions import UTCDateTime, db

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    """One recorded action: who did what to which object, before and after, chained by hash.

    ``mac`` is an HMAC of the hash under the app's audit key, which is not in the database, so
    a database writer cannot forge or recompute entries. Entries written before the trail was
    keyed have none (see ``services.verify_chain``).
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str | None] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(64))
    round_id: Mapped[int | None] = mapped_column(Integer)
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    mac: Mapped[str | None] = mapped_column(String(64))

    # A page of one round's or one person's entries, newest first, reads its index in order
    # from the page's boundary: the same cost however long the trail.
    __table_args__ = (Index("ix_audit_entry_round_id_sequence", "round_id", "sequence"),
                      Index("ix_audit_entry_actor_id_sequence", "actor_id", "sequence"))

    def __repr__(self) -> str:
        return f"<AuditEntry #{self.sequence} {self.action}>"


class AuditCheckpoint(db.Model):
    """A checkpoint the app has shown to people: the chain's length and head hash at a moment.

    ``purpose`` says what carried it (a sign-off, a publication, a report) and the object
    names which one. ``mac`` proves the app made it.
    """

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_audit_checkpoint_object", "object_type", "object_id"),)

    @property
    def text(self) -> str:
        """The checkpoint as people copy it: ``SEQUENCE:HASH``."""
        return f"{self.sequence}:{self.hash}"


# On PostgreSQL the database itself refuses to change or remove audit rows, whoever asks.
# The migration creates the same function and triggers; these DDLs give them to tables that
# the tests create from the metadata. (In a DDL, %% is a literal %.)
APPEND_ONLY_FUNCTION = DDL("""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: %% on %% is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
""")


def _append_only_trigger(table: str) -> DDL:
    return DDL(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
    )


for _table in (AuditEntry.__table__, AuditCheckpoint.__table__):
    event.listen(_table, "after_create", APPEND_ONLY_FUNCTION.execute_if(dialect="postgresql"))
    event.listen(_table, "after_create",
                 _append_only_trigger(_table.name).execute_if(dialect="postgresql"))
