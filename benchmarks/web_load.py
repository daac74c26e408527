"""Casting votes over real HTTP, gunicorn and PostgreSQL: the code before this week's changes
beside the current code, with the home page as the baseline measured in the same run.

Run from the project root (about 8 minutes; ``--quick`` about 1; it needs PostgreSQL on
127.0.0.1:5432 with a ``postgres`` superuser that needs no password):

    nice .venv/bin/python benchmarks/web_load.py [--quick] [--seconds S]
        [--concurrency 32 64] [--workers 2 4]

Two versions are measured one after the other: "before" is commit e4f58ff checked out in a
temporary ``git worktree``, "after" is this working tree as it is. Each gets a database of its
own (``pb_bench_load_before``, ``pb_bench_load_after``), migrated with ``flask db upgrade`` and
seeded by that version's own code: a round in voting by voting code, with an approval ballot of
ten projects, its ballot box sealed for key holders, and a supply of codes written to a file.

For each version, number of gunicorn workers and number of concurrent voters, each voter casts
whole votes back to back, each with a new code, for a bounded time: the code page, the ballot
(on the same page or the next one, as the version has it), the review and the confirmation,
with every form read from the page and sent back as a browser would. The home page is then
loaded by as many clients for half that time. Afterwards the database must hold exactly one
sealed ballot and one participation per receipt the clients got ("lost" counts receipts
without both; "duplicated" counts rows beyond the receipts, codes used twice and receipts
given twice). Two gunicorn masters on two ports against the one database then show whether
anything serialises the votes (their throughput against one master's with as many workers).

The app's own cost is measured in process, by the same journey through the Flask test client
against the same database: SQL statements and CPU per vote and per home page.

Every request goes to 127.0.0.1, as the TLS proxy would forward it (``X-Forwarded-Proto``,
``X-Forwarded-For``, ``Host: pb.example.org``). The client is threads of ``http.client`` in
one process on the same machine: its CPU competes with the server's, so the figures are a floor
and vary from run to run on a shared machine. Servers, worktree and databases are removed at
the end, also after an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Last, so that a child run for another tree (on PYTHONPATH) imports that tree's pb_app.
    sys.path.append(str(ROOT))

from benchmarks.servers import (  # noqa: E402
    BASE_URL,
    PUBLIC_HOST,
    VENV_BIN,
    Gunicorn,
    answers,
    create_database,
    drop_database,
    flask,
    free_port,
    production_environment,
    superuser,
)

BEFORE_COMMIT = "e4f58ff"
PROPOSALS = 10
MAX_CHOICES = 3
POSTCODE_DISTRICT = "TD15"
VOTER_POSTCODE = "TD15 1AA"
VOTER_BORN = date(1970, 5, 17)
KEY_PASSPHRASE = "load benchmark key passphrase"
RESIDENT = "resident"  # no role of staff
MAX_STEPS = 8  # requests in one vote, redirects included; more means the journey is lost
RECEIPT_PATTERN = re.compile(r"\b[2-9A-HJKMNP-Z]{5}(?:-[2-9A-HJKMNP-Z]{5}){3}\b")
TYPED = ("text", "tel", "email", "number", "search", "password")  # what a person types in


def say(text: str) -> None:
    """A progress line on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# Pages and their forms, read as a browser reads them ---------------------------------------


@dataclass
class Form:
    """One ``<form>`` of a page: where it goes and its controls, in page order."""

    action: str
    controls: list[tuple[str, str, str, bool]] = field(default_factory=list)  # name, type,
    # value, checked

    def has(self, name: str, kind: str | None = None) -> bool:
        """True when the form has a control called ``name`` (of type ``kind``, if given)."""
        return any(n == name and (kind is None or t == kind) for n, t, _, _ in self.controls)


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._option: tuple[str, bool] | None = None  # the select's chosen option so far

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form(found.get("action", "")))
        elif not self.forms:
            return
        elif tag in ("input", "textarea") and found.get("name"):
            kind = found.get("type", "text").lower() if tag == "input" else "textarea"
            self.forms[-1].controls.append((found["name"], kind, found.get("value", ""),
                                            "checked" in found))
        elif tag == "select" and found.get("name"):
            self._select, self._option = found["name"], None
        elif tag == "option" and self._select is not None:
            if self._option is None or ("selected" in found and not self._option[1]):
                self._option = (found.get("value", ""), "selected" in found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self.forms:
            self.forms[-1].controls.append((self._select, "select",
                                            self._option[0] if self._option else "", True))
            self._select = None


def forms_of(page: str) -> list[Form]:
    """The forms of an HTML page."""
    reader = _FormReader()
    reader.feed(page)
    reader.close()
    return reader.forms


@dataclass(frozen=True)
class Voter:
    """What a voter types: the code from their letter, their postcode and date of birth."""

    code: str
    postcode: str = VOTER_POSTCODE
    born: date = VOTER_BORN


def filled_in(form: Form, voter: Voter, rng: random.Random) -> list[tuple[str, str]]:
    """What a browser sends for ``form`` once the voter has typed their details and ticked
    one to ``MAX_CHOICES`` projects: every other control as the page gave it (checkboxes and
    radios only when checked)."""
    projects = [value for name, kind, value, _ in form.controls
                if name == "project" and kind == "checkbox"]
    chosen = set(rng.sample(projects, rng.randint(1, min(MAX_CHOICES, len(projects))))
                 if projects else ())
    typed = {"code": iter([voter.code]), "postcode": iter([voter.postcode]),
             "date_of_birth": iter([str(voter.born.day), str(voter.born.month),
                                    str(voter.born.year)])}
    sent = []
    for name, kind, value, checked in form.controls:
        if name == "project" and kind == "checkbox":
            if value in chosen:
                sent.append((name, value))
        elif kind in ("checkbox", "radio"):
            if checked:
                sent.append((name, value))
        elif kind not in ("submit", "button", "image", "reset", "file"):
            own = name in typed and kind in TYPED
            sent.append((name, next(typed[name], value) if own else value))
    return sent


# One vote, through any transport ------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One response: its status, where a redirect goes, and its text."""

    status: int
    location: str
    text: str


Send = Callable[[str, str, list[tuple[str, str]] | None], Reply]


@dataclass
class Vote:
    """How one vote went: the receipt (empty when it failed and why), and how long it took."""

    receipt: str = ""
    failure: str = ""
    seconds: float = 0.0
    confirm_seconds: float = 0.0


def next_form(page: str) -> tuple[str, Form] | None:
    """The step a voter takes on ``page``: the code form (which may hold the ballot too), the
    ballot, or the confirmation; None when the page has none of them."""
    forms = forms_of(page)
    for step, wanted in (("code", lambda f: f.has("code", "text")),
                         ("ballot", lambda f: f.has("project", "checkbox")),
                         ("confirm", lambda f: f.action.rstrip("/").endswith("/confirm"))):
        form = next((f for f in forms if wanted(f)), None)
        if form is not None:
            return step, form
    return None


def cast_vote(send: Send, round_id: int, voter: Voter, rng: random.Random) -> Vote:
    """Vote once with ``voter``'s code, from the code page to the receipt."""
    started = time.perf_counter()
    vote = Vote()
    path = f"/rounds/{round_id}/vote/code"
    reply = send("GET", path, None)
    confirmed = False
    for _ in range(MAX_STEPS):
        if reply.status in (301, 302, 303):
            path = urlsplit(reply.location).path
            reply = send("GET", path, None)
            continue
        if reply.status != 200:
            vote.failure = str(reply.status)
            break
        if confirmed:
            found = RECEIPT_PATTERN.search(reply.text)
            vote.receipt = found.group(0) if found else ""
            vote.failure = "" if found else "no receipt"
            break
        step = next_form(reply.text)
        if step is None:
            vote.failure = "no form"
            break
        name, form = step
        path = urlsplit(form.action).path or path
        posted = time.perf_counter()
        reply = send("POST", path, filled_in(form, voter, rng))
        if name == "confirm":
            vote.confirm_seconds = time.perf_counter() - posted
            confirmed = True
    else:
        vote.failure = "too many steps"
    vote.seconds = time.perf_counter() - started
    return vote


# Transports: real HTTP to gunicorn, or the Flask test client in process ---------------------


class HttpBrowser:
    """One browser behind the TLS proxy: it keeps its cookies; the proxy adds
    ``X-Forwarded-Proto: https`` and the browser's address."""

    def __init__(self, port: int, address: str):
        self.port, self.address = port, address
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, fields: list[tuple[str, str]] | None) -> Reply:
        """Send one request (a form POST when ``fields`` is given) and keep its cookies."""
        headers = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https",
                   "X-Forwarded-For": self.address, "User-Agent": "pb-load/1"}
        body = None
        if fields is not None:
            body = urlencode(fields).encode()
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Referer": f"{BASE_URL}{path}"})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    self._keep(value)
            return Reply(response.status, response.getheader("Location", ""), text)
        finally:
            conn.close()

    def _keep(self, header: str) -> None:
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


class InProcessBrowser:
    """The same browser through the Flask test client, adding up the CPU time and the SQL
    statements the app spends on its requests."""

    def __init__(self, app, statements: Counter):
        self.client = app.test_client()
        self.statements = statements
        self.cpu_seconds = 0.0

    def send(self, method: str, path: str, fields: list[tuple[str, str]] | None) -> Reply:
        """Send one request through the app and add its cost."""
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.7"}
        options = {}
        if fields is not None:
            headers["Referer"] = f"{BASE_URL}{path}"
            options = {"data": urlencode(fields),
                       "content_type": "application/x-www-form-urlencoded"}
        started = time.process_time()
        response = self.client.open(path, method=method, base_url=BASE_URL, headers=headers,
                                    **options)
        self.cpu_seconds += time.process_time() - started
        return Reply(response.status_code, response.headers.get("Location", ""),
                     response.get_data(as_text=True))


# Seeding and in-process cost: run by each version's own code, in a child process ------------


def seed(output: Path, count: int) -> None:
    """Make the benchmark's round in voting by code, and write its id and ``count`` plain
    codes to ``output`` (run in the version's tree, with its environment)."""
    import pb_app
    from pb_app import create_app
    from pb_app.extensions import db

    app = create_app()
    with app.app_context():
        round_, lead = _round_in_voting(db)
        codes = _voting_codes(round_, lead, count)
        db.session.commit()
        output.write_text(json.dumps({"round_id": round_.id, "codes": codes,
                                      "pb_app": str(Path(pb_app.__file__).resolve().parent)}))


def _round_in_voting(db):
    """A locality, its lead, key holders enough to seal a box, and a round in voting by code
    with ``PROPOSALS`` accepted projects on an approval ballot; returns the round and lead."""
    from pb_app.accounts import services as accounts
    from pb_app.accounts.models import FINANCE_OFFICER, GROUP_LEAD, RoleGrant, User
    from pb_app.ballotbox.services import add_key_holder, threshold
    from pb_app.localities.models import Locality, PostcodeArea
    from pb_app.proposals.services import (
        ProposalInput,
        review_proposal,
        save_proposal,
        submit_proposal,
    )
    from pb_app.rounds.models import IJB_PRIORITIES, Phase, utcnow
    from pb_app.rounds.services import RoundSettings, create_round, move_round

    locality = Locality(name="Load Test", slug="load-test", population=30000)
    db.session.add_all([locality, PostcodeArea(prefix=POSTCODE_DISTRICT, locality=locality)])
    password_hash = accounts.hash_password(secrets.token_urlsafe(24))

    def person(role: str, number: int, **grant) -> User:
        user = User(email=f"{role}.{number}@load.example.org", full_name=f"Load {role} {number}",
                    password_hash=password_hash, email_confirmed_at=utcnow())
        db.session.add(user)
        if role != RESIDENT:
            db.session.add(RoleGrant(user=user, role=role, **grant))
        db.session.flush()
        accounts.update_profile(user, VOTER_POSTCODE, VOTER_BORN, accounts.today())
        return user

    lead, proposer = person(GROUP_LEAD, 0, locality=locality), person(RESIDENT, 0)
    for number in range(threshold() + 1):  # one spare, as sealing asks
        add_key_holder(person(FINANCE_OFFICER, number), KEY_PASSPHRASE, KEY_PASSPHRASE)
    start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=47)
    round_ = create_round(locality, lead, RoundSettings(
        title="Load test round", description="Voters cast ballots back to back.",
        budget_pence=6_000_000, min_project_cost_pence=50_000, max_project_cost_pence=1_500_000,
        priorities=IJB_PRIORITIES, voter_verification="voting-code",
        ballot_params={"max_choices": MAX_CHOICES}, proposals_open_at=start,
        proposals_close_at=start + timedelta(30), voting_open_at=start + timedelta(45),
        voting_close_at=start + timedelta(66)))
    move_round(round_, lead, Phase.PROPOSALS_OPEN)
    for number in range(1, PROPOSALS + 1):
        proposal = save_proposal(round_, proposer, ProposalInput(
            title=f"Project {number}", summary="A local project.", location="The locality",
            location_postcode=VOTER_POSTCODE, description="A local project, run by volunteers.",
            outcomes=(1,), priorities=(IJB_PRIORITIES[0],),
            cost_lines=(("Everything", str(1000 + 300 * number)),)))
        submit_proposal(proposal, proposer)
        review_proposal(proposal, lead, "accept", "feasible", "strong", "Fine.")
    move_round(round_, lead, Phase.REVIEW)
    move_round(round_, lead, Phase.VOTING)  # seals the ballot box
    return round_, lead


def _voting_codes(round_, lead, count: int) -> list[str]:
    """``count`` plain voting codes for ``round_``, made by its lead in batches."""
    from pb_app.voting.services import MAX_CODES_PER_BATCH, generate_voting_codes

    codes: list[str] = []
    while len(codes) < count:
        codes += generate_voting_codes(round_, lead, min(MAX_CODES_PER_BATCH,
                                                         count - len(codes)))
    return codes


def app_cost(seeded: Path, first_code: int, count: int) -> dict:
    """CPU and SQL statements the app spends on ``count`` votes (codes from ``first_code``)
    and on ``count`` home pages, through the test client (run in the version's tree)."""
    from sqlalchemy import event

    from pb_app import create_app
    from pb_app.extensions import db

    facts = json.loads(seeded.read_text())
    app = create_app()
    statements: Counter = Counter()
    rng = random.Random(7)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *_args: statements.update(["sql"]))
    # Each request pushes its own app context: one held open here would share ``g``, and the
    # CSRF token kept in it, between every request.
    _warm_up(app, statements)
    votes = InProcessBrowser(app, statements)
    before = statements["sql"]
    failures = Counter()
    for code in facts["codes"][first_code:first_code + count]:
        votes.client = app.test_client()  # a new browser per voter
        vote = cast_vote(votes.send, facts["round_id"], Voter(code), rng)
        failures.update([vote.failure] if vote.failure else [])
    if failures:
        raise RuntimeError(f"votes in process failed: {dict(failures)}")
    vote_statements = statements["sql"] - before
    home = InProcessBrowser(app, statements)
    before = statements["sql"]
    for _ in range(count):
        home.send("GET", "/", None)
    home_statements = statements["sql"] - before
    return {"statements_per_vote": vote_statements / count,
            "cpu_ms_per_vote": 1000 * votes.cpu_seconds / count,
            "statements_per_home": home_statements / count,
            "cpu_ms_per_home": 1000 * home.cpu_seconds / count}


def _warm_up(app, statements: Counter) -> None:
    """A few home pages first, so that template compilation is not counted."""
    browser = InProcessBrowser(app, statements)
    for _ in range(5):
        browser.send("GET", "/", None)


# Load over HTTP -----------------------------------------------------------------------------


@dataclass
class Load:
    """What one timed load gave: durations of what succeeded, failures by cause."""

    elapsed: float = 0.0
    seconds: list[float] = field(default_factory=list)
    confirm_seconds: list[float] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rate(self) -> float:
        """Successes per second of wall time."""
        return len(self.seconds) / self.elapsed if self.elapsed else 0.0


def p(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` in milliseconds (0 when there are none)."""
    if not values:
        return 0.0
    if len(values) == 1:
        return 1000 * values[0]
    return 1000 * statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100)
                                                                          - 1]


def in_threads(concurrency: int, seconds: float, work: Callable[[int], bool]) -> float:
    """Run ``work(client_number)`` over and over in ``concurrency`` threads until ``seconds``
    have passed or it returns False; returns the wall time until the last one finished."""
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        while time.monotonic() < deadline and work(number):
            pass

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def load_votes(ports: list[int], round_id: int, codes: Iterator[str], concurrency: int,
               seconds: float) -> Load:
    """Voters split between ``ports``, each voting back to back with new codes."""
    load, lock = Load(), threading.Lock()

    def one_vote(number: int) -> bool:
        with lock:
            code = next(codes, None)
        if code is None:
            return False
        browser = HttpBrowser(ports[number % len(ports)], f"10.{number // 250}.{number % 250}.1")
        try:
            vote = cast_vote(browser.send, round_id, Voter(code), random.Random(code))
        except OSError as error:
            vote = Vote(failure=type(error).__name__)
        with load.lock:
            if vote.failure:
                load.failures[vote.failure] += 1
            else:
                load.seconds.append(vote.seconds)
                load.confirm_seconds.append(vote.confirm_seconds)
                load.receipts.append(vote.receipt)
        return True

    load.elapsed = in_threads(concurrency, seconds, one_vote)
    return load


def load_home(port: int, concurrency: int, seconds: float) -> Load:
    """Clients asking for the home page back to back."""
    load = Load()

    def one_page(number: int) -> bool:
        started = time.perf_counter()
        try:
            status = HttpBrowser(port, f"10.9.{number}.1").send("GET", "/", None).status
        except OSError as error:
            status = type(error).__name__
        with load.lock:
            if status == 200:
                load.seconds.append(time.perf_counter() - started)
            else:
                load.failures[str(status)] += 1
        return True

    load.elapsed = in_threads(concurrency, seconds, one_page)
    return load


# The database's own count -------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """What the database holds for the round: sealed ballots, participations, reused codes."""

    envelopes: int
    participations: int
    reused_codes: int


def stored(database: str, round_id: int) -> Stored:
    """Count the round's rows as the database administrator."""
    with superuser(database) as conn:
        def one(sql: str) -> int:
            return conn.execute(sql, (round_id,)).fetchone()[0]

        return Stored(
            one("SELECT count(*) FROM ballot_envelope WHERE round_id = %s"),
            one("SELECT count(*) FROM participation WHERE round_id = %s"),
            one("SELECT count(*) FROM (SELECT voting_code_id FROM participation "
                "WHERE round_id = %s AND voting_code_id IS NOT NULL "
                "GROUP BY voting_code_id HAVING count(*) > 1) AS reused"))


def lost_and_duplicated(before: Stored, after: Stored, receipts: list[str]) -> tuple[int, int]:
    """Receipts without a sealed ballot and a participation; rows beyond the receipts, codes
    used twice and receipts given twice."""
    envelopes = after.envelopes - before.envelopes
    participations = after.participations - before.participations
    lost = max(0, len(receipts) - min(envelopes, participations))
    duplicated = (max(0, max(envelopes, participations) - len(receipts))
                  + after.reused_codes + len(receipts) - len(set(receipts)))
    return lost, duplicated


# One version, measured ----------------------------------------------------------------------


@dataclass
class Version:
    """A source tree under test, its database and what seeding it gave."""

    name: str
    tree: Path
    database: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    round_id: int = 0
    codes: Iterator[str] = field(default_factory=lambda: iter(()))
    cost: dict = field(default_factory=dict)

    def child(self, *args: str, timeout: float = 600) -> None:
        """Run this script in the version's tree, with its environment (seed or cost)."""
        done = subprocess.run([str(VENV_BIN / "python"), str(Path(__file__).resolve()), *args],
                              cwd=self.tree, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{self.name}: {' '.join(args[:1])} failed:\n"
                               f"{done.stderr[-3000:]}")


@dataclass
class Row:
    """One line of the table."""

    version: str
    workers: str
    concurrency: int
    votes: Load
    home: Load | None
    lost: int
    duplicated: int
    cost: dict


def prepare(version: Version, codes: int, cost_votes: int) -> None:
    """Create, migrate and seed the version's database, then measure its in-process cost."""
    version.env = production_environment(version.database, free_port(), version.tree)
    create_database(version.database)
    done = flask(version.env, "db", "upgrade", tree=version.tree)
    if done.returncode:
        raise RuntimeError(f"{version.name}: flask db upgrade failed:\n{done.stderr[-3000:]}")
    seeded = version.workdir / f"{version.name}-seed.json"
    version.child("--seed", str(seeded), "--codes", str(codes + cost_votes))
    facts = json.loads(seeded.read_text())
    if Path(facts["pb_app"]) != (version.tree / "pb_app").resolve():
        raise RuntimeError(f"{version.name} imported {facts['pb_app']}, not its own tree")
    version.round_id = facts["round_id"]
    say(f"{version.name}: round {version.round_id} in voting, {len(facts['codes'])} codes, "
        f"pb_app from {facts['pb_app']}")
    cost_file = version.workdir / f"{version.name}-cost.json"
    version.child("--cost", str(seeded), "--cost-votes", str(cost_votes), "--output",
                  str(cost_file))
    version.cost = json.loads(cost_file.read_text())
    say(f"{version.name}: in process {version.cost}")
    version.codes = iter(facts["codes"][cost_votes:])


def serving(version: Version, workers: int, masters: int, marker: str) -> list[Gunicorn]:
    """``masters`` gunicorn masters of ``workers`` workers each serving the version, checked to
    serve its own tree (the marker file exists in the older tree only)."""
    started: list[Gunicorn] = []
    try:
        for number in range(masters):
            started.append(Gunicorn(version.env, version.workdir / f"{version.name}-{workers}w-"
                                    f"{number}.log", workers=workers, tree=version.tree))
        expected = 200 if (version.tree / "pb_app" / "static" / marker).exists() else 404
        for server in started:
            if answers(server.port, f"/static/{marker}") != expected:
                raise RuntimeError(f"{version.name}: gunicorn does not serve its own tree")
        return started
    except BaseException:
        for server in started:
            server.stop()
        raise


def measure(version: Version, workers: int, masters: int, concurrency: int, seconds: float,
            marker: str, with_home: bool = True) -> Row:
    """One row: votes under load (then the home page) against fresh servers."""
    servers = serving(version, workers, masters, marker)
    try:
        ports = [server.port for server in servers]
        before = stored(version.database, version.round_id)
        votes = load_votes(ports, version.round_id, version.codes, concurrency, seconds)
        lost, duplicated = lost_and_duplicated(before, stored(version.database, version.round_id),
                                               votes.receipts)
        home = load_home(ports[0], concurrency, seconds / 2) if with_home else None
    finally:
        for server in servers:
            server.stop()
    label = f"{masters}x{workers}" if masters > 1 else str(workers)
    say(f"{version.name} workers {label} concurrency {concurrency}: {votes.rate():.1f} ballots/s,"
        f" failures {dict(votes.failures)}, lost {lost}, duplicated {duplicated}")
    return Row(version.name, label, concurrency, votes, home, lost, duplicated, version.cost)


def print_table(rows: list[Row], seconds: float) -> None:
    """The figures as a Markdown table, then what they mean."""
    print(f"\nVoting by code over HTTP (gunicorn sync workers, PostgreSQL, {seconds:g} s a row; "
          "in-process cost from the Flask test client)\n")
    print("| version | workers | concurrency | ballots/s | vote p50 ms | vote p95 ms | "
          "confirm p95 ms | failed votes | home pages/s | home p95 ms | statements/vote | "
          "CPU ms/vote | CPU ms/home page | ratio to home page | lost | duplicated |")
    print("|" + "---|" * 16)
    for row in rows:
        cost = row.cost
        ratio = cost["cpu_ms_per_vote"] / cost["cpu_ms_per_home"] if cost else 0
        failures = ", ".join(f"{k}: {v}" for k, v in sorted(row.votes.failures.items())) or "0"
        home = (f"{row.home.rate():.0f} | {p(row.home.seconds, 0.95):.0f}" if row.home
                else "- | -")
        print(f"| {row.version} | {row.workers} | {row.concurrency} | {row.votes.rate():.1f} | "
              f"{p(row.votes.seconds, 0.5):.0f} | {p(row.votes.seconds, 0.95):.0f} | "
              f"{p(row.votes.confirm_seconds, 0.95):.0f} | {failures} | {home} | "
              f"{cost['statements_per_vote']:.1f} | {cost['cpu_ms_per_vote']:.1f} | "
              f"{cost['cpu_ms_per_home']:.1f} | {ratio:.1f} | {row.lost} | {row.duplicated} |")
    for name in dict.fromkeys(row.version for row in rows):
        split = [r for r in rows if r.version == name and "x" in r.workers]
        for two in split:
            masters, workers = (int(n) for n in two.workers.split("x"))
            for one in rows:
                if one.version == name and one.workers == str(masters * workers) \
                        and one.concurrency == two.concurrency and one.votes.rate():
                    print(f"\n{name}: two masters of {workers} workers give "
                          f"{two.votes.rate() / one.votes.rate():.2f} times the ballots/s of one "
                          f"master of {masters * workers} (1.0: nothing serialises across "
                          "processes beyond the database)")
    print("\nThe ratio to the home page is the app's CPU per vote over its CPU per home page. "
          "Lost and duplicated are checked in the database after each row.")


# The whole run ------------------------------------------------------------------------------


def options() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a short check: 5 s a row, 2 workers, 16 voters (about a minute)")
    parser.add_argument("--seconds", type=float, help="length of each vote load (default 20)")
    parser.add_argument("--concurrency", type=int, nargs="+", help="voters at once (32 64)")
    parser.add_argument("--workers", type=int, nargs="+", help="gunicorn workers (2 4)")
    parser.add_argument("--keep", action="store_true", help="keep the logs of gunicorn")
    for hidden in ("--seed", "--cost", "--output"):
        parser.add_argument(hidden, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--codes", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--cost-votes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    quick = args.quick
    args.seconds = args.seconds or (5.0 if quick else 20.0)
    args.concurrency = args.concurrency or ([16] if quick else [32, 64])
    args.workers = args.workers or ([2] if quick else [2, 4])
    args.cost_votes_run = 30 if quick else 200
    return args


def codes_needed(args: argparse.Namespace) -> int:
    """A supply of codes no run can use up: 250 ballots/s is far above two cores."""
    rows = len(args.workers) * len(args.concurrency) + 1
    return int(rows * args.seconds * 250)


def worktree(path: Path) -> None:
    """Check the commit before this week's changes out at ``path``."""
    subprocess.run(["git", "worktree", "add", "--detach", str(path), BEFORE_COMMIT], cwd=ROOT,
                   check=True, capture_output=True)


def remove_worktree(path: Path) -> None:
    """Remove the worktree and its record."""
    subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                   capture_output=True)
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def run(args: argparse.Namespace) -> list[Row]:
    """Every row for both versions; servers, worktree and databases removed at the end."""
    workdir = Path(tempfile.mkdtemp(prefix="pb_bench_load_"))
    old_tree = workdir / "before"
    worktree(old_tree)
    marker = f"load-marker-{secrets.token_hex(6)}.txt"
    (old_tree / "pb_app" / "static" / marker).write_text("the older tree\n")
    versions = [Version("before", old_tree, "pb_bench_load_before", workdir),
                Version("after", ROOT, "pb_bench_load_after", workdir)]
    rows: list[Row] = []
    try:
        for version in versions:
            prepare(version, codes_needed(args), args.cost_votes_run)
            for workers in args.workers:
                for concurrency in args.concurrency:
                    rows.append(measure(version, workers, 1, concurrency, args.seconds, marker))
            split = max(args.workers)
            if split % 2 == 0:
                rows.append(measure(version, split // 2, 2, max(args.concurrency), args.seconds,
                                    marker, with_home=False))
    finally:
        for version in versions:
            drop_database(version.database)
        remove_worktree(old_tree)
        if args.keep:
            say(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return rows


def main() -> int:
    """Seed or cost in a child, or the whole run; prints the table."""
    args = options()
    if args.seed:
        seed(args.seed, args.codes)
        return 0
    if args.cost:
        args.output.write_text(json.dumps(app_cost(args.cost, 0, args.cost_votes)))
        return 0
    started = time.monotonic()
    rows = run(args)
    print_table(rows, args.seconds)
    say(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
