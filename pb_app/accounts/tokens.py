"""Signed, expiring password-reset tokens (JWT, HS256 only)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import jwt
from flask import current_app

from pb_app.accounts.models import User
from pb_app.errors import InvalidInput
from pb_app.extensions import db

ALGORITHM = "HS256"
PASSWORD_RESET = "password-reset"


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash; it changes with the password, ending old tokens."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def _key() -> bytes:
    """The signing key: derived from SECRET_KEY, so it is full length and used for this only."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hashlib.sha256(PASSWORD_RESET.encode("ascii") + b":" + secret).digest()


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
