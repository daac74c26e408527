"""Every oversight report (page, PDF, CSV, export) carries the audit trail's checkpoint, and
the app stores each checkpoint it has shown so that ``flask audit verify`` checks against it."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from factories import RoundFactory, finance_officer
from pypdf import PdfReader
from results.builders import cast, make_projects, publish
from sqlalchemy import select

from pb_app.audit.models import AuditCheckpoint
from pb_app.audit.services import current_checkpoint, record_event, verify_chain
from pb_app.extensions import db

SIGNED = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _published():
    round_ = RoundFactory(to_count=True)
    (lunch,) = make_projects(round_, {"Kelso lunch club": 300_000})
    cast(round_, [lunch], times=2)
    lead, snapshot = publish(round_, SIGNED)
    db.session.commit()
    return round_, lead, snapshot


def select_checkpoints(purpose: str):
    """The stored checkpoints of ``purpose``, oldest first."""
    return (select(AuditCheckpoint).where(AuditCheckpoint.purpose == purpose)
            .order_by(AuditCheckpoint.id))


def _stored(purpose: str) -> list[tuple[int, str | None]]:
    return [(row.sequence, row.object_id)
            for row in db.session.scalars(select_checkpoints(purpose))]


def test_every_format_of_a_report_carries_the_checkpoint_now(client):
    round_, _, _ = _published()
    end = str(current_checkpoint())
    html = client.get(f"/reports/round/{round_.id}").get_data(as_text=True)
    assert "Audit checkpoint: <code" in html and end in html
    csv_text = client.get(f"/reports/round/{round_.id}.csv").get_data(as_text=True)
    assert f"Audit checkpoint,{end}\r\n" in csv_text.split("Rounds")[0]
    pdf = client.get("/reports/year/2026.pdf").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Audit checkpoint: {end}" in text.replace("\n", " ")


def test_a_report_read_again_stores_its_checkpoint_once_until_the_trail_grows(client):
    round_, lead, _ = _published()
    client.get(f"/reports/round/{round_.id}")
    client.get(f"/reports/round/{round_.id}.pdf")
    client.get("/reports/year/2026.csv")
    end = current_checkpoint().sequence
    assert _stored("report") == [(end, f"round:{round_.id}"), (end, "year:2026")]
    record_event("test.later", actor=lead)
    db.session.commit()
    client.get(f"/reports/round/{round_.id}.csv")
    assert _stored("report")[-1] == (end + 1, f"round:{round_.id}")
    assert verify_chain().checkpoints_checked == 5  # sign-off, publication and three reports


def test_the_export_command_stores_and_prints_the_checkpoint(runner, tmp_path):
    _published()
    output = tmp_path / "report.csv"
    result = runner.invoke(args=["reports", "export", "--year", "2026", "--format", "csv",
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    end = str(current_checkpoint())
    assert f"(audit checkpoint {end})" in result.output
    assert f"Audit checkpoint,{end}" in output.read_text()
    assert _stored("report") == [(current_checkpoint().sequence, "year:2026")]


def test_the_sign_off_and_the_publication_carry_their_checkpoints(client, sign_in):
    round_, _, snapshot = _published()
    (signed,) = db.session.scalars(select_checkpoints("result.signed-off"))
    (published,) = db.session.scalars(select_checkpoints("result.published"))
    review = snapshot.latest_review
    assert (signed.object_type, signed.object_id) == ("SnapshotReview", str(review.id))
    assert published.object_type == "Publication"
    assert signed.sequence < published.sequence == current_checkpoint().sequence
    sign_in(finance_officer())
    db.session.commit()
    page = client.get(f"/results/round/{round_.id}/count").get_data(as_text=True)
    assert "Audit checkpoint at sign-off" in page and signed.text in page
    assert "Audit checkpoint at publication" in page and published.text in page
    public = client.get(f"/results/round/{round_.id}").get_data(as_text=True)
    assert published.text in public
