"""The audit page: a page of entries at a time, older and newer from a boundary entry, in a
fixed number of SQL statements with no count and no offset however long the trail, and the
chain verified only when a finance officer asks (a POST)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from factories import UserFactory, finance_officer
from sql_sent import sql_sent
from sqlalchemy import insert

from audit.tamper import as_dba
from pb_app.audit.models import AuditEntry
from pb_app.audit.services import ENTRIES_PER_PAGE, current_checkpoint, record_event
from pb_app.extensions import db


def _append(count: int, start: int = 0, actor=None) -> None:
    for n in range(start, start + count):
        record_event(f"test.step{n}", actor=actor, round_id=7, after={"n": n})
    db.session.commit()


def _officer(sign_in):
    officer = finance_officer()
    db.session.commit()
    return sign_in(officer)


def _touches_the_trail_in_full(statement: str, parameters: Any) -> bool:
    """A count, an offset other than 0, or no limit on a read of audit_entry: work that grows
    with the trail (the verifier's pass over the chain is one).

    (SQLite's dialect writes ``OFFSET ?`` with 0 after every LIMIT; PostgreSQL's writes none.)
    """
    lowered = statement.lower()
    if "from audit_entry" not in lowered:
        return False
    return ("count(" in lowered or " limit " not in lowered
            or _offset_of(statement, parameters) not in (None, 0))


def _offset_of(statement: str, parameters: Any) -> Any:
    """The value bound to the statement's OFFSET, or None when it has none."""
    named = re.search(r"OFFSET %\((\w+)\)s", statement)
    if named:
        return parameters[named.group(1)]
    return parameters[-1] if re.search(r"OFFSET \?$", statement.strip()) else None


@pytest.mark.parametrize("address", ["/audit/", "/audit/?round=7", "/audit/?actor={actor}",
                                     "/audit/?before=300", "/audit/?after=5&round=7"])
def test_a_page_sends_as_many_statements_for_400_entries_as_for_60(client, sign_in, address):
    client = _officer(sign_in)
    actor = UserFactory()
    _append(60, actor=actor)
    address = address.format(actor=actor.id)
    with sql_sent(db.session.connection()) as few:
        assert client.get(address).status_code == 200
    _append(340, start=60, actor=actor)
    with sql_sent(db.session.connection()) as many:
        page = client.get(address).get_data(as_text=True)
    assert len(many) == len(few) <= 9, many
    assert not any(_touches_the_trail_in_full(*sent) for sent in few + many), many
    assert page.count('<tr class="govuk-table__row">') == ENTRIES_PER_PAGE + 1  # and the head


def test_the_statement_check_sees_the_old_count_and_offset_on_either_database():
    assert _touches_the_trail_in_full(
        "SELECT count(*) AS count_1 FROM (SELECT audit_entry.id FROM audit_entry) AS anon_1", ())
    assert _touches_the_trail_in_full(
        "SELECT audit_entry.id FROM audit_entry ORDER BY audit_entry.sequence DESC"
        " LIMIT ? OFFSET ?", (50, 100))
    assert _touches_the_trail_in_full(
        "SELECT audit_entry.id FROM audit_entry LIMIT %(param_1)s OFFSET %(param_2)s",
        {"param_1": 50, "param_2": 100})
    assert not _touches_the_trail_in_full(
        "SELECT audit_entry.id FROM audit_entry LIMIT ? OFFSET ?", (50, 0))
    assert _touches_the_trail_in_full(
        "SELECT audit_entry.hash FROM audit_entry ORDER BY audit_entry.sequence ASC", ())
    assert not _touches_the_trail_in_full("SELECT count(*) FROM user", ())


def test_the_first_page_shows_the_newest_entries_and_the_chain_end(client, sign_in):
    client = _officer(sign_in)
    _append(405)
    page = client.get("/audit/").get_data(as_text=True)
    assert "Entries 405 to 356, newest first." in page
    assert "test.step404<" in page and "test.step355<" in page and "test.step354<" not in page
    assert page.index("test.step404<") < page.index("test.step355<")
    assert str(current_checkpoint()) in page
    assert 'href="/audit/?before=356"' in page and "Older entries" in page
    assert "Newer entries" not in page


def test_older_and_newer_links_lead_through_the_trail_and_back(client, sign_in):
    client = _officer(sign_in)
    _append(60)
    older = client.get("/audit/?before=11").get_data(as_text=True)
    assert "Entries 10 to 1, newest first." in older
    assert "test.step9<" in older and "test.step10<" not in older
    assert 'href="/audit/?after=10"' in older and "Older entries" not in older
    newer = client.get("/audit/?after=10").get_data(as_text=True)
    assert "Entries 60 to 11, newest first." in newer
    assert "Newer entries" not in newer and 'href="/audit/?before=11"' in newer


def test_the_filters_are_kept_in_the_links_and_the_form(client, sign_in):
    client = _officer(sign_in)
    actor = UserFactory()
    _append(120, actor=actor)
    _append(5, start=120)  # newest, by nobody
    first = client.get(f"/audit/?round=7&actor={actor.id}").get_data(as_text=True)
    assert "Matching entries 120 to 71, newest first." in first
    assert f'href="/audit/?before=71&amp;round=7&amp;actor={actor.id}"' in first
    second = client.get(f"/audit/?before=71&round=7&actor={actor.id}").get_data(as_text=True)
    assert "Matching entries 70 to 21, newest first." in second
    assert f'href="/audit/?after=70&amp;round=7&amp;actor={actor.id}"' in second
    assert 'name="round" inputmode="numeric" value="7"' in second
    assert f'name="actor" inputmode="numeric" value="{actor.id}"' in second
    assert client.get("/audit/?round=8").get_data(as_text=True).count("No entries match.") == 2


@pytest.mark.parametrize("value", ["-1", "0", str(10**30), "2147483648", "abc", "1.5", "%00",
                                   "9" * 5000])
@pytest.mark.parametrize("name", ["before", "after"])
def test_a_bad_boundary_is_a_400_naming_it(client, sign_in, name, value):
    client = _officer(sign_in)
    _append(3)
    for response in (client.get(f"/audit/?{name}={value}"),
                     client.post(f"/audit/verify?{name}={value}", data={})):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert value == "%00" or f"{name}=" in page and "whole number from 1" in page
        assert "Audit chain" not in page


def test_before_and_after_together_are_a_400(client, sign_in):
    client = _officer(sign_in)
    response = client.get("/audit/?before=5&after=2")
    assert response.status_code == 400
    assert "either before or after" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["-1", "0", str(10**30), "abc", ""])
def test_a_bad_filter_is_dropped_and_the_newest_entries_shown(client, sign_in, value):
    client = _officer(sign_in)
    _append(3)
    response = client.get(f"/audit/?round={value}&actor={value}&before=")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Entries 3 to 1, newest first." in page
    assert 'name="round" inputmode="numeric" value=""' in page


def test_the_page_does_not_verify_until_asked(client, sign_in):
    client = _officer(sign_in)
    _append(3)
    as_dba("UPDATE audit_entry SET action = 'rewritten' WHERE sequence = 2")
    db.session.commit()
    assert "broken" not in client.get("/audit/").get_data(as_text=True)
    response = client.post("/audit/verify", data={})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Tampering found" in page and "Audit chain broken at entry 2" in page


def test_verifying_on_the_page_with_a_checkpoint(client, sign_in):
    client = _officer(sign_in)
    _append(3)
    end = current_checkpoint()
    page = client.post("/audit/verify?round=7", data={"checkpoints": f"{end}\n"}).get_data(True)
    assert "Audit chain intact: 3 entries verified, 1 checkpoints matched." in page
    assert "Matching entries 3 to 1, newest first." in page  # the filter is kept


def test_a_bad_checkpoint_on_the_page_is_a_422_naming_it(client, sign_in):
    client = _officer(sign_in)
    _append(1)
    response = client.post("/audit/verify", data={"checkpoints": "1:abc"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "the form, line 1: &#39;1:abc&#39; is not a checkpoint" in page
    assert "Audit chain" not in page


def test_verifying_needs_the_csrf_token(app, client, sign_in):
    client = _officer(sign_in)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/audit/verify", data={}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_residents_see_neither_the_page_nor_the_verdict(client, sign_in):
    resident = UserFactory()
    db.session.commit()
    sign_in(resident)
    assert client.get("/audit/").status_code == 403
    assert client.post("/audit/verify", data={}).status_code == 403


def test_the_entries_on_screen_are_named_by_their_numbers(client, sign_in):
    client = _officer(sign_in)
    assert "No entries." in client.get("/audit/").get_data(as_text=True)
    _append(1)
    assert "Entry 1." in client.get("/audit/").get_data(as_text=True)
    assert "Matching entry 1." in client.get("/audit/?round=7").get_data(as_text=True)
    assert "No entries match." in client.get("/audit/?round=8").get_data(as_text=True)


def test_a_trail_of_a_million_entries_is_numbered_in_full(client, sign_in):
    client = _officer(sign_in)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.execute(insert(AuditEntry), [
        {"sequence": n, "created_at": moment, "action": "test.step", "previous_hash": f"{n:064x}",
         "hash": f"{n + 1:064x}"} for n in range(999_991, 1_000_051)])
    db.session.commit()
    newest = client.get("/audit/").get_data(as_text=True)
    assert "Entries 1,000,050 to 1,000,001, newest first." in newest
    assert 'href="/audit/?before=1000001"' in newest
    older = client.get("/audit/?before=1000001").get_data(as_text=True)
    assert "Entries 1,000,000 to 999,991, newest first." in older
