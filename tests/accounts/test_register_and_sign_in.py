"""Registering, signing in and out: good input works, bad input is refused and writes nothing,
and registering never reveals whether an address has an account (issue 14, breach 10)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from factories import DEFAULT_PASSWORD, DEFAULT_PASSWORD_HASH, UserFactory
from sqlalchemy import func, select

from accounts.sent_mail import emails, links
from pb_app.accounts.models import SignInFailure, User
from pb_app.extensions import db

GOOD = {"full_name": "Morag Scott", "email": "Morag.Scott@Example.org",
        "password": "a long password", "confirm": "a long password"}


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _failures() -> int:
    return db.session.scalar(select(func.count()).select_from(SignInFailure))


def _finish(client, link: str, **fields):
    path = link.split("http://localhost", 1)[1]
    assert client.get(path).status_code == 200
    return client.post(path, data=fields)


def test_registering_stores_a_lower_case_email_and_an_argon2_hash_and_mails_a_link(
        client, mail_log):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 200
    assert "Check your email" in response.text
    user = db.session.scalar(select(User))
    assert user.email == "morag.scott@example.org"
    assert user.full_name == "Morag Scott"
    assert user.password_hash.startswith("$argon2id$")
    assert "a long password" not in user.password_hash
    assert user.created_at is not None and user.email_confirmed_at is None
    assert client.get("/profile").status_code == 302  # not signed in before the link
    [link] = links(mail_log, "/register/")
    response = _finish(client, link)
    assert response.status_code == 302 and response.location == "/profile"
    assert user.email_confirmed_at is not None
    assert "Morag Scott" in client.get("/profile").text
    # the link signs in once; afterwards it says to sign in
    other = client.application.test_client()
    for method in (other.get, other.post):
        assert method(link.split("http://localhost", 1)[1]).location == "/sign-in"
    assert other.get("/profile").status_code == 302


def test_registering_from_a_page_comes_back_to_it_once_the_profile_is_saved(client, mail_log):
    page = client.get("/register?next=/rounds/7/vote").text
    assert 'href="/sign-in?next=/rounds/7/vote"' in page
    assert client.post("/register?next=/rounds/7/vote", data=GOOD).status_code == 200
    [link] = links(mail_log, "/register/")
    assert link.endswith("?next=/rounds/7/vote")
    assert _finish(client, link).location == "/profile?next=/rounds/7/vote"


def test_the_emailed_link_brings_the_person_back_from_another_browser(client, mail_log):
    """Registered on a laptop, confirmed on a phone with the password: the link itself names
    the page."""
    client.post("/register?next=/rounds/7/vote", data=GOOD)
    [link] = links(mail_log, "/register/")
    phone = client.application.test_client()
    asked = phone.get(link.split("http://localhost", 1)[1]).text
    assert 'type="password"' in asked and "different browser" in asked
    confirmed = _finish(phone, link, password=GOOD["password"])
    assert confirmed.location == "/profile?next=/rounds/7/vote"
    assert "Morag Scott" in phone.get("/profile").text


def test_nobody_can_have_an_address_they_registered_confirmed_by_its_owner(client, mail_log):
    """Someone registers another person's address with a password of their own; its owner
    opens the link: without that password nothing is confirmed and nobody is signed in."""
    client.post("/register", data=GOOD)  # the impostor's browser
    [link] = links(mail_log, "/register/")
    owner = client.application.test_client()
    for fields in ({}, {"password": "the owner's guess"}):
        refused = _finish(owner, link, **fields)
        assert refused.status_code in (401, 422)
        assert 'type="password"' in refused.text
    user = db.session.scalar(select(User))
    db.session.refresh(user)
    assert user.email_confirmed_at is None
    assert owner.get("/profile").status_code == 302  # not signed in
    assert _failures() == 1  # the wrong password counts towards the sign-in limits


def test_registering_the_same_address_in_the_owners_browser_does_not_confirm_anothers_link(
        client, mail_log):
    """The impostor registers the owner's address; the owner, asked for a password they never
    chose, registers their address themselves in their own browser and opens the first link
    again: it still asks for the impostor's password."""
    client.post("/register", data=GOOD)  # the impostor's browser
    [link] = links(mail_log, "/register/")
    owner = client.application.test_client()
    owner.get(link.split("http://localhost", 1)[1])
    owner.post("/register", data={**GOOD, "password": "the owner's own password",
                                   "confirm": "the owner's own password"})
    refused = _finish(owner, link)
    assert refused.status_code == 422 and 'type="password"' in refused.text
    assert db.session.scalar(select(User.email_confirmed_at)) is None
    assert owner.get("/profile").status_code == 302


def test_registering_leaves_the_same_mark_whether_or_not_the_address_has_an_account(client):
    UserFactory(email="morag.scott@example.org")
    db.session.commit()
    marks = []
    for email in ("someone.new@example.org", "MORAG.scott@example.org"):
        browser = client.application.test_client()
        browser.post("/register", data={**GOOD, "email": email})
        with browser.session_transaction() as session:
            marks.append(set(session) - {"csrf_token", "_fresh", "_id"})
    assert marks[0] == marks[1] == {"registered_here"}


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_a_registration_never_sends_anyone_to_another_site(client, mail_log, target):
    client.post(f"/register?next={target}", data=GOOD)
    [link] = links(mail_log, "/register/")
    assert "next" not in link
    assert _finish(client, link).location == "/profile"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_a_link_edited_to_another_site_signs_in_to_the_profile(client, mail_log, target):
    client.post("/register?next=/rounds/7/vote", data=GOOD)
    [link] = links(mail_log, "/register/")
    edited = link.split("?")[0] + "?next=" + quote(target, safe="")
    assert _finish(client, edited).location == "/profile"


def test_registering_a_taken_address_looks_the_same_and_tells_the_owner(client, mail_log):
    owner = UserFactory(email="morag.scott@example.org", full_name="Morag Scott")
    db.session.commit()
    fresh = client.post("/register", data={**GOOD, "email": "someone.new@example.org"})
    taken = client.post("/register", data={**GOOD, "email": "MORAG.scott@example.org"})
    assert fresh.status_code == taken.status_code == 200

    def page(response, email):
        return response.text.replace(email, "EMAIL")

    assert page(fresh, "someone.new@example.org") == page(taken, "MORAG.scott@example.org")
    assert "already exists" not in taken.text
    assert _users() == 2  # no second account for the taken address
    to_owner = [email for email in emails(mail_log) if "To: morag.scott@example.org" in email]
    [notice] = to_owner
    assert "Someone tried to create an account with your email address" in notice
    assert "Dear Morag Scott" in notice
    [reset_link] = links(mail_log, "/reset-password/")
    assert client.get(reset_link.split("http://localhost", 1)[1]).status_code == 200
    assert owner.password_hash == DEFAULT_PASSWORD_HASH  # nothing about the account changed


def test_the_owner_is_told_at_most_once_in_five_minutes(client, mail_log):
    UserFactory(email="morag.scott@example.org")
    db.session.commit()
    for _ in range(3):
        assert client.post("/register", data=GOOD).status_code == 200
    assert len(emails(mail_log)) == 1


@pytest.mark.parametrize(("change", "message"), [
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


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c"])
def test_a_bad_registration_link_is_refused(client, token):
    response = client.get(f"/register/{token}")
    assert response.status_code == 422
    assert "This link is not valid" in response.text


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


def test_registering_then_signing_in_tells_nobody_whether_the_address_had_an_account(
        client, mail_log):
    """Register an address with a password, then sign in with both: refused alike whether the
    address was new (its account waits for the link) or had an account already."""
    UserFactory(email="jean@example.org")
    db.session.commit()
    pages = []
    for email in ("jean@example.org", "someone.new@example.org"):
        client.post("/register", data={**GOOD, "email": email})
        refused = _sign_in(client, email, GOOD["password"])
        assert refused.status_code == 422
        pages.append(refused.get_data(as_text=True).replace(email, "EMAIL"))
        assert client.get("/profile").status_code == 302
    assert pages[0] == pages[1]
    assert "open the link we emailed you first" in pages[0]
    assert "choose a new password, which confirms your address too" in pages[0]
    assert _failures() == 2


def test_the_emailed_link_opened_elsewhere_names_a_wrong_password_plainly(client, mail_log):
    client.post("/register", data=GOOD)
    [link] = links(mail_log, "/register/")
    phone = client.application.test_client()
    refused = _finish(phone, link, password="not the password")
    assert "That is not the password of this account." in refused.text
    assert _finish(phone, link, password=GOOD["password"]).location == "/profile"
    signed_out = client.application.test_client()
    assert _sign_in(signed_out, GOOD["email"], GOOD["password"]).status_code == 302


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
