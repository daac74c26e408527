"""Benchmark: a city-sized round through the app, against ``flask tally run`` on the same file.

Creates the PostgreSQL database ``pb_bench_city`` on 127.0.0.1 (and drops it at the end),
makes its tables, and seeds a round in voting from one of the largest shared pabulib files
(Warszawa 2026 when present, else the file with the most voters): its projects as accepted
proposals, two key holders and a sealed box made by the app's services, one participation
per voter, and each ballot sealed to the box's public key in its envelope (inserted in bulk).
Then it measures, each step in a fresh child process so that no step's memory counts in
another's: closing voting, opening the box, the in-app count (and the count page shown after
it), and ``flask tally run`` on the same ballots as the baseline; checks that the app funds
the projects the command line funds; and prints a table. Peak memory is the rise of the
child's resident set (VmHWM, reset before the step) over what it held before the step.

    .venv/bin/python benchmarks/city_scale.py [--voters N] [--file PATH]
        [--server postgresql://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_login import login_user  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from pb_app import create_app  # noqa: E402
from pb_app.accounts.models import FINANCE_OFFICER, GROUP_LEAD, RoleGrant, User  # noqa: E402
from pb_app.ballotbox import crypto  # noqa: E402
from pb_app.ballotbox.models import BallotEnvelope, new_ballot_id  # noqa: E402
from pb_app.ballotbox.services import add_key_holder, get_box, open_box, seal_box  # noqa: E402
from pb_app.extensions import db  # noqa: E402
from pb_app.localities.models import Locality  # noqa: E402
from pb_app.proposals.models import Proposal, Status  # noqa: E402
from pb_app.results.services import count_round  # noqa: E402
from pb_app.results.views import count_page  # noqa: E402
from pb_app.rounds.models import Phase, Round  # noqa: E402
from pb_app.tally.model import Ballot, Election, RuleSpec, VoteType  # noqa: E402
from pb_app.tally.pabulib import read_pb, write_pb  # noqa: E402
from pb_app.tally.rulenames import spec_for_election  # noqa: E402
from pb_app.voting.ballots import Choices  # noqa: E402
from pb_app.voting.models import Participation  # noqa: E402
from pb_app.voting.services import close_voting  # noqa: E402

SHARED = ROOT.parent / "shared" / "pabulib"
PREFERRED = "elections/Poland_Warszawa_2026.pb"
DATABASE = "pb_bench_city"
PASSPHRASE = "city scale benchmark passphrase"
VOTING_DAY = date(2026, 5, 20)
CHUNK = 5_000
# How each pabulib vote type is cast in the app: its ballot type (choose-1 is approval of one).
BALLOT_TYPES = {VoteType.APPROVAL: "approval", VoteType.CHOOSE_1: "approval",
                VoteType.CUMULATIVE: "cumulative", VoteType.SCORING: "scoring",
                VoteType.ORDINAL: "ordinal"}
TARGETS = {"close voting": "< 2 s", "open the box": "set-based",
           "in-app count": "<= 1.2 x CLI"}


@dataclass(frozen=True)
class Step:
    """One measured step: wall seconds, the process's own CPU seconds (not the database
    server's), peak resident memory rise in MB, and what it said."""
    name: str
    seconds: float
    cpu_seconds: float
    peak_mb: float
    detail: str = ""


def largest_file() -> Path:
    """Warszawa 2026 when shared, else the shared election with the most voters."""
    if (SHARED / PREFERRED).exists():
        return SHARED / PREFERRED
    with (SHARED / "INDEX.csv").open(encoding="utf-8") as index:
        rows = list(csv.DictReader(index))
    return SHARED / max(rows, key=lambda row: int(row["voters"]))["file"]


def voters_of(election: Election) -> list[Ballot]:
    """One weight-1 ballot per voter."""
    return [replace(ballot, weight=1) for ballot in election.ballots
            for _ in range(ballot.weight)]


def sampled(election: Election, voters: int | None) -> Election:
    """The election with ``voters`` of its voters drawn at random (seeded), or all of them."""
    every = voters_of(election)
    if voters is None or voters >= len(every):
        return replace(election, ballots=tuple(every))
    return replace(election, ballots=tuple(random.Random(2026).sample(every, voters)))


def scaled(spec: RuleSpec, share: float) -> RuleSpec:
    """The spec with its minimum number of votes scaled to a sample of ``share`` of the voters."""
    return replace(spec, threshold=round(spec.threshold * share))


# Seeding ------------------------------------------------------------------------------------

def round_rule(spec: RuleSpec) -> tuple[str, dict]:
    """The round's tally rule and parameters that count as ``spec`` does (greedy family)."""
    if spec.rule == "greedy-no-skip" and spec.threshold:
        return "greedy-threshold", {"threshold_votes": spec.threshold, "stop_at_first": True}
    if spec.rule == "greedy-threshold":
        return spec.rule, {"threshold_votes": spec.threshold,
                           "threshold_percent": spec.threshold_percent}
    return (spec.rule if spec.rule in ("greedy", "greedy-no-skip") else "greedy"), {}


def cli_spec(spec: RuleSpec) -> RuleSpec:
    """What the round counts by, as the command line is told it (the same rule and options)."""
    rule, params = round_rule(spec)
    if params.get("stop_at_first"):
        rule = "greedy-no-skip"
    return RuleSpec(rule, threshold=params.get("threshold_votes", 0),
                    threshold_percent=params.get("threshold_percent", 0))


def _user(name: str, role: str | None = None, locality=None):
    user = User(email=f"{name}@example.org", password_hash="x", full_name=name.title())
    db.session.add(user)
    if role:
        db.session.add(RoleGrant(user=user, role=role, locality=locality))
    db.session.flush()
    return user


def seed(election: Election, spec: RuleSpec) -> tuple[int, dict[str, str]]:
    """A round in voting with the election's projects and sealed ballots; returns its id and
    the map from proposal id to the file's project id."""
    locality = Locality(name="City", slug="city", population=2_000_000)
    db.session.add(locality)
    db.session.flush()
    lead = _user("lead", GROUP_LEAD, locality)
    for name in ("finance one", "finance two"):
        add_key_holder(_user(name, FINANCE_OFFICER), PASSPHRASE, PASSPHRASE)
    rule, params = round_rule(spec)
    meta = dict(election.meta)
    ballot_params = {"max_choices": int(meta.get("max_length") or len(election.projects))}
    if election.vote_type is VoteType.CHOOSE_1:
        ballot_params = {"max_choices": 1}
    round_ = Round(
        locality=locality, title="City participatory budget", budget_pence=election.budget,
        max_project_cost_pence=max(p.cost for p in election.projects),
        ballot_type=BALLOT_TYPES[election.vote_type], ballot_params=ballot_params,
        tally_rule=rule, tally_params=params, tie_break="lexico",
        lottery_seed=secrets.token_hex(16), phase=Phase.VOTING.value, created_by_id=lead.id)
    db.session.add(round_)
    db.session.flush()
    proposals = [Proposal(round=round_, proposer_id=lead.id, title=(p.name or p.id)[:200],
                          outcomes=[1], priorities=[], cost_pence=p.cost,
                          status=Status.ACCEPTED.value) for p in election.projects]
    db.session.add_all(proposals)
    db.session.flush()
    ids = {p.id: str(proposal.id) for p, proposal in zip(election.projects, proposals, strict=True)}
    box = seal_box(round_)
    _cast_all(round_.id, box.public_key, election, ids)
    db.session.commit()
    return round_.id, {app_id: file_id for file_id, app_id in ids.items()}


def _cast_all(round_id: int, public_key: bytes, election: Election, ids: dict[str, str]) -> None:
    """Every voter's participation and sealed envelope, inserted in chunks."""
    ordered = election.vote_type is VoteType.ORDINAL
    for start in range(0, len(election.ballots), CHUNK):
        participations, envelopes = [], []
        for number, ballot in enumerate(election.ballots[start:start + CHUNK], start):
            chosen = [ids[p] for p in ballot.projects]
            pairs = list(zip(chosen, ballot.points, strict=False)) if ballot.points else []
            if pairs:
                pairs.sort()
                choices = Choices(tuple(p for p, _ in pairs), tuple(n for _, n in pairs))
            else:
                choices = Choices(tuple(chosen if ordered else sorted(chosen)))
            participations.append({"round_id": round_id, "person_key": f"voter-{number}",
                                   "channel": "online", "age_years": 18 + number % 70,
                                   "voted_on": VOTING_DAY})
            envelopes.append({"id": new_ballot_id(), "round_id": round_id, "channel": "online",
                              "cast_on": VOTING_DAY, "paper_batch_id": None,
                              "receipt_hash": secrets.token_hex(32),
                              "sealed_choices": crypto.seal_padded(
                                  public_key, choices.to_json().encode())})
        db.session.execute(Participation.__table__.insert(), participations)
        db.session.execute(BallotEnvelope.__table__.insert(), envelopes)


# The measured steps, each in a child process -------------------------------------------------

def _memory_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> None:
    """Reset the process's high-water mark of resident memory (Linux: clear_refs 5)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")


def _close(round_, users) -> str:
    return f"{close_voting(round_, users['lead'], datetime.now(UTC)):,} ballots wait"


def _open(round_, users) -> str:
    holders = [share.holder_id for share in get_box(round_).shares]
    opened = open_box(round_, users["finance one"], dict.fromkeys(holders, PASSPHRASE),
                      datetime.now(UTC))
    return f"{opened:,} ballots opened"


def _count(round_, users) -> str:
    snapshot = count_round(round_, users["lead"])
    return json.dumps(json.loads(snapshot.winners_json))


def _count_page(round_, users) -> str:
    login_user(users["lead"])
    body, status = count_page(round_.id)
    return f"HTTP {status}, {len(body):,} characters"


STEPS = {"close voting": _close, "open the box": _open, "in-app count": _count,
         "count page": _count_page}


def _child(url: str, round_id: int, step: str, pipe) -> None:
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
    with app.app_context(), app.test_request_context():
        round_ = db.session.get(Round, round_id)
        users = {user.full_name.lower(): user for user in db.session.scalars(select(User))}
        round_.locality  # noqa: B018 - loaded before the step, as a request would have it
        before = _memory_kb("VmRSS")
        _reset_peak()
        started, cpu = time.perf_counter(), time.process_time()
        detail = STEPS[step](round_, users)
        db.session.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = _memory_kb("VmHWM") - before
    pipe.send(Step(step, seconds, cpu, peak / 1024, detail))


def measure_step(url: str, round_id: int, step: str) -> Step:
    """Run one step in a fresh interpreter; its time and memory rise."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(url, round_id, step, sender))
    child.start()
    sender.close()
    try:
        result = receiver.recv()
    except EOFError:
        child.join()
        raise SystemExit(f"{step}: the child process failed (exit code {child.exitcode})") \
            from None
    child.join()
    return result


def measure_cli(path: Path, spec: RuleSpec) -> Step:
    """``flask --app wsgi tally run FILE --json`` as a subprocess: wall time, peak memory
    (the children's high-water mark, so run it before any other child)."""
    command = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "tally", "run", str(path),
               "--rule", spec.rule, "--threshold", str(spec.threshold),
               "--threshold-percent", str(spec.threshold_percent), "--json"]
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=600)
    seconds, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    winners = json.loads(done.stdout)["selected"]
    return Step("flask tally run", seconds, cpu, after.ru_maxrss / 1024, json.dumps(winners))


# The database ---------------------------------------------------------------------------------

def _admin(server: str):
    return create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1) + "/postgres",
                         isolation_level="AUTOCOMMIT")


def create_database(server: str) -> str:
    """Create the benchmark's own database (dropping a leftover one); returns its URL."""
    engine = _admin(server)
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    engine.dispose()
    return f"{server}/{DATABASE}"


def drop_database(server: str) -> None:
    """Drop the benchmark's database."""
    engine = _admin(server)
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
    engine.dispose()


def prepare(url: str, election: Election, spec: RuleSpec) -> tuple[int, dict[str, str], float]:
    """Tables and the seeded round; returns the round id, the id map and the seconds taken."""
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
    with app.app_context(), app.test_request_context():
        db.create_all()
        started = time.perf_counter()
        round_id, id_map = seed(election, spec)
        sealed = db.session.scalar(select(func.count()).select_from(BallotEnvelope))
        assert sealed == len(election.ballots), (sealed, len(election.ballots))
        db.session.remove()
        db.engine.dispose()
    return round_id, id_map, time.perf_counter() - started


# The report --------------------------------------------------------------------------------

def print_table(steps: list[Step], cli: Step) -> None:
    """The figures, one row a step, with the target each has."""
    print(f"{'step':<16} {'seconds':>8} {'CPU s':>6} {'peak MB':>8}  {'target':<13} detail")
    for step in [*steps, cli]:
        detail = step.detail if len(step.detail) < 60 else f"{len(json.loads(step.detail))} winners"
        print(f"{step.name:<16} {step.seconds:>8.2f} {step.cpu_seconds:>6.2f} {step.peak_mb:>8.1f}"
              f"  {TARGETS.get(step.name, ''):<13} {detail}")
    count = next(step for step in steps if step.name == "in-app count")
    print(f"in-app count / CLI: {count.seconds / cli.seconds:.2f} x wall, "
          f"{count.cpu_seconds / cli.cpu_seconds:.2f} x CPU (the CLI's figures are the whole "
          "process's: start, imports, reading the file, counting)")


def main() -> None:
    """Parse the options, seed, measure, check the winners and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, help="draw this many voters (default: all)")
    parser.add_argument("--file", type=Path, help="a pabulib file (default: the largest shared)")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    options = parser.parse_args()
    if not options.server.startswith("postgresql://postgres@127.0.0.1"):
        raise SystemExit("--server must be a PostgreSQL server on 127.0.0.1")
    path = options.file or largest_file()
    full = read_pb(path)
    election = sampled(full, options.voters)
    spec = scaled(cli_spec(spec_for_election(full) or RuleSpec("greedy")),
                  len(election.ballots) / sum(b.weight for b in full.ballots))
    print(f"{path.name}: {len(election.projects)} projects, {len(election.ballots):,} voters, "
          f"{election.vote_type.value}, counted by {spec.rule} (threshold {spec.threshold})")
    with tempfile.TemporaryDirectory(prefix="pb-city-") as folder:
        if len(election.ballots) < sum(b.weight for b in full.ballots):
            path = Path(folder) / "sample.pb"
            path.write_text(write_pb(election), encoding="utf-8")
        url = create_database(options.server)
        try:
            round_id, id_map, seeded = prepare(url, election, spec)
            print(f"seeded and sealed in {seeded:.1f} s")
            cli = measure_cli(path, spec)  # first: its peak is the only child's so far
            steps = [measure_step(url, round_id, name) for name in STEPS]
        finally:
            drop_database(options.server)
    print_table(steps, cli)
    in_app = sorted(id_map[pid] for pid in json.loads(steps[2].detail))
    on_cli = sorted(json.loads(cli.detail))
    print("winners: " + ("the same" if in_app == on_cli else f"DIFFERENT: app {in_app}, "
                                                               f"CLI {on_cli}"))
    if in_app != on_cli:
        raise SystemExit(1)


if __name__ == "__main__":
    os.environ.setdefault("PB_ENV", "development")
    main()
