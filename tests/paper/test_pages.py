"""The keying pages through the test client: rule, entry page, files, differences, accepting."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select
from voting.builders import lead_of, place, resident

from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.paper.models import DOUBLE, SINGLE, KeyedSheet
from pb_app.paper.services import choose_keying_rule as choose_rule

from .helpers import envelopes_in, key_batch, keyed_entries, took_paper


def address(batch, tail: str = "") -> str:
    return f"/rounds/{batch.round_id}/voting/batches/{batch.id}/keying{tail}"


def sheets_keyed() -> int:
    return db.session.scalar(select(func.count()).select_from(KeyedSheet))


def rule_chosen(paper_round, batch, clerk, rule: str) -> None:
    """Choose the batch's keying rule and commit it, as the page would: a refused request
    undoes everything since the last commit."""
    choose_rule(paper_round, batch, clerk, rule)
    db.session.commit()


def upload(client, batch, number: int, body: str):
    return client.post(address(batch, f"/{number}/file"), data={
        "sheets": (io.BytesIO(body.encode()), "sheets.csv")},
        content_type="multipart/form-data")


def test_the_lead_chooses_the_rule_then_keys_sheet_after_sheet(sign_in, paper_round, batch,
                                                               clerks):
    client = sign_in(clerks[0])
    manage = client.get(f"/rounds/{paper_round.id}/voting").get_data(as_text=True)
    assert address(batch) in manage
    assert "How will this batch be keyed?" in client.get(address(batch)).get_data(as_text=True)
    assert client.post(address(batch, "/rule"), data={"rule": SINGLE}).status_code == 302
    page = client.get(address(batch, "/1"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Sheet 1 of 4" in html and "autofocus" in html
    assert '<span class="govuk-!-font-weight-bold">5</span> Project 5' in html
    saved = client.post(address(batch, "/1?sheet=1"), data={"sheet": "1", "projects": "2 1"})
    assert saved.status_code == 302 and saved.location.endswith(address(batch, "/1?sheet=2"))
    html = client.get(saved.location).get_data(as_text=True)
    assert "Sheet 1 keyed: 1 2" in html and "Sheet 2 of 4" in html


def test_a_bad_entry_shows_the_reason_and_keeps_what_was_typed(sign_in, paper_round, batch,
                                                               clerks):
    client = sign_in(clerks[0])
    client.post(address(batch, "/rule"), data={"rule": SINGLE})
    refused = client.post(address(batch, "/1"), data={"sheet": "1", "projects": "1 9"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "&#39;9&#39; is not a project number" in html and 'value="1 9"' in html
    assert sheets_keyed() == 0


def test_a_clerk_goes_back_to_a_sheet_and_keys_it_again(sign_in, paper_round, batch, clerks):
    key_batch(paper_round, batch, clerks[0], 1, ["1", "2"], rule=SINGLE)
    client = sign_in(clerks[0])
    assert "This sheet is keyed already" in client.get(address(batch, "/1?sheet=1")).get_data(
        as_text=True)
    again = client.post(address(batch, "/1?sheet=1"), data={"sheet": "1", "projects": "3"})
    assert again.status_code == 302 and again.location.endswith("/1?sheet=3")
    assert sheets_keyed() == 2
    assert client.get(address(batch, "/1?sheet=5")).status_code == 404


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_line(sign_in, paper_round,
                                                                   batch, clerks):
    rule_chosen(paper_round, batch, clerks[0], SINGLE)
    client = sign_in(clerks[0])
    refused = upload(client, batch, 1, 'sheet,projects\n1,"1 2"\n2,3\n3,"1 7"\n4,2\n')
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Line 4: Sheet 3: &#39;7&#39; is not a project number" in html
    assert "Line 2" not in html and "Line 3:" not in html and "Line 5" not in html
    assert sheets_keyed() == 0


def test_a_file_names_every_bad_row_and_any_gap(sign_in, paper_round, batch, clerks):
    rule_chosen(paper_round, batch, clerks[0], SINGLE)
    client = sign_in(clerks[0])
    html = upload(client, batch, 1, 'sheet,projects\nx,1\n2,9\n2,1\n').get_data(as_text=True)
    assert "Line 2: Sheet number missing" in html
    assert "Line 3: Sheet 2: &#39;9&#39;" in html
    assert "Line 4: Sheet 2 is given twice." in html
    assert "Sheets 1, 3 and 4 missing" in html
    assert upload(client, batch, 1, "1,2\n").status_code == 422  # no header
    assert sheets_keyed() == 0


def test_a_good_file_keys_the_whole_batch(sign_in, paper_round, batch, clerks):
    rule_chosen(paper_round, batch, clerks[0], SINGLE)
    client = sign_in(clerks[0])
    done = upload(client, batch, 1, 'sheet,projects\r\n4,2\r\n3,"5 4 1"\r\n1,1 2\r\n2,3\r\n')
    assert done.status_code == 302
    assert sheets_keyed() == 4


def test_differences_are_listed_with_links_and_acceptance_waits_for_agreement(
        sign_in, paper_round, batch, clerks):
    took_paper(paper_round, 4)
    key_batch(paper_round, batch, clerks[0], 1, ["1", "2", "3", "4"], rule=DOUBLE)
    key_batch(paper_round, batch, clerks[1], 2, ["1", "2", "5"])
    client = sign_in(clerks[1])
    html = client.get(address(batch)).get_data(as_text=True)
    assert "Sheet 3: keyed differently" in html and address(batch, "/2?sheet=3") in html
    assert "Sheet 4: not yet in keying 2" in html
    refused = client.post(address(batch, "/accept"))
    assert refused.status_code == 409 and "Keying 2 is not complete" in refused.get_data(
        as_text=True)
    client.post(address(batch, "/2?sheet=3"), data={"sheet": "3", "projects": "3"})
    client.post(address(batch, "/2?sheet=4"), data={"sheet": "4", "projects": "4"})
    assert "agree on every sheet" in client.get(address(batch)).get_data(as_text=True)
    accepted = client.post(address(batch, "/accept"))
    assert accepted.status_code == 302
    assert envelopes_in(batch) == 4 and keyed_entries(paper_round) == 1
    assert "The paper ballots reconcile" in client.get(
        f"/rounds/{paper_round.id}/voting").get_data(as_text=True)


def test_the_same_clerk_is_refused_the_second_keying_on_the_page(sign_in, paper_round, batch,
                                                                 clerks):
    key_batch(paper_round, batch, clerks[0], 1, ["1"], rule=DOUBLE)
    refused = sign_in(clerks[0]).post(address(batch, "/2"), data={"sheet": "1", "projects": "1"})
    assert refused.status_code == 409 and "Someone else must key" in refused.get_data(
        as_text=True)
    assert sheets_keyed() == 1


def test_a_lead_of_another_locality_gets_403_everywhere(sign_in, paper_round, batch, clerks):
    key_batch(paper_round, batch, clerks[0], 1, ["1", "2", "3", "4"], rule=SINGLE)
    client = sign_in(lead_of(place("Tweeddale", "EH45")))
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert client.get(address(batch)).status_code == 403
    assert client.get(address(batch, "/1")).status_code == 403
    assert client.post(address(batch, "/1"), data={"sheet": "1", "projects": "1"}
                       ).status_code == 403
    assert client.post(address(batch, "/rule"), data={"rule": DOUBLE}).status_code == 403
    assert upload(client, batch, 1, "sheet,projects\n1,1\n").status_code == 403
    assert client.post(address(batch, "/accept")).status_code == 403
    assert envelopes_in(batch) == 0 and sheets_keyed() == 4
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_a_resident_cannot_see_the_keying_pages(sign_in, paper_round, batch, client):
    assert client.get(address(batch)).status_code == 302  # to sign in

    assert sign_in(resident("R", "TD1 1AA", date(1980, 1, 1))).get(
        address(batch)).status_code == 403
