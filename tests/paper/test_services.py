"""The rules of keying paper batches: all or nothing, two people, agreement, acceptance."""

from __future__ import annotations

import json

import pytest
from ballotbox.builders import PASSPHRASE, open_sealed, peek
from sql_sent import sql_sent
from sqlalchemy import func, select, text
from voting.builders import lead_of, place, project_ids

from pb_app.audit.models import AuditEntry
from pb_app.ballotbox.crypto import padded_unsealer
from pb_app.ballotbox.models import BallotEnvelope
from pb_app.ballotbox.services import _round_key, get_box
from pb_app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pb_app.extensions import db
from pb_app.paper.models import DOUBLE, SINGLE, KeyedSheet
from pb_app.paper.services import (
    KEYED_ACTION,
    SheetsRefused,
    accept_batch,
    choose_keying_rule,
    compare_keyings,
    key_sheets,
    next_sheet,
    rekey_sheet,
)
from pb_app.rounds.models import Phase
from pb_app.rounds.rules import Channel
from pb_app.rounds.services import move_round
from pb_app.voting.ballots import Choices
from pb_app.voting.models import PaperBatch
from pb_app.voting.projects import ballot_projects
from pb_app.voting.services import reconcile_ballots

from .helpers import TODAY, envelopes_in, key_batch, keyed_entries, took_paper

SHEETS = ["1 2", "3", "5 4 1", "2"]


def sheet_count() -> int:
    return db.session.scalar(select(func.count()).select_from(KeyedSheet))


def test_single_keying_accepted_writes_one_envelope_a_sheet_and_one_audit_entry(
        paper_round, batch, clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert accept_batch(paper_round, batch, clerks[0], TODAY) == 4
    assert envelopes_in(batch) == 4
    assert sheet_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
    assert keyed_entries(paper_round) == 1
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.sequence.desc()))
    after = json.loads(entry.after_json)
    assert after["ballots"] == 4 and after["keying_rule"] == SINGLE
    assert [person["clerk_id"] for person in after["keyed_by"]] == [clerks[0].id]
    assert reconcile_ballots(paper_round) == []
    rows = db.session.scalars(select(BallotEnvelope).where(
        BallotEnvelope.paper_batch_id == batch.id)).all()
    assert {(row.channel, row.cast_on) for row in rows} == {(Channel.PAPER, TODAY)}
    assert len({row.receipt_hash for row in rows}) == 4 and all(
        len(row.receipt_hash) == 64 for row in rows)
    ids = project_ids(paper_round)
    opened = sorted(choices.projects for _, choices in peek(paper_round))
    assert opened == sorted([tuple(sorted([ids[0], ids[1]])), (ids[2],),
                             tuple(sorted([ids[4], ids[3], ids[0]])), (ids[1],)])


def test_double_keying_catches_a_difference_and_the_batch_waits_until_it_is_resolved(
        paper_round, batch, clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=DOUBLE)
    key_batch(paper_round, batch, clerks[1], 2, ["1 2", "3", "5 4", "2"])
    comparison = compare_keyings(batch)
    assert comparison.differ == [3] and not comparison.agree
    with pytest.raises(Conflict, match="disagree on sheet 3"):
        accept_batch(paper_round, batch, clerks[0], TODAY)
    assert envelopes_in(batch) == 0
    assert any("Galashiels fair" in problem for problem in reconcile_ballots(paper_round))
    rekey_sheet(paper_round, batch, clerks[1], 2, 3, "1 4 5")
    assert compare_keyings(batch).agree
    assert accept_batch(paper_round, batch, clerks[1], TODAY) == 4
    assert reconcile_ballots(paper_round) == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == KEYED_ACTION))
    keyed_by = json.loads(entry.after_json)["keyed_by"]
    assert [person["clerk_id"] for person in keyed_by] == [clerk.id for clerk in clerks]


def test_a_sheet_missing_from_one_keying_is_named_and_blocks_acceptance(paper_round, batch,
                                                                       clerks):
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=DOUBLE)
    key_batch(paper_round, batch, clerks[1], 2, SHEETS[:2])
    comparison = compare_keyings(batch)
    assert comparison.missing == {1: [], 2: [3, 4]} and comparison.differ == []
    with pytest.raises(Conflict, match="Keying 2 is not complete: sheets 3 and 4 not keyed"):
        accept_batch(paper_round, batch, clerks[0], TODAY)
    assert next_sheet(batch, 2) == 3


def test_one_bad_sheet_writes_nothing_and_every_bad_sheet_is_named(paper_round, batch, clerks):
    choose_keying_rule(paper_round, batch, clerks[0], SINGLE)
    with pytest.raises(SheetsRefused) as refused:
        key_sheets(paper_round, batch, clerks[0], 1,
                   [(1, "1"), (2, "9"), (2, "3"), (5, "1"), (4, "1 2 3 4")])
    assert [position for position, _ in refused.value.problems] == [1, 2, 3, 4]
    reasons = [reason for _, reason in refused.value.problems]
    assert reasons[0].startswith("Sheet 2: '9' is not a project number")
    assert reasons[1] == "Sheet 2 is given twice."
    assert reasons[2].startswith("Sheet 5 is not in this batch")
    assert reasons[3] == ("Sheet 4: These marks break the ballot's rules (you can choose up to 3 "
                          "projects; you chose 4). If the sheet is marked like this, key it as "
                          "spoilt; if not, correct the numbers.")
    assert sheet_count() == 0


def test_a_whole_batch_must_hold_every_sheet(paper_round, batch, clerks):
    choose_keying_rule(paper_round, batch, clerks[0], SINGLE)
    with pytest.raises(SheetsRefused) as refused:
        key_sheets(paper_round, batch, clerks[0], 1, [(1, "1"), (None, "2"), (4, "3")],
                   whole_batch=True)
    assert refused.value.problems == [
        (1, "Sheet number missing: give each sheet's number, 1 or more."),
        (None, "Sheets 2 and 3 missing: every sheet from 1 to 4 must be keyed.")]
    assert sheet_count() == 0


def test_the_same_person_cannot_key_both_keyings(paper_round, batch, clerks):
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=DOUBLE)
    with pytest.raises(Conflict, match="Someone else must key this one"):
        key_sheets(paper_round, batch, clerks[0], 2, [(1, "1 2")])
    assert sheet_count() == 4


def test_a_keying_belongs_to_its_clerk(paper_round, batch, clerks):
    key_batch(paper_round, batch, clerks[0], 1, SHEETS[:1], rule=SINGLE)
    with pytest.raises(PermissionDenied, match="only they can key"):
        key_sheets(paper_round, batch, clerks[1], 1, [(2, "3")])
    with pytest.raises(PermissionDenied):
        rekey_sheet(paper_round, batch, clerks[1], 1, 1, "3")
    with pytest.raises(Conflict, match="keyed once only"):
        key_sheets(paper_round, batch, clerks[1], 2, [(1, "3")])


def test_a_lead_of_another_locality_may_not_key_or_accept(paper_round, batch, clerks):
    stranger = lead_of(place("Tweeddale", "EH45"))
    with pytest.raises(PermissionDenied):
        choose_keying_rule(paper_round, batch, stranger, SINGLE)
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    with pytest.raises(PermissionDenied):
        key_sheets(paper_round, batch, stranger, 1, [(1, "1")])
    with pytest.raises(PermissionDenied):
        accept_batch(paper_round, batch, stranger, TODAY)
    assert envelopes_in(batch) == 0


def test_the_keying_rule_is_chosen_before_keying_and_then_fixed(paper_round, batch, clerks):
    with pytest.raises(Conflict, match="Choose single or double keying"):
        key_sheets(paper_round, batch, clerks[0], 1, [(1, "1")])
    with pytest.raises(InvalidInput):
        choose_keying_rule(paper_round, batch, clerks[0], "triple")
    key_batch(paper_round, batch, clerks[0], 1, SHEETS[:1], rule=SINGLE)
    with pytest.raises(Conflict, match="cannot change"):
        choose_keying_rule(paper_round, batch, clerks[0], DOUBLE)


def test_a_batch_is_accepted_once(paper_round, batch, clerks):
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    accept_batch(paper_round, batch, clerks[0], TODAY)
    with pytest.raises(Conflict, match="already in the ballot box"):
        accept_batch(paper_round, batch, clerks[0], TODAY)
    with pytest.raises(Conflict, match="already in the ballot box"):
        key_sheets(paper_round, batch, clerks[0], 1, [(1, "1")])
    assert envelopes_in(batch) == 4 and keyed_entries(paper_round) == 1


def test_nothing_is_accepted_once_the_box_is_opened(paper_round, batch, clerks):
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    move_round(paper_round, clerks[0], Phase.CLOSED)
    open_sealed(paper_round)
    with pytest.raises(Conflict, match="not taking ballots"):
        accept_batch(paper_round, batch, clerks[0], TODAY)
    assert envelopes_in(batch) == 0


def test_keying_goes_on_after_voting_closes_but_not_once_counted(paper_round, batch, clerks):
    move_round(paper_round, clerks[0], Phase.CLOSED)
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    paper_round.phase = Phase.COUNTED.value
    with pytest.raises(Conflict, match="before the round is counted"):
        accept_batch(paper_round, batch, clerks[0], TODAY)


def test_the_keyed_sheet_table_holds_no_plaintext_choices(paper_round, batch, clerks):
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    db.session.commit()
    rows = db.session.execute(text("SELECT * FROM keyed_sheet")).mappings().all()
    assert len(rows) == 4
    ids = project_ids(paper_round)
    stored = " ".join(repr(dict(row)) for row in rows)
    assert "projects" not in stored
    for row in rows:
        blob = bytes(row["sealed_choices"])
        assert b"projects" not in blob and not any(f'"{i}"'.encode() in blob for i in ids)
    box = get_box(paper_round)
    holder = box.shares[0].holder
    key, _ = _round_key(box, {holder.id: PASSPHRASE})
    first = next(row for row in rows if row["sheet_number"] == 1)
    opened = padded_unsealer(key)(bytes(first["sealed_choices"]))
    assert Choices.from_json(opened.decode()) == Choices(
        tuple(sorted([ids[0], ids[1]])))


def test_a_rekeyed_sheet_must_exist_in_the_clerks_keying(paper_round, batch, clerks):
    key_batch(paper_round, batch, clerks[0], 1, SHEETS[:1], rule=SINGLE)
    with pytest.raises(NotFound):
        rekey_sheet(paper_round, batch, clerks[0], 1, 2, "1")
    with pytest.raises(InvalidInput):
        rekey_sheet(paper_round, batch, clerks[0], 1, 1, "1 2 3 4")


def test_no_sheet_is_sealed_to_a_box_key_swapped_in_the_database(paper_round, batch, clerks):
    choose_keying_rule(paper_round, batch, clerks[0], SINGLE)
    get_box(paper_round).public_key = bytes(32)
    with pytest.raises(Conflict, match="not the one it was sealed with"):
        key_sheets(paper_round, batch, clerks[0], 1, [(1, "1")])
    assert sheet_count() == 0


def statements_keying(paper_round, batch, clerk, sheets: range) -> int:
    """How many SQL statements keying ``sheets`` into keying 1 sends."""
    with sql_sent() as sent:
        key_sheets(paper_round, batch, clerk, 1, [(sheet, "1 2") for sheet in sheets])
    return len(sent)


def test_keying_many_sheets_sends_no_more_statements_than_keying_two(paper_round, clerks):
    small, large = (PaperBatch(round_id=paper_round.id, label=label, declared_count=count,
                               created_by_id=clerks[0].id)
                    for label, count in (("small", 2), ("large", 300)))
    db.session.add_all([small, large])
    for each in (small, large):
        choose_keying_rule(paper_round, each, clerks[0], SINGLE)
    ballot_projects(paper_round)  # read once per process, before either is counted
    assert statements_keying(paper_round, large, clerks[0], range(1, 301)) == \
        statements_keying(paper_round, small, clerks[0], range(1, 3))
