"""Every figure of the year report agrees with every other: on the page, in the CSV and in the
PDF, on a realistic year of three localities, with hidden small numbers; and the three ways the
report once contradicted itself (voters under 16 in a round from 16, 140 voters by age against
160 in the summary, 0.85% turnout against 0.82%) cannot come back."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from pb_app.audit.models import AuditCheckpoint
from pb_app.extensions import db
from reports.report_reading import count, read_csv, read_page, read_pdf
from reports.year_data import (
    CHEVIOT_BANDS,
    CHEVIOT_VOTERS,
    EILDON_BANDS,
    TEVIOT_BANDS,
    make_locality,
    published_round,
    realistic_year,
)

PAGE, CSV_FILE, PDF_FILE = "/reports/year/2026", "/reports/year/2026.csv", "/reports/year/2026.pdf"


@pytest.fixture(name="realistic_year")
def realistic_year_fixture():
    """The realistic year of ``year_data``, committed."""
    realistic_year()


def cheviot_alone(rng: random.Random, voters: dict[int, int] = CHEVIOT_VOTERS,
                  answering: float = 0.55) -> None:
    """Only the demo's Cheviot (19,600 residents) held a round this year, from age 16."""
    published_round(make_locality("Cheviot", CHEVIOT_BANDS), "Cheviot Chest", voters, rng,
                    answering=answering)
    db.session.commit()


def percent(voters: int, eligible: int) -> str:
    """The turnout the report must print, worked out here independently: half up, 2 places."""
    hundredths = (2 * voters * 10_000 + eligible) // (2 * eligible)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def eligible(bands: tuple[int, ...], minimum_age: int) -> int:
    """Residents old enough to vote: whole bands, the band 0 to 15 pro rata, half up."""
    under_16 = (2 * bands[0] * max(0, 16 - minimum_age) + 16) // 32
    return under_16 + sum(bands[1:])


VOTERS = {"Cheviot": 160, "Eildon": 229 + 28, "Teviot": 8}
ELIGIBLE = {"Cheviot": eligible(CHEVIOT_BANDS, 16), "Eildon": 2 * eligible(EILDON_BANDS, 12),
            "Teviot": eligible(TEVIOT_BANDS, 16)}
TOTAL_VOTERS, TOTAL_ELIGIBLE = sum(VOTERS.values()), sum(ELIGIBLE.values())


def _adds_up(parts: list[str], total: str, public: int = 0) -> None:
    """Shown parts and hidden ones (``*``) make the total; what is hidden is 5 or more, so no
    hidden figure can be shown to be small, unless all there is to hide (the total less the
    ``public`` part printed in every table) is under 5."""
    if total == "*":
        assert "*" in parts, parts  # else the hidden total is the sum of what is shown
        return
    shown = sum(count(part) for part in parts if part != "*")
    if "*" not in parts:
        assert shown == count(total), (parts, total)
    else:
        assert count(total) - shown >= min(5, count(total) - public), (parts, total)


def test_every_figure_of_the_year_report_agrees_with_every_other(client, realistic_year):
    summary, tables = read_page(client.get(PAGE).get_data(as_text=True))
    assert summary["Voters (recorded)"] == f"{TOTAL_VOTERS:,}" == "425"
    assert summary["Residents old enough to vote"] == f"{TOTAL_ELIGIBLE:,}"
    turnout = percent(TOTAL_VOTERS, TOTAL_ELIGIBLE)
    assert summary["Turnout"] == turnout

    rounds = tables["Budget, allocation, spend and turnout by round"]
    everything = rounds.row("All rounds")
    assert (everything["Voters"], everything["Residents old enough to vote"],
            everything["Turnout"], everything["Budget"]) == (
        "425", f"{TOTAL_ELIGIBLE:,}", turnout, summary["Budget of the rounds covered"])
    assert sum(count(v) for v in rounds.column("Voters")[:-1]) == TOTAL_VOTERS
    for row in rounds.rows[:-1]:
        voters, residents = count(row[5]), count(row[6])
        assert row[7] == percent(voters, residents), row

    channels = tables["Voters by channel"]
    _adds_up(channels.column("Voters")[:-1], channels.row("All")["Voters"])
    assert channels.row("All")["Voters"] == "425"
    in_person = sum(count(channels.row(label)["Voters"])
                    for label in ("On paper, at a community event", "With help from staff"))
    assert summary["Voted on paper or with help (recorded)"] == str(in_person)

    ages = tables["Voters and turnout by locality and age band"]
    for name in [*VOTERS, "All localities"]:
        lines = [row for row in ages.rows if row[0] == name]
        *bands, whole = lines
        assert whole[1] == "All ages"
        voters = VOTERS.get(name, TOTAL_VOTERS)
        residents = ELIGIBLE.get(name, TOTAL_ELIGIBLE)
        assert (count(whole[2]), count(whole[3]), whole[4]) == (
            voters, residents, percent(voters, residents))
        _adds_up([row[2] for row in bands], whole[2])
        assert sum(count(row[3]) for row in bands) == residents
        for row in bands:
            assert row[4] == ("*" if row[2] == "*" else percent(count(row[2]), count(row[3])))
    assert "Under 16" in ages.column("Age band")  # Eildon's rounds let 12-year-olds vote
    assert ages.row("Cheviot", "Under 16")["Voters"] == "*"  # nobody there, and hidden
    assert ages.row("Cheviot", "Under 16")["Residents old enough to vote"] == "0"

    respondents = db.session.scalar(select(func.count()).select_from(
        db.metadata.tables["equalities_response"]))
    assert summary["Answered the equalities questionnaire (self-reported)"] == (
        f"{respondents} of 425 voters")
    questionnaire = [table for caption, table in tables.items() if table.header[0] == "Answer"]
    assert len(questionnaire) == 10
    for table in questionnaire:
        assert table.header[1:] == ["Cheviot", "Eildon", "Teviot", "All localities"]
        assert table.rows[-1] == ["All voters", "160", "257", "8", "425"], table.caption
        did_not = table.row("Did not fill in the questionnaire")
        assert count(did_not["All localities"]) == TOTAL_VOTERS - respondents
        for row in table.rows[:-1]:
            _adds_up(row[1:-1], row[-1])
        for column in range(1, 5):
            _adds_up([row[column] for row in table.rows[:-1]], table.rows[-1][column],
                     count(table.rows[-2][column]))
    age_answers = next(t for t in questionnaire if t.caption == "What is your age?")
    assert "Under 16" in age_answers.column("Answer")


def test_the_csv_and_the_pdf_print_the_figures_of_the_page(client, realistic_year):
    summary, tables = read_page(client.get(PAGE).get_data(as_text=True))
    sections = read_csv(client.get(CSV_FILE).get_data(as_text=True))
    pdf = read_pdf(client.get(PDF_FILE).data)

    assert dict(sections["Summary"][1:]) == summary
    for label, figure in summary.items():
        assert f"{label} {figure}" in pdf, label

    rounds_page = tables["Budget, allocation, spend and turnout by round"]
    header, *rounds_csv = sections["Rounds"]
    for page_row, csv_row in zip(rounds_page.rows, rounds_csv, strict=True):
        row = dict(zip(header, csv_row, strict=True))
        assert (row["voters"], row["eligible_residents"], row["turnout_percent"] + "%") == (
            page_row[5].replace(",", ""), page_row[6].replace(",", ""), page_row[7])
        assert f"£{row['budget_gbp']}" == page_row[2].replace(",", "") + (
            "" if "." in page_row[2] else ".00")
        assert " ".join(page_row[2:]) in pdf

    ages_page = tables["Voters and turnout by locality and age band"]
    _, *ages_csv = sections["Voters and turnout by locality and age band"]
    for page_row, csv_row in zip(ages_page.rows, ages_csv, strict=True):
        assert csv_row == [page_row[0], page_row[1], page_row[2].replace(",", ""),
                           page_row[3].replace(",", ""), page_row[4].removesuffix("%")]
        assert " ".join(page_row) in pdf, page_row

    channels = tables["Voters by channel"]
    assert sections["Voters by channel"][1:] == [
        [label, figure.replace(",", "")] for label, figure in channels.rows]

    _, *answers = sections["Equalities monitoring"]
    questionnaire = [table for table in tables.values() if table.header[0] == "Answer"]
    from_page = [
        [answer, locality, figure.replace(",", "")]
        for table in questionnaire for answer, *figures in table.rows
        for locality, figure in zip(table.header[1:], figures, strict=True)
    ]
    assert [row[1:] for row in answers] == from_page
    for table in questionnaire:
        for row in table.rows:
            assert " ".join(row) in pdf, (table.caption, row)


def test_a_round_from_16_shows_nobody_under_16_anywhere(client):
    """The demo once showed 20 voters "Under 16" in a round whose minimum age is 16."""
    cheviot_alone(random.Random(16))
    assert "Under 16" not in client.get(PAGE).get_data(as_text=True)
    assert "Under 16" not in client.get(CSV_FILE).get_data(as_text=True)
    assert "Under 16" not in read_pdf(client.get(PDF_FILE).data)


def test_every_recorded_voter_is_in_the_age_table_whatever_their_age(client):
    """The age table once said 140 voters where the summary said 160: the 20 recorded as 14
    in a round from 16 (as the old demo wrote them) dropped out of it."""
    cheviot_alone(random.Random(14), CHEVIOT_VOTERS | {17: 0, 14: 12}, answering=0)
    summary, tables = read_page(client.get(PAGE).get_data(as_text=True))
    ages = tables["Voters and turnout by locality and age band"]
    assert summary["Voters (recorded)"] == ages.row("Cheviot", "All ages")["Voters"] == "160"
    assert ages.row("Cheviot", "Under 16") == {
        "Locality": "Cheviot", "Age band": "Under 16", "Voters": "12",
        "Residents old enough to vote": "0", "Turnout": "nobody old enough"}


def test_turnout_is_one_figure_in_the_summary_the_rounds_and_the_ages(client):
    """Turnout once read 0.82% (voters over all residents) in one table and 0.85% (over
    residents old enough to vote) in another."""
    cheviot_alone(random.Random(82))
    summary, tables = read_page(client.get(PAGE).get_data(as_text=True))
    rounds = tables["Budget, allocation, spend and turnout by round"]
    ages = tables["Voters and turnout by locality and age band"]
    expected = percent(160, 16_560)
    assert expected == "0.97%"
    assert summary["Turnout"] == rounds.row("Cheviot Chest")["Turnout"] == expected
    assert ages.row("Cheviot", "All ages")["Turnout"] == expected
    assert ages.row("All localities", "All ages")["Turnout"] == expected
    assert f"Cheviot: Cheviot Chest {expected}" in read_pdf(client.get(PDF_FILE).data)


@pytest.mark.parametrize(("path", "says"), [
    ("/reports/year/1900", "no round's result was signed off"),
    ("/reports/year/2025", "financial year 2025-26"),
    ("/reports/year/1900.pdf", "no round's result was signed off"),
    ("/reports/year/1900.csv", "no round's result was signed off"),
    ("/reports/year/99999", "99999 is not a financial year"),
    ("/reports/year/abc", "“abc” is not a financial year"),
    ("/reports/year/-1", "“-1” is not a financial year"),
])
def test_a_year_without_rounds_is_a_clear_404_with_links_to_the_years_with_reports(
        client, path, says):
    cheviot_alone(random.Random(1), {40: 5})
    stored = db.session.scalar(select(func.count()).select_from(AuditCheckpoint))
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "No oversight report for this year" in page and says in page.replace("&#39;", "'")
    assert '<a class="govuk-link" href="/reports/year/2026">Financial year 2026-27</a>' in page
    assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == stored


def test_a_report_in_an_unknown_format_is_a_clear_404(client, realistic_year):
    response = client.get("/reports/year/2026.xls")
    assert response.status_code == 404
    assert "Reports come as a page, a PDF or a CSV file" in response.get_data(as_text=True)


def test_the_export_command_refuses_a_year_without_rounds(runner, tmp_path):
    output = tmp_path / "report.pdf"
    result = runner.invoke(args=["reports", "export", "--year", "1900", "--output", str(output)])
    assert result.exit_code != 0 and "no round's result was signed off" in result.output
    assert not output.exists()
