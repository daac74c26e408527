"""``flask voting letters | reconcile | close``."""

from __future__ import annotations

from pypdf import PdfReader
from sqlalchemy import func, select

from pb_app.extensions import db
from pb_app.voting.models import PaperBatch, VotingCode
from voting.builders import lead_of, voting_round


def test_letters_are_written_to_a_pdf_by_a_lead(runner, eildon, tmp_path):
    round_ = voting_round(eildon, voter_verification="voting-code")
    lead = lead_of(eildon)
    out = tmp_path / "letters.pdf"
    result = runner.invoke(args=["voting", "letters", str(round_.id), "4", "--lead", lead.email,
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 4 letters" in result.output
    text = PdfReader(out).pages[3].extract_text()
    assert f"/rounds/{round_.id}/vote/code" in text and "Letter 4 of 4" in text
    assert db.session.scalar(select(func.count()).select_from(VotingCode)) == 4


def test_only_a_lead_of_the_locality_makes_letters(runner, eildon, voter, tmp_path):
    round_ = voting_round(eildon, voter_verification="voting-code")
    result = runner.invoke(args=["voting", "letters", str(round_.id), "4", "--lead", voter.email,
                                 "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert "Only the group lead of Eildon or an administrator can do this" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_reconcile_exits_1_while_a_batch_is_short(runner, approval_round):
    lead = lead_of(approval_round.locality)
    db.session.add(PaperBatch(round_id=approval_round.id, label="Melrose", declared_count=3,
                              created_by_id=lead.id))
    db.session.commit()
    result = runner.invoke(args=["voting", "reconcile", str(approval_round.id)])
    assert result.exit_code == 1
    assert "Batch 'Melrose' says 3 ballots but 0 were entered." in result.output


def test_close_stops_voting(runner, approval_round):
    lead = lead_of(approval_round.locality)
    result = runner.invoke(args=["voting", "close", str(approval_round.id), "--lead", lead.email])
    assert result.exit_code == 0, result.output
    assert "is closed: 0 ballots" in result.output
    assert approval_round.phase == "closed"
    again = runner.invoke(args=["voting", "close", str(approval_round.id), "--lead", lead.email])
    assert again.exit_code == 1 and "cannot move" in again.output
