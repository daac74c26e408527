"""Append to the audit trail, publish checkpoints of it, verify it, and read it back.

Each entry's hash is SHA-256 over a canonical JSON encoding of its fields and the previous
entry's hash, and its MAC is an HMAC of that hash under the audit key, which lives in the
app's configuration and never in the database. A checkpoint is the chain's length and head
hash at a moment; every sign-off, publication and oversight report carries one, the app keeps
the ones it has shown, and ``verify_chain`` checks the chain against them and against any
checkpoint a person gives it. Together:

- an entry edited, added or recomputed by a database writer fails its MAC;
- entries deleted or history rewritten behind a checkpoint fail that checkpoint;
- entries written before the trail was keyed (no MAC) are accepted only as the chain's first
  entries, and are reported; every checkpoint names a keyed entry, so stripping MACs to pass
  rewritten entries off as old ones fails too.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, delete, false, inspect, select, text, tuple_

from pb_app.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEntry
from pb_app.errors import DomainError
from pb_app.extensions import database_dialect, db
from pb_app.web.layout import MAX_DATABASE_ID, database_id

# Distinguishes the audit key derived from SECRET_KEY from every other use of that secret.
DERIVED_KEY_LABEL = b"pb_app audit trail MAC key v1"
# The PostgreSQL advisory lock that queues appends to the chain ("pb_audit" in ASCII).
CHAIN_LOCK_ID = 0x70625F6175646974
CHECKPOINT_PATTERN = re.compile(r"(\d{1,10}):([0-9a-fA-F]{64})")
ENTRIES_PER_PAGE = 50
VERIFY_BATCH = 2000


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


def compute_hash(entry: Any) -> str:
    """Return the SHA-256 (hex) of the entry's canonical encoding, previous hash included.

    ``entry`` is an ``AuditEntry`` or a row with the same column names.
    """
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


def audit_key() -> bytes:
    """The key of the trail's MACs: ``AUDIT_KEY``, else one derived from ``SECRET_KEY``.

    Raises RuntimeError when neither is set (the app refuses to start without a secret key
    outside testing, so this means a broken configuration).
    """
    configured = current_app.config.get("AUDIT_KEY")
    if configured:
        return configured.encode("utf-8") if isinstance(configured, str) else bytes(configured)
    secret = current_app.config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("Set AUDIT_KEY or SECRET_KEY: the audit trail needs a key")
    secret_bytes = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret_bytes, DERIVED_KEY_LABEL, hashlib.sha256).digest()


def entry_mac(entry_hash: str, key: bytes | None = None) -> str:
    """The HMAC-SHA256 (hex) that vouches for an entry with this hash."""
    message = b"audit-entry:" + entry_hash.encode("ascii")
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def checkpoint_mac(checkpoint: AuditCheckpoint, key: bytes | None = None) -> str:
    """The HMAC-SHA256 (hex) that vouches for a stored checkpoint and what carried it."""
    message = "audit-checkpoint:" + canonical_json({
        "sequence": checkpoint.sequence,
        "hash": checkpoint.hash,
        "purpose": checkpoint.purpose,
        "object_type": checkpoint.object_type,
        "object_id": checkpoint.object_id,
        "created_at": checkpoint.created_at,
    })
    return hmac.new(key or audit_key(), message.encode("utf-8"), hashlib.sha256).hexdigest()


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


def _lock_chain() -> None:
    """Hold the chain's lock until the transaction ends, so appends queue instead of forking.

    PostgreSQL: a transaction-level advisory lock, which no row carries (nothing to update,
    no dead tuples). SQLite: a write that changes nothing takes its single write lock now,
    before the chain's end is read, so that read cannot go stale. Even without the lock,
    the unique sequence and previous hash would refuse a fork.
    """
    dialect = database_dialect()
    if dialect == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": CHAIN_LOCK_ID})
    elif dialect == "sqlite":
        db.session.execute(delete(AuditEntry).where(false()),
                           execution_options={"synchronize_session": False})


def _chain_end() -> tuple[int, str, str | None]:
    """The newest entry's (sequence, hash, MAC), or the genesis of an empty chain."""
    query = (select(AuditEntry.sequence, AuditEntry.hash, AuditEntry.mac)
             .order_by(AuditEntry.sequence.desc()).limit(1))
    row = db.session.execute(query).first()
    return (row.sequence, row.hash, row.mac) if row else (0, GENESIS_HASH, None)


def record_event(action: str, *, actor: Any = None, subject: Any = None,
                 round_id: int | None = None, before: dict | None = None,
                 after: dict | None = None) -> AuditEntry:
    """Append one entry to the audit trail; adds and flushes, never commits.

    ``subject`` is any model instance (its type and primary key are stored); ``round_id``
    defaults to the subject's round. Concurrent appends queue on the chain's lock until the
    first one commits; the unique sequence and previous hash make a fork impossible even if
    that lock failed.
    """
    object_type, object_id = _subject_identity(subject)
    _lock_chain()
    sequence, previous_hash, _ = _chain_end()
    entry = AuditEntry(
        sequence=sequence + 1,
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
    entry.mac = entry_mac(entry.hash)
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class Checkpoint:
    """The chain's length and head hash at a moment; ``source`` names it in a finding."""

    sequence: int
    hash: str
    source: str = "the checkpoint given"

    def __str__(self) -> str:
        return f"{self.sequence}:{self.hash}"


def parse_checkpoint(value: str, source: str | None = None) -> Checkpoint:
    """Read ``SEQUENCE:HASH`` (the hash in full, 64 hex digits); raises ValueError."""
    found = CHECKPOINT_PATTERN.fullmatch(value.strip())
    if found is None or int(found.group(1)) < 1:
        raise ValueError(f"{value.strip()!r} is not a checkpoint: write SEQUENCE:HASH, an entry"
                         " number from 1 and its hash in full (64 hexadecimal digits)")
    sequence, hash_ = int(found.group(1)), found.group(2).lower()
    return Checkpoint(sequence, hash_, source or f"checkpoint {sequence}:{hash_[:12]}... given")


def parse_checkpoint_lines(lines: Iterable[str], name: str) -> list[Checkpoint]:
    """Read one checkpoint per line (blank lines and ``#`` comments skipped); raises
    ValueError naming the line."""
    found = []
    for number, line in enumerate(lines, start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            point = parse_checkpoint(line)
        except ValueError as error:
            raise ValueError(f"{name}, line {number}: {error}") from None
        found.append(Checkpoint(point.sequence, point.hash,
                                f"checkpoint {point.sequence}:{point.hash[:12]}... of {name}"))
    return found


def current_checkpoint() -> Checkpoint | None:
    """The chain's end as a checkpoint, or None while the trail is empty."""
    sequence, hash_, _ = _chain_end()
    return Checkpoint(sequence, hash_) if sequence else None


def record_checkpoint(purpose: str, subject: Any = None, *,
                      identity: tuple[str, str] | None = None) -> AuditCheckpoint:
    """Store the chain's end now as a checkpoint shown with ``subject`` (a model instance) or
    with what ``identity`` (type, id) names; flushes, never commits.

    When the newest entry predates the audit key, a keyed ``audit.keyed`` entry is appended
    first, so that every checkpoint names an entry carrying a MAC. For a subject already
    checkpointed at this end of the chain, the stored checkpoint is returned unchanged (a
    report read again adds nothing).
    """
    object_type, object_id = identity or _subject_identity(subject)
    sequence, hash_, mac = _chain_end()
    if sequence == 0 or mac is None:
        entry = record_event("audit.keyed", after={"entries_before_keying": sequence})
        sequence, hash_ = entry.sequence, entry.hash
    existing = db.session.scalar(select(AuditCheckpoint).where(
        AuditCheckpoint.sequence == sequence, AuditCheckpoint.purpose == purpose,
        AuditCheckpoint.object_type == object_type, AuditCheckpoint.object_id == object_id))
    if existing is not None:
        return existing
    checkpoint = AuditCheckpoint(sequence=sequence, hash=hash_, purpose=purpose,
                                 object_type=object_type, object_id=object_id,
                                 created_at=datetime.now(UTC).replace(microsecond=0))
    checkpoint.mac = checkpoint_mac(checkpoint)
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


def checkpoint_of(subject: Any, purpose: str | None = None) -> AuditCheckpoint | None:
    """The newest checkpoint stored with ``subject`` (of ``purpose`` if given), or None."""
    if subject is None:
        return None
    object_type, object_id = _subject_identity(subject)
    query = select(AuditCheckpoint).where(AuditCheckpoint.object_type == object_type,
                                          AuditCheckpoint.object_id == object_id)
    if purpose is not None:
        query = query.where(AuditCheckpoint.purpose == purpose)
    return db.session.scalar(query.order_by(AuditCheckpoint.id.desc()).limit(1))


@dataclass(frozen=True)
class ChainReport:
    """The verifier's finding: intact or not, how many entries, the first problem and why."""

    is_intact: bool
    entries_checked: int
    first_bad_sequence: int | None = None
    reason: str = ""
    checkpoints_checked: int = 0
    unkeyed_entries: int = 0
    end: Checkpoint | None = None

    def describe(self) -> str:
        """One line for a person: the verdict and, when broken, the first problem."""
        if not self.is_intact:
            return f"Audit chain broken at entry {self.first_bad_sequence}: {self.reason}"
        text = f"Audit chain intact: {self.entries_checked} entries verified"
        if self.checkpoints_checked:
            text += f", {self.checkpoints_checked} checkpoints matched"
        else:
            text += ", no checkpoint to compare with"
        if self.unkeyed_entries:
            text += (f"; entries 1 to {self.unkeyed_entries} were written before the trail was"
                     " keyed and are checked by their hashes only")
        return text + "."


def _stored_checkpoints(key: bytes) -> tuple[list[Checkpoint], dict[int, Checkpoint]]:
    """Every stored checkpoint, and the first at each sequence whose MAC is not the app's."""
    points, forged = [], {}
    for stored in db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)):
        point = Checkpoint(stored.sequence, stored.hash,
                           f"stored checkpoint {stored.sequence}:{stored.hash[:12]}..."
                           f" ({stored.purpose}, {_utc_iso(stored.created_at)[:19]}Z)")
        points.append(point)
        if not hmac.compare_digest(stored.mac or "", checkpoint_mac(stored, key)):
            forged.setdefault(stored.sequence, point)
    return points, forged


def _entry_problem(row: Any, expected_sequence: int, previous_hash: str, key: bytes,
                   is_keyed: bool) -> str:
    if row.sequence != expected_sequence:
        return (f"expected sequence {expected_sequence}, found {row.sequence}"
                " (entries missing or reordered)")
    if row.previous_hash != previous_hash:
        return "its previous hash does not match the entry before it"
    if compute_hash(row) != row.hash:
        return "its contents do not match its hash (the entry was altered)"
    if row.mac is None:
        if is_keyed:
            return ("it carries no MAC though entries before it do: it was added or rewritten"
                    " outside the app")
    elif not hmac.compare_digest(row.mac, entry_mac(row.hash, key)):
        return ("its MAC is not the app's: it was added or rewritten outside the app"
                " (or the audit key has changed)")
    return ""


def _checkpoint_problem(row: Any, points: list[Checkpoint], forged: Checkpoint | None) -> str:
    if forged is not None:
        return f"{forged.source} does not carry the app's MAC: it was added or changed outside" \
               " the app"
    for point in points:
        if point.hash != row.hash:
            return (f"{point.source} records hash {point.hash[:12]}... for it, the chain has"
                    f" {row.hash[:12]}...: history up to this entry was rewritten")
        if row.mac is None:
            return (f"{point.source} names it, but it carries no MAC: MACs were removed to pass"
                    " rewritten entries off as old ones")
    return ""


def _entry_rows():
    columns = [getattr(AuditEntry, name) for name in (
        "sequence", "created_at", "actor_id", "action", "object_type", "object_id", "round_id",
        "before_json", "after_json", "previous_hash", "hash", "mac")]
    query = select(*columns).order_by(AuditEntry.sequence)
    return db.session.execute(query.execution_options(yield_per=VERIFY_BATCH))


def verify_chain(checkpoints: Iterable[Checkpoint] = ()) -> ChainReport:
    """Recompute the whole chain in sequence order, with its MACs, against every stored
    checkpoint and the ``checkpoints`` given, and name the first problem."""
    key = audit_key()
    stored, forged = _stored_checkpoints(key)
    expected: dict[int, list[Checkpoint]] = defaultdict(list)
    for point in [*stored, *checkpoints]:
        expected[point.sequence].append(point)
    previous_hash, count, unkeyed, matched, is_keyed = GENESIS_HASH, 0, 0, 0, False
    rows = _entry_rows()
    try:
        for row in rows:
            points = expected.pop(row.sequence, [])
            reason = (_entry_problem(row, count + 1, previous_hash, key, is_keyed)
                      or _checkpoint_problem(row, points, forged.pop(row.sequence, None)))
            if reason:
                return ChainReport(False, count, row.sequence, reason, matched, unkeyed)
            is_keyed = is_keyed or row.mac is not None
            unkeyed += not is_keyed
            matched += len(points)
            previous_hash, count = row.hash, count + 1
    finally:
        rows.close()  # a server-side cursor stays open if the loop stops early
    if forged:
        sequence, point = min(forged.items())
        return ChainReport(False, count, sequence, f"{point.source} does not carry the app's"
                           " MAC: it was added or changed outside the app", matched, unkeyed)
    missing = sorted((p for group in expected.values() for p in group), key=lambda p: p.sequence)
    if missing:
        point = missing[0]
        return ChainReport(False, count, count + 1,
                           f"the chain ends at entry {count}, but {point.source} names entry"
                           f" {point.sequence}: entries were deleted", matched, unkeyed)
    end = Checkpoint(count, previous_hash, "the chain's end") if count else None
    return ChainReport(True, count, None, "", matched, unkeyed, end)


class BadPageBoundary(DomainError):
    """A ``before`` or ``after`` in the address that names no page of the trail."""

    title = "This page of the audit trail does not exist"


def page_boundaries(before: str | None, after: str | None) -> tuple[int | None, int | None]:
    """Read the ``before`` and ``after`` entry numbers of the address (blank means absent).

    Raises BadPageBoundary (400) for anything but one entry number from 1 to 2,147,483,647,
    and when both are given.
    """
    bounds = [_entry_number(name, text) for name, text in (("before", before), ("after", after))]
    if None not in bounds:
        raise BadPageBoundary("Give either before or after in the address, not both.")
    return bounds[0], bounds[1]


def _entry_number(name: str, text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        return database_id(text.strip())
    except ValueError:
        raise BadPageBoundary(f"{name}={text[:20]!r} is not an entry number: write a whole"
                              f" number from 1 to {MAX_DATABASE_ID:,}.") from None


@dataclass(frozen=True)
class EntriesPage:
    """A page of entries, newest first, and where the pages either side of it start.

    ``newer_after`` is the ``after`` of the page of newer entries and ``older_before`` the
    ``before`` of the page of older ones; each is None when there is no such page.
    """

    entries: list[AuditEntry]
    newer_after: int | None
    older_before: int | None


def entries_page(*, round_id: int | None = None, actor_id: int | None = None,
                 before: int | None = None, after: int | None = None,
                 per_page: int = ENTRIES_PER_PAGE) -> EntriesPage:
    """The entries just older than ``before`` or just newer than ``after`` (the newest when
    neither is given), newest first, filtered by round and/or actor.

    Keyset pagination on the sequence: no count and no offset, so a page costs the same
    however long the trail. Past the newest entries it shows the newest page, past the
    oldest the oldest.
    """
    trail = _FilteredTrail.of(round_id, actor_id)
    if after is not None:
        entries = trail.read(per_page, after=after, newest=False)
        if len(entries) < per_page:
            entries = trail.read(per_page, newest=True)
    else:
        entries = (trail.read(per_page, before=before, newest=True)
                   or trail.read(per_page, newest=False))
    if not entries:
        return EntriesPage([], None, None)
    newest, oldest = entries[0].sequence, entries[-1].sequence
    return EntriesPage(entries,
                       newest if trail.read(1, after=newest, newest=False) else None,
                       oldest if trail.read(1, before=oldest, newest=True) else None)


@dataclass(frozen=True)
class _FilteredTrail:
    """The entries of a round or a person (or all), read along the index that holds them in
    sequence order: (round_id, sequence), (actor_id, sequence), or the sequence's own.

    A filtered read states its range as rows, ``(round_id, sequence) < (7, 500)``, and
    ``round_id >= 7`` for an open end, never ``round_id = 7``: given the equality, PostgreSQL
    may read the sequence's index back and skip other rounds' entries, as many as lie between
    the page and the newest entry (all of the trail for a round long closed). With both
    filters, the round's index is read and the person's entries picked from it.
    """

    query: Select
    key: tuple[Any, ...]
    fixed: tuple[int, ...]

    @classmethod
    def of(cls, round_id: int | None, actor_id: int | None) -> _FilteredTrail:
        """The trail filtered by round and/or actor (None: not filtered by it)."""
        if round_id is not None:
            query = select(AuditEntry)
            if actor_id is not None:
                query = query.where(AuditEntry.actor_id == actor_id)
            return cls(query, (AuditEntry.round_id, AuditEntry.sequence), (round_id,))
        if actor_id is not None:
            return cls(select(AuditEntry), (AuditEntry.actor_id, AuditEntry.sequence),
                       (actor_id,))
        return cls(select(AuditEntry), (AuditEntry.sequence,), ())

    def read(self, limit: int, *, after: int | None = None, before: int | None = None,
             newest: bool) -> list[AuditEntry]:
        """The ``limit`` newest (or oldest) entries between the sequences ``after`` and
        ``before`` (exclusive; None: no bound), newest first either way."""
        order = [column.desc() if newest else column.asc() for column in self.key]
        bounds = (self._bound(after, above=True), self._bound(before, above=False))
        query = self.query.where(*(bound for bound in bounds if bound is not None))
        found = list(db.session.scalars(query.order_by(*order).limit(limit)))
        return found if newest else found[::-1]

    def _bound(self, sequence: int | None, *, above: bool) -> Any:
        if sequence is None:
            if not self.fixed:
                return None
            column, value = self.key[0], self.fixed[0]
            return column >= value if above else column <= value
        key, edge = tuple_(*self.key), tuple_(*self.fixed, sequence)
        return key > edge if above else key < edge


def list_entries(*, round_id: int | None = None, actor_id: int | None = None,
                 limit: int = 200) -> list[AuditEntry]:
    """Return the newest entries first, filtered by round and/or actor."""
    query = select(AuditEntry).order_by(AuditEntry.sequence.desc()).limit(limit)
    if round_id is not None:
        query = query.where(AuditEntry.round_id == round_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    return list(db.session.scalars(query))
