"""Append to the audit trail, verify its hash chain, and read it back.

Each entry's hash is SHA-256 over a canonical JSON encoding of its fields and the previous
entry's hash. ``audit_head`` names the newest entry, so deleting the tail is detected too.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError

from pb_app.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from pb_app.extensions import db

HEAD_ID = 1


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(value: Any) -> str:
    """Encode ``value`` as canonical JSON: sorted keys, no spaces, UTF-8, UTC datetimes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default)


def _utc_iso(moment: datetime) -> str:
    # SQLite gives naive datetimes back; everything stored is UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def snapshot(obj: Any, *names: str) -> dict[str, Any]:
    """Return ``{name: value}`` for the named attributes of ``obj``, ready for before/after."""
    return json.loads(canonical_json({name: getattr(obj, name) for name in names}))


def compute_hash(entry: AuditEntry) -> str:
    """Return the SHA-256 (hex) of the entry's canonical encoding, previous hash included."""
    payload = {
        "sequence": entry.sequence,
        "created_at": _utc_iso(entry.created_at),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "round_id": entry.round_id,
        "before": entry.before_json,
        "after": entry.after_json,
        "previous_hash": entry.previous_hash,
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def _subject_identity(subject: Any) -> tuple[str | None, str | None]:
    if subject is None:
        return None, None
    state = inspect(subject)
    if state.identity is None:
        db.session.flush()
    key = state.identity
    return type(subject).__name__, ":".join(str(part) for part in key)


def _round_of(subject: Any) -> int | None:
    if subject is None:
        return None
    if type(subject).__name__ == "Round":
        return subject.id
    return getattr(subject, "round_id", None)


def _ensure_head() -> None:
    try:
        with db.session.begin_nested():
            db.session.add(AuditHead(id=HEAD_ID, sequence=0, hash=GENESIS_HASH))
    except IntegrityError:
        pass  # another transaction created it first


def _claim_next() -> tuple[int, str]:
    """Lock the chain head and return (next sequence, previous hash).

    The UPDATE comes before the read so the lock is taken first: PostgreSQL holds the row
    lock and re-reads the committed row; SQLite takes its single write lock.
    """
    bump = update(AuditHead).where(AuditHead.id == HEAD_ID).values(sequence=AuditHead.sequence + 1)
    if db.session.execute(bump, execution_options={"synchronize_session": False}).rowcount == 0:
        _ensure_head()
        db.session.execute(bump, execution_options={"synchronize_session": False})
    return _read_head()


def _read_head() -> tuple[int, str]:
    query = select(AuditHead.sequence, AuditHead.hash).where(AuditHead.id == HEAD_ID)
    row = db.session.execute(query).first()
    return (row.sequence, row.hash) if row else (0, GENESIS_HASH)


def record_event(action: str, *, actor: Any = None, subject: Any = None,
                 round_id: int | None = None, before: dict | None = None,
                 after: dict | None = None) -> AuditEntry:
    """Append one entry to the audit trail; adds and flushes, never commits.

    ``subject`` is any model instance (its type and primary key are stored); ``round_id``
    defaults to the subject's round. Concurrent appends queue on the chain head, and the
    unique sequence and previous hash make a fork impossible even if that lock failed.
    """
    object_type, object_id = _subject_identity(subject)
    sequence, previous_hash = _claim_next()
    entry = AuditEntry(
        sequence=sequence,
        created_at=datetime.now(UTC),
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        round_id=round_id if round_id is not None else _round_of(subject),
        before_json=None if before is None else canonical_json(before),
        after_json=None if after is None else canonical_json(after),
        previous_hash=previous_hash,
    )
    entry.hash = compute_hash(entry)
    db.session.add(entry)
    db.session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(hash=entry.hash),
                       execution_options={"synchronize_session": False})
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The verifier's finding: intact or not, how many entries, the first bad one and why."""

    is_intact: bool
    entries_checked: int
    first_bad_sequence: int | None = None
    reason: str = ""

    def describe(self) -> str:
        """One line for a person: the verdict and, when broken, the first bad entry."""
        if self.is_intact:
            return f"Audit chain intact: {self.entries_checked} entries verified."
        return f"Audit chain broken at entry {self.first_bad_sequence}: {self.reason}"


def _check_entry(entry: AuditEntry, expected_sequence: int, previous_hash: str) -> str:
    if entry.sequence != expected_sequence:
        return (f"expected sequence {expected_sequence}, found {entry.sequence}"
                " (entries missing or reordered)")
    if entry.previous_hash != previous_hash:
        return "its previous hash does not match the entry before it"
    if compute_hash(entry) != entry.hash:
        return "its contents do not match its hash (the entry was altered)"
    return ""


def verify_chain() -> ChainReport:
    """Recompute the whole chain in sequence order and name the first broken entry."""
    previous_hash, expected = GENESIS_HASH, 1
    query = select(AuditEntry).order_by(AuditEntry.sequence).execution_options(yield_per=500)
    for entry in db.session.scalars(query):
        reason = _check_entry(entry, expected, previous_hash)
        if reason:
            return ChainReport(False, expected - 1, entry.sequence, reason)
        previous_hash, expected = entry.hash, expected + 1
    count = expected - 1
    head_sequence, head_hash = _read_head()
    if head_sequence > count:
        return ChainReport(False, count, count + 1,
                           f"missing: the chain ends at entry {count}"
                           f" but the head names entry {head_sequence}")
    if head_sequence < count:
        return ChainReport(False, head_sequence, head_sequence + 1,
                           f"added after the recorded head (entry {head_sequence})")
    if head_hash != previous_hash:
        return ChainReport(False, count - 1, count,
                           "it does not match the hash recorded in the chain head")
    return ChainReport(True, count)


def list_entries(*, round_id: int | None = None, actor_id: int | None = None,
                 limit: int = 200) -> list[AuditEntry]:
    """Return the newest entries first, filtered by round and/or actor."""
    query = select(AuditEntry).order_by(AuditEntry.sequence.desc()).limit(limit)
    if round_id is not None:
        query = query.where(AuditEntry.round_id == round_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    return list(db.session.scalars(query))


def actor_names(entries: list[AuditEntry]) -> dict[int, str]:
    """The full names of the people who made ``entries``, by user id."""
    from pb_app.accounts.models import User

    ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())
