"""The SQL statements a block of test code sends: the one recorder for every test that counts
statements or reads them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from pb_app.extensions import db


@contextmanager
def sql_sent(target: Any = None) -> Iterator[list[tuple[str, Any]]]:
    """Record each statement sent through ``target`` (an engine or a connection; the app's
    engine by default) while the block runs, as (statement, parameters); an executemany is
    one statement."""
    sent: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    target = db.engine if target is None else target
    event.listen(target, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(target, "before_cursor_execute", record)
