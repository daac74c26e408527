"""Reading a round's page moves it on when a date has passed: 50 readers arriving together at
that moment move it once, write one audit entry and email each follower once. A live
threaded server and HTTP requests from threads released by a barrier; SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from ballotbox.builders import key_holders
from factories import ProposalFactory, RoundFactory
from sqlalchemy import func, select
from voting.test_concurrency import server  # noqa: F401

from pb_app.audit.models import AuditEntry
from pb_app.audit.services import verify_chain
from pb_app.extensions import db
from pb_app.mail.models import MailMessage
from pb_app.proposals.models import Status
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.services import follow_round
from rounds.fixtures import make_locality, make_user

pytestmark = pytest.mark.committing

READERS = 50
FOLLOWERS = 3


@pytest.fixture
def due_round(app) -> Iterator[tuple[int, list[str]]]:
    """A committed round in review whose voting opened a minute ago, not yet moved on, with
    two accepted proposals, ballot box key holders and followers; yields (its id, their
    emails) inside an app context."""
    with app.app_context():
        yield _committed_due_round(datetime.now(UTC))


def _committed_due_round(now: datetime) -> tuple[int, list[str]]:
    eildon = make_locality("Eildon", "TD1")
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW,
                          proposals_open_at=now - timedelta(days=60),
                          proposals_close_at=now - timedelta(days=30),
                          voting_open_at=now - timedelta(minutes=1),
                          voting_close_at=now + timedelta(days=30))
    proposer = make_user("Rab Resident", eildon)
    ProposalFactory(round=round_, proposer=proposer, status=Status.ACCEPTED)
    ProposalFactory(round=round_, proposer=proposer, status=Status.ACCEPTED, title="Two")
    key_holders()
    followers = [make_user(f"Follower {number}", eildon) for number in range(FOLLOWERS)]
    for user in followers:
        follow_round(round_, user)
    db.session.commit()
    round_id, emails = round_.id, [user.email for user in followers]
    db.session.remove()
    return round_id, emails


def read_at_once(port: int, path: str, count: int) -> list[int]:
    """GET ``path`` from ``count`` threads released at the same moment; their statuses."""
    barrier = threading.Barrier(count)
    statuses = [0] * count

    def read(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
        barrier.wait()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            statuses[index] = response.status
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("page", ["/rounds/{round_id}", "/rounds/"], ids=["round", "list"])
def test_50_readers_at_the_moment_voting_opens_move_the_round_once(server, due_round,  # noqa: F811
                                                                  page):
    round_id, followers = due_round
    statuses = read_at_once(server, page.format(round_id=round_id), READERS)
    assert Counter(statuses) == Counter({200: READERS})
    db.session.remove()
    assert db.session.get(Round, round_id).phase == Phase.VOTING.value
    actions = Counter(db.session.scalars(select(AuditEntry.action)))
    assert (actions["round.phase.voting"], actions["ballot_box.sealed"]) == (1, 1), actions
    subjects = Counter(db.session.execute(select(MailMessage.to_address, MailMessage.subject)))
    assert subjects == Counter({(email, "Voting is open: Eildon Community Fund"): 1
                                for email in followers})
    assert db.session.scalar(select(func.count()).select_from(MailMessage)) == FOLLOWERS
    assert verify_chain().is_intact
    db.session.remove()
