"""Keyset pages of the audit trail: newest first, from a boundary entry number in either
direction, filtered by round and actor, and a clear refusal of a boundary that is no number."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from factories import UserFactory
from sql_sent import sql_sent
from sqlalchemy import insert, text

from pb_app.audit.models import AuditEntry
from pb_app.audit.services import (
    BadPageBoundary,
    EntriesPage,
    entries_page,
    page_boundaries,
    record_event,
)
from pb_app.extensions import db


def _append(count: int, *, actor=None, round_of=lambda n: 7) -> None:
    """Append entries 1 to ``count``; entry n is in round ``round_of(n)``."""
    for n in range(1, count + 1):
        record_event(f"test.step{n}", actor=actor, round_id=round_of(n), after={"n": n})
    db.session.flush()


def _sequences(page: EntriesPage) -> list[int]:
    return [entry.sequence for entry in page.entries]


def _walk(step, page: EntriesPage) -> list[list[int]]:
    """Follow ``step`` from ``page`` until it gives None; the sequences of each page seen."""
    seen = [_sequences(page)]
    while (page := step(page)) is not None:
        seen.append(_sequences(page))
    return seen


def test_the_first_page_is_the_newest_entries_newest_first():
    _append(10)
    page = entries_page(per_page=3)
    assert page == EntriesPage(page.entries, None, 8)
    assert _sequences(page) == [10, 9, 8]


def test_older_pages_cover_the_trail_once_down_to_the_first_entry():
    _append(10)
    pages = _walk(lambda page: page.older_before and entries_page(before=page.older_before,
                                                                  per_page=3),
                  entries_page(per_page=3))
    assert pages == [[10, 9, 8], [7, 6, 5], [4, 3, 2], [1]]


def test_newer_pages_lead_back_from_the_oldest_to_the_newest():
    _append(10)
    oldest = entries_page(before=2, per_page=3)
    assert (_sequences(oldest), oldest.newer_after, oldest.older_before) == ([1], 1, None)
    pages = _walk(lambda page: page.newer_after and entries_page(after=page.newer_after,
                                                                 per_page=3), oldest)
    assert pages == [[1], [4, 3, 2], [7, 6, 5], [10, 9, 8]]


def test_a_trail_of_whole_pages_ends_without_an_empty_page():
    _append(6)
    first = entries_page(per_page=3)
    last = entries_page(before=first.older_before, per_page=3)
    assert (_sequences(last), last.newer_after, last.older_before) == ([3, 2, 1], 3, None)


def test_the_round_filter_holds_on_every_page_both_ways():
    _append(20, round_of=lambda n: 1 + n % 2)  # odd entries in round 2
    older = _walk(lambda page: page.older_before and entries_page(
        round_id=2, before=page.older_before, per_page=4), entries_page(round_id=2, per_page=4))
    assert older == [[19, 17, 15, 13], [11, 9, 7, 5], [3, 1]]
    newer = entries_page(round_id=2, after=5, per_page=4)
    assert (_sequences(newer), newer.newer_after, newer.older_before) == ([13, 11, 9, 7], 13, 7)


def test_the_actor_filter_alone_and_with_the_round():
    first, second = UserFactory(), UserFactory()
    db.session.flush()
    _append(3, actor=first, round_of=lambda n: n)
    _append(3, actor=second, round_of=lambda n: n)
    assert _sequences(entries_page(actor_id=second.id, per_page=10)) == [6, 5, 4]
    assert _sequences(entries_page(actor_id=first.id, round_id=2, per_page=10)) == [2]
    assert entries_page(actor_id=first.id, round_id=99) == EntriesPage([], None, None)


@pytest.mark.parametrize(("boundaries", "expected"), [
    ({"before": 10**6}, [10, 9, 8]),     # beyond the newest: the newest page
    ({"before": 11}, [10, 9, 8]),
    ({"before": 1}, [3, 2, 1]),          # nothing older: the oldest page
    ({"after": 10}, [10, 9, 8]),         # nothing newer: the newest page
    ({"after": 9}, [10, 9, 8]),          # fewer than a page newer: the newest page
    ({"after": 6}, [9, 8, 7]),
    ({"after": 2**31 - 1}, [10, 9, 8]),
])
def test_a_boundary_past_either_end_shows_the_page_at_that_end(boundaries, expected):
    _append(10)
    assert _sequences(entries_page(per_page=3, **boundaries)) == expected


def test_an_empty_trail_is_one_empty_page():
    assert entries_page() == EntriesPage([], None, None)
    assert entries_page(before=5) == entries_page(after=5) == EntriesPage([], None, None)


@pytest.mark.parametrize(("before", "after", "expected"), [
    (None, None, (None, None)),
    ("", " ", (None, None)),
    ("42", None, (42, None)),
    (None, " 7 ", (None, 7)),
    ("2147483647", "", (2147483647, None)),
])
def test_page_boundaries_read_entry_numbers(before, after, expected):
    assert page_boundaries(before, after) == expected


@pytest.mark.parametrize("text", ["0", "-1", "-0", "+5", "1.5", "1e3", "abc", "0x10",
                                  "2147483648", str(10**30), "١٢", "5;DROP TABLE x"])
@pytest.mark.parametrize("name", ["before", "after"])
def test_a_boundary_that_is_no_entry_number_is_refused_by_name(name, text):
    with pytest.raises(BadPageBoundary) as refused:
        page_boundaries(**{"before": None, "after": None, name: text})
    assert refused.value.status == 400
    assert refused.value.message.startswith(f"{name}=") and "whole number from 1" in \
        refused.value.message


def test_before_and_after_together_are_refused():
    with pytest.raises(BadPageBoundary, match="either before or after"):
        page_boundaries("5", "3")


def _plan_nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _plan_nodes(child))]


def test_a_round_long_closed_is_read_from_its_own_index_on_postgresql():
    """Round 1 is the oldest fifth of the trail: its page must not be found by reading the
    sequence's index back from the newest entry past every later round's entries."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the query plan checked is PostgreSQL's")
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.execute(insert(AuditEntry), [
        {"sequence": n, "created_at": moment, "action": "test.step", "round_id": 1 + (n > 1000),
         "previous_hash": f"{n - 1:064x}", "hash": f"{n:064x}"} for n in range(1, 5001)])
    db.session.execute(text("ANALYZE audit_entry"))
    connection = db.session.connection()
    with sql_sent(connection) as sent:
        page = entries_page(round_id=1)
        older = entries_page(round_id=1, before=page.older_before)
        newer = entries_page(round_id=1, after=older.newer_after)
    assert (_sequences(page)[0], _sequences(older)[0], newer == page) == (1000, 950, True)
    for statement, parameters in sent:
        explained = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
        nodes = _plan_nodes((explained if isinstance(explained, list)
                             else json.loads(explained))[0]["Plan"])
        assert [node.get("Index Name") for node in nodes if "Index Name" in node] == [
            "ix_audit_entry_round_id_sequence"], statement
        assert sum(node.get("Rows Removed by Filter", 0) for node in nodes) == 0, statement
