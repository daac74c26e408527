"""End to end through the pages: close voting, count, sign off, publish, check, report."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from factories import LocalityFactory, RoundFactory, UserFactory, group_lead
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare
from pypdf import PdfReader
from sqlalchemy import func, select
from voting.builders import close_voting

from pb_app.extensions import db
from pb_app.localities.models import AGE_BANDS, LocalityPopulation
from pb_app.reports.figures import percent_text
from pb_app.reports.services import eligible_residents, turnout_hundredths
from pb_app.results.models import CountSnapshot
from pb_app.rounds.models import Phase
from results.builders import cast, make_projects, paper_batch, staff

ROOT = Path(__file__).resolve().parents[2]


def _published_round(client, sign_in):
    """A round voted, closed, counted, signed off and published, each step through a page."""
    round_ = RoundFactory(to_count=True, phase=Phase.VOTING, budget_pence=1_000_000,
                          title="Cheviot Community Fund")
    lunch, transport, walks = make_projects(
        round_, {"Lunch club": 400_000, "Community transport": 500_000, "Walking group": 200_000}
    )
    cast(round_, [lunch, transport], times=3)
    batch = paper_batch(round_, declared=2)
    cast(round_, [lunch, walks], times=2, channel="paper", batch=batch, age=70)
    codes = cast(round_, [transport, walks], times=1, age=17)
    lead, _, officer = staff(round_)
    sign_in(lead)
    assert close_voting(client, round_).status_code == 302
    assert round_.current_phase is Phase.CLOSED
    assert client.get(f"/results/round/{round_.id}").status_code == 404  # nothing published yet
    response = client.post(f"/results/round/{round_.id}/count")
    assert response.status_code == 302
    assert client.post(f"/results/round/{round_.id}/publish").status_code == 409  # unsigned
    snapshot_id = _latest_snapshot_id(round_)
    assert client.post(f"/results/snapshot/{snapshot_id}/sign-off").status_code == 403
    sign_in(officer)
    page = client.get(f"/results/round/{round_.id}/count").get_data(as_text=True)
    assert "Sign off this result" in page and "Waiting for a finance officer" in page
    assert client.post(f"/results/snapshot/{snapshot_id}/sign-off").status_code == 302
    sign_in(lead)
    assert client.post(f"/results/round/{round_.id}/publish").status_code == 302
    return round_, {"lunch": lunch, "transport": transport, "walks": walks}, codes


def _latest_snapshot_id(round_) -> int:
    from pb_app.results.services import latest_snapshot

    return latest_snapshot(round_).id


def test_voting_close_to_published_result_with_downloads_and_receipt(client, sign_in, tmp_path):
    round_, projects, codes = _published_round(client, sign_in)
    client.get("/")  # a fresh visitor: no session needed for public pages
    with client.session_transaction() as session:
        session.clear()
    page = client.get(f"/results/round/{round_.id}").get_data(as_text=True)
    for expected in (
        "Lunch club",
        "Community transport",
        "Walking group",
        "£9,000",
        "£1,000",
        "It had 5 votes and cost £4,000. It was funded, leaving £6,000",
        "when its turn came only £1,000 was left",
        "<svg",
        round_.lottery_seed,
    ):
        assert expected in page, expected
    assert 'id="set-aside"' not in page  # no paper sheet was set aside

    pb = client.get(f"/results/round/{round_.id}/ballots.pb")
    result = client.get(f"/results/round/{round_.id}/result.json")
    assert pb.status_code == result.status_code == 200
    pb_file, result_file = tmp_path / "round.pb", tmp_path / "result.json"
    pb_file.write_bytes(pb.data)
    result_file.write_bytes(result.data)
    snapshot_winners = json.loads(result.data)["selected"]
    assert snapshot_winners == [str(projects["lunch"].id), str(projects["transport"].id)]

    instance, profile = parse_pabulib(str(pb_file))
    oracle = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    assert sorted(p.name for p in oracle) == sorted(snapshot_winners)

    env = {**os.environ, "PB_ENV": "development"}
    verify = subprocess.run(
        [
            str(Path(sys.executable).parent / "flask"),
            "--app",
            "wsgi",
            "tally",
            "verify",
            str(pb_file),
            str(result_file),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr

    csv_text = client.get(f"/results/round/{round_.id}/ballots.csv").get_data(as_text=True)
    assert csv_text.startswith("vote,points\n") and csv_text.count("\n") == 7

    checked = client.post(f"/results/round/{round_.id}/receipt", data={"code": codes[0]})
    text = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Your ballot was counted" in text
    assert "not how you voted" in text  # a receipt shown to anyone proves no choice
    assert "Community transport" not in text and "Walking group" not in text
    bad = client.post(f"/results/round/{round_.id}/receipt", data={"code": "nonsense"})
    assert bad.status_code == 422
    assert 'id="code-error"' in bad.get_data(as_text=True)  # on the field, with the form
    unknown = codes[0][:-1] + ("A" if codes[0][-1] != "A" else "B")
    missing = client.post(f"/results/round/{round_.id}/receipt", data={"code": unknown})
    assert missing.status_code == 404
    text = missing.get_data(as_text=True)
    assert "No counted ballot in this round has that receipt code" in text
    assert 'class="govuk-error-summary' in text and 'name="code"' in text


def test_published_round_gives_a_report_as_page_pdf_and_csv(client, sign_in):
    round_, _, _ = _published_round(client, sign_in)
    html = client.get(f"/reports/round/{round_.id}").get_data(as_text=True)
    for expected in (
        "Oversight report: Cheviot Community Fund",
        "£10,000",
        "£9,000",
        "Walking group",
        "Voters by age band",
        "Equalities reach",
    ):
        assert expected in html, expected
    pdf = client.get(f"/reports/round/{round_.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    squashed = " ".join(text.split())
    for expected in (
        "Oversight report: Cheviot Community Fund",
        "Lunch club",
        "£9,000",
        "Funded projects by National Health and Wellbeing Outcome",
        "Turnout",
        "Paper or assisted: 2; online: 4",
        "Reconciles",
    ):
        assert expected in squashed, expected
    snapshot_hash = _fingerprint(round_)
    assert snapshot_hash[:20] in squashed.replace(" ", "")
    csv_text = client.get(f"/reports/round/{round_.id}.csv").get_data(as_text=True)
    assert snapshot_hash in csv_text
    assert "Lunch club,Locality" in csv_text or "Lunch club," in csv_text


def _fingerprint(round_) -> str:
    from pb_app.results.services import latest_snapshot

    return latest_snapshot(round_).input_fingerprint


def test_staff_pages_refuse_outsiders(client, sign_in):
    round_ = RoundFactory(to_count=True)
    assert client.get(f"/results/round/{round_.id}/count").status_code == 302  # to sign in
    sign_in(UserFactory())
    db.session.commit()  # a refused request rolls back what it did: keep the set-up
    assert client.get(f"/results/round/{round_.id}/count").status_code == 403
    assert client.post(f"/results/round/{round_.id}/count").status_code == 403
    assert client.get("/results/ledger").status_code == 403
    assert client.get("/reports/round/999999").status_code == 404


def test_staff_see_the_rounds_waiting_for_a_result(client, sign_in):
    closed = RoundFactory(to_count=True, title="Closed round")
    RoundFactory(to_count=True, phase=Phase.VOTING, title="Still voting")
    lead, _, officer = staff(closed)
    outsider = group_lead(LocalityFactory())
    db.session.commit()
    for user, expected in ((lead, True), (officer, True), (outsider, False)):
        sign_in(user)
        page = client.get("/results/").get_data(as_text=True)
        assert ("Closed round" in page) is expected
        assert "Still voting" not in page


def test_finance_returns_a_count_with_a_reason_through_the_page(client, sign_in):
    round_ = RoundFactory(to_count=True, title="Returned round")
    (lunch,) = make_projects(round_, {"Lunch club": 400_000})
    cast(round_, [lunch], times=2)
    lead, _, officer = staff(round_)
    sign_in(lead)
    assert client.post(f"/results/round/{round_.id}/count").status_code == 302
    snapshot_id = _latest_snapshot_id(round_)
    sign_in(officer)
    empty = client.post(f"/results/snapshot/{snapshot_id}/return", data={"reason": "  "})
    assert empty.status_code == 422
    assert "Enter the reason for returning this result" in empty.get_data(as_text=True)
    assert client.post(f"/results/round/{round_.id}/publish").status_code == 403
    returned = client.post(
        f"/results/snapshot/{snapshot_id}/return", data={"reason": "The Kelso batch needs checking"}
    )
    assert returned.status_code == 302
    page = client.get(f"/results/round/{round_.id}/count").get_data(as_text=True)
    assert "Returned: The Kelso batch needs checking" in page


def test_a_count_held_up_by_paper_ballots_says_what_to_put_right_where(client, sign_in):
    round_ = RoundFactory(to_count=True, phase=Phase.CLOSED, title="Cheviot Community Fund")
    walks, = make_projects(round_, {"Walking group": 200_000})
    batch = paper_batch(round_, declared=3, label="Kelso library")
    cast(round_, [walks], times=2, channel="paper", batch=batch)
    lead = staff(round_)[0]
    db.session.commit()
    sign_in(lead)

    page = client.get(f"/results/round/{round_.id}/count").text
    assert "The paper ballots do not reconcile yet, so the count cannot run" in page
    assert (f'href="/rounds/{round_.id}/voting/batches/{batch.id}/correct">'
            "Batch &#39;Kelso library&#39; says 3 ballots but 2 were entered.</a>") in page
    assert "Run the count" not in page

    refused = client.post(f"/results/round/{round_.id}/count")  # from a page open before
    assert refused.status_code == 409
    assert "<title>Error: Count and sign-off" in refused.text
    assert "The count did not run" in refused.text and "Go to the home page" not in refused.text
    assert f'href="/rounds/{round_.id}/voting/batches/{batch.id}/correct"' in refused.text
    assert _snapshots_of(round_) == 0


def _snapshots_of(round_) -> int:
    return db.session.scalar(select(func.count()).select_from(CountSnapshot).where(
        CountSnapshot.round_id == round_.id))


def test_the_result_gives_the_turnout_the_year_report_gives(client, sign_in):
    round_, _, _ = _published_round(client, sign_in)
    assert "Not known: there are no population figures by age" in client.get(
        f"/results/round/{round_.id}").text
    round_.locality.age_populations = [
        LocalityPopulation(age_band=label, min_age=low, max_age=high, population=125)
        for low, high, label in AGE_BANDS]  # 875 residents of 16 or over
    db.session.commit()
    report = client.get(f"/reports/round/{round_.id}.csv").text
    page = client.get(f"/results/round/{round_.id}").text
    eligible = eligible_residents(round_)
    turnout = percent_text(turnout_hundredths(6, eligible))
    assert (eligible, turnout) == (875, "0.69%")
    assert (f"{turnout} of the {eligible:,} residents of {round_.locality.name} "
            "old enough to vote (16 or over)") in page
    assert turnout.removesuffix("%") in report
