"""Turnout by age band against the eligible population: figures, pro rata, suppression,
and the same figures in the page, the CSV and the PDF."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from factories import LocalityFactory, RoundFactory
from pypdf import PdfReader
from results.builders import cast, make_projects, publish

from pb_app.localities.models import AGE_BANDS, LocalityPopulation
from pb_app.reports.export import report_csv
from pb_app.reports.pdf import report_pdf
from pb_app.reports.services import eligible_share, round_report, year_report

SIGNED = datetime(2026, 6, 1, 12, tzinfo=UTC)
# Residents by band, in the order of AGE_BANDS: 2,300 people, 1,980 of them 16 or over.
POPULATIONS = (320, 200, 200, 250, 300, 330, 400, 300)
# Voters by age (years: ballots), at least 5 in every band old enough to vote.
HILLSIDE_VOTERS = {20: 10, 30: 5, 40: 6, 50: 9, 60: 33, 70: 40, 80: 15}


def _published_round(name: str, voters: dict[int, int], minimum_age: int = 16):
    """A published round of a new locality with POPULATIONS by age band and these voters."""
    locality = LocalityFactory(name=name, population=sum(POPULATIONS))
    locality.age_populations = [
        LocalityPopulation(age_band=label, min_age=low, max_age=high, population=population)
        for (low, high, label), population in zip(AGE_BANDS, POPULATIONS, strict=True)
    ]
    round_ = RoundFactory(to_count=True, locality=locality, title=f"{name} Fund",
                          minimum_voting_age=minimum_age)
    (project,) = make_projects(round_, {"Lunch club": 300_000})
    for age, times in voters.items():
        cast(round_, [project], times=times, age=age)
    publish(round_, SIGNED)
    return round_


def _by_band(report, locality: str) -> dict[str, tuple[int | None, int | None, int | None]]:
    """Band -> (voters, residents old enough to vote, turnout in hundredths of a percent)."""
    return {t.age_band: (t.voters, t.eligible, t.turnout_hundredths)
            for t in report.age_turnout if t.locality == locality}


@pytest.mark.parametrize(("low", "high", "minimum", "share"), [
    (0, 15, 0, 1.0), (0, 15, 12, 0.25), (0, 15, 16, 0.0), (16, 24, 16, 1.0),
    (75, 200, 80, 10 / 15), (75, 200, 90, 0.0),
])
def test_a_band_straddling_the_minimum_age_counts_pro_rata_by_years(low, high, minimum, share):
    assert eligible_share(low, high, minimum) == pytest.approx(share)


def test_turnout_by_age_band_is_voters_over_the_eligible_population():
    _published_round("Hillside", HILLSIDE_VOTERS)
    report = year_report(2026)
    bands = _by_band(report, "Hillside")
    assert "Under 16" not in bands  # nobody under 16 could vote
    assert bands["65 to 74"] == (40, 400, 1000)
    assert bands["55 to 64"] == (33, 330, 1000)
    assert bands["16 to 24"] == (10, 200, 500)
    assert bands["All ages"] == (118, 1980, 596)  # 5.9596% rounds to 5.96%
    assert _by_band(report, "All localities")["65 to 74"] == (40, 400, 1000)
    assert report.localities_without_age_bands == []


def test_a_minimum_age_of_12_makes_a_quarter_of_the_under_16s_eligible():
    voters = {13: 8} | {age: 5 for age in (20, 30, 40, 50, 60, 70, 80)}
    round_ = _published_round("Burnside", voters, minimum_age=12)
    assert _by_band(round_report(round_), "Burnside")["Under 16"] == (8, 80, 1000)


def test_residents_old_enough_to_vote_are_whole_people_rounded_half_up_per_band():
    # A minimum of 14 in the band 0 to 15: 2 of 16 years of 324 residents is 40.5 -> 41.
    locality = LocalityFactory(name="Burnside", population=sum(POPULATIONS) + 4)
    locality.age_populations = [
        LocalityPopulation(age_band=label, min_age=low, max_age=high,
                           population=population + (4 if low == 0 else 0))
        for (low, high, label), population in zip(AGE_BANDS, POPULATIONS, strict=True)
    ]
    round_ = RoundFactory(to_count=True, locality=locality, title="Burnside Fund",
                          minimum_voting_age=14)
    (project,) = make_projects(round_, {"Lunch club": 300_000})
    cast(round_, [project], times=5, age=70)
    publish(round_, SIGNED)
    report = round_report(round_)
    assert _by_band(report, "Burnside")["Under 16"] == (None, 41, None)
    assert report.rounds[0].eligible == 41 + 1980 == _by_band(report, "Burnside")["All ages"][1]


def test_small_voter_counts_are_suppressed_with_their_turnout():
    _published_round("Hillside", HILLSIDE_VOTERS | {80: 3})
    bands = _by_band(year_report(2026), "Hillside")
    assert bands["75 or over"] == (None, 300, None)
    assert bands["65 to 74"] == (40, 400, 1000)


def test_localities_without_age_band_figures_are_named():
    locality = LocalityFactory(name="Moorside", population=1000)
    round_ = RoundFactory(to_count=True, locality=locality, title="Moorside Fund")
    (project,) = make_projects(round_, {"Lunch club": 300_000})
    cast(round_, [project], times=6, age=70)
    publish(round_, SIGNED)
    report = year_report(2026)
    assert report.localities_without_age_bands == ["Moorside"]
    bands = _by_band(report, "Moorside")
    # One locality: its 6 would show that no other band had a voter, so it is hidden too.
    assert (bands["65 to 74"], bands["All ages"]) == ((None, None, None), (6, None, None))
    assert (report.rounds[0].eligible, report.eligible, report.turnout_hundredths) == (
        None, None, None)


def test_the_turnout_by_age_band_is_in_the_page_the_csv_and_the_pdf(client):
    round_ = _published_round("Hillside", HILLSIDE_VOTERS)
    page = client.get("/reports/year/2026").get_data(as_text=True)
    assert "Voters and turnout by locality and age band" in page
    assert ('<th scope="row" class="govuk-table__header">Hillside</th><td class="govuk-table__cell"'
            ' data-label="Age band">65 to 74</td><td class="govuk-table__cell govuk-table__cell'
            '--numeric" data-label="Voters">40</td><td class="govuk-table__cell govuk-table__cell'
            '--numeric" data-label="Residents old enough to vote">400</td><td class="govuk-table'
            '__cell govuk-table__cell--numeric" data-label="Turnout">10.00%</td>') in page
    rows = list(csv.reader(io.StringIO(report_csv(round_report(round_)))))
    assert ["Hillside", "65 to 74", "40", "400", "10.00"] in rows
    assert ["All localities", "75 or over", "15", "300", "5.00"] in rows
    pdf = report_pdf(year_report(2026), "Scottish Borders Health and Social Care Partnership")
    text = " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Voters and turnout by locality and age band" in text
    assert "Hillside 65 to 74 40 400 10.00%" in text
    assert "pro rata by years of age" in text


def test_a_missing_band_matters_only_if_someone_in_it_could_vote():
    round_ = _published_round("Hillside", HILLSIDE_VOTERS)
    round_.locality.age_populations = [band for band in round_.locality.age_populations
                                       if band.age_band != "Under 16"]
    report = year_report(2026)
    assert report.rounds[0].eligible == 1980 == _by_band(report, "Hillside")["All ages"][1]
    assert report.localities_without_age_bands == []
    round_.locality.age_populations = [band for band in round_.locality.age_populations
                                       if band.age_band != "75 or over"]
    report = year_report(2026)
    assert (report.rounds[0].eligible, _by_band(report, "Hillside")["All ages"][1]) == (None, None)
    assert report.localities_without_age_bands == ["Hillside"]
