"""Blank and spoilt paper sheets: keyed as a word, agreed between keyings, counted on their
batch and in the reconciliation, never put in the ballot box."""

from __future__ import annotations

import io
import json

import pytest
from ballotbox.builders import peek
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from voting.builders import project_ids

from pb_app.audit.models import AuditEntry
from pb_app.errors import Conflict, InvalidInput
from pb_app.extensions import db
from pb_app.paper.entry import SetAside, in_numbers, read_keyed
from pb_app.paper.models import DOUBLE, SINGLE, KeyedSheet
from pb_app.paper.services import (
    KEYED_ACTION,
    accept_batch,
    compare_keyings,
    enter_sheet,
    rekey_sheet,
)
from pb_app.voting.models import PaperBatch
from pb_app.voting.services import ballot_rules, reconcile_ballots

from .helpers import TODAY, envelopes_in, key_batch, took_paper

SHEETS = ["1 2", "blank", "Spoilt", "2"]


def address(batch, tail: str = "") -> str:
    return f"/rounds/{batch.round_id}/voting/batches/{batch.id}/keying{tail}"


@pytest.mark.parametrize(("typed", "read"), [
    ("blank", SetAside.BLANK), ("  BLANK ", SetAside.BLANK), ("spoilt", SetAside.SPOILT),
    ("Spoiled", SetAside.SPOILT)])
def test_a_word_sets_a_sheet_aside(paper_round, typed, read):
    rules = ballot_rules(paper_round)
    assert read_keyed(rules, typed) is read
    assert in_numbers(rules, read) == str(read)


@pytest.mark.parametrize("typed", ["blank 2", "spoil", "void", ""])
def test_anything_else_is_read_as_project_numbers_and_refused(paper_round, typed):
    with pytest.raises(InvalidInput):
        read_keyed(ballot_rules(paper_round), typed)


def test_sheets_set_aside_are_counted_on_the_batch_and_never_reach_the_box(paper_round, batch,
                                                                          clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    assert accept_batch(paper_round, batch, clerks[0], TODAY) == 2
    db.session.commit()
    assert envelopes_in(batch) == 2
    assert (batch.blank_count, batch.spoilt_count, batch.set_aside_count) == (1, 1, 2)
    assert db.session.scalars(select(KeyedSheet)).all() == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == KEYED_ACTION))
    after = json.loads(entry.after_json)
    assert (after["ballots"], after["blank"], after["spoilt"]) == (2, 1, 1)
    assert reconcile_ballots(paper_round) == []
    ids = project_ids(paper_round)
    assert sorted(choices.projects for _, choices in peek(paper_round)) == sorted(
        [tuple(sorted([ids[0], ids[1]])), (ids[1],)])


def test_a_batch_of_blank_sheets_only_is_accepted_once(paper_round, batch, clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, ["blank"] * 4, rule=SINGLE)
    assert accept_batch(paper_round, batch, clerks[0], TODAY) == 0
    db.session.commit()
    with pytest.raises(Conflict, match="already in the ballot box"):
        accept_batch(paper_round, batch, clerks[0], TODAY)
    assert (batch.blank_count, envelopes_in(batch)) == (4, 0)
    assert reconcile_ballots(paper_round) == []


def test_two_keyings_must_agree_that_a_sheet_is_set_aside_and_why(paper_round, batch, clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=DOUBLE)
    key_batch(paper_round, batch, clerks[1], 2, ["1 2", "spoilt", "1 4", "2"])
    assert compare_keyings(batch).differ == [2, 3]
    with pytest.raises(Conflict, match="disagree on sheets 2 and 3"):
        accept_batch(paper_round, batch, clerks[0], TODAY)
    assert rekey_sheet(paper_round, batch, clerks[1], 2, 2, "blank") is SetAside.BLANK
    assert rekey_sheet(paper_round, batch, clerks[1], 2, 3, "spoiled") is SetAside.SPOILT
    assert compare_keyings(batch).agree
    assert accept_batch(paper_round, batch, clerks[1], TODAY) == 2


def test_a_sheet_keyed_again_with_numbers_is_no_longer_set_aside(paper_round, batch, clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    choices = enter_sheet(paper_round, batch, clerks[0], 1, 2, "3")
    assert choices.projects == (project_ids(paper_round)[2],)
    row = db.session.scalar(select(KeyedSheet).where(KeyedSheet.sheet_number == 2))
    assert row.set_aside is None and row.sealed_choices is not None
    assert accept_batch(paper_round, batch, clerks[0], TODAY) == 3
    assert (batch.blank_count, batch.spoilt_count) == (0, 1)


def test_the_database_holds_a_sheet_to_choices_or_a_reason_not_both(paper_round, batch,
                                                                    clerks):
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    rows = {row["sheet_number"]: row for row in
            db.session.execute(text("SELECT * FROM keyed_sheet")).mappings()}
    assert (rows[2]["sealed_choices"], rows[2]["set_aside"]) == (None, "blank")
    assert (rows[3]["sealed_choices"], rows[3]["set_aside"]) == (None, "spoilt")
    assert rows[1]["set_aside"] is None and rows[1]["sealed_choices"] is not None
    assert len({row["choices_mac"] for row in rows.values()}) == 4
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(KeyedSheet).where(KeyedSheet.sheet_number == 1)
                           .values(set_aside="blank"))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(KeyedSheet).where(KeyedSheet.sheet_number == 2)
                           .values(set_aside="lost"))


def test_a_set_aside_count_changed_in_the_database_stops_the_reconciliation(paper_round, batch,
                                                                           clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    accept_batch(paper_round, batch, clerks[0], TODAY)
    db.session.commit()
    db.session.execute(update(PaperBatch).where(PaperBatch.id == batch.id)
                       .values(spoilt_count=PaperBatch.spoilt_count + 1))
    db.session.expire_all()
    problems = reconcile_ballots(paper_round)
    assert problems == [
        "Batch 'Galashiels fair' says 4 ballots but 2 were entered and 3 set aside.",
        "4 people voted on paper, at a community event but there are 2 such ballots and 3 set "
        "aside."]
    assert problems[0].batch_id == batch.id


def test_the_entry_page_keys_a_blank_sheet_and_says_so(sign_in, paper_round, batch, clerks):
    key_batch(paper_round, batch, clerks[0], 1, [], rule=SINGLE)
    client = sign_in(clerks[0])
    page = client.get(address(batch, "/1")).get_data(as_text=True)
    assert "If nothing is marked, type blank" in page
    saved = client.post(address(batch, "/1?sheet=1"), data={"sheet": "1", "projects": "blank"})
    assert saved.status_code == 302
    assert "Sheet 1 keyed: blank" in client.get(saved.location).get_data(as_text=True)


def test_a_file_may_set_sheets_aside_and_the_pages_show_them(sign_in, paper_round, batch,
                                                            clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, [], rule=SINGLE)
    client = sign_in(clerks[0])
    body = "sheet,projects\n1,1 2\n2,blank\n3,spoilt\n4,2\n"
    uploaded = client.post(address(batch, "/1/file"), data={
        "sheets": (io.BytesIO(body.encode()), "sheets.csv")}, content_type="multipart/form-data")
    assert uploaded.status_code == 302
    assert client.post(address(batch, "/accept")).status_code == 302
    batch_page = client.get(address(batch)).get_data(as_text=True)
    assert "(2 entered; 1 blank and 1 spoilt, set aside)" in batch_page
    assert "Accept the batch" not in batch_page
    manage = client.get(f"/rounds/{paper_round.id}/voting").get_data(as_text=True)
    assert 'data-label="Blank or spoilt">2</td>' in manage


def test_a_vote_turned_into_a_blank_sheet_in_the_database_is_refused(paper_round, batch,
                                                                    clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, SHEETS, rule=SINGLE)
    db.session.execute(update(KeyedSheet).where(KeyedSheet.sheet_number.in_([1, 4]))
                       .values(sealed_choices=None, set_aside="blank"))  # the MACs kept
    db.session.commit()
    with pytest.raises(Conflict, match="Sheets 1 and 4 of keying 1 changed outside the app"):
        accept_batch(paper_round, batch, clerks[0], TODAY)
    assert envelopes_in(batch) == 0 and batch.set_aside_count == 0
    enter_sheet(paper_round, batch, clerks[0], 1, 1, "1 2")
    enter_sheet(paper_round, batch, clerks[0], 1, 4, "2")
    assert accept_batch(paper_round, batch, clerks[0], TODAY) == 2
