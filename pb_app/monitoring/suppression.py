"""Small-number suppression for aggregate tables, with secondary suppression.

A table has cells (rows x columns), row totals, column totals and a grand total. Every count
under ``THRESHOLD`` is hidden (primary suppression). Then, in every line that adds up (a row
with its total, a column with its total, the row totals with the grand total, the column
totals with the grand total), if exactly one figure is hidden it could be worked out by
subtraction; and if the hidden parts of a line whose total is shown add up to less than the
threshold, subtraction would reveal that each is small (or zero). In either case the smallest
figure still shown in that line is hidden too (secondary suppression), until every line is safe.

Figures that are published anyway are never hidden: column totals that the report prints
elsewhere (the voters of each locality), and rows that every table of a report shares (the
voters who did not answer a questionnaire, the same in each of its tables: hidden in one table
and shown in another, they would give away the rest). Hiding them would protect nothing and
the tables would no longer agree; secondary suppression picks from the other cells instead.

Every hidden figure is printed as ``HIDDEN_MARK`` and explained by ``HIDDEN_NOTE``, the same
words on the page, in the PDF and in the CSV.
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD = 5
HIDDEN_MARK = "*"
HIDDEN_NOTE = (
    f"{HIDDEN_MARK} means fewer than {THRESHOLD} people, or a number hidden so that one of "
    f"fewer than {THRESHOLD} cannot be worked out by subtraction. Totals still count everyone: "
    "the hidden numbers make up the difference."
)

Position = tuple[str, int, int]  # ("cell", row, column) | ("row_total", row, 0) | ...


@dataclass(frozen=True)
class SuppressedTable:
    """A published table: ``None`` marks a hidden figure."""

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    grand_total: int | None

    @property
    def hidden_count(self) -> int:
        """How many figures (cells and totals) are hidden."""
        figures = [value for row in self.cells for value in row]
        figures += [*self.row_totals, *self.column_totals, self.grand_total]
        return sum(1 for value in figures if value is None)


def hidden_text(value: int | None) -> str:
    """A published count with thousands separators, or ``HIDDEN_MARK`` when it is hidden."""
    return HIDDEN_MARK if value is None else f"{value:,}"


def _lines(rows: int, columns: int) -> list[tuple[Position, list[Position]]]:
    """Every additive relation: (the total's position, the positions that add up to it)."""
    lines: list[tuple[Position, list[Position]]] = []
    for r in range(rows):
        lines.append((("row_total", r, 0), [("cell", r, c) for c in range(columns)]))
    for c in range(columns):
        lines.append((("column_total", 0, c), [("cell", r, c) for r in range(rows)]))
    lines.append((("grand_total", 0, 0), [("row_total", r, 0) for r in range(rows)]))
    lines.append((("grand_total", 0, 0), [("column_total", 0, c) for c in range(columns)]))
    return lines


def _is_unsafe(
    total: Position,
    parts: list[Position],
    values: dict[Position, int],
    hidden: set[Position],
    threshold: int,
) -> bool:
    """True when a hidden figure of this line could be worked out, or shown to be small."""
    hidden_parts = [part for part in parts if part in hidden]
    if len(hidden_parts) + (total in hidden) == 1:
        return True
    return (
        total not in hidden
        and bool(hidden_parts)
        and sum(values[part] for part in hidden_parts) < threshold
    )


def _secondary_pick(
    parts: list[Position],
    total: Position,
    values: dict[Position, int],
    hidden: set[Position],
    public: set[Position],
) -> Position | None:
    """The figure to hide next in a line: the smallest part still shown, else the total;
    None when every figure left is public anyway, so hiding more would protect nothing."""
    shown = [part for part in parts if part not in hidden and part not in public]
    if shown:
        return min(shown, key=lambda part: (values[part], part))
    return None if total in hidden or total in public else total


def suppress(
    row_labels: list[str],
    column_labels: list[str],
    cells: list[list[int]],
    threshold: int = THRESHOLD,
    public_column_totals: bool = False,
    public_rows: tuple[int, ...] = (),
) -> SuppressedTable:
    """Compute the totals of ``cells`` and hide what could identify a small group.

    With ``public_column_totals`` the column totals and the grand total are always shown, as
    are the cells and totals of the rows indexed in ``public_rows``: figures the reader has
    from elsewhere.
    """
    rows, columns = len(row_labels), len(column_labels)
    values: dict[Position, int] = {}
    for r in range(rows):
        for c in range(columns):
            values[("cell", r, c)] = cells[r][c]
        values[("row_total", r, 0)] = sum(cells[r])
    for c in range(columns):
        values[("column_total", 0, c)] = sum(cells[r][c] for r in range(rows))
    values[("grand_total", 0, 0)] = sum(values[("row_total", r, 0)] for r in range(rows))

    public: set[Position] = {("row_total", r, 0) for r in public_rows}
    public |= {("cell", r, c) for r in public_rows for c in range(columns)}
    if public_column_totals:
        public |= {("column_total", 0, c) for c in range(columns)} | {("grand_total", 0, 0)}
    hidden = {
        position for position, value in values.items()
        if value < threshold and position not in public
    }
    lines = _lines(rows, columns)
    changed = True
    while changed:
        changed = False
        for total, parts in lines:
            if parts and _is_unsafe(total, parts, values, hidden, threshold):
                pick = _secondary_pick(parts, total, values, hidden, public)
                if pick is not None and pick not in hidden:
                    hidden.add(pick)
                    changed = True

    def shown(position: Position) -> int | None:
        """The figure at ``position``, or None when it is hidden."""
        return None if position in hidden else values[position]

    return SuppressedTable(
        row_labels=tuple(row_labels),
        column_labels=tuple(column_labels),
        cells=tuple(tuple(shown(("cell", r, c)) for c in range(columns)) for r in range(rows)),
        row_totals=tuple(shown(("row_total", r, 0)) for r in range(rows)),
        column_totals=tuple(shown(("column_total", 0, c)) for c in range(columns)),
        grand_total=shown(("grand_total", 0, 0)),
    )
