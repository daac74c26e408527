"""The IJB oversight report: figures, suppression, PDF (opened and read), CSV and export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from factories import LocalityFactory, RoundFactory
from monitoring.builders import answered
from pypdf import PdfReader
from results.builders import cast, make_projects, paper_batch, publish, staff

from pb_app.extensions import db
from pb_app.ledger.services import add_entry, set_delivery
from pb_app.reports.export import report_csv
from pb_app.reports.figures import summary_figures
from pb_app.reports.pdf import report_pdf
from pb_app.reports.services import (
    NoRoundsThatYear,
    localities_without_rounds,
    round_report,
    year_report,
)
from pb_app.results.services import count_round, sign_off
from pb_app.voting.models import Participation

SIGNED = datetime(2026, 6, 1, 12, tzinfo=UTC)
TODAY = date(2026, 11, 22)


def _two_localities():
    """Cheviot (population 2,000) and Eildon (4,000), each with a published round."""
    cheviot = LocalityFactory(name="Cheviot", population=2_000)
    eildon = LocalityFactory(name="Eildon", population=4_000)
    LocalityFactory(name="Tweeddale")
    first = RoundFactory(to_count=True, locality=cheviot, budget_pence=500_000,
                         title="Cheviot Chest")
    lunch, bus = make_projects(
        first, {"Kelso lunch club": 300_000, "Jedburgh bus": 250_000}, outcomes=(1, 4)
    )
    batch = paper_batch(first, declared=3)
    cast(first, [lunch], times=3, channel="paper", batch=batch, age=80)
    cast(first, [bus], times=2, age=17)
    second = RoundFactory(to_count=True, locality=eildon, budget_pence=1_000_000,
                          title="Eildon Fund")
    (carers,) = make_projects(second, {"Carers' respite": 700_050}, outcomes=(6,))
    cast(second, [carers], times=4, channel="assisted", age=45)
    cast(second, [carers], times=6, age=30)
    lead, _ = publish(first, SIGNED)
    publish(second, SIGNED)
    return first, second, lead


def test_year_report_figures_across_localities():
    cheviot_round, _, _ = _two_localities()
    report = year_report(2026)
    assert [r.title for r in report.rounds] == ["Cheviot Chest", "Eildon Fund"]
    assert (report.budget_pence, report.allocated_pence) == (1_500_000, 300_000 + 700_050)
    cheviot, eildon = report.rounds
    assert (cheviot.voters, cheviot.ballots, cheviot.population) == (5, 5, 2_000)
    # No population by age band: how many are old enough to vote, and so turnout, is not known.
    assert (cheviot.eligible, cheviot.turnout_hundredths, report.turnout_hundredths) == (
        None, None, None)
    assert {t.label: t.count for t in report.by_channel} == {
        "Online": 8,
        "Online with a voting code": 0,
        "On paper, at a community event": 3,
        "With help from staff": 4,
    }
    assert report.in_person_voters == 7
    ages = {(t.locality, t.age_band): t.voters for t in report.age_turnout}
    assert "Under 16" not in {band for _, band in ages}  # nobody under 16 could vote
    assert (ages["Cheviot", "All ages"], ages["Eildon", "All ages"]) == (5, 10)
    assert ages["All localities", "All ages"] == report.voters == 15
    assert ages["Cheviot", "75 or over"] is None  # 3 voters: hidden
    outcomes = {t.label.split(".")[0]: (t.count, t.amount_pence) for t in report.by_outcome}
    assert (
        outcomes["1"] == (1, 300_000) and outcomes["6"] == (1, 700_050) and outcomes["2"] == (0, 0)
    )
    funded = {p.title: p.is_funded for p in report.projects}
    assert funded == {"Kelso lunch club": True, "Jedburgh bus": False, "Carers' respite": True}
    assert localities_without_rounds(report) == ["Tweeddale"]
    assert localities_without_rounds(round_report(cheviot_round)) == []
    assert [(t.locality, t.reconciles, t.unallocated_pence) for t in report.ledger_totals] == [
        ("Cheviot", True, 200_000),
        ("Eildon", True, 299_950),
    ]
    with pytest.raises(NoRoundsThatYear, match="no round's result was signed off"):
        year_report(2025)


def test_report_names_the_paper_sheets_set_aside():
    """Voters who took a ballot paper and left it blank or spoilt it are counted as voters but
    not as ballots: the report says how many, so the two figures reconcile for the IJB."""
    cheviot = LocalityFactory(name="Cheviot", population=2_000)
    round_ = RoundFactory(to_count=True, locality=cheviot, title="Cheviot Chest")
    (lunch,) = make_projects(round_, {"Kelso lunch club": 300_000})
    batch = paper_batch(round_, declared=7)
    cast(round_, [lunch], times=4, channel="paper", batch=batch)
    batch.blank_count, batch.spoilt_count = 2, 1  # as accepting the batch records them
    db.session.add_all(Participation(round_id=round_.id, person_key=f"sheet-{n}", channel="paper",
                                     age_years=50, voted_on=TODAY) for n in range(3))
    cast(round_, [lunch], times=2)  # online
    publish(round_, SIGNED)
    report = year_report(2026)
    (line,) = report.rounds
    assert (line.voters, line.ballots, line.blank_sheets, line.spoilt_sheets) == (9, 6, 2, 1)
    figures = dict(summary_figures(report))
    assert figures["Ballots counted"] == "6"
    assert figures["Paper sheets set aside as blank or spoilt, not counted"] == \
        "2 blank sheets and 1 spoilt sheet"
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    header = rows.index(["Rounds"]) + 2
    columns = rows[header]
    for row in (rows[header + 1], rows[header + 2]):  # the round, and all rounds
        assert [row[columns.index(name)] for name in
                ("ballots", "blank_sheets", "spoilt_sheets", "voters")] == ["6", "2", "1", "9"]
    pdf = PdfReader(io.BytesIO(report_pdf(report, "Scottish Borders")))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Ballots counted 6" in text
    assert "2 blank sheets and 1 spoilt sheet" in text


def test_a_report_without_set_aside_sheets_says_none():
    _two_localities()
    figures = dict(summary_figures(year_report(2026)))
    assert figures["Ballots counted"] == "15"
    assert figures["Paper sheets set aside as blank or spoilt, not counted"] == "None"


def test_report_follows_spend_and_delivery():
    first, _, lead = _two_localities()
    line = round_report(first).ledger[0]
    add_entry(
        line.allocation,
        lead,
        kind="spend",
        description="Meals",
        amount_pence=310_000,
        entry_on=TODAY,
        today=TODAY,
    )
    set_delivery(line.allocation, lead, "delivered")
    report = round_report(first)
    assert report.spent_pence == 310_000
    assert {t.label: t.count for t in report.delivery}["Delivered"] == 1
    assert [p.flag for p in report.projects if p.is_funded] == ["Over-spent"]


def test_equalities_in_the_report_are_suppressed():
    first, second, _ = _two_localities()
    answered(second, {"sex": "female"}, times=7)
    answered(second, {"sex": "male"})
    report = year_report(2026)
    sex = next(a.table for a in report.equalities if a.question.key == "sex")
    assert sex.column_labels == ("Cheviot", "Eildon")
    assert report.equalities_respondents == 8
    assert sex.row_labels[-1] == "Did not fill in the questionnaire"
    assert sex.cells[1] == (None, None)  # the lone man is hidden...
    assert sex.cells[0] == (None, None)  # ...and so are the seven women, or 10 - 2 - 7 gives him
    # Everyone who voted is counted: 5 in Cheviot and 2 in Eildon did not fill it in.
    assert (sex.cells[-1], sex.column_totals, sex.grand_total) == ((5, 2), (5, 10), 15)


def test_pdf_is_a_real_document_with_charts_and_tables():
    first, second, _ = _two_localities()
    pdf = report_pdf(year_report(2026), "Scottish Borders Health and Social Care Partnership")
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "Participatory budgeting oversight report 2026-27"
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in (
        "Scottish Borders Health and Social Care Partnership",
        "Cheviot Chest",
        "Eildon Fund",
        "£15,000",
        "£10,000.50",
        "Kelso lunch club",
        "Jedburgh bus",
        "Voters by age band",
        "Turnout by round: voters as a share of residents old enough to vote",
        "Turnout not known",
        "6. Unpaid carers are supported",
        "Reconciles",
        "Voted on paper or with help (recorded) 7",
        "Voted online (recorded) 8",
        "Equalities reach",
    ):
        assert expected in text, expected
    assert len(reader.pages) >= 3
    assert text.count("Page ") == len(reader.pages)


def test_csv_report_sections_and_exact_money():
    first, _, _ = _two_localities()
    rows = list(csv.reader(io.StringIO(report_csv(round_report(first)))))
    assert rows[0] == ["Oversight report: Cheviot Chest"]
    assert rows[rows.index(["Rounds"]) + 1][0] == "source"
    header = rows.index(["Rounds"]) + 2
    assert rows[header][:7] == [
        "round_id",
        "round",
        "locality",
        "population",
        "budget_gbp",
        "allocated_gbp",
        "spent_gbp",
    ]
    assert rows[header + 1][4:7] == ["5000.00", "3000.00", "0.00"]
    assert any(row[:2] == ["Voters by channel"] or row == ["Voters by channel"] for row in rows)


def test_export_command_writes_the_pdf(runner, tmp_path):
    _two_localities()
    output = tmp_path / "report.pdf"
    result = runner.invoke(args=["reports", "export", "--year", "2026", "--output", str(output)])
    assert result.exit_code == 0, result.output
    first_page = " ".join(PdfReader(str(output)).pages[0].extract_text().split())
    assert "Participatory budgeting oversight report 2026-27" in first_page
    bad = runner.invoke(args=["reports", "export", "--output", str(output)])
    assert bad.exit_code != 0 and "Give either --year or --round" in bad.output


def test_year_report_holds_only_that_years_published_rounds():
    first, second, _ = _two_localities()
    earlier = RoundFactory(to_count=True, locality=first.locality, budget_pence=300_000,
                           title="Cheviot 2025")
    (hall,) = make_projects(earlier, {"Hall": 100_000})
    cast(earlier, [hall], times=5)
    publish(earlier, datetime(2026, 3, 31, tzinfo=UTC))
    unpublished = RoundFactory(to_count=True, locality=second.locality, budget_pence=900_000,
                               title="Eildon extra")
    (garden,) = make_projects(unpublished, {"Garden": 100_000})
    cast(unpublished, [garden], times=5)
    counter, _, officer = staff(unpublished)
    sign_off(count_round(unpublished, counter), officer, now=SIGNED)
    report = year_report(2026)
    assert [r.title for r in report.rounds] == ["Cheviot Chest", "Eildon Fund"]
    assert [
        (t.locality, t.financial_year, t.budget_pence, t.allocated_pence)
        for t in report.ledger_totals
    ] == [("Cheviot", 2026, 500_000, 300_000), ("Eildon", 2026, 1_000_000, 700_050)]
    assert [r.title for r in year_report(2025).rounds] == ["Cheviot 2025"]


def test_report_page_titles_name_the_service_once(client, app):
    first, _, _ = _two_localities()
    service = app.config["SERVICE_NAME"]
    for url, own in (("/reports/", "Oversight reports"),
                     (f"/reports/round/{first.id}", round_report(first).title)):
        page = client.get(url).get_data(as_text=True)
        assert f"<title>{own} – {service}</title>" in page
