"""Issue 14's breaches, run again as an outside attacker against a real production deployment.

Run from the project root (3 to 5 minutes; it needs PostgreSQL on 127.0.0.1:5432 with
a ``postgres`` superuser that needs no password):

    nice .venv/bin/python benchmarks/integrity_attacks.py [--keep-database]

It creates the database ``pb_attack``, migrates it with ``flask db upgrade``, loads the demo
(``flask demo load``) and adds what the attacks need through the services (one Python
function run in the app context: voters, a round with voting codes, accounts to lock out and
to replay), then serves it with gunicorn (2 workers on 127.0.0.1, ``PB_ENV=production``, mail
through an SMTP port that nothing listens on). Every request goes to 127.0.0.1 only.

The script stands in for the TLS-terminating proxy of the README and the browsers behind it:
each request carries ``X-Forwarded-Proto: https`` and ``X-Forwarded-For: <the client's
address>``, as nginx sets them, and ``Host: pb.example.org``; the client keeps the
``Secure`` cookies the app sets, as a browser does on the far side of the proxy. As a
database administrator it connects as the PostgreSQL superuser.

It prints one row per check: attempts, breaches (0 is the goal) and a note, as a Markdown
table at the end, and exits 0 whatever it finds: it measures, it does not test.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import hashlib
import http.client
import itertools
import json
import os
import random
import re
import secrets
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode, urljoin, urlsplit

import psycopg
from psycopg.rows import dict_row

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import servers  # noqa: E402
from benchmarks.servers import (  # noqa: E402
    BASE_URL,
    PUBLIC_HOST,
    Gunicorn,
    flask,
    free_port,
)

DATABASE = "pb_attack"
EVIL_HOST = "evil.example"

STAFF_PASSWORD = "demo-staff-password"  # the demo's staff (flask demo load)
KEY_PASSPHRASE = "demo-key-passphrase"  # the demo finance officer's ballot box key
PASSWORD = "attack-resident-password"  # every account this script adds
NEW_PASSWORD = "attack-new-password-2"

ONLINE_VOTERS = 150
ANSWERING_VOTERS = 60  # vote after the 150 (and two spares), and answer the questionnaire
RACERS = 200
FUZZ_REQUESTS = 5000
FUZZ_SECONDS = 240
HOSTILE_NEXTS = 200
CHANCE_BOUND = 5  # an order-based guess matching more voters than this is no longer luck
# Proposal ids of the attacked round start here, new on each run, so that their choices are
# found only where this run wrote them (the WAL is shared with every database of the server,
# and keeps what earlier runs wrote).
PROPOSAL_ID_START = random.SystemRandom().randrange(10**8, 9 * 10**8)

QUESTIONNAIRE_PATTERN = re.compile(r'href="([^"]+)" id="questionnaire"')
RECEIPT_PATTERN = re.compile(r"\b[2-9A-HJKMNP-Z]{5}(?:-[2-9A-HJKMNP-Z]{5}){3}\b")
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PROJECT_PATTERN = re.compile(r'name="project" type="checkbox" value="(\d+)"')
REQUIRED_HEADERS = ("Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options",
                    "Referrer-Policy", "X-Content-Type-Options")


def say(text: str) -> None:
    """A progress line on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# The deployment ---------------------------------------------------------------------------


def database_url(name: str = DATABASE) -> str:
    """The URL of database ``name`` on the local server, as the superuser."""
    return servers.database_url(name)


def superuser(name: str = DATABASE) -> psycopg.Connection:
    """An autocommit connection as the PostgreSQL superuser: the attacking DBA."""
    return servers.superuser(name)


class SmtpCatcher(socketserver.ThreadingTCPServer):
    """A minimal SMTP server on 127.0.0.1 that keeps every message it is given."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self.server_address[1]


class _SmtpSession(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(b"220 catcher\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 catcher\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = bytearray()
                while (row := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data += row[1:] if row.startswith(b"..") else row
                message = email.message_from_bytes(bytes(data), policy=email.policy.default)
                with self.server.lock:
                    self.server.messages.append(message)
                self.wfile.write(b"250 kept\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


def deliver_outbox(env: dict[str, str], catcher: SmtpCatcher) -> str:
    """``flask mail send`` once, with the mail server pointed at ``catcher``."""
    delivering = dict(env, PB_MAIL_SMTP_PORT=str(catcher.port))
    done = flask(delivering, "mail", "send")
    return (done.stdout + done.stderr).strip()


def message_text(message: email.message.EmailMessage) -> str:
    """The plain-text body of a caught message."""
    part = message.get_body(("plain",)) or message
    return part.get_content()


# The attacker's browser -------------------------------------------------------------------


@dataclass
class Answer:
    """One response: status, headers (repeated ones kept) and body."""

    status: int
    headers: list[tuple[str, str]]
    text: str

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (any case), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def location(self) -> str | None:
        """The Location header of a redirect."""
        return self.header("Location")

    @property
    def csrf(self) -> str:
        """The page's CSRF token ("" when it has no form)."""
        found = CSRF_PATTERN.search(self.text)
        return found.group(1) if found else ""


class Browser:
    """A browser behind the TLS proxy: it keeps its cookies (``Secure`` ones too, since the
    proxy speaks TLS to it), and the proxy adds ``X-Forwarded-Proto: https`` and its
    address in ``X-Forwarded-For``. POSTs carry a same-origin Referer unless told not to."""

    def __init__(self, port: int, address: str, host: str = PUBLIC_HOST):
        self.port, self.address, self.host = port, address, host
        self.cookies: dict[str, str] = {}
        self.extra_headers: dict[str, str] = {}

    def clone(self) -> Browser:
        """Another tab sharing nothing but a copy of the cookies."""
        twin = Browser(self.port, self.address, self.host)
        twin.cookies = dict(self.cookies)
        twin.extra_headers = dict(self.extra_headers)
        return twin

    def request(self, method: str, path: str, body: bytes | None = None, *,
                referer: bool = True, headers: dict[str, str] | None = None) -> Answer:
        """Send one request and keep the cookies it sets."""
        sent = {"Host": self.host, "X-Forwarded-Proto": "https",
                "X-Forwarded-For": self.address, "User-Agent": "pb-attack/1",
                **self.extra_headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Content-Length"] = str(len(body))
            if referer:
                sent.setdefault("Referer", f"https://{self.host}{path}")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in sent.items():
                conn.putheader(name, value)
            conn.endheaders(body)
            response = conn.getresponse()
            answer = Answer(response.status, response.getheaders(),
                            response.read().decode("utf-8", "replace"))
        finally:
            conn.close()
        for name, value in answer.headers:
            if name.lower() == "set-cookie":
                self._keep(value)
        return answer

    def _keep(self, header: str) -> None:
        jar = SimpleCookie()
        try:
            jar.load(header)
        except Exception:  # a cookie this client cannot parse is a cookie it does not keep
            return
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str, **options) -> Answer:
        """GET ``path``."""
        return self.request("GET", path, **options)

    def post(self, path: str, fields, **options) -> Answer:
        """POST form ``fields`` (a dict or a list of pairs) to ``path``."""
        return self.request("POST", path, urlencode(fields, doseq=True).encode("utf-8"),
                            **options)

    def submit(self, page: str, fields, action: str | None = None, **options) -> Answer:
        """Open ``page``, then send its form (to ``action``, else the page) with its token."""
        token = self.get(page).csrf
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        return self.post(action or page, [("csrf_token", token), *pairs], **options)

    def sign_in(self, email_address: str, password: str, next_path: str | None = None) -> Answer:
        """Sign in through the form; a 302 means signed in."""
        action = "/sign-in" + (f"?next={quote(next_path, safe='')}" if next_path else "")
        return self.submit("/sign-in", {"email": email_address, "password": password},
                           action=action)


def require(condition: bool, problem: str) -> None:
    """Stop a check whose set-up did not happen (it would measure nothing)."""
    if not condition:
        raise RuntimeError(problem)


def signed_in(answer: Answer) -> bool:
    """True when a sign-in answer let the person in (a redirect away from the form)."""
    return answer.status == 302 and "/sign-in" not in (answer.location or "")


def date_fields(name: str, day: date) -> list[tuple[str, str]]:
    """A date as the three boxes of a GOV.UK date input send it."""
    return [(name, str(day.day)), (name, str(day.month)), (name, str(day.year))]


def in_parallel(work, items, threads: int = 4) -> list:
    """``work(item)`` for every item, ``threads`` at a time, results in order."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, items))


# Setting the deployment up ----------------------------------------------------------------


@dataclass
class Facts:
    """What the setup made, for the attacks to use."""

    secret_round: int = 0
    projects: list[str] = field(default_factory=list)
    voters: list[str] = field(default_factory=list)
    code_round: int = 0
    code_postcode: str = ""
    code_born: date = date(1980, 1, 1)
    codes: list[str] = field(default_factory=list)
    eildon_round: int = 0
    tweeddale_round: int = 0
    tweeddale_proposals: list[int] = field(default_factory=list)
    cheviot_round: int = 0
    first_proposal: int = 0
    staff_user_id: int = 0
    staff_grant_id: int = 0
    others: dict[str, list[str]] = field(default_factory=dict)


def prepare(env: dict[str, str]) -> Facts:
    """Add what the attacks need through the services, in the app context, and commit."""
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("PB_")})
    try:
        from pb_app import create_app
        from pb_app.extensions import db

        app = create_app()
        with app.app_context():
            try:
                facts = _prepare_in_app(db)
                db.session.commit()
            finally:
                db.session.remove()
                db.engine.dispose()
        return facts
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _prepare_in_app(db) -> Facts:
    from sqlalchemy import select, text

    from pb_app.accounts import services as accounts
    from pb_app.accounts.models import FINANCE_OFFICER, GROUP_LEAD, RoleGrant, User
    from pb_app.localities.models import Locality
    from pb_app.proposals.models import Proposal
    from pb_app.proposals.services import (
        ProposalInput,
        review_proposal,
        save_proposal,
        submit_proposal,
    )
    from pb_app.rounds.models import IJB_PRIORITIES, Phase, Round, utcnow
    from pb_app.rounds.services import RoundSettings, create_round, move_round
    from pb_app.voting.services import generate_voting_codes

    facts = Facts()
    today = accounts.today()
    shared_hash = accounts.hash_password(PASSWORD)
    localities = {loc.slug: loc for loc in db.session.scalars(select(Locality))}

    def lead_of(slug: str) -> User:
        return db.session.scalars(select(User).join(RoleGrant).where(
            RoleGrant.role == GROUP_LEAD, RoleGrant.locality_id == localities[slug].id)).first()

    def person(address: str, name: str, postcode: str, born: date) -> User:
        user = User(email=address, full_name=name, password_hash=shared_hash,
                    email_confirmed_at=utcnow())
        db.session.add(user)
        accounts.update_profile(user, postcode, born, today)
        return user

    rng = random.Random(14)
    teviot_sectors = ["TD9 0", "TD9 7", "TD9 8", "TD9 9"]
    letters = "ABDEFGHJLNPQRSTUWXYZ"

    def teviot_postcode() -> str:
        return f"{rng.choice(teviot_sectors)}{rng.choice(letters)}{rng.choice(letters)}"

    def born() -> date:
        return today - timedelta(days=rng.randint(20 * 365, 85 * 365))

    voters = [person(f"voter.{n:03d}@attack.example.org", f"Attack Voter {n:03d}",
                     teviot_postcode(), born())
              for n in range(ONLINE_VOTERS + ANSWERING_VOTERS + 10)]
    facts.voters = [v.email for v in voters]
    others = {
        "owner": ["owner@attack.example.org"],
        "library": [f"library.{n}@attack.example.org" for n in range(10)],
        "newcomer": [f"newcomer.{n}@attack.example.org" for n in range(10)],
        "replay": [f"replay.{what}@attack.example.org" for what in ("signout", "reset", "staff")],
        "reset_target": [f"reset.{n}@attack.example.org" for n in range(4)],
        "maildown": ["maildown@attack.example.org"],
        "fuzz": ["fuzz@attack.example.org"],
        "redirect": ["redirect@attack.example.org"],
        "registered": ["registered@attack.example.org"],
    }
    made = {address: person(address, f"Attack {address.split('@')[0].title()}",
                            teviot_postcode(), born())
            for group in others.values() for address in group}
    facts.others = others
    db.session.flush()

    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    grant = accounts.grant_role(admin, made["replay.staff@attack.example.org"], FINANCE_OFFICER)
    db.session.flush()
    facts.staff_user_id, facts.staff_grant_id = grant.user_id, grant.id

    db.session.execute(text(f"ALTER SEQUENCE proposal_id_seq RESTART WITH {PROPOSAL_ID_START}"))
    start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=47)

    def proposal_ids(round_id: int) -> list[int]:
        return list(db.session.scalars(select(Proposal.id).where(Proposal.round_id == round_id)
                                       .order_by(Proposal.id)))

    def round_in_voting(slug: str, title: str, proposers: list[User], count: int,
                        **settings) -> Round:
        lead = lead_of(slug)
        round_ = create_round(localities[slug], lead, RoundSettings(
            title=title, description="A round the integrity attacks run against.",
            budget_pence=6_000_000, min_project_cost_pence=50_000,
            max_project_cost_pence=1_500_000, priorities=IJB_PRIORITIES,
            proposals_open_at=start, proposals_close_at=start + timedelta(30),
            voting_open_at=start + timedelta(45), voting_close_at=start + timedelta(66),
            **settings))
        move_round(round_, lead, Phase.PROPOSALS_OPEN)
        postcode = proposers[0].postcode
        for number in range(count):
            proposer = proposers[number % len(proposers)]
            proposal = save_proposal(round_, proposer, ProposalInput(
                title=f"Project {number + 1} of {title}", summary="A local project.",
                location="The locality", location_postcode=postcode,
                description="A local project, run by volunteers.", outcomes=(1,),
                priorities=(IJB_PRIORITIES[0],), cost_lines=(("Everything", "4000"),)))
            submit_proposal(proposal, proposer)
            review_proposal(proposal, lead, "accept", "feasible", "strong", "Fine.")
        move_round(round_, lead, Phase.REVIEW)
        move_round(round_, lead, Phase.VOTING)
        return round_

    secret = round_in_voting("teviot-and-liddesdale", "Teviot attack round", voters[:12], 12,
                             ballot_params={"max_choices": 4})
    facts.secret_round = secret.id
    facts.projects = [str(i) for i in proposal_ids(secret.id)]

    facts.code_postcode, facts.code_born = "TD11 3AB", date(1970, 5, 17)
    berwick_people = [person(f"berwick.{n}@attack.example.org", f"Berwick Person {n}",
                             facts.code_postcode, facts.code_born)
                      for n in range(3)]
    code_round = round_in_voting("berwickshire", "Berwickshire code round", berwick_people, 3,
                                 voter_verification="voting-code",
                                 ballot_params={"max_choices": 2})
    facts.code_round = code_round.id
    facts.codes = generate_voting_codes(code_round, lead_of("berwickshire"), 40)

    def round_id(slug: str) -> int:
        return db.session.scalar(select(Round.id).where(Round.locality_id == localities[slug].id)
                                 .order_by(Round.id))

    facts.eildon_round = round_id("eildon")
    facts.tweeddale_round = round_id("tweeddale")
    facts.cheviot_round = round_id("cheviot")
    facts.tweeddale_proposals = proposal_ids(facts.tweeddale_round)
    facts.first_proposal = int(facts.projects[0])
    db.session.flush()
    return facts


# The checks -------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table."""

    check: str
    attempts: int | str
    breaches: int | str
    note: str


@dataclass
class Attack:
    """The deployment under attack and what the attacker has learnt so far."""

    env: dict[str, str]
    port: int
    facts: Facts
    catcher: SmtpCatcher
    run_started: datetime
    truth: dict[str, str] = field(default_factory=dict)  # voter -> their choices (JSON)
    receipts: dict[str, str] = field(default_factory=dict)  # voter -> receipt hash
    captured: dict[str, str] = field(default_factory=dict)  # voter -> receipt hash (DBA)
    ciphertexts: dict[str, bytes] = field(default_factory=dict)  # voter -> envelope (DBA)
    dumped: dict[str, bytes] = field(default_factory=dict)  # the same by row order (pg_dump)
    key_copy: tuple | None = None  # a key holder's wrapped key and share, as a backup has them
    answers: list[tuple[str, str, str]] = field(default_factory=list)  # equalities, in order

    def browser(self, address: str = "198.51.100.20", host: str = PUBLIC_HOST) -> Browser:
        """A fresh browser at ``address``."""
        return Browser(self.port, address, host)

    def signed_in(self, email_address: str, password: str = PASSWORD,
                  address: str = "198.51.100.20") -> Browser:
        """A browser signed in as ``email_address``; raises if it cannot sign in."""
        browser = self.browser(address)
        answer = browser.sign_in(email_address, password)
        if not signed_in(answer):
            raise RuntimeError(f"{email_address} could not sign in: {answer.status}")
        return browser


def choices_json(projects: list[str]) -> str:
    """Approval choices as the app stores them (``Choices.to_json``): sorted ids."""
    ordered = sorted(projects, key=int)
    return json.dumps({"projects": ordered, "points": []}, separators=(",", ":"))


def unique_ballots(projects: list[str], count: int, rng: random.Random) -> list[list[str]]:
    """``count`` different approval ballots of 2 to 4 projects: a ballot read anywhere names
    its voter without doubt."""
    every = [list(c) for size in (2, 3, 4) for c in itertools.combinations(projects, size)]
    return rng.sample(every, count)


def cast_online(attack: Attack, voter: str, projects: list[str], *,
                email_receipt: bool = False, browser: Browser | None = None) -> Answer:
    """Sign in and vote through the pages: ballot, review, confirm."""
    number = int(hashlib.sha256(voter.encode()).hexdigest()[:4], 16)
    address = f"10.1.{number % 250}.{number // 250 % 250 + 1}"
    browser = browser or attack.signed_in(voter, address=address)
    base = f"/rounds/{attack.facts.secret_round}/vote"
    token = browser.get(f"{base}/ballot").csrf
    chosen = [("project", p) for p in projects]
    browser.post(f"{base}/review", [("csrf_token", token), *chosen])
    fields = [("csrf_token", token), *chosen] + ([("email_receipt", "y")] if email_receipt else [])
    return browser.post(f"{base}/confirm", fields)


def receipt_on(answer: Answer) -> str | None:
    """The receipt code shown on a receipt page."""
    found = RECEIPT_PATTERN.search(answer.text)
    return found.group(0) if found else None


def receipt_digest(receipt: str) -> str:
    """The stored form of a receipt: SHA-256 of the code without dashes (``codes.hash_code``)."""
    return hashlib.sha256(receipt.replace("-", "").upper().encode("ascii")).hexdigest()


# 0. Forms as browsers send them -----------------------------------------------------------


def check_forms_without_referer(attack: Attack) -> Row:
    """POST the sign-in, reset and registration forms with the Referer a browser sends under
    the app's own Referrer-Policy (over HTTPS, CSRF protection refuses a form without a
    same-origin one), and with none at all, as a browser that strips it would."""
    refused, statuses = 0, []
    owner = attack.facts.others["redirect"][0]
    attempts = [
        ("/sign-in", {"email": owner, "password": PASSWORD}),
        ("/reset-password", {"email": "nobody@attack.example.org"}),
        ("/register", {"full_name": "Nobody", "email": "nobody.new@attack.example.org",
                       "password": PASSWORD, "confirm": PASSWORD}),
    ]
    policy = attack.browser().get("/sign-in").header("Referrer-Policy")
    for path, fields in attempts:
        sent = _referer_under(policy, PUBLIC_HOST, path)
        as_browser = attack.browser("198.51.100.98").submit(
            path, fields, referer=False, headers={"Referer": sent} if sent else None)
        bare = attack.browser("198.51.100.99").submit(path, fields, referer=False)
        statuses.append(f"{path} {as_browser.status} with Referer {sent or 'none'}, "
                        f"{bare.status} with none")
        refused += as_browser.status == 400
    return Row(f"0. forms as browsers post them (Referrer-Policy: {policy})", len(attempts),
               refused, f"{'; '.join(statuses)}. A 400 is Flask-WTF's HTTPS referrer check "
               "(WTF_CSRF_SSL_STRICT) refusing a genuine form. Headless Chromium cannot show "
               "this here: the stand-in proxy serves it plain HTTP, so its Referer is http.")


def _referer_under(policy: str, host: str, path: str) -> str:
    """The Referer a browser sends with a same-origin HTTPS form post under ``policy``."""
    if policy in ("no-referrer", ""):
        return ""
    if policy in ("origin", "strict-origin", "strict-origin-when-cross-origin",
                  "origin-when-cross-origin"):
        return f"https://{host}/"
    return f"https://{host}{path}"


# 1. Ballot secrecy ------------------------------------------------------------------------


def cast_the_online_ballots(attack: Attack) -> tuple[int, int]:
    """150 residents vote online over HTTP; returns (receipts shown, failures)."""
    rng = random.Random(1414)
    voters = attack.facts.voters[:ONLINE_VOTERS]
    ballots = unique_ballots(attack.facts.projects, len(voters) + 2, rng)
    for voter, projects in zip(voters, ballots, strict=False):
        attack.truth[voter] = choices_json(projects)
    spare = ballots[len(voters):]
    attack.truth[attack.facts.voters[ONLINE_VOTERS]] = choices_json(spare[0])  # racer
    attack.truth[attack.facts.voters[ONLINE_VOTERS + 1]] = choices_json(spare[1])  # mail down

    def vote(voter: str) -> str | None:
        projects = json.loads(attack.truth[voter])["projects"]
        return receipt_on(cast_online(attack, voter, projects))

    receipts = in_parallel(vote, voters, threads=1)  # one after another, as voters come
    for voter, receipt in zip(voters, receipts, strict=True):
        if receipt:
            attack.receipts[voter] = receipt_digest(receipt)
    return len(attack.receipts), sum(r is None for r in receipts)


# Answers that tell their giver apart: age band, sex and marital status, 7 x 2 x 6 = 84.
EQUALITIES_ANSWERS = list(itertools.product(
    ("16_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_plus"), ("female", "male"),
    ("never_married", "married", "civil_partnership", "separated", "divorced_dissolved",
     "widowed")))


def answer_questionnaires(attack: Attack) -> int:
    """``ANSWERING_VOTERS`` more residents vote and answer the equalities questionnaire their
    receipt page offers, one after another, each with answers nobody else gives; returns how
    many answered."""
    rng = random.Random(1515)
    voters = attack.facts.voters[ONLINE_VOTERS + 2:ONLINE_VOTERS + 2 + ANSWERING_VOTERS]
    for voter, answers in zip(voters, rng.sample(EQUALITIES_ANSWERS, len(voters)), strict=False):
        projects = rng.sample(attack.facts.projects, 2)
        browser = attack.signed_in(voter, address="10.2.0.1")
        receipt = cast_online(attack, voter, projects, browser=browser)
        link = QUESTIONNAIRE_PATTERN.search(receipt.text)
        if not link:
            continue
        page = browser.get(link.group(1))
        fields = dict(zip(("age_band", "sex", "marital_status"), answers, strict=True))
        sent = browser.post(link.group(1), [("csrf_token", page.csrf), *fields.items(),
                                            ("send", "Send my answers")])
        if sent.status == 302:
            attack.answers.append(answers)
    return len(attack.answers)


def check_equalities_open(attack: Attack) -> Row:
    """The DBA, while voting is open, after residents answered the questionnaire: answers in
    the clear, and the sizes of the sealed ones."""
    answered = answer_questionnaires(attack)
    require(answered, "nobody could answer the questionnaire")
    round_id = attack.facts.secret_round
    with superuser() as conn:
        clear = conn.execute("SELECT count(*) FROM equalities_response WHERE round_id = %s",
                             (round_id,)).fetchone()[0]
        lengths = conn.execute(
            "SELECT DISTINCT length(sealed_answers) FROM sealed_equalities_response "
            "WHERE round_id = %s", (round_id,)).fetchall()
    readable = answered if clear or len(lengths) > 1 else 0
    return Row("1d. equalities answers while voting is open (DBA)", answered, readable,
               f"{answered} residents voted and answered over HTTP, each with answers nobody "
               f"else gave; answers in the clear: {clear}; sealed answers of "
               f"{len(lengths)} length(s) in all ({', '.join(str(n) for (n,) in lengths)} "
               "bytes), whatever was answered")


def check_equalities_opened(attack: Attack) -> Row:
    """The DBA, after the opening: do the opened answers come out in the order they were
    given (by id, or by row order)?"""
    round_id = attack.facts.secret_round
    with superuser() as conn:
        by_id = [tuple(row) for row in conn.execute(
            "SELECT age_band, sex, marital_status FROM equalities_response "
            "WHERE round_id = %s ORDER BY id", (round_id,)).fetchall()]
        by_ctid = [tuple(row[1:]) for row in sorted(conn.execute(
            "SELECT ctid::text, age_band, sex, marital_status FROM equalities_response "
            "WHERE round_id = %s", (round_id,)).fetchall(), key=lambda row: ctid_key(row[0]))]
    given = attack.answers
    in_place = {name: sum(a == b for a, b in zip(order, given, strict=False))
                for name, order in (("ids", by_id), ("row order", by_ctid))}
    guessed = max(in_place.values())
    return Row("1e. equalities answers after the opening (DBA)", len(given),
               guessed if guessed > 5 else 0,
               f"{len(by_id)} answers opened of {len(given)} given; answers at the position "
               f"they were given in: {in_place['ids']} by id, {in_place['row order']} by row "
               "order (about 1 by chance; counted as breaches only above 5)")


def relation_files(conn: psycopg.Connection) -> list[tuple[str, bytes]]:
    """Every table, index and TOAST file of the database, as the server has them on disk
    (after a CHECKPOINT): live rows, dead tuples and all."""
    conn.execute("CHECKPOINT")
    rows = conn.execute(
        "SELECT c.oid::regclass::text, pg_relation_filepath(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 't', 'i', 'm') "
        "AND n.nspname IN ('public', 'pg_toast') AND pg_relation_filepath(c.oid) IS NOT NULL"
    ).fetchall()
    files = []
    for name, path in rows:
        try:
            data = conn.execute("SELECT pg_read_binary_file(%s)", (path,)).fetchone()[0]
        except psycopg.Error:
            continue
        files.append((name, bytes(data)))
    return files


def wal_segments(conn: psycopg.Connection, since: datetime, limit: int = 8) -> list[tuple[str,
                                                                                        bytes]]:
    """The WAL segments written since ``since`` (newest ``limit``)."""
    names = conn.execute("SELECT name FROM pg_ls_waldir() WHERE modification >= %s "
                         "AND name ~ '^[0-9A-F]{24}$' ORDER BY modification DESC LIMIT %s",
                         (since, limit)).fetchall()
    return [(f"pg_wal/{name}", bytes(conn.execute("SELECT pg_read_binary_file(%s)",
                                                  (f"pg_wal/{name}",)).fetchone()[0]))
            for (name,) in names]


def readable_voters(attack: Attack, conn: psycopg.Connection) -> tuple[set[str], set[str]]:
    """The voters whose choices appear in plain text in the database's files or the WAL,
    and where they were found."""
    blobs = relation_files(conn) + wal_segments(conn, attack.run_started)
    found, places = set(), set()
    for voter, choices in attack.truth.items():
        needle = choices.encode("utf-8")
        for name, blob in blobs:
            if needle in blob:
                found.add(voter)
                places.add(name)
    return found, places


def link_by_xmin(people: list[tuple], rows: list[tuple], offset: int) -> dict[str, tuple]:
    """Voter -> the one row whose xmin is the participation's xmin + ``offset``."""
    by_xmin: dict[int, list[tuple]] = {}
    for row in rows:
        by_xmin.setdefault(row[0], []).append(row)
    links = {}
    for xmin, _ctid, _id, voter in people:
        candidates = by_xmin.get(xmin + offset, [])
        if len(candidates) == 1:
            links[voter] = candidates[0]
    return links


def ctid_key(ctid: str) -> tuple[int, int]:
    """A ctid "(page,item)" as a sortable pair."""
    page, item = ctid.strip("()").split(",")
    return int(page), int(item)


def participations(conn: psycopg.Connection, round_id: int) -> list[tuple]:
    """(xmin, ctid, id, email) of the round's online participations."""
    return conn.execute(
        'SELECT p.xmin::text::bigint, p.ctid::text, p.id, u.email FROM participation p '
        'JOIN "user" u ON u.id = p.user_id WHERE p.round_id = %s', (round_id,)).fetchall()


def check_secrecy_open(attack: Attack) -> tuple[Row, str]:
    """The DBA, while voting is open: join on xmin, xmin +- 1 and ctid order, and look for
    readable choices in every file of the database and in the WAL."""
    round_id = attack.facts.secret_round
    with superuser() as conn:
        people = participations(conn, round_id)
        sealed = conn.execute(
            "SELECT xmin::text::bigint, ctid::text, id, receipt_hash, sealed_choices "
            "FROM ballot_envelope WHERE round_id = %s AND sealed_choices IS NOT NULL",
            (round_id,)).fetchall()
        linked = {}
        for offset in (0, -1, 1):
            links = link_by_xmin(people, sealed, offset)
            right = {voter for voter, row in links.items()
                     if attack.receipts.get(voter) == row[3]}
            linked[f"xmin{offset:+d}" if offset else "xmin"] = right
            if len(links) > len(attack.captured):  # what the DBA keeps: the widest join
                attack.captured = {voter: row[3] for voter, row in links.items()}
                attack.ciphertexts = {voter: bytes(row[4]) for voter, row in links.items()}
        attack.key_copy = conn.execute(
            "SELECT h.wrapped_private_key, h.kdf_salt, h.kdf_opslimit, h.kdf_memlimit, "
            "s.sealed_share, b.threshold FROM key_share s JOIN key_holder h ON h.id = "
            "s.holder_id JOIN ballot_box b ON b.id = s.box_id JOIN \"user\" u ON u.id = "
            "h.user_id WHERE b.round_id = %s AND u.email = 'finance@example.org'",
            (round_id,)).fetchone()
        ordered = list(zip(sorted(people, key=lambda p: ctid_key(p[1])),
                           sorted(sealed, key=lambda s: ctid_key(s[1])), strict=False))
        linked["ctid order"] = {p[3] for p, s in ordered if attack.receipts.get(p[3]) == s[3]}
        attack.dumped = {p[3]: bytes(s[4]) for p, s in ordered}
        readable, places = readable_voters(attack, conn)
        plaintext_ballots = conn.execute("SELECT count(*) FROM ballot WHERE round_id = %s",
                                         (round_id,)).fetchone()[0]
    known = len(attack.receipts)
    links = ", ".join(f"{name} {len(v)}/{known}" for name, v in linked.items())
    lengths = {len(bytes(row[4])) for row in sealed}
    note = (f"sealed envelopes linked to their voter by {links} (the choices inside are "
            f"ciphertext, of {len(lengths)} length(s) in all, whatever was chosen); "
            f"opened ballots in the round: {plaintext_ballots}; voters whose choices are "
            f"readable in table, index, TOAST or WAL files: {len(readable)}"
            + (f" (in {', '.join(sorted(places))})" if places else ""))
    return Row("1a. ballot secrecy while voting is open (DBA)", known, len(readable),
               note), links


def check_secrecy_with_passphrase(attack: Attack) -> Row:
    """The copy the DBA took while voting was open, read by someone who also knows one key
    holder's passphrase (the finance officer's): as many as the round's threshold open it."""
    from pb_app.ballotbox import crypto

    require(attack.key_copy is not None, "no key share was copied while voting was open")
    wrapped, salt, opslimit, memlimit, sealed_share, threshold = attack.key_copy
    private = crypto.unwrap_private_key(bytes(wrapped), KEY_PASSPHRASE, bytes(salt),
                                        crypto.KdfCost(opslimit, memlimit))
    share = crypto.unseal(private, bytes(sealed_share))
    if threshold > 1:
        return Row("1c. copy taken while open + one key holder's passphrase",
                   len(attack.ciphertexts), 0, f"the box needs {threshold} key holders: one "
                   "passphrase does not rebuild the round's key")
    unseal = crypto.padded_unsealer(crypto.join_shares([share]))
    read = {voter for voter, sealed in attack.ciphertexts.items()
            if unseal(sealed).decode("utf-8") == attack.truth.get(voter)}
    by_order = {voter for voter, sealed in attack.dumped.items()
                if unseal(sealed).decode("utf-8") == attack.truth.get(voter)}
    return Row("1c. copy taken while open + one key holder's passphrase",
               len(attack.ciphertexts), len(read),
               f"BALLOT_KEY_THRESHOLD={threshold}: the finance officer's passphrase opens the "
               f"key share in the copy, which opens the envelopes the xmin join tied to "
               f"{len(attack.ciphertexts)} voters; their choices read: {len(read)} (pairing "
               f"the two tables in row order instead, as a pg_dump keeps them, without xmin: "
               f"{len(by_order)}). Outside a "
               "DBA's reach alone (it needs a passphrase), but a key holder who can copy the "
               "database, or a physical backup or replica kept from voting time, suffices")


def close_and_open_box(attack: Attack) -> str:
    """The lead closes voting over HTTP; the demo's staff key holders (as many as the
    threshold asks) open the box with ``flask ballot-box open``, passphrases on stdin."""
    round_id = attack.facts.secret_round
    lead = attack.signed_in("lead.teviot-and-liddesdale@example.org", STAFF_PASSWORD)
    close = f"/rounds/{round_id}/voting/close"
    pressed = lead.submit(f"/rounds/{round_id}/voting", {}, action=close)
    require(pressed.status == 303, f"closing early was not asked first ({pressed.status})")
    asked = lead.get(pressed.location)
    require("Close voting early?" in asked.text, "the question about closing early is missing")
    confirmed = re.search(r'name="confirmed_for" type="hidden" value="(\d+)"', asked.text)
    closed = lead.post(close, [("csrf_token", asked.csrf),
                               ("confirmed_for", confirmed.group(1))])
    holders = flask(attack.env, "ballot-box", "holders").stdout
    staff = [line.split("\t")[0] for line in holders.splitlines()
             if line and "Recovery key" not in line]
    options = [option for holder in staff for option in ("--holder", holder)]
    opened = flask(attack.env, "ballot-box", "open", str(round_id), "--as",
                   "finance@example.org", *options, stdin=(KEY_PASSPHRASE + "\n") * len(staff))
    said = (opened.stdout.strip().splitlines() or opened.stderr.strip().splitlines() or [""])
    return (f"closed over HTTP: asked first ({pressed.status} to the question), then "
            f"{closed.status}; "
            f"flask ballot-box open: {said[-1]}")


def check_secrecy_opened(attack: Attack, how: str) -> Row:
    """The DBA, after the box is opened: xmin, ctid order and ids of the opened ballots
    against the participations, and the receipts captured while voting was open."""
    round_id = attack.facts.secret_round
    with superuser() as conn:
        people = participations(conn, round_id)
        ballots = conn.execute(
            "SELECT xmin::text::bigint, ctid::text, id, choices_json FROM ballot "
            "WHERE round_id = %s", (round_id,)).fetchall()
        receipts = conn.execute("SELECT ctid::text, receipt_hash FROM ballot_envelope "
                                "WHERE round_id = %s", (round_id,)).fetchall()
        columns = [name for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'ballot' "
            "ORDER BY ordinal_position")]
    truth = attack.truth
    certain: set[str] = set()
    summary = []
    for offset in (0, -1, 1):
        links = link_by_xmin(people, ballots, offset)
        right = {voter for voter, row in links.items() if truth.get(voter) == row[3]}
        certain |= right
        summary.append(f"xmin{offset:+d}" if offset else "xmin")
        summary[-1] += f" {len(right)}"
    guesses = {}
    by_ctid = sorted(ballots, key=lambda b: ctid_key(b[1]))
    guesses["ctid order"] = zip(sorted(people, key=lambda p: ctid_key(p[1])), by_ctid,
                                strict=False)
    guesses["ids"] = zip(sorted(people, key=lambda p: p[2]), sorted(ballots, key=lambda b: b[2]),
                         strict=False)
    position = {digest: n for n, (_, digest) in
                enumerate(sorted(receipts, key=lambda r: ctid_key(r[0])))}
    guesses["envelope captured while open -> same position"] = (
        (p, by_ctid[position[attack.captured[p[3]]]]) for p in people
        if attack.captured.get(p[3]) in position and position[attack.captured[p[3]]] < len(by_ctid))
    lucky = set()
    for name, pairs in guesses.items():
        right = {p[3] for p, b in pairs if truth.get(p[3]) == b[3]}
        summary.append(f"{name} {len(right)}")
        if len(right) > CHANCE_BOUND:
            lucky |= right
    breaches = len(certain | lucky)
    note = (f"{how}; {len(ballots)} ballots opened. Voters whose choices each method reads: "
            f"{', '.join(summary)} (an order-based guess matches about 1 by chance; counted as "
            f"breaches only above {CHANCE_BOUND}); an opened ballot's columns: "
            f"{', '.join(columns)}")
    return Row("1b. ballot secrecy after the box is opened (DBA)", len(people), breaches, note)


def check_one_ballot_each(attack: Attack) -> Row:
    """One signed-in voter sends 200 confirms at once."""
    voter = attack.facts.voters[ONLINE_VOTERS]
    browser = attack.signed_in(voter)
    round_id = attack.facts.secret_round
    token = browser.get(f"/rounds/{round_id}/vote/ballot").csrf
    projects = json.loads(attack.truth[voter])["projects"]
    fields = [("csrf_token", token), *(("project", p) for p in projects)]
    reviewed = browser.post(f"/rounds/{round_id}/vote/review", fields)  # what confirming casts
    require(reviewed.status == 200, f"the review step answered {reviewed.status}")
    with superuser() as conn:
        before = conn.execute("SELECT count(*) FROM ballot_envelope WHERE round_id = %s",
                              (round_id,)).fetchone()[0]
    gate = threading.Barrier(RACERS)

    def race(_):
        tab = browser.clone()
        gate.wait()
        return tab.post(f"/rounds/{round_id}/vote/confirm", fields)

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(race, range(RACERS)))
    accepted = [a for a in answers if a.status == 200 and receipt_on(a)]
    for answer in accepted[:1]:
        attack.receipts[voter] = receipt_digest(receipt_on(answer))
    with superuser() as conn:
        after = conn.execute("SELECT count(*) FROM ballot_envelope WHERE round_id = %s",
                             (round_id,)).fetchone()[0]
        rows = conn.execute('SELECT count(*) FROM participation p JOIN "user" u ON '
                            'u.id = p.user_id WHERE u.email = %s AND p.round_id = %s',
                            (voter, round_id)).fetchone()[0]
    statuses = Counter(a.status for a in answers)
    breaches = max(0, len(accepted) - 1) + max(0, after - before - 1) + max(0, rows - 1)
    return Row("re-check: one ballot per voter, 200 racing confirms", RACERS, breaches,
               f"receipts shown {len(accepted)}, ballots added {after - before}, "
               f"participations {rows}; statuses {dict(sorted(statuses.items()))}")


# 2. Audit trail ---------------------------------------------------------------------------


def psql(sql: str) -> subprocess.CompletedProcess:
    """Run SQL with psql as the superuser, stopping at the first error."""
    return subprocess.run(["psql", database_url(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                           sql], capture_output=True, text=True, timeout=120)


BYPASS = "SET session_replication_role = replica; "  # a superuser switches triggers off


def forged_hash(row: dict) -> str:
    """An entry's SHA-256 as the published code computes it (no key is involved)."""
    from pb_app.audit.services import compute_hash

    class Entry:
        pass

    entry = Entry()
    entry.__dict__.update(row)
    return compute_hash(entry)


def audit_rows(conn: psycopg.Connection) -> list[dict]:
    """Every audit entry, in sequence order, as dicts."""
    cursor = conn.cursor(row_factory=dict_row)
    return cursor.execute("SELECT * FROM audit_entry ORDER BY sequence").fetchall()


def sql_literal(value) -> str:
    """``value`` as an SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return "'" + value.isoformat() + "'"
    return "'" + str(value).replace("'", "''") + "'"


def tamper_append(conn) -> str:
    """(a) Append a forged entry with a made-up MAC, and a forged checkpoint naming it."""
    last = audit_rows(conn)[-1]
    row = {"sequence": last["sequence"] + 1, "created_at": datetime.now(UTC),
           "actor_id": last["actor_id"], "action": "role.granted", "object_type": "User",
           "object_id": "1", "round_id": None, "before_json": None,
           "after_json": '{"role":"administrator","user_id":1}', "previous_hash": last["hash"]}
    row["hash"] = forged_hash(row)
    fake_mac = secrets.token_hex(32)
    columns = ", ".join(row) + ", mac"
    values = ", ".join(sql_literal(v) for v in row.values()) + f", '{fake_mac}'"
    return (f"INSERT INTO audit_entry ({columns}) VALUES ({values}); "
            "INSERT INTO audit_checkpoint (sequence, hash, mac, purpose, created_at) VALUES "
            f"({row['sequence']}, '{row['hash']}', '{secrets.token_hex(32)}', 'command line', "
            "now());")


def tamper_delete_newest(conn) -> str:
    """(b) Delete the newest entry and every stored checkpoint that names it."""
    last = audit_rows(conn)[-1]
    return (f"DELETE FROM audit_entry WHERE sequence = {last['sequence']}; "
            f"DELETE FROM audit_checkpoint WHERE sequence >= {last['sequence']};")


def _rewrite(conn, strip_macs: bool) -> str:
    rows = audit_rows(conn)
    victim = len(rows) // 2
    statements = []
    previous = rows[victim - 1]["hash"] if victim else "0" * 64
    for index in range(victim, len(rows)):
        row = dict(rows[index])
        if index == victim:
            row["after_json"] = (row["after_json"] or "{}").replace("}", ',"note":"edited"}', 1)
        row["previous_hash"] = previous
        old_hash, row["hash"] = row["hash"], forged_hash(row)
        previous = row["hash"]
        mac = "NULL" if strip_macs else sql_literal(row["mac"])
        statements.append(
            f"UPDATE audit_entry SET after_json = {sql_literal(row['after_json'])}, "
            f"previous_hash = '{row['previous_hash']}', hash = '{row['hash']}', mac = {mac} "
            f"WHERE sequence = {row['sequence']};")
        statements.append(f"UPDATE audit_checkpoint SET hash = '{row['hash']}' "
                          f"WHERE hash = '{old_hash}';")
    if strip_macs:
        statements.append("UPDATE audit_entry SET mac = NULL;")
    # Unique hashes: move the rewritten ones aside first, so no update meets an old value.
    return ("UPDATE audit_entry SET hash = 'x' || id, previous_hash = 'y' || id "
            f"WHERE sequence >= {rows[victim]['sequence']}; " + " ".join(statements))


def tamper_rewrite(conn) -> str:
    """(c) Edit an entry in the middle and recompute every hash after it (MACs kept)."""
    return _rewrite(conn, strip_macs=False)


def tamper_rewrite_unkeyed(conn) -> str:
    """(c') The same, with every MAC removed so that the chain looks older than its key."""
    return _rewrite(conn, strip_macs=True)


def tamper_delete_all(conn) -> str:
    """(d) Delete every entry and every stored checkpoint."""
    return "DELETE FROM audit_entry; DELETE FROM audit_checkpoint;"


def verify(attack: Attack, checkpoint: str | None) -> tuple[int, str]:
    """``flask audit verify`` with the given checkpoint: its exit code and first line."""
    args = ["audit", "verify"] + (["--checkpoint", checkpoint] if checkpoint else [])
    done = flask(attack.env, *args)
    return done.returncode, (done.stdout + done.stderr).strip().splitlines()[0][:160]


def published_checkpoint(attack: Attack) -> str | None:
    """The checkpoint on the published result's page, as anyone can read it."""
    page = attack.browser().get(f"/results/round/{attack.facts.cheviot_round}")
    found = re.search(r'id="audit-checkpoint".*?<code[^>]*>(\d+:[0-9a-f]{64})</code>', page.text,
                      re.S)
    return found.group(1) if found else None


def check_audit(attack: Attack) -> Row:
    """Four tamperings (and a variant) as the superuser, each verified against the
    checkpoint printed by ``flask audit checkpoint`` before it, then restored."""
    published = published_checkpoint(attack)
    done = flask(attack.env, "audit", "checkpoint")
    printed = done.stdout.strip().splitlines()[-1] if done.returncode == 0 else None
    refused = psql("DELETE FROM audit_entry WHERE sequence = 1;")
    trigger = "refused" if refused.returncode else "ALLOWED"
    psql("DROP TABLE IF EXISTS attack_entry_copy, attack_checkpoint_copy; "
         "CREATE TABLE attack_entry_copy AS SELECT * FROM audit_entry; "
         "CREATE TABLE attack_checkpoint_copy AS SELECT * FROM audit_checkpoint;")
    restore = (BYPASS + "DELETE FROM audit_entry; DELETE FROM audit_checkpoint; "
               "INSERT INTO audit_entry SELECT * FROM attack_entry_copy; "
               "INSERT INTO audit_checkpoint SELECT * FROM attack_checkpoint_copy;")
    baseline = verify(attack, printed)
    tamperings = [("a append", tamper_append), ("b delete newest", tamper_delete_newest),
                  ("c edit+rehash", tamper_rewrite), ("c' edit+rehash, MACs stripped",
                                                       tamper_rewrite_unkeyed),
                  ("d delete all", tamper_delete_all)]
    undetected, outcomes, published_only = 0, [], 0
    for name, tamper in tamperings:
        with superuser() as conn:
            sql = tamper(conn)
        applied = psql(BYPASS + sql)
        if applied.returncode:
            outcomes.append(f"{name}: tampering failed ({applied.stderr.strip()[:80]})")
            psql(restore)
            continue
        code, line = verify(attack, printed)
        undetected += code == 0
        outcomes.append(f"{name}: exit {code}")
        if published:
            published_only += verify(attack, published)[0] != 0
        psql(restore)
    after = verify(attack, printed)
    psql("DROP TABLE attack_entry_copy, attack_checkpoint_copy;")
    note = (f"checkpoint {printed.split(':')[0] if printed else '?'} from flask audit checkpoint; "
            f"untouched chain: exit {baseline[0]}; plain DELETE by the superuser: {trigger} by "
            f"the trigger; {'; '.join(outcomes)}; restored: exit {after[0]}. With only the "
            f"results page's older checkpoint ({published.split(':')[0] if published else '?'}),"
            f" {published_only}/{len(tamperings)} caught (entries after the newest checkpoint "
            "held outside can be removed unseen)")
    return Row("2. audit trail rewritten by the superuser", len(tamperings), undetected, note)


# 3. Lockouts ------------------------------------------------------------------------------


def check_lockouts(attack: Attack) -> list[Row]:
    """Failures aimed at an owner, at one address, and at voting codes."""
    facts = attack.facts
    owner = facts.others["owner"][0]
    owner_browser = attack.browser("198.51.100.7")
    first = owner_browser.sign_in(owner, PASSWORD)
    require(signed_in(first), f"the owner could not sign in first: {first.status}")

    def wrong(pair):
        address, _ = pair
        return attack.browser(address).sign_in(owner, "not-the-password").status

    tries = [(f"203.0.113.{a}", n) for a in range(1, 6) for n in range(6)]
    statuses = Counter(in_parallel(wrong, tries, threads=2))
    owner_again = owner_browser.clone().sign_in(owner, PASSWORD)
    fresh = attack.browser("198.51.100.8").sign_in(owner, PASSWORD)
    rows = [Row("3a. owner after 6 wrong passwords from each of 5 addresses", 1,
                0 if signed_in(owner_again) else 1,
                f"owner's first sign-in {first.status}; attacker's answers "
                f"{dict(sorted(statuses.items()))}; owner with the device cookie: "
                f"{owner_again.status}; owner in a new browser: {fresh.status} (the reset link "
                "lets them in)")]

    library = "192.0.2.50"
    residents = facts.others["library"]
    theirs = {r: attack.browser(library) for r in residents}
    before = [signed_in(theirs[r].sign_in(r, PASSWORD)) for r in residents]
    require(all(before), "not every resident could sign in before the attack")
    for browser in theirs.values():  # sign out, keeping the device cookie
        browser.submit("/profile", {}, action="/sign-out")

    def guess(number: int) -> int:
        return attack.browser(library).sign_in(f"guess.{number}@attack.example.org",
                                               "wrong-password").status

    started = time.monotonic()
    guesses = Counter(in_parallel(guess, range(300)))
    spent = time.monotonic() - started
    refused = [r for r in residents if not signed_in(theirs[r].clone().sign_in(r, PASSWORD))]
    newcomers = facts.others["newcomer"]
    new_refused = sum(not signed_in(attack.browser(library).sign_in(n, PASSWORD))
                      for n in newcomers)
    rows.append(Row("3b. 10 residents behind an address after 300 failures from it",
                    len(residents), len(refused),
                    f"signed in before: {sum(before)}/10; attacker's answers "
                    f"{dict(sorted(guesses.items()))} in {spent:.0f} s; residents who never "
                    f"signed in from that address before refused: {new_refused}/10"))

    care_home = "192.0.2.60"
    round_id = facts.code_round
    page = f"/rounds/{round_id}/vote/code"

    def code_try(code: str) -> Answer:
        browser = attack.browser(care_home)
        form = browser.get(page)
        project = PROJECT_PATTERN.search(form.text).group(1)  # the code page holds the ballot
        return browser.post(page, [
            ("csrf_token", form.csrf), ("code", code), ("postcode", facts.code_postcode),
            *date_fields("date_of_birth", facts.code_born), ("project", project)])

    wrong_codes = Counter(code_try("ABCDE-FGHJK-MNPQR").status for _ in range(11))
    neighbours = [code_try(code) for code in facts.codes[:10]]
    refused_codes = sum(not (a.status == 200 and "Check your choices" in a.text)
                        for a in neighbours)
    rows.append(Row("3c. 10 neighbours with valid codes after 10 wrong codes", 10,
                    refused_codes,
                    f"wrong codes answered {dict(sorted(wrong_codes.items()))}; neighbours "
                    f"answered {dict(Counter(a.status for a in neighbours))}"))
    return rows


# 4. Reset link host -----------------------------------------------------------------------


def check_reset_links(attack: Attack) -> Row:
    """Reset and registration requests with a forged host; read the mail as delivered."""
    targets = attack.facts.others["reset_target"]
    variants = [({"X-Forwarded-Host": EVIL_HOST}, PUBLIC_HOST),
                ({}, EVIL_HOST),
                ({"X-Forwarded-Host": EVIL_HOST}, EVIL_HOST),
                ({"X-Forwarded-Host": EVIL_HOST, "X-Forwarded-Port": "8443",
                  "X-Forwarded-Prefix": "/evil", "Forwarded": f"host={EVIL_HOST}"}, EVIL_HOST)]
    statuses = []
    for target, (headers, host) in zip(targets, variants, strict=True):
        browser = attack.browser("203.0.113.40", host=host)
        browser.extra_headers = headers
        statuses.append(browser.submit("/reset-password", {"email": target}).status)
    registered = attack.facts.others["registered"][0]
    evil = attack.browser("203.0.113.41", host=EVIL_HOST)
    evil.extra_headers = {"X-Forwarded-Host": EVIL_HOST}
    statuses.append(evil.submit("/register", {"full_name": "Someone", "email": registered,
                                              "password": PASSWORD, "confirm": PASSWORD}).status)
    fresh = "fresh.evil@attack.example.org"
    statuses.append(evil.submit("/register", {"full_name": "Fresh", "email": fresh,
                                              "password": PASSWORD, "confirm": PASSWORD}).status)
    delivered = deliver_outbox(attack.env, attack.catcher)
    wanted = set(targets) | {registered, fresh}
    links, outside = 0, []
    with attack.catcher.lock:
        messages = [m for m in attack.catcher.messages if m["To"] in wanted]
    for message in messages:
        for link in re.findall(r"https?://\S+", message_text(message)):
            links += 1
            if not link.startswith(BASE_URL + "/"):
                outside.append(link[:60])
    return Row("4. emailed links with a forged Host / X-Forwarded-Host", links, len(outside),
               f"{len(statuses)} requests answered {statuses}; {len(messages)} emails caught "
               f"({delivered}); links off {BASE_URL}: {outside or 'none'}")


# 5. Session replay ------------------------------------------------------------------------


def replay_opens_profile(cookies: dict[str, str], attack: Attack) -> tuple[bool, int]:
    """Whether a browser holding only ``cookies`` gets the profile page."""
    thief = attack.browser("203.0.113.66")
    thief.cookies = dict(cookies)
    answer = thief.get("/profile")
    return answer.status == 200 and "Postcode" in answer.text, answer.status


def check_session_replay(attack: Attack) -> Row:
    """Cookies captured before sign-out, a password reset and a role removal, replayed."""
    signout, reset, staff = attack.facts.others["replay"]
    results = []

    victim = attack.signed_in(signout)
    captured = dict(victim.cookies)
    victim.submit("/profile", {}, action="/sign-out")
    results.append(("sign-out", *replay_opens_profile(captured, attack)))

    victim = attack.signed_in(reset)
    captured = dict(victim.cookies)
    attack.browser("198.51.100.30").submit("/reset-password", {"email": reset})
    deliver_outbox(attack.env, attack.catcher)
    with attack.catcher.lock:
        mails = [m for m in attack.catcher.messages if m["To"] == reset]
    link = re.search(r"https://\S+/reset-password/\S+", message_text(mails[-1])).group(0)
    owner = attack.browser("198.51.100.30")
    path = urlsplit(link).path
    changed = owner.submit(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    require(changed.status == 302, f"the password reset failed: {changed.status}")
    results.append((f"reset ({changed.status})", *replay_opens_profile(captured, attack)))

    victim = attack.signed_in(staff)
    captured = dict(victim.cookies)
    admin = attack.signed_in("admin@example.org", STAFF_PASSWORD)
    user_id, grant_id = attack.facts.staff_user_id, attack.facts.staff_grant_id
    removed = admin.submit(f"/admin/users/{user_id}", {},
                           action=f"/admin/users/{user_id}/roles/{grant_id}/remove")
    require(removed.status == 302, f"the role removal failed: {removed.status}")
    opened, status = replay_opens_profile(captured, attack)
    thief = attack.browser("203.0.113.66")
    thief.cookies = dict(captured)
    audit_page = thief.get("/audit/").status
    results.append((f"role removal ({removed.status})", opened, status))
    return Row("5. captured session cookie replayed on /profile", len(results),
               sum(opened for _, opened, _ in results),
               "; ".join(f"after {what}: {status}" for what, _, status in results)
               + f"; the removed finance officer's cookie on /audit/: {audit_page}")


# 6. Headers -------------------------------------------------------------------------------


def check_headers(attack: Attack) -> Row:
    """Security headers on 30 routes: public, resident and staff."""
    facts = attack.facts
    public = attack.browser()
    home = public.get("/")
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home.text)
    routes = [
        ("public", "/"), ("public", "/rounds/"), ("public", f"/rounds/{facts.secret_round}"),
        ("public", f"/rounds/{facts.tweeddale_round}/proposals"),
        ("public", f"/proposals/{facts.first_proposal}"),
        ("public", f"/rounds/{facts.code_round}/vote"),
        ("public", f"/rounds/{facts.code_round}/receipt"), ("public", "/results/"),
        ("public", f"/results/round/{facts.cheviot_round}"),
        ("public", f"/results/round/{facts.cheviot_round}/ballots.csv"),
        ("public", f"/results/round/{facts.cheviot_round}/result.json"),
        ("public", "/reports/"), ("public", "/sign-in"), ("public", "/register"),
        ("public", "/reset-password"), ("public", "/no-such-page"),
        ("public", stylesheet.group(1) if stylesheet else "/static/missing.css"),
        ("resident", "/profile"), ("resident", "/proposals/mine"), ("resident", "/account/data"),
        ("resident", "/account/data/download"),
        ("staff", "/admin/users"), ("staff", "/audit/"), ("staff", "/ballot-box/keys"),
        ("staff", f"/rounds/{facts.eildon_round}/voting"),
        ("staff", f"/rounds/{facts.tweeddale_round}/review"), ("staff", "/results/ledger"),
        ("staff", f"/results/round/{facts.cheviot_round}/count"),
        ("staff", "/admin/second-factor"), ("staff", f"/rounds/{facts.eildon_round}/desk"),
    ]
    browsers = {"public": public, "resident": attack.signed_in(facts.others["fuzz"][0]),
                "staff": attack.signed_in("admin@example.org", STAFF_PASSWORD)}
    missing: Counter = Counter()
    bad_responses, uncached, statuses = 0, [], Counter()
    for kind, path in routes:
        answer = browsers[kind].get(path)
        statuses[answer.status] += 1
        absent = [h for h in REQUIRED_HEADERS if not answer.header(h)]
        missing.update(absent)
        bad_responses += bool(absent)
        if kind == "staff" and "no-store" not in (answer.header("Cache-Control") or ""):
            uncached.append(path)
    return Row("6. security headers on 30 routes", len(routes), bad_responses + len(uncached),
               f"statuses {dict(sorted(statuses.items()))}; responses missing a header: "
               f"{bad_responses} ({dict(missing) or 'none'}); staff pages without "
               f"Cache-Control no-store: {uncached or 'none'}")


# 7. Mail down -----------------------------------------------------------------------------


def normalised(text: str, *emails_: str) -> str:
    """A page with what legitimately differs taken out: the email address, tokens."""
    for address in emails_:
        text = text.replace(address, "EMAIL")
    return CSRF_PATTERN.sub("TOKEN", text)


def check_mail_down(attack: Attack) -> Row:
    """With nothing listening on the SMTP port: a lead's decision, a vote with an emailed
    receipt, and reset requests for an existing and an unknown account."""
    facts = attack.facts
    lead = attack.signed_in("lead.tweeddale@example.org", STAFF_PASSWORD)
    proposal = facts.tweeddale_proposals[0]
    decision = lead.submit(f"/proposals/{proposal}/review",
                           {"decision": "accept", "feasibility": "feasible", "fit": "strong",
                            "reason": "Realistic costs."}, action=f"/proposals/{proposal}/decide")
    voter = facts.voters[ONLINE_VOTERS + 1]
    vote = cast_online(attack, voter, json.loads(attack.truth[voter])["projects"],
                       email_receipt=True)
    receipt = receipt_on(vote)
    if receipt:
        attack.receipts[voter] = receipt_digest(receipt)
    existing, unknown = facts.others["maildown"][0], "no.such.person@attack.example.org"
    timings = []
    answers = []
    for address in (existing, unknown):
        started = time.monotonic()
        answers.append(attack.browser("198.51.100.44").submit("/reset-password",
                                                              {"email": address}))
        timings.append(time.monotonic() - started)
    worker = flask(attack.env, "mail", "send")
    statuses = [decision.status, vote.status, answers[0].status, answers[1].status]
    server_errors = sum(s >= 500 for s in statuses)
    differences = int(answers[0].status != answers[1].status) + int(
        normalised(answers[0].text, existing) != normalised(answers[1].text, unknown))
    return Row("7. SMTP unreachable", 4, server_errors + differences + (receipt is None),
               f"decision {decision.status}, vote {vote.status} (receipt on screen: "
               f"{'yes' if receipt else 'NO'}), reset existing {answers[0].status} / unknown "
               f"{answers[1].status} ({timings[0]:.2f} s / {timings[1]:.2f} s); differences "
               f"between the reset answers: {differences}; flask mail send with the server "
               f"down: exit {worker.returncode}, "
               f"{(worker.stdout.strip().splitlines() or [''])[-1][:80]!r}")


# 8. Open redirect -------------------------------------------------------------------------


def hostile_nexts(count: int) -> list[str]:
    """``count`` different ``next`` values meant to send a browser to another site."""
    hosts = [EVIL_HOST, f"{EVIL_HOST}:443", f"{PUBLIC_HOST}.{EVIL_HOST}",
             f"{PUBLIC_HOST}@{EVIL_HOST}", "0x7f000001", "%65vil.example"]
    shapes = ["//{h}", "////{h}", "/\\{h}", "\\\\{h}", "\\/{h}", "/\\/{h}", "https://{h}",
              "http://{h}", "https:{h}", "https:/{h}", "//{h}/%2F..", "/\t/{h}", "/\n/{h}",
              "/\r\n/{h}", " //{h}", "\x00//{h}", "/%2F{h}", "/%5C{h}", "%2F%2F{h}",
              "／／{h}", "//{h}/sign-in", "///{h}", "/.//{h}", "javascript:alert(1)//{h}",
              "HTTPS://{h}", "\\\\\\{h}", "/\\\\{h}", "//\\{h}", "/%09/{h}", "https:\\\\{h}",
              "data:text/html,{h}", "/ /{h}", "\u3002{h}", "//{h}%00", "//{h}?x=/",
              "/\u2215{h}", "/\uff3c{h}", "//{h}#@" + PUBLIC_HOST, "{h}", "//%5C{h}"]
    values = []
    for shape in shapes:
        for host in hosts:
            values.append(shape.format(h=host))
    seen = list(dict.fromkeys(values))
    random.Random(8).shuffle(seen)
    return seen[:count]


def leaves_site(location: str, base: str) -> bool:
    """Whether a browser following ``location`` would leave ``base``'s site, reading it the
    way browsers do (tabs and newlines dropped, backslashes as slashes, spaces trimmed)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00 \x1f").replace("\\", "/")
    target = urlsplit(urljoin(base, cleaned))
    return target.scheme not in ("http", "https") or (target.hostname or "") != PUBLIC_HOST


def check_open_redirect(attack: Attack) -> Row:
    """Sign in with 200 hostile ``next`` values; where does the Location header go?"""
    user = attack.facts.others["redirect"][0]
    nexts = hostile_nexts(HOSTILE_NEXTS)

    def attempt(value: str) -> tuple[str, int, str]:
        answer = attack.browser("198.51.100.50").sign_in(user, PASSWORD, next_path=value)
        return value, answer.status, answer.location or ""

    results = in_parallel(attempt, nexts)
    leaving = [(value, location) for value, status, location in results
               if status in (301, 302, 303, 307, 308) and
               leaves_site(location, f"{BASE_URL}/sign-in")]
    statuses = Counter(status for _, status, _ in results)
    destinations = Counter(location for _, _, location in results if location)
    nul = sum(status == 400 and "\x00" in value for value, status, _ in results)
    return Row("8. hostile next on /sign-in", len(nexts), len(leaving),
               f"statuses {dict(statuses)} ({nul} of the 400s: a NUL character, refused "
               f"whole); Locations {dict(destinations.most_common(3))}"
               + (f"; leaving: {leaving[:3]!r}" if leaving else ""))


# 9. Fuzzed POSTs --------------------------------------------------------------------------


FUZZ_VALUES = ["", " ", "0", "-1", "1", "31", "13", "2", "1990", "99999999999999999999999",
               "1e9", "NaN", "null", "true", "TD9 0AB", "TD11 3AB", "EH1 1AA", "ZZ99 9ZZ",
               "ABCDE-FGHJK-MNPQR", "paper", "assisted", "online", "code", "'; DROP TABLE x;--",
               "<script>alert(1)</script>", "=HYPERLINK(\"x\")", "é" * 50, "\u202e", "🗳" * 20,
               "a" * 5000, "0" * 300, "%", "\\", "../../etc/passwd", "\x00", "a\x00b",
               "\ud800", "29", "02", "2020", "0000", "-2147483649", "9223372036854775808"]
# For each route, a form the page itself would send; the fuzzer mutates it or starts afresh.
VALID_FORMS = {
    "profile": [("postcode", "TD9 0AB"), *date_fields("date_of_birth", date(1970, 5, 17)),
                ("submit", "Save")],
    "desk": [("full_name", "Morag Scott"), ("postcode", "TD1 1AB"),
             *date_fields("date_of_birth", date(1960, 3, 12)), ("channel", "assisted"),
             ("batch", ""), ("submit", "Check and continue")],
    "code": [("code", "ABCDE-FGHJK-MNPQR"), ("postcode", "TD11 3AB"),
             *date_fields("date_of_birth", date(1970, 5, 17)), ("submit", "Continue")],
}
EXTRA_NAMES = ["project", "x", "date_of_birth-day", "desk_batch", "desk_channel", "csrf_token"]


def fuzzed_body(rng: random.Random, route: str, token: str) -> bytes:
    """A form for ``route``: half the time the page's own with a few fields dropped, doubled
    or given hostile values; else random fields, each sent 0 to 4 times."""
    valid = VALID_FORMS[route]
    if rng.random() < 0.5:
        pairs = list(valid)
        for _ in range(rng.randint(1, 3)):
            where = rng.randrange(len(pairs)) if pairs else 0
            action = rng.choice(("drop", "drop-name", "replace", "double"))
            if not pairs:
                break
            if action == "drop":
                pairs.pop(where)
            elif action == "drop-name":
                name = pairs[where][0]
                pairs = [pair for pair in pairs if pair[0] != name]
            elif action == "replace":
                pairs[where] = (pairs[where][0], rng.choice(FUZZ_VALUES))
            else:
                pairs.insert(where, pairs[where])
    else:
        names = list(dict.fromkeys(name for name, _ in valid))
        pairs = [(name, rng.choice(FUZZ_VALUES)) for name in names
                 for _ in range(rng.choice((0, 1, 1, 1, 3, 3, 2, 4)))]
        rng.shuffle(pairs)
    if rng.random() < 0.9:
        pairs.insert(0, ("csrf_token", token))
    if rng.random() < 0.1:
        pairs.append((rng.choice(EXTRA_NAMES), rng.choice(FUZZ_VALUES)))
    parts = [f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
             for name, value in pairs]
    if rng.random() < 0.05:
        parts.append("date_of_birth=%FF%FE")  # not UTF-8
    return "&".join(parts).encode("ascii")


def check_fuzz(attack: Attack) -> Row:
    """5,000 fuzzed POSTs to /profile, /rounds/N/desk and /rounds/N/vote/code."""
    facts = attack.facts
    resident = attack.signed_in(facts.others["fuzz"][0])
    lead = attack.signed_in("lead.eildon@example.org", STAFF_PASSWORD)
    anonymous = attack.browser("198.51.100.60")
    targets = [
        ("/profile", resident, "profile"),
        (f"/rounds/{facts.eildon_round}/desk", lead, "desk"),
        (f"/rounds/{facts.code_round}/vote/code", anonymous, "code"),
    ]
    tokens = {path: browser.get(path).csrf for path, browser, _ in targets}
    deadline = time.monotonic() + FUZZ_SECONDS
    failures: list[tuple[str, bytes]] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def one(number: int) -> None:
        if time.monotonic() > deadline:
            return
        rng = random.Random(number)
        path, browser, route = targets[number % len(targets)]
        body = fuzzed_body(rng, route, tokens[path])
        tab = browser.clone()
        tab.address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        try:
            status = tab.request("POST", path, body).status
        except OSError:
            status = 0
        with lock:
            statuses[(path.split("/")[-1], status)] += 1
            if status >= 500 or status == 0:
                failures.append((path, body[:200]))

    in_parallel(one, range(FUZZ_REQUESTS), threads=4)
    sent = sum(statuses.values())
    by_route: dict[str, dict[int, int]] = {}
    for (route, status), count in sorted(statuses.items()):
        by_route.setdefault(route, {})[status] = count
    return Row("9. fuzzed POSTs", sent, len(failures),
               f"statuses by route {by_route}"
               + (f"; first failure: {failures[0][0]} {failures[0][1]!r}" if failures else ""))


# 10. Registration enumeration -------------------------------------------------------------


def check_registration(attack: Attack) -> Row:
    """Register with an address that has an account and with a new one; compare answers."""
    existing = attack.facts.others["library"][0]
    new = "brand.new@attack.example.org"
    answers, timings = [], []
    for address in (existing, new):
        started = time.monotonic()
        answers.append(attack.browser("198.51.100.70").submit(
            "/register", {"full_name": "Somebody Else", "email": address, "password": PASSWORD,
                          "confirm": PASSWORD}))
        timings.append(time.monotonic() - started)
    same_body = normalised(answers[0].text, existing) == normalised(answers[1].text, new)
    differences = int(answers[0].status != answers[1].status) + int(not same_body)
    return Row("10. registration with a taken and a new address", 2, differences,
               f"statuses {answers[0].status} / {answers[1].status}; bodies equal apart from "
               f"the address: {same_body}; "
               f"{timings[0]:.2f} s / {timings[1]:.2f} s")


# Running it all ---------------------------------------------------------------------------


def run_check(rows: list[Row], name: str, work) -> None:
    """Run one check, keep its row(s); a check that breaks says so in its row."""
    started = time.monotonic()
    say(f"{name} ...")
    try:
        found = work()
    except Exception as error:  # a broken check must not hide the others
        traceback.print_exc()
        found = Row(name, "?", "?", f"the check itself failed: {type(error).__name__}: {error}")
    found = found if isinstance(found, list) else [found]
    rows.extend(found)
    for row in found:
        say(f"  {row.check}: {row.attempts} attempts, {row.breaches} breaches "
            f"({time.monotonic() - started:.0f} s)")


def print_table(rows: list[Row], seconds: float) -> None:
    """The table, in Markdown."""
    print()
    print(f"Integrity attacks on a production deployment ({seconds:.0f} s)")
    print()
    print("| check | attempts | breaches | note |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        note = row.note.replace("|", "\\|").replace("\n", " ")
        print(f"| {row.check} | {row.attempts} | {row.breaches} | {note} |")


def main() -> int:
    """Set up, attack, print the table; exit 0 whatever was found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-database", action="store_true",
                        help=f"leave the {DATABASE} database and the gunicorn log behind")
    args = parser.parse_args()
    started = time.monotonic()
    run_started = datetime.now(UTC) - timedelta(seconds=5)
    workdir = Path(tempfile.mkdtemp(prefix="pb_attack_"))
    catcher = SmtpCatcher()
    # Mail goes to a port nothing listens on: the mail server is down.
    env = servers.production_environment(DATABASE, free_port())
    rows: list[Row] = []
    server = None
    try:
        say(f"database {DATABASE}: create, migrate, demo, setup")
        servers.create_database(DATABASE)
        for step in (("db", "upgrade"), ("demo", "load")):
            done = flask(env, *step)
            if done.returncode:
                raise RuntimeError(f"flask {' '.join(step)} failed:\n{done.stderr[-2000:]}")
        facts = prepare(env)
        server = Gunicorn(env, workdir / "gunicorn.log", workers=2)
        say(f"gunicorn on 127.0.0.1:{server.port}, log {workdir / 'gunicorn.log'}")
        attack = Attack(env, server.port, facts, catcher, run_started)

        run_check(rows, "0. forms without Referer", lambda: check_forms_without_referer(attack))
        cast: dict = {}

        def secrecy_open() -> Row:
            shown, failed = cast_the_online_ballots(attack)
            cast["shown"], cast["failed"] = shown, failed
            row, _ = check_secrecy_open(attack)
            row.note = (f"{shown} ballots cast over HTTP, one after another ({failed} "
                        "failed); " + row.note)
            return row

        run_check(rows, "1a. ballot secrecy while open", secrecy_open)
        run_check(rows, "1d. equalities answers while open",
                  lambda: check_equalities_open(attack))
        run_check(rows, "1c. copy + one passphrase", lambda: check_secrecy_with_passphrase(attack))
        run_check(rows, "re-check: racing confirms", lambda: check_one_ballot_each(attack))
        run_check(rows, "7. mail down", lambda: check_mail_down(attack))
        run_check(rows, "3. lockouts", lambda: check_lockouts(attack))
        run_check(rows, "5. session replay", lambda: check_session_replay(attack))
        run_check(rows, "4. reset link host", lambda: check_reset_links(attack))
        run_check(rows, "6. headers", lambda: check_headers(attack))
        run_check(rows, "8. open redirect", lambda: check_open_redirect(attack))
        run_check(rows, "9. fuzz", lambda: check_fuzz(attack))
        run_check(rows, "10. registration", lambda: check_registration(attack))
        run_check(rows, "1b. ballot secrecy after opening",
                  lambda: check_secrecy_opened(attack, close_and_open_box(attack)))
        run_check(rows, "1e. equalities answers after opening",
                  lambda: check_equalities_opened(attack))
        run_check(rows, "2. audit trail", lambda: check_audit(attack))
    except Exception:
        traceback.print_exc()
        rows.append(Row("setup", "?", "?", "the deployment could not be set up: see stderr"))
    finally:
        if server is not None:
            server.stop()
        catcher.shutdown()
        if not args.keep_database:
            servers.drop_database(DATABASE)
            shutil.rmtree(workdir, ignore_errors=True)
    order = {name: n for n, name in enumerate(
        ["0.", "1a.", "1b.", "1c.", "2.", "3a.", "3b.", "3c.", "4.", "5.", "6.", "7.", "8.", "9.",
         "10.", "re-check", "setup"])}
    rows.sort(key=lambda row: order.get(row.check.split(" ")[0], len(order)))
    print_table(rows, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
