"""Small-number suppression: primary (under 5) and secondary (no derivation by subtraction)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pb_app.monitoring.suppression import suppress


def _lines(table):
    """Every (total, parts) relation of a published table, as published values."""
    rows, columns = len(table.row_labels), len(table.column_labels)
    lines = [(table.row_totals[r], list(table.cells[r])) for r in range(rows)]
    lines += [
        (table.column_totals[c], [table.cells[r][c] for r in range(rows)]) for c in range(columns)
    ]
    lines.append((table.grand_total, list(table.row_totals)))
    lines.append((table.grand_total, list(table.column_totals)))
    return lines


def _assert_safe(cells, table):
    for r, c in itertools.product(range(len(cells)), range(len(cells[0]))):
        if cells[r][c] < 5:
            assert table.cells[r][c] is None, f"cell {r},{c} = {cells[r][c]} shown"
    for total, parts in _lines(table):
        hidden = sum(1 for value in [total, *parts] if value is None)
        assert hidden != 1, f"a single hidden figure can be derived: {total} = {parts}"
        if total is not None and hidden:
            assert total - sum(value for value in parts if value is not None) >= 5, (
                "hidden parts shown small"
            )


def test_one_small_cell_gets_a_partner_hidden():
    table = suppress(["Yes", "No", "Prefer not to say"], ["Eildon"], [[3], [40], [12]])
    assert table.cells == ((None,), (40,), (None,))
    assert table.row_totals == (None, 40, None)
    assert table.column_totals == (55,)
    assert table.grand_total == 55


def test_nothing_hidden_when_every_count_is_five_or_more():
    table = suppress(["Female", "Male"], ["Cheviot", "Eildon"], [[5, 20], [9, 31]])
    assert table.cells == ((5, 20), (9, 31))
    assert table.row_totals == (25, 40)
    assert table.column_totals == (14, 51)
    assert table.grand_total == 65
    assert table.hidden_count == 0


def test_two_by_two_with_one_small_cell_hides_a_rectangle():
    cells = [[2, 30], [10, 40]]
    table = suppress(["Yes", "No"], ["Cheviot", "Eildon"], cells)
    assert table.cells == ((None, None), (None, None))
    assert table.row_totals == (32, 50)
    assert table.column_totals == (12, 70)
    assert table.grand_total == 82
    _assert_safe(cells, table)


def test_a_small_total_is_hidden_and_protected():
    cells = [[1, 2], [1, 0]]
    table = suppress(["a", "b"], ["x", "y"], cells)
    assert table.grand_total is None
    assert table.hidden_count == 9


def test_zero_counts_are_hidden_like_other_small_counts():
    table = suppress(["a", "b", "c"], ["x"], [[0], [50], [7]])
    assert table.cells == ((None,), (50,), (None,))


# Tables of 1 to 4 rows and columns of counts from 0 to 30: small numbers, often hidden.
SMALL_TABLES = st.integers(1, 4).flatmap(
    lambda rows: st.integers(1, 4).flatmap(
        lambda columns: st.lists(
            st.lists(st.integers(0, 30), min_size=columns, max_size=columns),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(SMALL_TABLES)
def test_no_hidden_figure_can_be_derived_from_one_line(cells):
    rows, columns = len(cells), len(cells[0])
    table = suppress([f"r{i}" for i in range(rows)], [f"c{j}" for j in range(columns)], cells)
    _assert_safe(cells, table)
    for r, c in itertools.product(range(rows), range(columns)):
        assert table.cells[r][c] in (None, cells[r][c])


@pytest.mark.parametrize(
    "threshold, expected", [(3, ((None,), (None,), (10,))), (1, ((2,), (4,), (10,)))]
)
def test_threshold_is_a_parameter(threshold, expected):
    assert suppress(["a", "b", "c"], ["x"], [[2], [4], [10]], threshold=threshold).cells == expected


def test_a_table_with_no_columns_is_returned_at_once():
    table = suppress(["a", "b"], [], [[], []])
    assert (table.cells, table.row_totals, table.grand_total) == (((), ()), (None, None), None)


def test_public_column_totals_stay_shown_and_the_cells_are_hidden_instead():
    cells = [[2, 30], [10, 40]]
    table = suppress(["Yes", "No"], ["Cheviot", "Eildon"], cells, public_column_totals=True)
    assert (table.column_totals, table.grand_total) == ((12, 70), 82)
    _assert_safe(cells, table)


def test_a_public_total_under_five_is_shown_with_every_cell_under_it_hidden():
    table = suppress(["a", "b"], ["x", "y"], [[1, 20], [2, 30]], public_column_totals=True)
    assert (table.column_totals, table.grand_total) == ((3, 50), 53)
    assert [row[0] for row in table.cells] == [None, None]
    assert table.cells[0][1] is None  # else row a's total would give its hidden 1 away
    assert table.row_totals == (21, 32)  # each hides 5 or more between its cells


@settings(max_examples=150, deadline=None)
@given(SMALL_TABLES)
def test_with_public_totals_no_figure_below_them_can_be_derived(cells):
    rows, columns = len(cells), len(cells[0])
    table = suppress([f"r{i}" for i in range(rows)], [f"c{j}" for j in range(columns)], cells,
                     public_column_totals=True)
    assert table.column_totals == tuple(sum(cells[r][c] for r in range(rows))
                                        for c in range(columns))
    for r, c in itertools.product(range(rows), range(columns)):
        assert table.cells[r][c] in (None, cells[r][c])
        if cells[r][c] < 5:
            assert table.cells[r][c] is None
    for total, parts in _lines(table):
        hidden = [value for value in parts if value is None]
        # A column of one row is its public total: nothing more to protect there.
        assert not (total is not None and len(parts) > 1 and len(hidden) == 1), (
            f"a single hidden figure can be derived: {total} = {parts}")
        if total is not None and hidden and total >= 5:
            assert total - sum(value for value in parts if value is not None) >= 5
