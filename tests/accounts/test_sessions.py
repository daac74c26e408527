"""Sessions end on the server: a session cookie captured before sign-out, a password reset or a
role's removal opens nothing afterwards (issue 14, breach 5)."""

from __future__ import annotations

import pytest
from factories import DEFAULT_PASSWORD, UserFactory, administrator, finance_officer

from pb_app.accounts import services
from pb_app.accounts.models import load_user
from pb_app.accounts.tokens import make_reset_token
from pb_app.extensions import db


@pytest.fixture
def jean():
    user = UserFactory(email="jean@example.org")
    db.session.commit()
    return user


def _sign_in_by_form(client, email: str, password: str = DEFAULT_PASSWORD) -> str:
    """Sign in through the page; returns the session cookie an attacker could have copied."""
    response = client.post("/sign-in", data={"email": email, "password": password})
    assert response.status_code == 302
    return client.get_cookie("session").value


def _replayed(app, cookie: str):
    """A fresh browser holding a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_a_cookie_copied_before_sign_out_is_dead_after_it(app, client, jean):
    cookie = _sign_in_by_form(client, "jean@example.org")
    assert _replayed(app, cookie).get("/profile").status_code == 200
    assert client.post("/sign-out", data={}).status_code == 302
    assert _replayed(app, cookie).get("/profile").status_code == 302
    # signing in again works, with a new session
    assert _replayed(app, _sign_in_by_form(client, "jean@example.org")).get(
        "/profile").status_code == 200


def test_a_password_reset_ends_every_session(app, client, jean):
    cookie = _sign_in_by_form(client, "jean@example.org")
    other_browser = _replayed(app, cookie)
    assert other_browser.get("/profile").status_code == 200
    reset = app.test_client().post(f"/reset-password/{make_reset_token(jean)}",
                                   data={"password": "a brand new password",
                                         "confirm": "a brand new password"})
    assert reset.status_code == 302
    assert _replayed(app, cookie).get("/profile").status_code == 302
    assert client.get("/profile").status_code == 302


def test_removing_a_role_ends_that_persons_sessions(app, client, sign_in):
    admin = administrator()
    officer = finance_officer(user__email="officer@example.org")
    db.session.commit()
    cookie = _sign_in_by_form(app.test_client(), "officer@example.org")
    assert _replayed(app, cookie).get("/profile").status_code == 200
    sign_in(admin)
    [grant] = officer.role_grants
    response = client.post(f"/admin/users/{officer.id}/roles/{grant.id}/remove", data={})
    assert response.status_code == 302
    assert _replayed(app, cookie).get("/profile").status_code == 302


def test_a_session_id_names_the_generation_and_an_old_one_loads_nobody(jean):
    session_id = jean.get_id()
    assert session_id == f"{jean.id}:0"
    assert load_user(session_id) is jean
    assert load_user(str(jean.id)) is jean  # a session made before ids had a generation
    services.end_sessions(jean)
    assert load_user(session_id) is None and load_user(str(jean.id)) is None
    assert load_user(jean.get_id()) is jean


@pytest.mark.parametrize("session_id", ["", ":", "x:1", "1:x", "1:-1", "99999999999:0",
                                        "١:0", "1:0:0"])
def test_a_malformed_session_id_loads_nobody(jean, session_id):
    assert load_user(session_id) is None
