"""The oversight report as CSV: one section per table, cells safe for spreadsheets.

Counts and money are bare numbers (pounds to the penny); turnout is the same figure as on the
page without its ``%``; a hidden count is ``*``, as on the page. A section about people starts
with a ``source`` row saying whether its figures are recorded or self-reported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pb_app.ledger.services import pounds_cell, safe_cell
from pb_app.money import financial_year_label
from pb_app.monitoring.suppression import HIDDEN_MARK, HIDDEN_NOTE
from pb_app.reports.figures import (
    RECORDED,
    TURNOUT_NOTE,
    equalities_intro,
    summary_figures,
    turnout_number,
)
from pb_app.reports.services import OversightReport, Tally


def _section(writer, title: str, header: Iterable[str], rows: Iterable[Iterable[object]],
             source: str = "") -> None:
    writer.writerow([title])
    if source:
        writer.writerow(["source", source])
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    writer.writerow([])


def _tallies(tallies: list[Tally], with_money: bool = False) -> list[list[object]]:
    if with_money:
        return [[t.label, t.count, pounds_cell(t.amount_pence)] for t in tallies]
    return [[t.label, t.count] for t in tallies]


def _equalities_rows(report: OversightReport) -> list[list[object]]:
    rows = []
    for aggregate in report.equalities:
        table = aggregate.table
        lines = zip([*table.row_labels, "All voters"], [*table.cells, table.column_totals],
                    [*table.row_totals, table.grand_total], strict=True)
        for label, cells, total in lines:
            for locality, value in zip(table.column_labels, cells, strict=True):
                rows.append([aggregate.question.key, label, locality, _shown(value)])
            rows.append([aggregate.question.key, label, "All localities", _shown(total)])
    return rows


def _shown(value: int | None) -> object:
    return HIDDEN_MARK if value is None else value


ROUND_HEADER = ("round_id", "round", "locality", "population", "budget_gbp", "allocated_gbp",
                "spent_gbp", "ballots", "blank_sheets", "spoilt_sheets", "voters",
                "eligible_residents", "turnout_percent", "rule", "input_sha256",
                "snapshot_sha256", "algorithm_version")
PROJECT_HEADER = ("project", "locality", "round", "cost_gbp", "support", "support_unit",
                  "funded", "allocated_gbp", "spent_gbp", "delivery", "flag", "outcomes",
                  "priorities")
TOTAL_HEADER = ("financial_year", "locality", "budget_gbp", "allocated_gbp", "unallocated_gbp",
                "spent_gbp", "returned_gbp", "outstanding_gbp", "reconciles")


def _eligible(line) -> object:
    return "not known" if line.eligible is None else line.eligible


def _round_rows(report: OversightReport) -> list[list[object]]:
    rows = [[r.round_id, r.title, r.locality, r.population, pounds_cell(r.budget_pence),
             pounds_cell(r.allocated_pence), pounds_cell(r.spent_pence), r.ballots,
             r.blank_sheets, r.spoilt_sheets, r.voters, _eligible(r), turnout_number(r), r.rule,
             r.input_fingerprint, r.snapshot_hash, r.algorithm_version] for r in report.rounds]
    rows.append(["", "All rounds", "", sum(r.population for r in report.rounds),
                 pounds_cell(report.budget_pence), pounds_cell(report.allocated_pence),
                 pounds_cell(report.spent_pence), report.ballots, report.blank_sheets,
                 report.spoilt_sheets, report.voters, _eligible(report),
                 turnout_number(report), "", "", "", ""])
    return rows


def _project_rows(report: OversightReport) -> list[list[object]]:
    return [[p.title, p.locality, p.round_title, pounds_cell(p.cost_pence), p.support,
             p.support_unit,
             "yes" if p.is_funded else "no", pounds_cell(p.allocated_pence),
             pounds_cell(p.spent_pence), p.delivery, p.flag, " ".join(map(str, p.outcomes)),
             "; ".join(p.priorities)] for p in report.projects]


def _total_rows(report: OversightReport) -> list[list[object]]:
    return [[financial_year_label(t.financial_year), t.locality, pounds_cell(t.budget_pence),
             pounds_cell(t.allocated_pence), pounds_cell(t.unallocated_pence),
             pounds_cell(t.spent_pence), pounds_cell(t.returned_pence),
             pounds_cell(t.outstanding_pence), "yes" if t.reconciles else "NO"]
            for t in report.ledger_totals]


def _age_turnout_rows(report: OversightReport) -> list[list[object]]:
    return [[t.locality, t.age_band, _shown(t.voters), _eligible(t), turnout_number(t)]
            for t in report.age_turnout]


def report_csv(report: OversightReport) -> str:
    """Every table of the report, as CSV sections (money in pounds, exact to the penny)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([[report.title], [report.period]])
    if report.checkpoint:
        writer.writerow(["Audit checkpoint", report.checkpoint])
    writer.writerow([])
    channels = [*_tallies(report.by_channel), ["All", report.voters]]
    sections = (
        ("Summary", ("figure", "value"), summary_figures(report), ""),
        ("Rounds", ROUND_HEADER, _round_rows(report), f"voters: {RECORDED} {TURNOUT_NOTE}"),
        ("Projects", PROJECT_HEADER, _project_rows(report), ""),
        ("Funded by outcome", ("outcome", "projects", "allocated_gbp"),
         _tallies(report.by_outcome, with_money=True), ""),
        ("Funded by IJB priority", ("priority", "projects", "allocated_gbp"),
         _tallies(report.by_priority, with_money=True), ""),
        ("Voters by channel", ("channel", "voters"), channels, RECORDED),
        ("Voters and turnout by locality and age band",
         ("locality", "age_band", "voters", "eligible_residents", "turnout_percent"),
         _age_turnout_rows(report), f"{RECORDED} {TURNOUT_NOTE} {HIDDEN_NOTE}"),
        ("Delivery of funded projects", ("status", "projects", "allocated_gbp"),
         _tallies(report.delivery, with_money=True), ""),
        ("Ledger totals", TOTAL_HEADER, _total_rows(report), ""),
        ("Equalities monitoring", ("question", "answer", "locality", "count"),
         _equalities_rows(report), equalities_intro(report)),
    )
    for title, header, rows, source in sections:
        _section(writer, title, header, rows, source)
    return out.getvalue()
