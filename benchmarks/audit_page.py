"""Benchmark: the audit trail page at 1,000 and at 1,000,000 entries, keyset pages against the
count + OFFSET pages they replaced.

For each size it creates a PostgreSQL database at 127.0.0.1 (``pb_bench_audit_<size>``,
dropped first if left over and dropped again at the end), builds the tables from the models,
and writes a valid chain with COPY (hash and MAC by the app's own ``compute_hash`` and
``entry_mac``; the append-only triggers are on, so each size gets a fresh database). Round 1
holds the oldest tenth of the trail, rounds 2 to 10 and the 20 actors share the rest. Then,
after a warm-up, it times ``--repeat`` runs of five pages: the newest; the newest of round 3
(spread over the trail), of round 1 (a round long closed) and of actor 5; and the page 90% of
the way back. Each is timed three ways, the sizes and ways taking turns so that a busy
machine slows them alike:

- the page through the Flask test client, signed in as a finance officer;
- the page's query alone (``entries_page``);
- the old query shape on the same data, as ``db.paginate`` ran it: count(*) over the
  (filtered) trail, then LIMIT 50 OFFSET (the page's number - 1) * 50.

Also prints the database work of each page: its statements and the buffers that its
statements on audit_entry touched (EXPLAIN ANALYZE, BUFFERS). Asserts nothing. About two
minutes on two cores, most of it writing the million entries.

    .venv/bin/python benchmarks/audit_page.py [--sizes 1000,1000000] [--repeat 25]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import create_engine, event, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pb_app import create_app  # noqa: E402
from pb_app.accounts.models import FINANCE_OFFICER, RoleGrant, User  # noqa: E402
from pb_app.audit.models import GENESIS_HASH, AuditEntry  # noqa: E402
from pb_app.audit.services import (  # noqa: E402
    ENTRIES_PER_PAGE,
    audit_key,
    compute_hash,
    entries_page,
    entry_mac,
    verify_chain,
)
from pb_app.extensions import db  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "pb_bench_audit_{size}"
ROUNDS = 10  # round 1 holds the oldest tenth of the trail; the others share the rest
ACTORS = 20
SPREAD_ROUND, OLD_ROUND, ACTOR = 3, 1, 5
COLUMNS = ("sequence", "created_at", "actor_id", "action", "object_type", "object_id",
           "round_id", "before_json", "after_json", "previous_hash", "hash", "mac")
VERIFY_UP_TO = 100_000  # verifying a chain takes ~25 s a million entries: only the smaller


@dataclass(frozen=True)
class Page:
    """One page measured: its address and its arguments in the new and the old shape."""

    name: str
    address: str
    keyset: dict[str, int]
    filters: dict[str, int]
    old_page: int


def pages_of(size: int) -> list[Page]:
    """The newest page; the newest of a round spread over the trail, of a round in its oldest
    tenth, and of one person; and the page 90% of the way back."""
    deep = size // 10
    return [
        Page("newest", "/audit/", {}, {}, 1),
        Page(f"round {SPREAD_ROUND} (spread)", f"/audit/?round={SPREAD_ROUND}",
             {"round_id": SPREAD_ROUND}, {"round_id": SPREAD_ROUND}, 1),
        Page(f"round {OLD_ROUND} (oldest tenth)", f"/audit/?round={OLD_ROUND}",
             {"round_id": OLD_ROUND}, {"round_id": OLD_ROUND}, 1),
        Page(f"actor {ACTOR}", f"/audit/?actor={ACTOR}", {"actor_id": ACTOR},
             {"actor_id": ACTOR}, 1),
        Page(f"before {deep:,}", f"/audit/?before={deep}", {"before": deep}, {},
             (size - deep + 1) // ENTRIES_PER_PAGE + 1),
    ]


@contextmanager
def bench_databases(sizes: list[int]) -> Iterator[list[str]]:
    """A fresh, empty database for each size; all dropped afterwards, whatever happens."""
    admin = create_engine(SERVER + "/postgres", isolation_level="AUTOCOMMIT")
    names = [DATABASE.format(size=size) for size in sizes]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield [f"{SERVER}/{name}" for name in names]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_people() -> User:
    """The actors of the chain (ids 1 to ACTORS) and a finance officer to read it."""
    for number in range(1, ACTORS + 1):
        db.session.add(User(email=f"actor{number}@example.org", password_hash="x",
                            full_name=f"Actor {number}"))
    officer = User(email="finance@example.org", password_hash="x", full_name="Fiona Finance")
    db.session.add(officer)
    db.session.add(RoleGrant(user=officer, role=FINANCE_OFFICER))
    db.session.commit()
    return officer


def chain_rows(size: int, key: bytes) -> Iterator[tuple[Any, ...]]:
    """The rows of a valid chain of ``size`` entries, a second apart, over the rounds and
    the actors, each hashed and MACed as ``record_event`` would."""
    started_at = datetime(2026, 1, 1, tzinfo=UTC)
    previous_hash = GENESIS_HASH
    for sequence in range(1, size + 1):
        entry = SimpleNamespace(
            sequence=sequence, created_at=started_at + timedelta(seconds=sequence),
            actor_id=sequence % ACTORS + 1, action="proposal.reviewed", object_type="Proposal",
            object_id=str(sequence),
            round_id=OLD_ROUND if sequence <= size // 10 else sequence % (ROUNDS - 1) + 2,
            before_json='{"status":"submitted"}', after_json='{"status":"eligible"}',
            previous_hash=previous_hash)
        entry.hash = compute_hash(entry)
        entry.mac = entry_mac(entry.hash, key)
        previous_hash = entry.hash
        yield tuple(getattr(entry, name) for name in COLUMNS)


def write_chain(size: int) -> float:
    """COPY a chain of ``size`` entries into audit_entry, then VACUUM ANALYZE it; seconds."""
    started = time.perf_counter()
    rows = chain_rows(size, audit_key())
    raw = db.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY audit_entry ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE audit_entry"))
    return time.perf_counter() - started


def timings(runs: list[Callable[[], Any]], repeat: int) -> list[tuple[float, float]]:
    """Median and p95 in milliseconds of ``repeat`` runs of each of ``runs``, after two runs
    to warm up. The runs take turns, so that a busy machine slows them alike."""
    for run in runs * 2:
        run()
    seconds: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for run, taken in zip(runs, seconds, strict=True):
            started = time.perf_counter()
            run()
            taken.append(time.perf_counter() - started)
    return [(statistics.median(taken) * 1000,
             statistics.quantiles(taken, n=20, method="inclusive")[-1] * 1000)
            for taken in seconds]


def in_app_context(app, run: Callable[[], Any]) -> Callable[[], Any]:
    """``run`` in an app context (and so a database session) of its own, as a request has."""

    def run_once():
        with app.app_context():
            return run()

    return run_once


def keyset_shape(page: Page) -> Callable[[], Any]:
    """The page's query now: ``entries_page`` from its boundary."""
    return lambda: entries_page(**page.keyset)


def old_shape(page: Page) -> Callable[[], Any]:
    """The page's query as it was: ``db.paginate`` (count(*), then LIMIT/OFFSET)."""
    query = select(AuditEntry).filter_by(**page.filters).order_by(AuditEntry.sequence.desc())

    def run():
        found = db.paginate(query, page=page.old_page, per_page=ENTRIES_PER_PAGE,
                            error_out=False)
        return found.total, found.items

    return run


def page_work(client, address: str) -> tuple[int, int]:
    """How many statements one page sends, and the buffers its audit_entry reads touch."""
    sent: list[tuple[str, Any]] = []

    def collect(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", collect)
    try:
        assert client.get(address).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", collect)
    buffers = 0
    with db.engine.connect() as connection:
        for statement, parameters in sent:
            if "FROM audit_entry" in statement:
                plan = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters).scalar()
                plan = plan if isinstance(plan, list) else json.loads(plan)
                top = plan[0]["Plan"]
                buffers += top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
    return len(sent), buffers


def signed_in_client(app, session_id: str):
    """A test client signed in with this Flask-Login session id (a finance officer's)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def build_chain(app, size: int) -> str:
    """The people and a chain of ``size`` entries; returns the finance officer's session id."""
    with app.app_context():
        db.create_all()
        officer = make_people()
        note = f"{size:,} entries written in {write_chain(size):.1f} s"
        if size <= VERIFY_UP_TO:
            note += f"; {verify_chain().describe()}"
        print(note, flush=True)
        return officer.get_id()


@dataclass(frozen=True)
class Trail:
    """A chain of ``size`` entries in its own database, and a finance officer's client."""

    size: int
    app: Any
    client: Any


def measure(trails: list[Trail], repeat: int) -> list[tuple[Any, ...]]:
    """Time each kind of page at every size, the sizes and shapes taking turns.

    Nothing runs in an app context left pushed: each request and each query has its own, as
    in production.
    """
    rows = []
    kinds = zip(*(pages_of(trail.size) for trail in trails), strict=True)
    for pages in kinds:
        runs = []
        for trail, page in zip(trails, pages, strict=True):
            runs += [lambda trail=trail, page=page: trail.client.get(page.address),
                     in_app_context(trail.app, keyset_shape(page)),
                     in_app_context(trail.app, old_shape(page))]
        measured = timings(runs, repeat)
        for number, (trail, page) in enumerate(zip(trails, pages, strict=True)):
            http, keyset, old = measured[3 * number:3 * number + 3]
            with trail.app.app_context():
                statements, buffers = page_work(trail.client, page.address)
            rows.append((f"{trail.size:,}", page.name, *http, *keyset, statements, buffers,
                         *old, old[0] / keyset[0]))
    return sorted(rows, key=lambda row: int(row[0].replace(",", "")))


HEADER = ("entries", "page", "page ms (median)", "p95", "keyset query ms", "p95",
          "statements", "audit buffers", "old count+OFFSET ms", "p95", "old / keyset")


def print_table(rows: list[tuple[Any, ...]]) -> None:
    """The figures as a Markdown table."""
    print("| " + " | ".join(HEADER) + " |")
    print("|" + " --- |" * len(HEADER))
    for row in rows:
        cells = [f"{cell:.2f}" if isinstance(cell, float) else str(cell) for cell in row]
        cells[-1] = f"{row[-1]:.1f}x"
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    """Parse the sizes and the repeat count, build a trail of each size, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,1000000",
                        help="chain lengths, comma-separated (default 1000,1000000)")
    parser.add_argument("--repeat", type=int, default=25, help="timed runs a page (default 25)")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    if min(sizes) < 10 * ENTRIES_PER_PAGE or arguments.repeat < 2:
        parser.error(f"sizes from {10 * ENTRIES_PER_PAGE} and --repeat from 2")
    with bench_databases(sizes) as urls:
        trails = []
        for size, url in zip(sizes, urls, strict=True):
            app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
            trails.append(Trail(size, app, signed_in_client(app, build_chain(app, size))))
        try:
            rows = measure(trails, arguments.repeat)
        finally:
            for trail in trails:
                with trail.app.app_context():
                    db.engine.dispose()
    print_table(rows)

if __name__ == "__main__":
    main()
