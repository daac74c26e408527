"""Casting votes over real HTTP, gunicorn and PostgreSQL: the code before this week's changes
beside the current code, with the home page as the baseline measured in the same run.

Run from the project root (about 10 minutes; ``--quick`` about 2; it needs PostgreSQL on
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
against the same database: SQL statements and CPU per vote and per home page, a home page after
each vote so that both meet the machine in the same state.

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
    database_cpu,
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
    # Each control as (name, type, value, checked).
    controls: list[tuple[str, str, str, bool]] = field(default_factory=list)

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
    """The same browser through the Flask test client, adding up its requests and the CPU
    time the app spends on them."""

    def __init__(self, app):
        self.client = app.test_client()
        self.cpu_seconds = 0.0
        self.requests = 0

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
        self.requests += 1
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


def app_cost(seeded: Path, count: int) -> dict:
    """Requests, CPU and SQL statements the app spends on ``count`` votes (with the first
    codes of the seed, after one more to warm up) and on ``count`` home pages, one after each
    vote, through the test client (run in the version's tree).

    Taking turns matters: on a shared machine the CPU time of the same request drifts by a
    third from one minute to the next, so votes measured first and home pages after can give
    a ratio anywhere from 5 to 9 for the same code."""
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
    warm_up, *codes = facts["codes"][:count + 1]
    _warm_up(app, facts["round_id"], warm_up)
    votes, home = InProcessBrowser(app), InProcessBrowser(app)
    vote_statements = home_statements = 0
    failures = Counter()
    for code in codes:  # a home page after each vote, so that both meet the same machine
        votes.client = app.test_client()  # a new browser per voter
        before = statements["sql"]
        vote = cast_vote(votes.send, facts["round_id"], Voter(code), rng)
        vote_statements += statements["sql"] - before
        failures.update([vote.failure] if vote.failure else [])
        before = statements["sql"]
        home.send("GET", "/", None)
        home_statements += statements["sql"] - before
    if failures:
        raise RuntimeError(f"votes in process failed: {dict(failures)}")
    return {"requests_per_vote": votes.requests / count,
            "statements_per_vote": vote_statements / count,
            "cpu_ms_per_vote": 1000 * votes.cpu_seconds / count,
            "statements_per_home": home_statements / count,
            "cpu_ms_per_home": 1000 * home.cpu_seconds / count}


def _warm_up(app, round_id: int, code: str) -> None:
    """One vote and a home page first, so that compiling templates is not counted."""
    browser = InProcessBrowser(app)
    cast_vote(browser.send, round_id, Voter(code), random.Random(0))
    browser.send("GET", "/", None)


# Load over HTTP -----------------------------------------------------------------------------


@dataclass
class Load:
    """What one timed load gave. Rates and durations count what finished inside the window
    (after a warm-up, so that every client is busy); receipts and failures count everything,
    for the check against the database."""

    opens: float
    closes: float
    seconds: list[float] = field(default_factory=list)
    confirm_seconds: list[float] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    server_cpu_seconds: float = 0.0
    database_cpu_seconds: float = 0.0
    generator_cpu_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, confirm_seconds: float = 0.0, receipt: str = "") -> None:
        """Keep one success that has just finished."""
        with self.lock:
            if receipt:
                self.receipts.append(receipt)
            if self.opens <= time.monotonic() <= self.closes:
                self.seconds.append(seconds)
                self.confirm_seconds.append(confirm_seconds)

    def fail(self, cause: str) -> None:
        """Keep one failure, by its status or error."""
        with self.lock:
            self.failures[cause] += 1

    def rate(self) -> float:
        """Successes per second inside the window."""
        return len(self.seconds) / (self.closes - self.opens)

    def server_ms(self) -> float:
        """The workers' CPU milliseconds per success inside the window."""
        return self.per_success(self.server_cpu_seconds)

    def per_success(self, cpu_seconds: float) -> float:
        """``cpu_seconds`` spent inside the window, in milliseconds per success in it."""
        return 1000 * cpu_seconds / len(self.seconds) if self.seconds else 0.0


def timed(warm_up: float, seconds: float) -> Load:
    """An empty load whose window opens after ``warm_up`` and lasts ``seconds``."""
    now = time.monotonic()
    return Load(now + warm_up, now + warm_up + seconds)


def p(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` in milliseconds (0 when there are none)."""
    if not values:
        return 0.0
    if len(values) == 1:
        return 1000 * values[0]
    return 1000 * statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100)
                                                                          - 1]


def in_threads(concurrency: int, load: Load, work: Callable[[int], bool]) -> None:
    """Run ``work(client_number)`` over and over in ``concurrency`` threads until ``load``'s
    window closes or it returns False; wait for the last one to finish. The clients start
    one after another through the first half of the warm-up: started together, they would
    stay in step (each queued behind the same others at every request) and finish in waves."""
    first = time.monotonic()
    spread = (load.opens - first) / 2

    def client(number: int) -> None:
        time.sleep(max(0.0, first + spread * number / concurrency - time.monotonic()))
        while time.monotonic() < load.closes and work(number):
            pass

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def load_votes(load: Load, ports: list[int], round_id: int, codes: Iterator[str],
               concurrency: int) -> None:
    """Voters split between ``ports``, each voting back to back with new codes."""
    lock = threading.Lock()

    def one_vote(number: int) -> bool:
        with lock:
            code = next(codes, None)
        if code is None:
            load.fail("out of codes")
            return False
        browser = HttpBrowser(ports[number % len(ports)], f"10.{number // 250}.{number % 250}.1")
        try:
            vote = cast_vote(browser.send, round_id, Voter(code), random.Random(code))
        except OSError as error:
            vote = Vote(failure=type(error).__name__)
        if vote.failure:
            load.fail(vote.failure)
        else:
            load.record(vote.seconds, vote.confirm_seconds, vote.receipt)
        return True

    in_threads(concurrency, load, one_vote)


def load_home(load: Load, port: int, concurrency: int) -> None:
    """Clients asking for the home page back to back."""

    def one_page(number: int) -> bool:
        started = time.perf_counter()
        try:
            status = str(HttpBrowser(port, f"10.9.{number}.1").send("GET", "/", None).status)
        except OSError as error:
            status = type(error).__name__
        if status == "200":
            load.record(time.perf_counter() - started)
        else:
            load.fail(status)
        return True

    in_threads(concurrency, load, one_page)


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


@dataclass(frozen=True)
class Plan:
    """One row's set-up: gunicorn masters, workers in each, and voters at once."""

    masters: int
    workers: int
    concurrency: int

    @property
    def label(self) -> str:
        """The workers as the table shows them: ``4``, or ``2x2`` for two masters of two."""
        return f"{self.masters}x{self.workers}" if self.masters > 1 else str(self.workers)


@dataclass(frozen=True)
class Timing:
    """How long each load runs: a warm-up, then the measured window."""

    warm_up: float
    seconds: float


@dataclass
class Row:
    """One line of the table."""

    version: str
    plan: Plan
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
    version.child("--seed", str(seeded), "--codes", str(codes + cost_votes + 1))
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
    version.codes = iter(facts["codes"][cost_votes + 1:])  # past those spent in process


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


def workers_cpu(servers: list[Gunicorn]) -> float:
    """CPU seconds the servers' workers have spent so far."""
    return sum(server.cpu_seconds() for server in servers)


def settle(servers: list[Gunicorn], most: float = 30.0) -> None:
    """Wait until every worker has booted (their CPU stops growing), so that no load pays for
    importing the app."""
    deadline, spent = time.monotonic() + most, workers_cpu(servers)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        spent, before = workers_cpu(servers), spent
        if spent - before < 0.05:
            return


def measured(servers: list[Gunicorn], load: Load, work: Callable[[Load], None]) -> Load:
    """Run ``work(load)`` and keep in ``load`` the CPU time spent in its window by the workers,
    by PostgreSQL and by this process (the load generator)."""
    def watch() -> None:
        time.sleep(max(0.0, load.opens - time.monotonic()))
        spent = workers_cpu(servers), database_cpu(), time.process_time()
        time.sleep(max(0.0, load.closes - time.monotonic()))
        load.server_cpu_seconds = workers_cpu(servers) - spent[0]
        load.database_cpu_seconds = database_cpu() - spent[1]
        load.generator_cpu_seconds = time.process_time() - spent[2]

    watcher = threading.Thread(target=watch)
    watcher.start()
    work(load)
    watcher.join()
    return load


def measure(version: Version, plan: Plan, timing: Timing, marker: str) -> Row:
    """One row: votes under load against fresh servers, checked in the database, then the
    home page (one master only) with as many clients."""
    servers = serving(version, plan.workers, plan.masters, marker)
    try:
        ports = [server.port for server in servers]
        settle(servers)
        before = stored(version.database, version.round_id)
        votes = measured(servers, timed(timing.warm_up, timing.seconds), lambda load: load_votes(
            load, ports, version.round_id, version.codes, plan.concurrency))
        lost, duplicated = lost_and_duplicated(before, stored(version.database, version.round_id),
                                               votes.receipts)
        home = None if plan.masters > 1 else measured(
            servers, timed(1.0, timing.seconds / 2),
            lambda load: load_home(load, ports[0], plan.concurrency))
    finally:
        for server in servers:
            server.stop()
    say(f"{version.name} workers {plan.label} concurrency {plan.concurrency}: "
        f"{votes.rate():.1f} ballots/s, {len(votes.receipts)} receipts in all, failures "
        f"{dict(votes.failures)}, lost {lost}, "
        f"duplicated {duplicated}" + (f", home {home.rate():.0f}/s" if home else ""))
    return Row(version.name, plan, votes, home, lost, duplicated, version.cost)


def _failures(row: Row) -> str:
    """Failed votes (and home pages) by status or error, or 0."""
    causes = [f"{cause}: {n}" for cause, n in sorted(row.votes.failures.items())]
    if row.home:
        causes += [f"home {cause}: {n}" for cause, n in sorted(row.home.failures.items())]
    return ", ".join(causes) or "0"


def table_line(row: Row) -> str:
    """One row of the Markdown table."""
    cost, votes = row.cost, row.votes
    home = (f"{row.home.rate():.0f} | {p(row.home.seconds, 0.95):.0f} | "
            f"{row.home.server_ms():.1f}" if row.home else "- | - | -")
    return (f"| {row.version} | {row.plan.label} | {row.plan.concurrency} | {votes.rate():.1f} | "
            f"{p(votes.seconds, 0.5):.0f} | {p(votes.seconds, 0.95):.0f} | "
            f"{p(votes.confirm_seconds, 0.95):.0f} | {_failures(row)} | "
            f"{votes.server_ms():.1f} | {votes.per_success(votes.database_cpu_seconds):.1f} | "
            f"{votes.per_success(votes.generator_cpu_seconds):.1f} | {home} | "
            f"{cost['requests_per_vote']:.0f} | {cost['statements_per_vote']:.1f} | "
            f"{cost['cpu_ms_per_vote']:.1f} | {cost['cpu_ms_per_home']:.1f} | "
            f"{cost['cpu_ms_per_vote'] / cost['cpu_ms_per_home']:.1f} | {row.lost} | "
            f"{row.duplicated} |")


def split_ratios(rows: list[Row]) -> list[str]:
    """Two masters' ballots/s against one master's, with as many workers per master and with
    as many workers in all, at the same concurrency."""
    lines = []
    for two in (row for row in rows if row.plan.masters > 1):
        for workers in (two.plan.workers, two.plan.masters * two.plan.workers):
            one = next((row for row in rows if row.version == two.version
                        and row.plan == Plan(1, workers, two.plan.concurrency)), None)
            if one and one.votes.rate():
                lines.append(f"{two.version}: {two.plan.label} workers give "
                             f"{two.votes.rate() / one.votes.rate():.2f} times the ballots/s of "
                             f"one master of {workers}")
    return lines


def print_table(rows: list[Row], timing: Timing) -> None:
    """The figures as a Markdown table, then what they mean."""
    print(f"\nVoting by code over HTTP: gunicorn sync workers, PostgreSQL, {timing.seconds:g} s "
          f"measured after {timing.warm_up:g} s of warm-up; before = {BEFORE_COMMIT}, after = "
          "the working tree\n")
    print("| version | workers | concurrency | ballots/s | vote p50 ms | vote p95 ms | "
          "confirm p95 ms | failed | server CPU ms/vote | PostgreSQL CPU ms/vote | "
          "generator CPU ms/vote | home pages/s | home p95 ms | "
          "server CPU ms/home page | requests/vote | "
          "statements/vote | CPU ms/vote | CPU ms/home page | ratio to home page | lost | "
          "duplicated |")
    print("|" + "---|" * 21)
    for row in rows:
        print(table_line(row))
    print()
    for line in split_ratios(rows):
        print(line)
    print("\nserver CPU: what gunicorn's workers spent in the measured window, per vote or "
          "page finished in it; PostgreSQL and generator CPU: what the database's processes "
          "and this load generator spent in the same window, per vote (all three share the "
          "two cores). requests, statements and CPU per vote "
          "and per home page: in process, through the Flask test client against the same "
          "database; ratio to home page = CPU per vote / CPU per home page, in process. "
          "lost = receipts without a sealed ballot and a participation; duplicated = rows "
          "beyond the receipts, codes used twice, receipts given twice.")


# The whole run ------------------------------------------------------------------------------


def options() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a short check: 6 s a row, 2 workers, 8 voters (about 2 minutes)")
    parser.add_argument("--seconds", type=float, help="measured length of each load (20)")
    parser.add_argument("--concurrency", type=int, nargs="+", help="voters at once (32 64)")
    parser.add_argument("--workers", type=int, nargs="+", help="gunicorn workers (2 4)")
    parser.add_argument("--keep", action="store_true", help="keep the gunicorn logs")
    for hidden in ("--seed", "--cost", "--output"):
        parser.add_argument(hidden, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--codes", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--cost-votes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.timing = Timing(2.0 if args.quick else 8.0, args.seconds or (6.0 if args.quick else 20.0))
    concurrency = args.concurrency or ([8] if args.quick else [32, 64])
    workers = args.workers or ([2] if args.quick else [2, 4])
    args.plans = [Plan(1, w, c) for w in workers for c in concurrency]
    args.plans.append(Plan(2, min(workers), max(concurrency)))
    args.cost_votes_run = 20 if args.quick else 200
    return args


def codes_needed(args: argparse.Namespace) -> int:
    """A supply of codes that no row uses up: 100 ballots/s, far above two cores."""
    return int(len(args.plans) * (args.timing.warm_up + args.timing.seconds + 15) * 100)


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
    versions = [Version("before", old_tree, "pb_bench_load_before", workdir),
                Version("after", ROOT, "pb_bench_load_after", workdir)]
    rows: list[Row] = []
    try:
        worktree(old_tree)
        marker = f"load-marker-{secrets.token_hex(6)}.txt"
        (old_tree / "pb_app" / "static" / marker).write_text("the older tree\n")
        for version in versions:
            prepare(version, codes_needed(args), args.cost_votes_run)
            for plan in args.plans:
                rows.append(measure(version, plan, args.timing, marker))
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
        args.output.write_text(json.dumps(app_cost(args.cost, args.cost_votes)))
        return 0
    started = time.monotonic()
    rows = run(args)
    print_table(rows, args.timing)
    say(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
