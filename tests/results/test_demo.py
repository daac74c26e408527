"""The demo's published round shows every part of a count: paper sheets set aside as blank or
spoilt beside the ballots counted, on the result page and in the year's oversight report."""

from __future__ import annotations

import csv
import io
import re

import pytest


@pytest.mark.committing
def test_the_demo_result_and_report_show_the_paper_sheets_set_aside(runner, client):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    result_path = next(line for line in lines if line.startswith("Results:")).split(": ")[2]
    result_path = result_path.split(" ")[0]
    page = client.get(result_path).get_data(as_text=True)
    assert "1 spoilt sheet, not counted" in page and "2 blank sheets" in page
    # Voters include those whose sheets were set aside; the turnout is the report's.
    assert re.search(r'id="voters">.*?160 \(48 on paper or with help\)', page)
    assert re.search(r'id="ballots-counted">.*?>157<', page)
    assert "157 ballots were counted" in page
    turnout = re.search(r'id="turnout">([\d.]+%)', page).group(1)
    report_path = next(line for line in lines if line.startswith("Oversight report"))
    report_path = report_path.split(": ")[1].split(" ")[0]
    report = client.get(report_path).get_data(as_text=True)
    assert "2 blank sheets and 1 spoilt sheet" in report
    rows = list(csv.reader(io.StringIO(client.get(f"{report_path}.csv").get_data(as_text=True))))
    header = rows.index(["Rounds"]) + 2
    round_row = dict(zip(rows[header], rows[header + 1], strict=True))
    assert (round_row["blank_sheets"], round_row["spoilt_sheets"]) == ("2", "1")
    assert int(round_row["voters"]) == int(round_row["ballots"]) + 3 == 160
    assert f"{round_row['turnout_percent']}%" == turnout
    # A delivered project's update says what the ledger holds: £120 back, £3.45 to come.
    assert "£120 has been handed back, and the last £3.45 will follow" in page
