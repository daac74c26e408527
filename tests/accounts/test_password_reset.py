"""Password reset by emailed, signed, expiring, single-use token."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from factories import DEFAULT_PASSWORD, UserFactory

from pb_app.accounts import services, tokens
from pb_app.accounts.services import password_matches
from pb_app.extensions import db
from pb_app.tokens import signing_key

NEW_PASSWORD = "a brand new password"


@pytest.fixture
def jean():
    user = UserFactory(email="jean@example.org", full_name="Jean Hogg")
    db.session.commit()  # a refused request rolls back what is not committed
    return user


@pytest.fixture
def mail_log(app, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    return caplog


def _emails(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if "Email not sent" in record.message]


def _reset(client, token, password=NEW_PASSWORD, confirm=None):
    return client.post(f"/reset-password/{token}",
                       data={"password": password, "confirm": confirm or password})


def test_the_emailed_link_sets_a_new_password_once(client, jean, mail_log):
    response = client.post("/reset-password", data={"email": "JEAN@example.org"})
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    [email] = _emails(mail_log)
    assert "To: jean@example.org" in email and "Dear Jean Hogg" in email
    token = re.search(r"http://localhost/reset-password/(\S+)", email).group(1)
    assert client.get(f"/reset-password/{token}").status_code == 200
    response = _reset(client, token)
    assert response.status_code == 302 and response.location == "/sign-in"
    assert password_matches(jean, NEW_PASSWORD) and not password_matches(jean, DEFAULT_PASSWORD)
    used = _reset(client, token, "yet another password")
    assert used.status_code == 422
    assert "This password reset link has already been used" in used.get_data(as_text=True)
    assert password_matches(jean, NEW_PASSWORD)


def test_no_email_is_sent_for_an_unknown_address_but_the_page_is_the_same(client, jean, mail_log):
    response = client.post("/reset-password", data={"email": "nobody@example.org"})
    assert response.status_code == 200
    assert "If there is an account for nobody@example.org" in response.get_data(as_text=True)
    assert _emails(mail_log) == []


def _forged(claims: dict, key: bytes | str | None = None, algorithm: str = "HS256") -> str:
    if key is None:
        key = signing_key(tokens.PASSWORD_RESET)
    return jwt.encode(claims, key, algorithm=algorithm)


def _claims(user, **changes) -> dict:
    now = datetime.now(UTC)
    claims = {"sub": str(user.id), "purpose": tokens.PASSWORD_RESET,
              "pwd": tokens.password_fingerprint(user), "iat": now,
              "exp": now + timedelta(hours=1)}
    return {key: value for key, value in {**claims, **changes}.items() if value is not None}


BAD_TOKENS = {
    "expired": (lambda user: tokens.make_reset_token(user, datetime.now(UTC) - timedelta(hours=2)),
                "This password reset link has expired"),
    "tampered": (lambda user: tokens.make_reset_token(user)[:-3] + "AAA",
                 "This password reset link is not valid"),
    "garbage": (lambda user: "not-a-token", "This password reset link is not valid"),
    "other key": (lambda user: _forged(_claims(user), "another secret key, long enough to sign"),
                  "This password reset link is not valid"),
    "unsigned": (lambda user: _forged(_claims(user), "", "none"),
                 "This password reset link is not valid"),
    "other purpose": (lambda user: _forged(_claims(user, purpose="api")),
                      "This password reset link is not valid"),
    "no expiry": (lambda user: _forged(_claims(user, exp=None)),
                  "This password reset link is not valid"),
    "no such user": (lambda user: _forged(_claims(user, sub="999999")),
                     "This password reset link is not valid"),
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_a_bad_token_is_refused_with_a_message_and_changes_nothing(client, jean, kind):
    make, message = BAD_TOKENS[kind]
    token = make(jean)
    for response in (client.get(f"/reset-password/{token}"), _reset(client, token)):
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert password_matches(jean, DEFAULT_PASSWORD)


def test_a_weak_new_password_is_refused_and_the_link_still_works(client, jean):
    token = tokens.make_reset_token(jean)
    response = _reset(client, token, "short")
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert _reset(client, token).status_code == 302


def test_reset_links_are_mailed_at_most_once_in_five_minutes(client, jean, mail_log):
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    for minutes in (0, 4):
        later = now + timedelta(minutes=minutes)
        services.request_password_reset("jean@example.org", str, now=later)
        db.session.commit()
    assert len(_emails(mail_log)) == 1
    services.request_password_reset("jean@example.org", str, now=now + timedelta(minutes=6))
    db.session.commit()
    assert len(_emails(mail_log)) == 2


def test_asking_again_through_the_page_shows_the_same_answer_and_sends_nothing(
        client, jean, mail_log):
    first = client.post("/reset-password", data={"email": "jean@example.org"})
    again = client.post("/reset-password", data={"email": "jean@example.org"})
    assert first.status_code == again.status_code == 200
    assert "Check your email" in again.get_data(as_text=True)
    assert len(_emails(mail_log)) == 1


def test_an_account_that_never_confirmed_its_address_gets_in_by_a_new_password(client):
    """Its sign-in is refused until the address is confirmed; a reset link reached it, so
    choosing a new password confirms it and lets its owner sign in."""
    unconfirmed = UserFactory(email="morag@example.org", email_confirmed_at=None)
    db.session.commit()
    data = {"email": "morag@example.org", "password": DEFAULT_PASSWORD}
    refused = client.post("/sign-in", data=data)
    assert refused.status_code == 422 and "choose a new password" in refused.text
    assert _reset(client, tokens.make_reset_token(unconfirmed)).status_code == 302
    db.session.refresh(unconfirmed)
    assert unconfirmed.email_confirmed_at is not None
    signed_in = client.post("/sign-in", data={**data, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and "/sign-in" not in signed_in.location
