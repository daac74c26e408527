"""Signed, expiring link tokens (JWT, HS256 only), one kind for each purpose.

Every kind signs with its own key, derived from SECRET_KEY and the purpose's name, and names
its purpose in the token, so a token made for one purpose is refused for any other. The
domains that mail or show links (accounts, voting, monitoring) each declare their kinds;
this module depends on none of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from flask import current_app

from pb_app.errors import InvalidInput

ALGORITHM = "HS256"
KINDS: dict[str, TokenKind] = {}  # by purpose: a purpose names one kind only


def signing_key(purpose: str) -> bytes:
    """A signing key derived from SECRET_KEY: full length, and one for each purpose."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hashlib.sha256(purpose.encode("ascii") + b":" + secret).digest()


@dataclass(frozen=True)
class TokenKind:
    """One purpose of token: the claims it must carry and what a refused one is told."""

    purpose: str
    claims: tuple[str, ...]  # required besides "purpose" and "exp"
    expired_message: str
    invalid_message: str

    def __post_init__(self) -> None:
        if self.purpose in KINDS:
            raise ValueError(f"Two kinds of token for one purpose: {self.purpose}")
        KINDS[self.purpose] = self

    def make(self, claims: dict[str, Any], issued: datetime, lifetime: timedelta) -> str:
        """A token carrying ``claims`` and this purpose, valid for ``lifetime`` from ``issued``."""
        payload = {**claims, "purpose": self.purpose, "exp": issued + lifetime}
        return jwt.encode(payload, signing_key(self.purpose), algorithm=ALGORITHM)

    def read(self, token: str) -> dict[str, Any]:
        """The claims of a token of this kind.

        Raises InvalidInput with ``expired_message`` when it has expired, and with
        ``invalid_message`` when it was altered, signed with another key or algorithm, lacks
        a claim, or was made for another purpose.
        """
        try:
            claims = jwt.decode(token, signing_key(self.purpose), algorithms=[ALGORITHM],
                                options={"require": ["exp", "purpose", *self.claims]})
        except jwt.ExpiredSignatureError:
            raise InvalidInput(self.expired_message) from None
        except jwt.InvalidTokenError:
            raise InvalidInput(self.invalid_message) from None
        if claims["purpose"] != self.purpose:
            raise InvalidInput(self.invalid_message)
        return claims
