"""Signed tokens: password-reset and registration links (JWT, HS256 only), device cookies."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from pb_app.accounts.models import User
from pb_app.errors import InvalidInput
from pb_app.extensions import db

ALGORITHM = "HS256"
PASSWORD_RESET = "password-reset"
REGISTRATION = "registration"
REGISTRATION_TTL = timedelta(days=2)
DEVICE_COOKIE = "pb_device"
DEVICE_COOKIE_MAX_AGE = timedelta(days=365)
DEVICES_PER_COOKIE = 5  # accounts one browser is remembered for (a family's shared computer)


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash; it changes with the password, ending old tokens."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def _key(purpose: str = PASSWORD_RESET) -> bytes:
    """A signing key derived from SECRET_KEY: full length, and one for each purpose."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hashlib.sha256(purpose.encode("ascii") + b":" + secret).digest()


def make_reset_token(user: User, now: datetime | None = None) -> str:
    """A token that lets its holder set a new password for ``user`` until it expires."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "purpose": PASSWORD_RESET,
        "pwd": password_fingerprint(user),
        "iat": issued,
        "exp": issued + timedelta(seconds=current_app.config["PASSWORD_RESET_TTL_SECONDS"]),
    }
    return jwt.encode(claims, _key(), algorithm=ALGORITHM)


def read_reset_token(token: str) -> User:
    """Return the user a reset token was made for.

    Raises InvalidInput when the token has expired, was altered, was made for another purpose,
    or was made before the password last changed (a token works once).
    """
    try:
        claims = jwt.decode(
            token, _key(), algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "purpose", "pwd"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidInput("This password reset link has expired. Ask for a new one.") from None
    except jwt.InvalidTokenError:
        raise InvalidInput(_NOT_VALID) from None
    user = db.session.get(User, int(claims["sub"])) if str(claims["sub"]).isdigit() else None
    if claims["purpose"] != PASSWORD_RESET or user is None:
        raise InvalidInput(_NOT_VALID)
    if claims["pwd"] != password_fingerprint(user):
        raise InvalidInput("This password reset link has already been used. Ask for a new one.")
    return user


_NOT_VALID = (
    "This password reset link is not valid. Check you copied all of it, or ask for a new one."
)


def make_registration_token(user: User, now: datetime | None = None) -> str:
    """A link token that confirms ``user``'s email address and finishes their registration."""
    issued = now or datetime.now(UTC)
    claims = {"sub": str(user.id), "purpose": REGISTRATION, "email": user.email,
              "iat": issued, "exp": issued + REGISTRATION_TTL}
    return jwt.encode(claims, _key(REGISTRATION), algorithm=ALGORITHM)


def read_registration_token(token: str) -> User:
    """Return the user a registration link was mailed to.

    Raises InvalidInput when the link has expired, was altered, or was made for an address
    the account no longer has.
    """
    try:
        claims = jwt.decode(token, _key(REGISTRATION), algorithms=[ALGORITHM],
                            options={"require": ["exp", "sub", "purpose", "email"]})
    except jwt.ExpiredSignatureError:
        raise InvalidInput("This link has expired. Sign in, and we will send you a new one.") \
            from None
    except jwt.InvalidTokenError:
        raise InvalidInput(_LINK_NOT_VALID) from None
    user = db.session.get(User, int(claims["sub"])) if str(claims["sub"]).isdigit() else None
    if claims["purpose"] != REGISTRATION or user is None or claims["email"] != user.email:
        raise InvalidInput(_LINK_NOT_VALID)
    return user


_LINK_NOT_VALID = "This link is not valid. Check you copied all of it."


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_COOKIE)


def read_device_cookie(cookie: str | None) -> dict[str, str]:
    """The device ids a signed device cookie holds, by user id (empty if missing or forged)."""
    if not cookie:
        return {}
    try:
        pairs = _device_serializer().loads(
            cookie, max_age=int(DEVICE_COOKIE_MAX_AGE.total_seconds()))
    except BadSignature:
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
    return _device_serializer().dumps(pairs[-DEVICES_PER_COOKIE:])
