"""Registering, signing in and out: good input works, bad input is refused and writes nothing."""

from __future__ import annotations

import pytest
from factories import DEFAULT_PASSWORD, UserFactory
from sqlalchemy import func, select

from pb_app.accounts.models import SignInFailure, User
from pb_app.extensions import db

GOOD = {"full_name": "Morag Scott", "email": "Morag.Scott@Example.org",
        "password": "a long password", "confirm": "a long password"}


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _failures() -> int:
    return db.session.scalar(select(func.count()).select_from(SignInFailure))


def test_registering_stores_a_lower_case_email_and_an_argon2_hash_and_signs_in(client):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 302
    assert response.location == "/profile"
    user = db.session.scalar(select(User))
    assert user.email == "morag.scott@example.org"
    assert user.full_name == "Morag Scott"
    assert user.password_hash.startswith("$argon2id$")
    assert "a long password" not in user.password_hash
    assert user.created_at is not None
    assert "Morag Scott" in client.get("/profile").get_data(as_text=True)


@pytest.mark.parametrize(("change", "message"), [
    ({"email": "MORAG.scott@example.org"}, "An account with this email address already exists"),
    ({"email": "not-an-email"}, "Enter an email address in the correct format"),
    ({"email": ""}, "Enter your email address"),
    ({"password": "short", "confirm": "short"}, "Your password must be at least 10 characters"),
    ({"confirm": "another password"}, "The passwords do not match"),
    ({"full_name": ""}, "Enter your full name"),
    ({"full_name": "   "}, "Enter your full name"),
])
def test_bad_registrations_are_refused_with_a_message_and_write_nothing(client, change, message):
    UserFactory(email="morag.scott@example.org")
    db.session.commit()
    response = client.post("/register", data={**GOOD, **change})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "There is a problem" in page  # the error summary
    assert _users() == 1


def _sign_in(client, email, password, address="10.0.0.1"):
    return client.post("/sign-in", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_signing_in_with_the_right_password_works_whatever_the_email_case(client):
    UserFactory(email="jean@example.org")
    response = _sign_in(client, "  JEAN@example.org ", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert response.location == "/"
    assert client.get("/profile").status_code == 200


def test_signing_in_returns_to_the_page_asked_for_but_never_to_another_site(client):
    UserFactory(email="jean@example.org")
    data = {"email": "jean@example.org", "password": DEFAULT_PASSWORD}
    assert client.post("/sign-in?next=/profile", data=data).location == "/profile"
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        assert client.post(f"/sign-in?next={target}", data=data).location == "/"


@pytest.mark.parametrize(("email", "password"), [
    ("jean@example.org", "the wrong password"),
    ("nobody@example.org", DEFAULT_PASSWORD),
])
def test_a_wrong_email_or_password_is_refused_and_counted(client, email, password):
    UserFactory(email="jean@example.org")
    db.session.commit()
    response = _sign_in(client, email, password)
    assert response.status_code == 422
    assert "Enter the email address and password of your account" in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302
    assert _failures() == 1


def test_signing_out_ends_the_session(client, sign_in):
    sign_in(UserFactory())
    assert client.get("/profile").status_code == 200
    response = client.post("/sign-out", data={})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 302


def test_a_user_with_an_old_hash_gets_a_new_one_on_signing_in(app, client):
    from argon2 import PasswordHasher
    old = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(DEFAULT_PASSWORD)
    user = UserFactory(email="old@example.org", password_hash=old)
    assert _sign_in(client, "old@example.org", DEFAULT_PASSWORD).status_code == 302
    assert user.password_hash != old and user.password_hash.startswith("$argon2id$")
