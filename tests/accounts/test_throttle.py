"""Sign-in throttling: per person and address, per account, a high ceiling per address, and
browsers that signed in before held only to their own limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import DEFAULT_PASSWORD, UserFactory
from sqlalchemy import select

from accounts.sent_mail import links
from pb_app.accounts import services
from pb_app.accounts.models import SignInFailure
from pb_app.accounts.services import TooManySignInAttempts, authenticate
from pb_app.accounts.tokens import DEVICE_COOKIE, device_for, make_reset_token
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


# Device cookies: attackers are slowed, but cannot lock out the holder of the right password
# (issue 14, breach 3).

OWNER_HOME = "198.51.100.7"


def _post_sign_in(client, password, address):
    return client.post("/sign-in", data={"email": "jean@example.org", "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def owners_browser(app, client, jean):
    """Jean's own browser, which has signed in before (so holds a device cookie)."""
    db.session.commit()
    assert _post_sign_in(client, DEFAULT_PASSWORD, OWNER_HOME).status_code == 302
    assert client.get_cookie(DEVICE_COOKIE).http_only
    client.post("/sign-out", data={})
    return client


def test_six_failures_from_each_of_five_addresses_do_not_lock_out_the_owner(app, owners_browser):
    attacker = app.test_client()
    statuses = [_post_sign_in(attacker, "wrong password", f"203.0.113.{n}").status_code
                for n in range(5) for _ in range(6)]
    assert 429 in statuses  # the attacker is slowed down ...
    # ... the owner's own browser is not: the right password still signs in, at once
    assert _post_sign_in(owners_browser, DEFAULT_PASSWORD, OWNER_HOME).status_code == 302
    assert owners_browser.get("/profile").status_code == 200


def test_three_hundred_failures_from_a_library_do_not_lock_out_a_resident_there(
        app, owners_browser):
    db.session.add_all(
        SignInFailure(email=f"guess{n}@example.org", address=LIBRARY, failed_at=services.utcnow())
        for n in range(services.FAILURES_PER_ADDRESS)
    )
    db.session.commit()
    stranger = app.test_client()  # a browser that never signed in to this account
    assert _post_sign_in(stranger, DEFAULT_PASSWORD, LIBRARY).status_code == 429
    assert _post_sign_in(owners_browser, DEFAULT_PASSWORD, LIBRARY).status_code == 302


def test_a_known_device_is_held_to_its_own_few_tries(jean, owners_browser):
    """Guessing is still slowed, even with the owner's device cookie."""
    statuses = [_post_sign_in(owners_browser, "wrong password", f"203.0.113.{n}").status_code
                for n in range(services.FAILURES_PER_DEVICE + 1)]
    assert statuses == [422] * services.FAILURES_PER_DEVICE + [429]
    assert _post_sign_in(owners_browser, DEFAULT_PASSWORD, OWNER_HOME).status_code == 429


def test_a_device_cookie_for_another_account_or_forged_counts_for_nothing(app, owners_browser):
    other = UserFactory(email="other@example.org")
    cookie = owners_browser.get_cookie(DEVICE_COOKIE).value
    assert device_for(cookie, other) is None
    assert device_for(cookie[:-2] + "xx", other) is None
    # a forged cookie leaves a browser under the address limits
    forger = app.test_client()
    forger.set_cookie(DEVICE_COOKIE, cookie[:-4] + "AAAA")
    statuses = [_post_sign_in(forger, "wrong password", LIBRARY).status_code for _ in range(6)]
    assert statuses[-1] == 429


def test_under_attack_a_new_device_gets_in_through_a_password_reset(app, jean, mail_log):
    db.session.commit()
    attacker = app.test_client()
    for n in range(5):
        for _ in range(6):
            _post_sign_in(attacker, "wrong password", f"203.0.113.{n}")
    new_phone = app.test_client()
    refused = _post_sign_in(new_phone, DEFAULT_PASSWORD, OWNER_HOME)
    assert refused.status_code == 429
    assert "reset your password" in refused.text  # the page says how to get in
    assert new_phone.post("/reset-password", data={"email": "jean@example.org"},
                          environ_base={"REMOTE_ADDR": OWNER_HOME}).status_code == 200
    [link] = links(mail_log, "/reset-password/")
    new = "a brand new password"
    reset = new_phone.post(link.split("http://localhost", 1)[1],
                           data={"password": new, "confirm": new})
    assert reset.status_code == 302
    # the attack goes on, and the new phone still gets in
    for _ in range(6):
        _post_sign_in(attacker, "wrong password", "203.0.113.99")
    assert _post_sign_in(new_phone, new, OWNER_HOME).status_code == 302
    assert _post_sign_in(attacker, new, "203.0.113.99").status_code == 429
