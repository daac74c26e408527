"""Benchmark: keying and accepting 10,000 paper ballots through the bulk service, against
entering them one at a time at the staff desk as before.

It creates a PostgreSQL database at 127.0.0.1 (``pb_bench_paper``, dropped first if left
over and dropped again at the end), builds the tables from the models, and an Eildon round in
voting with eight projects and a sealed ballot box. Then, in the same run:

- bulk, single keying: ``key_sheets`` of every sheet in one call, ``accept_batch``, commit;
- bulk, double keying: two clerks each ``key_sheets`` every sheet, ``accept_batch``, commit;
- one at a time: ``cast_ballot`` with channel paper, a helper and a batch, one commit per
  ballot (the desk's one request per ballot: a participation, an envelope and an audit
  entry), on a sample, extrapolated per second.

The bulk figures key and accept ballots only: the participations are recorded at the desk,
one per person, as they take their paper. Checks the envelopes written against the counts
and prints ballots per second; asserts no timing.

    .venv/bin/python benchmarks/paper_entry.py [--ballots 10000] [--sample 500]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pb_app import create_app  # noqa: E402
from pb_app.accounts.models import FINANCE_OFFICER, GROUP_LEAD, RoleGrant, User  # noqa: E402
from pb_app.ballotbox.models import BallotEnvelope  # noqa: E402
from pb_app.ballotbox.services import add_key_holder, seal_box  # noqa: E402
from pb_app.extensions import db  # noqa: E402
from pb_app.localities.models import Locality, PostcodeArea  # noqa: E402
from pb_app.paper.models import DOUBLE, SINGLE  # noqa: E402
from pb_app.paper.services import accept_batch, choose_keying_rule, key_sheets  # noqa: E402
from pb_app.proposals.models import Proposal, Status  # noqa: E402
from pb_app.rounds.models import Round  # noqa: E402
from pb_app.rounds.rules import Channel  # noqa: E402
from pb_app.voting.ballots import Choices  # noqa: E402
from pb_app.voting.models import PaperBatch  # noqa: E402
from pb_app.voting.services import cast_ballot, voter_at_desk  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "pb_bench_paper"
PROJECTS = 8
PASSPHRASE = "benchmark passphrase"
NOW = datetime.now(UTC)


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh, empty database of its own; dropped afterwards, whatever happens."""
    admin = create_engine(SERVER + "/postgres", isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    with admin.connect() as connection:
        connection.execute(drop)
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    try:
        yield f"{SERVER}/{DATABASE}"
    finally:
        with admin.connect() as connection:
            connection.execute(drop)
        admin.dispose()


def person(name: str, role: str | None = None, locality: Locality | None = None) -> User:
    """A committed user, with a role if given."""
    user = User(email=f"{name.lower()}@example.org", password_hash="x", full_name=name)
    db.session.add(user)
    if role is not None:
        db.session.add(RoleGrant(user=user, role=role, locality=locality))
    db.session.commit()
    return user


def voting_round() -> tuple[Round, list[User]]:
    """An approval round (up to 3 of 8 projects) in voting, its box sealed; and three leads."""
    eildon = Locality(name="Eildon", slug="eildon", population=30000)
    db.session.add_all([eildon, PostcodeArea(prefix="TD1", locality=eildon)])
    round_ = Round(locality=eildon, title="Eildon 2026", budget_pence=1_000_000,
                   max_project_cost_pence=1_000_000, ballot_type="approval",
                   ballot_params={"max_choices": 3}, lottery_seed="seed", phase="voting",
                   voting_open_at=NOW - timedelta(days=1), voting_close_at=NOW + timedelta(days=9))
    db.session.add(round_)
    db.session.commit()
    for number in range(2):
        add_key_holder(person(f"Finance{number}", FINANCE_OFFICER), PASSPHRASE, PASSPHRASE)
    seal_box(round_)
    leads = [person(f"Lead{number}", GROUP_LEAD, eildon) for number in range(3)]
    db.session.add_all([Proposal(round_id=round_.id, proposer_id=leads[0].id,
                                 title=f"Project {number}", cost_pence=100_000,
                                 status=Status.ACCEPTED.value)
                        for number in range(1, PROJECTS + 1)])
    db.session.commit()
    return round_, leads


def new_batch(round_: Round, lead: User, label: str, count: int) -> PaperBatch:
    """A committed paper batch declaring ``count`` ballots."""
    batch = PaperBatch(round_id=round_.id, label=label, declared_count=count,
                       created_by_id=lead.id)
    db.session.add(batch)
    db.session.commit()
    return batch


def typed_sheets(count: int, rng: random.Random) -> list[tuple[int, str]]:
    """``count`` sheets as a clerk types them: one to three project numbers each."""
    return [(sheet, " ".join(str(n) for n in rng.sample(range(1, PROJECTS + 1),
                                                        rng.randint(1, 3))))
            for sheet in range(1, count + 1)]


def envelopes(batch: PaperBatch) -> int:
    """The ballot envelopes the batch holds, read afresh."""
    return db.session.scalar(select(func.count()).select_from(BallotEnvelope)
                             .where(BallotEnvelope.paper_batch_id == batch.id))


def bulk(round_: Round, leads: list[User], count: int, rule: str,
         rng: random.Random) -> dict[str, float]:
    """Key ``count`` sheets (once or twice) and accept them; seconds for each step."""
    batch = new_batch(round_, leads[0], f"Bulk {rule}", count)
    choose_keying_rule(round_, batch, leads[0], rule)
    db.session.commit()
    sheets = typed_sheets(count, rng)
    timings = {}
    started = time.perf_counter()
    for number in range(1, 3 if rule == DOUBLE else 2):
        key_sheets(round_, batch, leads[number - 1], number, sheets)
        db.session.commit()
    timings["keying"] = time.perf_counter() - started
    started = time.perf_counter()
    accept_batch(round_, batch, leads[2], NOW.date())
    db.session.commit()
    timings["accepting"] = time.perf_counter() - started
    assert envelopes(batch) == count, "the batch must hold one envelope a sheet"
    return timings


def one_at_a_time(round_: Round, lead: User, count: int, rng: random.Random) -> float:
    """Enter ``count`` paper ballots the old way, one commit each; the seconds taken."""
    batch = new_batch(round_, lead, "One at a time", count)
    projects = [str(proposal_id) for proposal_id in db.session.scalars(
        select(Proposal.id).where(Proposal.round_id == round_.id).order_by(Proposal.id))]
    started = time.perf_counter()
    for number in range(count):
        voter = voter_at_desk(f"Voter {number}", "TD1 1AA",
                              date(1950, 1, 1) + timedelta(days=number))
        chosen = tuple(sorted(rng.sample(projects, rng.randint(1, 3))))
        cast_ballot(round_, voter, Choices(chosen), channel=Channel.PAPER, now=datetime.now(UTC),
                    helper=lead, batch=batch)
        db.session.commit()
    seconds = time.perf_counter() - started
    assert envelopes(batch) == count, "every ballot cast must be in the batch"
    return seconds


def main() -> None:
    """Run the three ways on one fresh database and print ballots per second."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(2026)
    with bench_database() as url:
        app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
        with app.app_context():
            db.create_all()
            round_, leads = voting_round()
            rows = []
            for rule in (SINGLE, DOUBLE):
                timings = bulk(round_, leads, args.ballots, rule, rng)
                total = sum(timings.values())
                rows.append((f"bulk, {rule} keying", args.ballots,
                             f"{timings['keying']:.2f} + {timings['accepting']:.2f}",
                             total, args.ballots / total))
            seconds = one_at_a_time(round_, leads[0], args.sample, rng)
            rows.append(("one at a time (cast_ballot)", args.sample, "", seconds,
                         args.sample / seconds))
            db.session.remove()
            db.engine.dispose()
    print(f"\nPaper ballots on PostgreSQL ({SERVER}), approval ballot of {PROJECTS} projects\n")
    print(f"{'way':<30} {'ballots':>8} {'keying + accepting s':>21} {'total s':>8} "
          f"{'ballots/s':>10}")
    for way, count, split, total, rate in rows:
        print(f"{way:<30} {count:>8,} {split:>21} {total:>8.2f} {rate:>10,.0f}")
    baseline = rows[-1][4]
    print(f"\n{args.ballots:,} ballots one at a time would take about "
          f"{args.ballots / baseline:,.0f} s; bulk single keying is "
          f"{rows[0][4] / baseline:,.0f} times faster.")


if __name__ == "__main__":
    main()
