"""Real concurrent casts through the app: a live threaded server and HTTP requests from
threads, released together by a barrier. Runs on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pytest
from ballotbox.builders import PASSPHRASE
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from pb_app.accounts.models import User
from pb_app.ballotbox.models import Ballot, BallotEnvelope
from pb_app.ballotbox.services import get_box
from pb_app.extensions import db
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.services import move_round
from pb_app.voting.ballots import Choices
from pb_app.voting.models import Participation, VotingCode
from pb_app.voting.services import cast_ballot, generate_voting_codes, voter_at_desk
from voting.builders import lead_of, place, project_ids, voting_round

pytestmark = pytest.mark.committing


@pytest.fixture
def server(app: Flask) -> Iterator[int]:
    """The app served by a threaded server on 127.0.0.1; yields its port."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    httpd.socket.listen(1024)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_port
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def voters(count: int) -> list[int]:
    """``count`` eligible Eildon residents with confirmed email, committed; their ids."""
    users = [User(email=f"racer{n}@example.org", password_hash="x", full_name=f"Racer {n}",
                  postcode="TD1 1AA", date_of_birth=date(1970, 1, 1),
                  email_confirmed_at=datetime.now(UTC)) for n in range(count)]
    db.session.add_all(users)
    db.session.commit()
    return [user.id for user in users]


def session_cookie(app: Flask, user_id: int) -> str:
    """A signed session cookie that signs ``user_id`` in, as the sign-in page would."""
    return cookie(app, {"_user_id": str(user_id), "_fresh": True})


def cookie(app: Flask, contents: dict) -> str:
    """A signed session cookie holding ``contents``."""
    value = app.session_interface.get_signing_serializer(app).dumps(contents)
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def race(port: int, path: str, cookies: list[str], body: str) -> list[tuple[int, str]]:
    """POST ``body`` to ``path`` once per cookie, all threads released at the same moment."""
    barrier = threading.Barrier(len(cookies))
    results: list[tuple[int, str]] = [(0, "")] * len(cookies)

    def cast(index: int, cookie: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
        barrier.wait()
        try:
            connection.request("POST", path, body=body, headers={
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json"})
            response = connection.getresponse()
            results[index] = (response.status, response.read().decode())
        finally:
            connection.close()

    threads = [threading.Thread(target=cast, args=(i, c)) for i, c in enumerate(cookies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def reviewed(port: int, round_id: int, cookie: str, body: str) -> str:
    """The session cookie after the review step of ``body``'s choices: what confirming casts."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", f"/rounds/{round_id}/vote/review", body=body, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        return response.getheader("Set-Cookie").split(";", 1)[0]
    finally:
        connection.close()


def stored(round_id: int) -> tuple[int, int]:
    """(participations, ballots) committed for the round, read afresh."""
    db.session.remove()
    counts = tuple(db.session.scalar(select(func.count()).select_from(model).where(
        model.round_id == round_id)) for model in (Participation, BallotEnvelope))
    db.session.remove()
    return counts


@pytest.fixture
def race_round(app):
    """A committed approval round in Eildon; yields (round id, a project id)."""
    with app.app_context():
        round_ = voting_round(place("Eildon", "TD1"))
        yield round_.id, project_ids(round_)[0]


def test_200_simultaneous_casts_by_one_person_store_exactly_one_ballot(app, server, race_round,
                                                                      capsys):
    round_id, project = race_round
    user_id, = voters(1)
    db.session.remove()
    started = time.perf_counter()
    choices = urlencode({"project": project})
    holder = reviewed(server, round_id, session_cookie(app, user_id), choices)
    results = race(server, f"/rounds/{round_id}/vote/confirm", [holder] * 200, choices)
    elapsed = time.perf_counter() - started
    statuses = Counter(status for status, _ in results)
    assert statuses[200] == 1
    assert statuses[403] + statuses[409] == 199, statuses
    refusals = [body for status, body in results if status != 200]
    assert all("already voted in this round" in body for body in refusals)
    assert stored(round_id) == (1, 1)
    with capsys.disabled():
        print(f"\n200 casts by one person: {dict(statuses)} in {elapsed:.1f}s")


def test_500_different_people_casting_at_once_store_500_ballots(app, server, race_round, capsys):
    round_id, project = race_round
    choices = urlencode({"project": project})
    cookies = [session_cookie(app, user_id) for user_id in voters(500)]
    db.session.remove()
    cookies = [reviewed(server, round_id, cookie, choices) for cookie in cookies]
    started = time.perf_counter()
    results = race(server, f"/rounds/{round_id}/vote/confirm", cookies, choices)
    elapsed = time.perf_counter() - started
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({200: 500}), [body[:300] for s, body in results if s != 200][:3]
    assert stored(round_id) == (500, 500)
    with capsys.disabled():
        print(f"\n500 people at once: 500 ballots in {elapsed:.1f}s")


def test_200_simultaneous_casts_with_one_voting_code_store_exactly_one_ballot(app, server):
    with app.app_context():
        eildon = place("Eildon", "TD1")
        round_ = voting_round(eildon, voter_verification="voting-code")
        generate_voting_codes(round_, lead_of(eildon), 1)
        db.session.commit()
        round_id, project = round_.id, project_ids(round_)[0]
        code_id = db.session.scalar(select(VotingCode.id))
        db.session.remove()
    holder = cookie(app, {"code_voter": {"round_id": round_id, "code_id": code_id,
                                         "postcode": "TD1 2AB", "date_of_birth": "1950-01-01"}})
    choices = urlencode({"project": project})
    holder = reviewed(server, round_id, holder, choices)
    results = race(server, f"/rounds/{round_id}/vote/confirm", [holder] * 200, choices)
    statuses = Counter(status for status, _ in results)
    assert statuses[200] == 1 and statuses[403] + statuses[409] == 199, statuses
    with app.app_context():
        assert stored(round_id) == (1, 1)


def test_20_simultaneous_openings_of_a_ballot_box_open_it_once(app, server, race_round):
    """A double click, or two key holders at once: the box opens once, its ballots once."""
    round_id, project = race_round
    round_ = db.session.get(Round, round_id)
    lead = lead_of(round_.locality)
    for number in range(3):
        cast_ballot(round_, voter_at_desk(f"Racer {number}", "TD1 1AA", date(1970, 1, 1 + number)),
                    Choices((project,)), channel="assisted", now=datetime.now(UTC), helper=lead)
    move_round(round_, lead, Phase.CLOSED)
    holder = get_box(round_).shares[0].holder
    body = urlencode({f"holder_{holder.id}": PASSPHRASE})
    cookies = [session_cookie(app, holder.user_id)] * 20
    db.session.commit()
    db.session.remove()
    results = race(server, f"/rounds/{round_id}/ballot-box", cookies, body)
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({302: 1, 409: 19}), statuses
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == round_id)) == 3
    db.session.remove()
