"""The audit page: a page of entries at a time, in a fixed number of SQL statements however
long the trail, and the chain verified only when a finance officer asks (a POST)."""

from __future__ import annotations

from contextlib import contextmanager

from factories import UserFactory, finance_officer
from sqlalchemy import event

from audit.tamper import as_dba
from pb_app.audit.services import ENTRIES_PER_PAGE, current_checkpoint, record_event
from pb_app.extensions import db


def _append(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        record_event(f"test.step{n}", round_id=7, after={"n": n})
    db.session.commit()


@contextmanager
def _statements():
    """Collect the SQL statements sent on the test's connection (the pages share it)."""
    connection = db.session.connection()
    sent: list[str] = []

    def collect(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(connection, "before_cursor_execute", collect)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", collect)


def _officer(sign_in):
    officer = finance_officer()
    db.session.commit()
    return sign_in(officer)


def test_the_page_sends_as_many_statements_for_400_entries_as_for_5(client, sign_in):
    client = _officer(sign_in)
    _append(5)
    with _statements() as few:
        assert client.get("/audit/").status_code == 200
    _append(400, start=5)
    with _statements() as many:
        page = client.get("/audit/").get_data(as_text=True)
    assert len(many) == len(few) <= 8, many
    assert not any("hash" in statement and "ORDER BY audit_entry.sequence ASC" in statement
                   for statement in many)  # no pass over the chain
    assert "405 entries, page 1 of 9, newest first." in page
    assert page.count('<tr class="govuk-table__row">') == ENTRIES_PER_PAGE + 1  # and the head
    assert "test.step404" in page and "test.step354" not in page
    assert str(current_checkpoint()) in page


def test_later_pages_and_a_page_past_the_last(client, sign_in):
    client = _officer(sign_in)
    _append(60)
    second = client.get("/audit/?page=2").get_data(as_text=True)
    assert "page 2 of 2" in second and "test.step9<" in second and "test.step10<" not in second
    assert "page 2 of 2" in client.get("/audit/?page=99").get_data(as_text=True)


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
    assert "3 entries match" in page  # the filter is kept


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
