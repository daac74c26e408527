"""Signed tokens: password-reset and registration links, device cookies.

All are tokens of ``pb_app.tokens``: a kind for each purpose, with its own key.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app

from pb_app.accounts.models import User
from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.tokens import TokenKind

PASSWORD_RESET = "password-reset"
REGISTRATION = "registration"
DEVICE = "device"
REGISTRATION_TTL = timedelta(days=2)
DEVICE_COOKIE = "pb_device"
DEVICE_COOKIE_MAX_AGE = timedelta(days=365)
DEVICES_PER_COOKIE = 5  # accounts one browser is remembered for (a family's shared computer)

RESET_TOKEN = TokenKind(
    PASSWORD_RESET, claims=("sub", "pwd"),
    expired_message="This password reset link has expired. Ask for a new one.",
    invalid_message="This password reset link is not valid. Check you copied all of it, "
                    "or ask for a new one.",
)
REGISTRATION_TOKEN = TokenKind(
    REGISTRATION, claims=("sub", "email"),
    expired_message="This link has expired. Sign in, and we will send you a new one.",
    invalid_message="This link is not valid. Check you copied all of it.",
)
# The devices a browser is remembered for, by account; never shown to anyone, so a cookie
# that is expired, altered or forged simply counts for nothing.
DEVICE_TOKEN = TokenKind(DEVICE, claims=("devices",), expired_message="", invalid_message="")


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash; it changes with the password, ending old tokens."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def user_of(claims: dict[str, Any], kind: TokenKind) -> User:
    """The user a token's ``sub`` claim names; raises InvalidInput (the kind's message) if none."""
    subject = str(claims["sub"])
    user = db.session.get(User, int(subject)) if subject.isdigit() else None
    if user is None:
        raise InvalidInput(kind.invalid_message)
    return user


def make_reset_token(user: User, now: datetime | None = None) -> str:
    """A token that lets its holder set a new password for ``user`` until it expires."""
    issued = now or datetime.now(UTC)
    claims = {"sub": str(user.id), "pwd": password_fingerprint(user), "iat": issued}
    lifetime = timedelta(seconds=current_app.config["PASSWORD_RESET_TTL_SECONDS"])
    return RESET_TOKEN.make(claims, issued, lifetime)


def read_reset_token(token: str) -> User:
    """Return the user a reset token was made for.

    Raises InvalidInput when the token has expired, was altered, was made for another purpose,
    or was made before the password last changed (a token works once).
    """
    claims = RESET_TOKEN.read(token)
    user = user_of(claims, RESET_TOKEN)
    if claims["pwd"] != password_fingerprint(user):
        raise InvalidInput("This password reset link has already been used. Ask for a new one.")
    return user


def make_registration_token(user: User, now: datetime | None = None, browser: str = "") -> str:
    """A link token that confirms ``user``'s email address and finishes their registration;
    ``browser`` is the mark of the browser that registered (see ``browser_mark``)."""
    issued = now or datetime.now(UTC)
    claims = {"sub": str(user.id), "email": user.email, "browser": browser, "iat": issued}
    return REGISTRATION_TOKEN.make(claims, issued, REGISTRATION_TTL)


def browser_mark(secret: str) -> str:
    """What a registration link carries of the secret its registering browser keeps: the
    digest, so the link alone never passes for that browser."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def registered_in(token: str, secret: str | None) -> bool:
    """True if the registration link ``token`` was made for the browser that keeps
    ``secret`` (checked against a link already read, so it never raises for a valid one)."""
    made_for = REGISTRATION_TOKEN.read(token).get("browser") or ""
    return bool(secret and made_for) and secrets.compare_digest(browser_mark(secret), made_for)


def read_registration_token(token: str) -> User:
    """Return the user a registration link was mailed to.

    Raises InvalidInput when the link has expired, was altered, or was made for an address
    the account no longer has.
    """
    claims = REGISTRATION_TOKEN.read(token)
    user = user_of(claims, REGISTRATION_TOKEN)
    if claims["email"] != user.email:
        raise InvalidInput(REGISTRATION_TOKEN.invalid_message)
    return user


def read_device_cookie(cookie: str | None) -> dict[str, str]:
    """The device ids a signed device cookie holds, by user id (empty if missing, expired,
    altered or forged)."""
    if not cookie:
        return {}
    try:
        pairs = DEVICE_TOKEN.read(cookie)["devices"]
    except InvalidInput:
        return {}
    if not isinstance(pairs, list):
        return {}
    return {str(user_id): str(device) for user_id, device in pairs[-DEVICES_PER_COOKIE:]}


def device_for(cookie: str | None, user: User | None) -> str | None:
    """The id this browser's device cookie gives it for ``user``'s account, or None."""
    if user is None:
        return None
    return read_device_cookie(cookie).get(str(user.id))


def remember_device(cookie: str | None, user: User) -> str:
    """A new device cookie value: the old one's devices, with this browser known for ``user``."""
    devices = read_device_cookie(cookie)
    device = devices.pop(str(user.id), None) or secrets.token_hex(16)
    devices[str(user.id)] = device  # most recent last: the oldest is dropped past the limit
    pairs = [[user_id, device_id] for user_id, device_id in devices.items()]
    issued = datetime.now(UTC)
    return DEVICE_TOKEN.make({"devices": pairs[-DEVICES_PER_COOKIE:], "iat": issued}, issued,
                             DEVICE_COOKIE_MAX_AGE)
