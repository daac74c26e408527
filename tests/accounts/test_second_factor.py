"""A TOTP second factor for staff: set up from the account page, asked for after the password,
a code used once only, recovery codes, and a compulsory setting for staff (issue 14)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from factories import DEFAULT_PASSWORD, UserFactory, administrator, finance_officer
from sqlalchemy import select

from pb_app.accounts import services
from pb_app.accounts.models import RecoveryCode
from pb_app.audit.models import AuditEntry
from pb_app.errors import Conflict, InvalidInput, PermissionDenied
from pb_app.extensions import db

NOW = datetime(2026, 5, 1, 12, 0, 10, tzinfo=UTC)


@pytest.fixture
def officer():
    user = finance_officer(user__email="officer@example.org")
    db.session.commit()
    return user


def _set_up(user, now=NOW) -> tuple[pyotp.TOTP, list[str]]:
    totp = pyotp.TOTP(services.start_second_factor(user))
    codes = services.confirm_second_factor(user, totp.at(now), now)
    return totp, codes


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.sequence)))


def test_the_whole_flow_over_http(app, client, officer):
    data = {"email": "officer@example.org", "password": DEFAULT_PASSWORD}
    assert client.post("/sign-in", data=data).status_code == 302
    assert "Set up a second factor" in client.get("/profile").text
    assert client.post("/account/second-factor", data={}).location == (
        "/account/second-factor/confirm")
    page = client.get("/account/second-factor/confirm")
    assert page.headers["Cache-Control"] == "no-store"
    assert "<svg" in page.text  # the QR code, inline
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page.text).group(1)
    totp = pyotp.TOTP(secret)
    wrong = client.post("/account/second-factor/confirm", data={"code": "000000"})
    assert wrong.status_code == 422 and "6-digit code" in wrong.text
    shown = client.post("/account/second-factor/confirm", data={"code": totp.now()})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([A-Z0-9-]{19})</code>", shown.text)
    assert len(codes) == services.RECOVERY_CODES
    assert officer.has_second_factor
    assert "account.second_factor_on" in _actions()
    client.post("/sign-out", data={})

    # signing in now asks for the code after the password, and only then signs in
    response = client.post("/sign-in?next=/profile", data=data)
    assert response.location == "/sign-in/code"
    assert client.get("/profile").status_code == 302
    replayed = client.post("/sign-in/code", data={"code": totp.now()})  # used to set up
    assert replayed.status_code == 422
    assert client.get("/profile").status_code == 302
    # a recovery code works once
    done = client.post("/sign-in/code", data={"code": codes[0].lower()})
    assert done.status_code == 302 and done.location == "/profile"
    assert client.get("/profile").status_code == 200
    client.post("/sign-out", data={})
    client.post("/sign-in", data=data)
    assert client.post("/sign-in/code", data={"code": codes[0]}).status_code == 422
    assert services.unused_recovery_codes(officer) == services.RECOVERY_CODES - 1


def test_a_code_works_once_and_a_later_one_works(officer):
    totp, _ = _set_up(officer)
    later = NOW + timedelta(seconds=30)
    services.check_second_factor(officer, totp.at(later), "10.0.0.1", later)
    with pytest.raises(InvalidInput):  # the same code again: a replay
        services.check_second_factor(officer, totp.at(later), "10.0.0.1", later)
    with pytest.raises(InvalidInput):  # an older code, still inside the drift window
        services.check_second_factor(officer, totp.at(NOW), "10.0.0.1", later)
    even_later = later + timedelta(seconds=30)
    services.check_second_factor(officer, totp.at(even_later), "10.0.0.1", even_later)
    assert officer.totp_last_step == totp.timecode(even_later)


def test_a_code_a_step_either_side_is_accepted_and_two_steps_is_not(officer):
    totp, _ = _set_up(officer)
    base = NOW + timedelta(minutes=5)
    services.check_second_factor(officer, totp.at(base - timedelta(seconds=30)), "a", base)
    with pytest.raises(InvalidInput):
        services.check_second_factor(officer, totp.at(base + timedelta(seconds=60)), "a", base)


def test_wrong_codes_are_throttled_like_passwords(officer):
    totp, _ = _set_up(officer)
    for _ in range(services.FAILURES_PER_ACCOUNT_AND_ADDRESS):
        with pytest.raises(InvalidInput):
            services.check_second_factor(officer, "123456", "10.0.0.1", NOW)
    with pytest.raises(services.TooManySignInAttempts):
        services.check_second_factor(officer, totp.at(NOW + timedelta(seconds=30)), "10.0.0.1",
                                     NOW + timedelta(seconds=30))


def test_the_right_password_does_not_reset_the_count_of_wrong_codes(officer):
    """Else someone with the password could guess codes for ever, a few at a time."""
    _set_up(officer)
    for _ in range(services.FAILURES_PER_ACCOUNT_AND_ADDRESS):
        services.authenticate("officer@example.org", DEFAULT_PASSWORD, "10.0.0.1", NOW)
        with pytest.raises(InvalidInput):
            services.check_second_factor(officer, "123456", "10.0.0.1", NOW)
    with pytest.raises(services.TooManySignInAttempts):
        services.authenticate("officer@example.org", DEFAULT_PASSWORD, "10.0.0.1", NOW)


def test_recovery_codes_are_stored_hashed(officer):
    _, codes = _set_up(officer)
    stored = list(db.session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == len(set(codes)) == services.RECOVERY_CODES
    assert not any(code.replace("-", "") in digest for code in codes for digest in stored)


def test_a_second_factor_is_for_staff(client, sign_in):
    resident = UserFactory()
    with pytest.raises(PermissionDenied):
        services.start_second_factor(resident)
    sign_in(resident)
    assert client.post("/account/second-factor", data={}).status_code == 403


def test_turning_it_off_needs_a_code_and_is_audited(officer):
    totp, _ = _set_up(officer)
    with pytest.raises(InvalidInput):
        services.turn_off_second_factor(officer, "000000", NOW)
    services.turn_off_second_factor(officer, totp.at(NOW + timedelta(seconds=30)),
                                    NOW + timedelta(seconds=30))
    assert not officer.has_second_factor and services.unused_recovery_codes(officer) == 0
    assert _actions()[-1] == "account.second_factor_off"


def test_an_administrator_makes_it_compulsory_and_staff_must_set_it_up(app, client, sign_in,
                                                                       officer):
    admin = administrator()
    with pytest.raises(Conflict, match="your own second factor first"):
        services.set_second_factor_required(admin, True)
    _set_up(admin)
    db.session.commit()
    sign_in(admin)
    response = client.post("/admin/second-factor", data={"required": "yes"})
    assert response.status_code == 302
    assert services.is_second_factor_required()
    [entry] = [e for e in db.session.scalars(select(AuditEntry))
               if e.action == "account.second_factor_required"]
    assert (entry.actor_id, json.loads(entry.after_json)) == (admin.id, {"required": True})
    assert client.get("/admin/users").status_code == 200  # the admin has one: pages work
    client.post("/sign-out", data={})

    # staff without one are sent to set it up before any page works ...
    sign_in(officer)
    for path in ("/admin/users", "/profile", "/audit"):
        response = client.get(path)
        assert response.status_code == 302 and response.location == "/account/second-factor"
    assert client.get("/account/second-factor").status_code == 200
    # ... residents are not affected
    client.post("/sign-out", data={})
    sign_in(UserFactory())
    assert client.get("/profile").status_code == 200
    # and while it is compulsory, staff cannot turn theirs off
    with pytest.raises(Conflict):
        services.turn_off_second_factor(admin, "000000", NOW)


def test_only_an_administrator_changes_the_setting(client, sign_in, officer):
    with pytest.raises(PermissionDenied):
        services.set_second_factor_required(officer, False)
    sign_in(officer)
    assert client.post("/admin/second-factor", data={"required": "no"}).status_code == 403
