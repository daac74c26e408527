"""Benchmark: the IJB oversight report for a round of 100,000 ballots (target: under 2 s).

Builds a throwaway database (a SQLite file in a temporary folder, or ``PB_BENCH_DATABASE_URL``,
whose tables it drops and recreates: never point it at real data),
writes one locality, a closed round with twelve projects and 100,000 participations and
ballots, counts it, signs it off and publishes it, then times the report: building its
figures, and rendering it as HTML, PDF and CSV. Prints the figures; asserts nothing.

    .venv/bin/python benchmarks/report_render.py [--ballots 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pb_app import create_app  # noqa: E402
from pb_app.accounts.models import FINANCE_OFFICER, GROUP_LEAD, RoleGrant, User  # noqa: E402
from pb_app.ballotbox.models import Ballot  # noqa: E402
from pb_app.extensions import db  # noqa: E402
from pb_app.localities.models import Locality  # noqa: E402
from pb_app.proposals.models import Proposal, Status  # noqa: E402
from pb_app.reports.cli import render_report  # noqa: E402
from pb_app.reports.services import round_report  # noqa: E402
from pb_app.results.services import count_round, publish_result, sign_off  # noqa: E402
from pb_app.rounds.models import Round  # noqa: E402
from pb_app.voting.models import Participation  # noqa: E402

CHANNELS = ("online", "online", "online", "code", "paper", "assisted")


def _user(name: str, role: str | None = None, locality: Locality | None = None) -> User:
    user = User(email=f"{name}@example.org", password_hash="x", full_name=name)
    db.session.add(user)
    if role:
        db.session.add(RoleGrant(user=user, role=role, locality=locality))
    db.session.flush()
    return user


def _rows(round_id: int, projects: list[str], lead_id: int, count: int, rng: random.Random):
    day = date(2026, 5, 20)
    participations, ballots = [], []
    for index in range(count):
        channel = CHANNELS[index % len(CHANNELS)]
        channel = "online" if channel == "paper" else channel  # no paper batch in the benchmark
        chosen = sorted(rng.sample(projects, rng.randint(1, 4)), key=int)
        participations.append(
            {
                "round_id": round_id,
                "person_key": f"bench-{index}",
                "channel": channel,
                "age_years": rng.randint(12, 95),
                "voted_on": day,
                "helper_id": lead_id if channel == "assisted" else None,
            }
        )
        ballots.append(
            {
                "id": secrets.token_hex(16),
                "round_id": round_id,
                "channel": channel,
                "cast_on": day,
                "receipt_hash": secrets.token_hex(32),
                "choices_json": json.dumps({"projects": chosen, "points": []}),
                "paper_batch_id": None,
            }
        )
    return participations, ballots


def build(ballots: int) -> Round:
    """One published round with ``ballots`` ballots; returns the round."""
    rng = random.Random(7)
    locality = Locality(name="Eildon", slug="eildon", population=35_300)
    db.session.add(locality)
    db.session.flush()
    lead, finance = _user("lead", GROUP_LEAD, locality), _user("finance", FINANCE_OFFICER)
    round_ = Round(
        locality=locality,
        title="Eildon Community Fund",
        budget_pence=6_000_000,
        max_project_cost_pence=1_500_000,
        ballot_type="approval",
        ballot_params={"max_choices": 4},
        tally_rule="greedy",
        tie_break="support-cost-lottery",
        lottery_seed=secrets.token_hex(16),
        phase="closed",
    )
    db.session.add(round_)
    db.session.flush()
    proposer = _user("proposer")
    projects = [
        Proposal(
            round=round_,
            proposer_id=proposer.id,
            title=f"Project {n}",
            outcomes=[1 + n % 9],
            priorities=[],
            cost_pence=rng.randint(5, 15) * 100_000,
            status=Status.ACCEPTED.value,
        )
        for n in range(12)
    ]
    db.session.add_all(projects)
    db.session.flush()
    participations, rows = _rows(round_.id, [str(p.id) for p in projects], lead.id, ballots, rng)
    db.session.execute(Participation.__table__.insert(), participations)
    db.session.execute(Ballot.__table__.insert(), rows)
    started = time.perf_counter()
    snapshot = count_round(round_, lead)
    print(
        f"count of {ballots:,} ballots (export, fingerprint, tally, snapshot): "
        f"{time.perf_counter() - started:.2f} s"
    )
    sign_off(snapshot, finance)
    publish_result(round_, lead)
    db.session.commit()
    return round_


def measure(round_: Round, repeat: int) -> None:
    """Time building the report and each rendering, ``repeat`` times; print the medians."""
    timings: dict[str, list[float]] = {"figures": [], "html": [], "pdf": [], "csv": [], "all": []}
    for _ in range(repeat):
        db.session.expire_all()
        start = time.perf_counter()
        report = round_report(round_)
        built = time.perf_counter()
        timings["figures"].append(built - start)
        for fmt in ("html", "pdf", "csv"):
            before = time.perf_counter()
            body = render_report(report, fmt)
            timings[fmt].append(time.perf_counter() - before)
            assert body
        timings["all"].append(time.perf_counter() - start)
    for name, values in timings.items():
        print(
            f"report {name:>8}: median {statistics.median(values):.3f} s "
            f"(min {min(values):.3f}, max {max(values):.3f})"
        )
    verdict = "under" if statistics.median(timings["all"]) < 2 else "OVER"
    print(f"figures + HTML + PDF + CSV: {verdict} the 2 s target")


def main() -> None:
    """Parse the options, build the round and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="pb-bench-")
    url = os.environ.get("PB_BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite"
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
    with app.app_context(), app.test_request_context():
        db.drop_all()
        db.create_all()
        try:
            measure(build(options.ballots), options.repeat)
        finally:
            db.session.remove()
            db.drop_all()


if __name__ == "__main__":
    main()
