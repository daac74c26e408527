"""``flask audit verify`` against checkpoints (exit 0, 1, 2), ``flask audit checkpoint``, the
audit key, entries written before the trail was keyed, and stored checkpoints' own MACs."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from audit.tamper import append_forged, as_dba, chain, stored_checkpoints
from pb_app.audit.services import (
    audit_key,
    current_checkpoint,
    entry_mac,
    parse_checkpoint,
    record_checkpoint,
    record_event,
    verify_chain,
)
from pb_app.extensions import db


def _append(count: int) -> None:
    for n in range(count):
        record_event("test.step", after={"n": n})


@pytest.fixture
def five(app):
    """Five committed entries (the CLI runs in its own app context, on the same session)."""
    _append(5)
    db.session.commit()
    return current_checkpoint()


def test_verify_exits_0_and_prints_the_checkpoint_now(runner, five):
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(five)])
    assert result.exit_code == 0, result.output
    assert "5 entries verified, 1 checkpoints matched" in result.output
    assert f"Checkpoint now: {five}" in result.output


def test_verify_exits_1_naming_the_checkpoint_that_does_not_match(runner, five):
    other = "3:" + "ab" * 32
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(five),
                                 "--checkpoint", other])
    assert result.exit_code == 1
    assert "broken at entry 3: checkpoint 3:abababababab... given records hash" in result.output


@pytest.mark.parametrize("value", ["12:xyz", "12", "0:" + "a" * 64, "-1:" + "a" * 64,
                                   "5:" + "a" * 63, "five:" + "a" * 64])
def test_verify_exits_2_naming_a_bad_checkpoint(runner, five, value):
    result = runner.invoke(args=["audit", "verify", "--checkpoint", value])
    assert result.exit_code == 2
    assert "--checkpoint" in result.output and repr(value) in result.output
    assert "SEQUENCE:HASH" in result.output


def test_verify_reads_checkpoint_files(runner, five, tmp_path):
    good = tmp_path / "published.txt"
    good.write_text(f"# kept off the database server\n\n{five}   # after the sign-off\n")
    result = runner.invoke(args=["audit", "verify", "--checkpoint-file", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 checkpoints matched" in result.output
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{five}\n{five.sequence}:not-a-hash\n")
    result = runner.invoke(args=["audit", "verify", "--checkpoint-file", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}, line 2:" in result.output and "--checkpoint-file" in result.output
    result = runner.invoke(args=["audit", "verify", "--checkpoint-file",
                                 str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and "missing.txt" in result.output


def test_checkpoint_command_stores_and_prints_the_chain_end(runner, five):
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(five)
    assert [(c.sequence, c.purpose) for c in stored_checkpoints()] == [(5, "command line")]
    runner.invoke(args=["audit", "checkpoint"])
    assert len(stored_checkpoints()) == 1  # the same end is stored once


def test_parse_checkpoint_takes_any_case_and_spaces():
    point = parse_checkpoint("  42:" + "AB" * 32 + "\n")
    assert (point.sequence, point.hash) == (42, "ab" * 32)


def test_the_audit_key_is_derived_from_the_secret_key_under_its_own_label(app):
    secret = app.config["SECRET_KEY"].encode()
    assert audit_key() not in (secret, hashlib.sha256(secret).digest())
    assert audit_key() == hmac.new(secret, b"pb_app audit trail MAC key v1",
                                   hashlib.sha256).digest()
    app.config["AUDIT_KEY"] = "a separate key from the secret store"
    try:
        assert audit_key() == b"a separate key from the secret store"
    finally:
        app.config["AUDIT_KEY"] = None


def test_entries_under_another_key_fail_their_mac(app):
    _append(3)
    app.config["AUDIT_KEY"] = "the key was changed, or the entries were forged"
    try:
        report = verify_chain()
    finally:
        app.config["AUDIT_KEY"] = None
    assert (report.is_intact, report.first_bad_sequence) == (False, 1)
    assert "or the audit key has changed" in report.reason


def test_entries_written_before_keying_are_checked_by_hash_and_reported():
    _append(3)
    as_dba("UPDATE audit_entry SET mac = NULL")  # as the migration leaves older entries
    report = verify_chain()
    assert report.is_intact and report.unkeyed_entries == 3
    assert "entries 1 to 3 were written before the trail was keyed" in report.describe()
    _append(2)
    assert [e.mac is None for e in chain()] == [True, True, True, False, False]
    report = verify_chain()
    assert report.is_intact and report.unkeyed_entries == 3


def test_a_checkpoint_of_an_unkeyed_chain_first_appends_a_keyed_entry():
    _append(2)
    as_dba("UPDATE audit_entry SET mac = NULL")
    checkpoint = record_checkpoint("test")
    last = chain()[-1]
    assert (last.sequence, last.action, last.after_json) == (
        3, "audit.keyed", '{"entries_before_keying":2}')
    assert (checkpoint.sequence, checkpoint.hash) == (3, last.hash)
    assert last.mac == entry_mac(last.hash)
    assert verify_chain().is_intact


def test_an_unkeyed_entry_after_keyed_ones_is_tampering():
    _append(3)
    as_dba("UPDATE audit_entry SET mac = NULL WHERE sequence = 3")
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, 3)


def test_a_forged_stored_checkpoint_is_named():
    _append(3)
    record_checkpoint("test")
    as_dba("UPDATE audit_checkpoint SET purpose = 'result.published'")
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, 3)
    assert "stored checkpoint 3:" in report.reason
    assert "does not carry the app's MAC" in report.reason


def test_a_forged_tail_stays_exposed_after_the_next_checkpoint():
    _append(2)
    forged = append_forged(mac=None)
    checkpoint = record_checkpoint("test")  # a keyed entry goes after the forged one...
    assert (checkpoint.sequence, chain()[-1].action) == (4, "audit.keyed")
    report = verify_chain()  # ...so it cannot pass for an entry from before keying
    assert (report.is_intact, report.first_bad_sequence) == (False, forged.sequence)
    assert "no MAC though entries before it do" in report.reason
