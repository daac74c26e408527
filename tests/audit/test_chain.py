"""The audit chain: appends link by hash and carry a MAC, and any tampering names the first
bad entry. The tampering is raw SQL, as a database administrator could run it."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest
from concurrently import run_together
from sqlalchemy import func, select

from audit.tamper import as_dba
from pb_app.audit.models import GENESIS_HASH, AuditEntry
from pb_app.audit.services import (
    compute_hash,
    entry_mac,
    list_entries,
    record_checkpoint,
    record_event,
    verify_chain,
)
from pb_app.extensions import db


def _append(count: int) -> list[AuditEntry]:
    return [record_event(f"test.step{n}", round_id=n % 2, after={"n": n})
            for n in range(1, count + 1)]


_sql = as_dba


def test_entries_link_by_hash_in_sequence():
    entries = _append(4)
    assert [e.sequence for e in entries] == [1, 2, 3, 4]
    assert entries[0].previous_hash == GENESIS_HASH
    assert [e.previous_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert all(len(e.hash) == 64 and e.hash == compute_hash(e) for e in entries)
    assert all(e.mac == entry_mac(e.hash) and e.mac != e.hash for e in entries)
    assert entries[2].after_json == '{"n":3}'


def test_intact_chain_verifies():
    _append(5)
    report = verify_chain()
    assert report.is_intact
    assert report.entries_checked == 5
    assert report.describe() == ("Audit chain intact: 5 entries verified,"
                                 " no checkpoint to compare with.")


def test_empty_chain_is_intact():
    assert verify_chain().is_intact


def test_updated_field_is_named():
    _append(5)
    _sql("UPDATE audit_entry SET after_json = :v WHERE sequence = 3", v='{"n":300}')
    report = verify_chain()
    assert not report.is_intact
    assert report.first_bad_sequence == 3
    assert "altered" in report.reason


def test_updated_entry_with_recomputed_hash_fails_its_mac():
    _append(5)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.sequence == 2)).one()
    db.session.expunge(entry)
    entry.actor_id = 42
    _sql("UPDATE audit_entry SET actor_id = 42, hash = :h WHERE sequence = 2",
         h=compute_hash(entry))
    report = verify_chain()
    # Before entries carried a MAC, only the next link (entry 3) showed the change.
    assert (report.is_intact, report.first_bad_sequence) == (False, 2)
    assert "MAC is not the app's" in report.reason


def test_deleted_middle_entry_is_detected():
    _append(5)
    _sql("DELETE FROM audit_entry WHERE sequence = 3")
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, 4)
    assert "expected sequence 3" in report.reason


def test_deleted_last_entry_is_detected_by_the_checkpoint_that_covers_it():
    _append(5)
    record_checkpoint("test")
    _sql("DELETE FROM audit_entry WHERE sequence = 5")
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, 5)
    assert "the chain ends at entry 4, but stored checkpoint 5:" in report.reason


def test_reordered_entries_are_detected():
    _append(5)
    _sql("UPDATE audit_entry SET sequence = 100 WHERE sequence = 2")
    _sql("UPDATE audit_entry SET sequence = 2 WHERE sequence = 3")
    _sql("UPDATE audit_entry SET sequence = 3 WHERE sequence = 100")
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, 2)


def _forge(sequence: int, previous_hash: str) -> AuditEntry:
    forged = AuditEntry(sequence=sequence, created_at=datetime.now(UTC), actor_id=None,
                        action="forged", object_type=None, object_id=None, round_id=None,
                        before_json=None, after_json=None, previous_hash=previous_hash)
    forged.hash = compute_hash(forged)
    return forged


def test_forged_entry_appended_after_the_last_is_detected():
    entries = _append(3)
    db.session.add(_forge(4, entries[-1].hash))
    db.session.flush()
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, 4)
    assert "no MAC" in report.reason


def test_forged_entry_inserted_in_the_middle_is_detected():
    entries = _append(4)
    for sequence in (4, 3):
        _sql("UPDATE audit_entry SET sequence = :new WHERE sequence = :old",
             new=sequence + 1, old=sequence)
    forged = _forge(3, entries[1].hash)
    _sql("UPDATE audit_entry SET previous_hash = :h WHERE sequence = 4", h=forged.hash)
    db.session.add(forged)
    db.session.flush()
    report = verify_chain()
    # Before entries carried a MAC, only entry 4 (its hash no longer matching) showed it.
    assert (report.is_intact, report.first_bad_sequence) == (False, 3)
    assert "no MAC" in report.reason


def test_list_entries_filters_by_round_and_actor():
    class Actor:
        id = 7

    _append(4)
    record_event("test.by_actor", actor=Actor(), round_id=1)
    assert [e.sequence for e in list_entries(round_id=1)] == [5, 3, 1]
    assert [e.action for e in list_entries(actor_id=7)] == ["test.by_actor"]
    assert [e.sequence for e in list_entries(round_id=0, actor_id=7)] == []


def test_cli_verify_exit_codes(runner):
    _append(3)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 entries verified" in result.output
    _sql("UPDATE audit_entry SET action = 'rewritten' WHERE sequence = 2")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at entry 2" in result.output


@pytest.mark.committing
def test_concurrent_appends_never_fork(app):
    writers, per_writer = 4, 10

    def write(worker: int) -> None:
        with app.app_context():
            for n in range(per_writer):
                record_event("test.concurrent", after={"worker": worker, "n": n})
                db.session.commit()
            db.session.remove()

    run_together(*(partial(write, worker) for worker in range(writers)))
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEntry))
        assert count == writers * per_writer
        report = verify_chain()
        assert report.is_intact, report.describe()
        assert report.entries_checked == writers * per_writer
        db.session.remove()
