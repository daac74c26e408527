"""Sign-in throttling: per person and address, per account, and a high ceiling per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import DEFAULT_PASSWORD, UserFactory
from sqlalchemy import select

from pb_app.accounts import services
from pb_app.accounts.models import SignInFailure
from pb_app.accounts.services import TooManySignInAttempts, authenticate
from pb_app.accounts.tokens import make_reset_token
from pb_app.errors import InvalidInput
from pb_app.extensions import db

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LIBRARY = "192.0.2.10"


@pytest.fixture
def jean():
    return UserFactory(email="jean@example.org")


def _fail(email: str, address: str, times: int, now: datetime = NOW) -> None:
    for _ in range(times):
        with pytest.raises(InvalidInput):
            authenticate(email, "wrong password", address, now)


def test_five_failures_from_one_address_block_that_account_there(jean):
    _fail("jean@example.org", LIBRARY, services.FAILURES_PER_ACCOUNT_AND_ADDRESS)
    with pytest.raises(TooManySignInAttempts, match="Wait 15 minutes"):
        authenticate("jean@example.org", DEFAULT_PASSWORD, LIBRARY, NOW)
    # the same person from home, and other people at the library, still sign in
    assert authenticate("jean@example.org", DEFAULT_PASSWORD, "198.51.100.7", NOW) is jean
    other = UserFactory(email="other@example.org")
    assert authenticate("other@example.org", DEFAULT_PASSWORD, LIBRARY, NOW) is other


def test_four_failures_do_not_block_and_success_clears_them(jean):
    _fail("jean@example.org", LIBRARY, services.FAILURES_PER_ACCOUNT_AND_ADDRESS - 1)
    assert authenticate("jean@example.org", DEFAULT_PASSWORD, LIBRARY, NOW) is jean
    assert db.session.query(SignInFailure).count() == 0
    _fail("jean@example.org", LIBRARY, services.FAILURES_PER_ACCOUNT_AND_ADDRESS - 1)
    assert authenticate("jean@example.org", DEFAULT_PASSWORD, LIBRARY, NOW) is jean


def test_failures_older_than_the_window_stop_counting(jean):
    _fail("jean@example.org", LIBRARY, services.FAILURES_PER_ACCOUNT_AND_ADDRESS)
    later = NOW + services.THROTTLE_WINDOW + timedelta(seconds=1)
    assert authenticate("jean@example.org", DEFAULT_PASSWORD, LIBRARY, later) is jean


def test_guessing_one_account_from_many_addresses_is_blocked(jean):
    for n in range(services.FAILURES_PER_ACCOUNT // 4):
        _fail("jean@example.org", f"203.0.113.{n}", 4)
    with pytest.raises(TooManySignInAttempts):
        authenticate("jean@example.org", DEFAULT_PASSWORD, "198.51.100.7", NOW)


def test_a_school_of_mistyping_pupils_is_not_locked_out(jean):
    """Forty pupils at one address each get their password wrong twice."""
    for n in range(40):
        _fail(f"pupil{n}@example.org", LIBRARY, 2)
    assert authenticate("jean@example.org", DEFAULT_PASSWORD, LIBRARY, NOW) is jean


def test_an_address_guessing_across_many_accounts_hits_the_ceiling(jean):
    db.session.add_all(
        SignInFailure(email=f"guess{n}@example.org", address=LIBRARY, failed_at=NOW)
        for n in range(services.FAILURES_PER_ADDRESS)
    )
    db.session.flush()
    with pytest.raises(TooManySignInAttempts):
        authenticate("jean@example.org", DEFAULT_PASSWORD, LIBRARY, NOW)
    assert authenticate("jean@example.org", DEFAULT_PASSWORD, "198.51.100.7", NOW) is jean


def test_old_failures_are_pruned_when_a_new_one_is_recorded(jean):
    _fail("jean@example.org", LIBRARY, 3)
    _fail("jean@example.org", LIBRARY, 1, NOW + timedelta(hours=1))
    assert db.session.query(SignInFailure).count() == 1


def test_the_sign_in_page_answers_429_while_throttled_and_keeps_counting(client, jean):
    data = {"email": "jean@example.org", "password": "wrong password"}
    at_library = {"REMOTE_ADDR": LIBRARY}
    statuses = [client.post("/sign-in", data=data, environ_base=at_library).status_code
                for _ in range(services.FAILURES_PER_ACCOUNT_AND_ADDRESS)]
    assert statuses == [422] * services.FAILURES_PER_ACCOUNT_AND_ADDRESS
    response = client.post("/sign-in", data={**data, "password": DEFAULT_PASSWORD},
                           environ_base={"REMOTE_ADDR": LIBRARY})
    assert response.status_code == 429
    assert "too many failed attempts to sign in" in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302
    assert db.session.query(SignInFailure).count() == services.FAILURES_PER_ACCOUNT_AND_ADDRESS


def test_resetting_the_password_lifts_the_block(jean):
    _fail("jean@example.org", LIBRARY, services.FAILURES_PER_ACCOUNT_AND_ADDRESS)
    services.reset_password(make_reset_token(jean), "a brand new password")
    assert authenticate("jean@example.org", "a brand new password", LIBRARY, NOW) is jean


def test_an_address_longer_than_any_real_one_is_still_counted(jean):
    forged = "203.0.113.9, " * 20
    _fail("jean@example.org", forged, 1)
    db.session.flush()
    [failure] = db.session.scalars(select(SignInFailure)).all()
    assert failure.address == forged[:64]
