"""Spending against the budget, project by project in the order the count chose them: the
figures, and a narrow inline SVG drawing of them that stays readable on a 320 px screen.

The drawing uses presentation attributes only (no style attribute), so the page's Content
Security Policy lets it through; the page gives the same figures as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from pb_app.money import format_pounds
from pb_app.web.charts import BAR_COLOUR, TEXT_COLOUR

WIDTH = 290
BAR_START = 6
BAR_LENGTH = 278
ROW_HEIGHT = 42
EARLIER_COLOUR = "#505a5f"
UNSPENT_COLOUR = "#f3f2f1"
TITLE_LIMIT = 24


@dataclass(frozen=True)
class SpendingRow:
    """One funded project: its place in the count's order, its cost and the totals after it."""

    number: int
    project_id: str
    title: str
    cost_pence: int
    spent_pence: int
    left_pence: int


def spending_rows(
    allocation: list[tuple[str, int]], titles: dict[str, str], budget_pence: int
) -> list[SpendingRow]:
    """The running total of ``allocation`` (id, pence) pairs, in the order given."""
    rows, spent = [], 0
    for number, (pid, amount) in enumerate(allocation, start=1):
        spent += amount
        rows.append(SpendingRow(number, pid, titles[pid], amount, spent, budget_pence - spent))
    return rows


def spending_summary(rows: list[SpendingRow], budget_pence: int) -> str:
    """The chart in one sentence."""
    spent = rows[-1].spent_pence if rows else 0
    count = f"{len(rows)} funded project{'' if len(rows) == 1 else 's'}"
    return (f"The {count} used {format_pounds(spent)} of the {format_pounds(budget_pence)} budget, "
            f"leaving {format_pounds(budget_pence - spent)}.")


def _x(pence: int, budget_pence: int) -> float:
    return BAR_START + BAR_LENGTH * pence / budget_pence if budget_pence else BAR_START


def _short(title: str) -> str:
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…"


def _row_svg(row: SpendingRow, top: int, budget_pence: int) -> str:
    """A row: the project and the total after it, then a bar of the budget with the money
    spent before it (grey) and its own cost (blue)."""
    before = _x(row.spent_pence - row.cost_pence, budget_pence)
    after = _x(row.spent_pence, budget_pence)
    return (
        f'<text x="{BAR_START}" y="{top + 14}" font-size="14" fill="{TEXT_COLOUR}">'
        f"{row.number}. {escape(_short(row.title))}</text>"
        f'<text x="{BAR_START + BAR_LENGTH}" y="{top + 14}" font-size="14" text-anchor="end" '
        f'fill="{TEXT_COLOUR}">{escape(format_pounds(row.spent_pence))}</text>'
        f'<rect x="{BAR_START}" y="{top + 20}" width="{BAR_LENGTH}" height="14" '
        f'fill="{UNSPENT_COLOUR}" stroke="{TEXT_COLOUR}" stroke-width="0.5"/>'
        f'<rect x="{BAR_START}" y="{top + 20}" width="{before - BAR_START:.1f}" height="14" '
        f'fill="{EARLIER_COLOUR}"/>'
        f'<rect x="{before:.1f}" y="{top + 20}" width="{after - before:.1f}" height="14" '
        f'fill="{BAR_COLOUR}"/>'
    )


def spending_svg(rows: list[SpendingRow], budget_pence: int) -> str:
    """The rows as inline SVG: each funded project adds its cost to the money spent, against
    a bar as long as the budget; the title is the one-sentence summary."""
    height = 24 + ROW_HEIGHT * len(rows) + 22
    summary = escape(spending_summary(rows, budget_pence))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-spending-chart" role="img" '
        f'width="100%" viewBox="0 0 {WIDTH} {height}" aria-label="{summary}" '
        f'font-family="Arial, Helvetica, sans-serif"><title>{summary}</title>'
        f'<text x="{BAR_START + BAR_LENGTH}" y="14" font-size="14" text-anchor="end" '
        f'font-weight="bold" fill="{TEXT_COLOUR}">Budget {escape(format_pounds(budget_pence))}'
        "</text>"
    ]
    parts += [_row_svg(row, 24 + ROW_HEIGHT * i, budget_pence) for i, row in enumerate(rows)]
    spent = rows[-1].spent_pence if rows else 0
    parts.append(
        f'<text x="{BAR_START}" y="{height - 6}" font-size="14" font-weight="bold" '
        f'fill="{TEXT_COLOUR}">Left unspent: {escape(format_pounds(budget_pence - spent))}</text>'
        "</svg>"
    )
    return "".join(parts)
