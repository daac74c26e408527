"""Every kind of token, once: expiry, purpose, tampering and a foreign key are refused.

Each purpose is checked through its own reader (reset, registration, voter email,
questionnaire ticket, device cookie), with tokens made by its own maker, so the refusals are
the ones a person following the link would meet. A refused device cookie says nothing: it
counts for no device.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from factories import RoundFactory, UserFactory
from monitoring.builders import answering_round
from sqlalchemy import select

from pb_app.accounts import tokens as account_tokens
from pb_app.accounts.models import User
from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.monitoring import services as monitoring
from pb_app.tokens import ALGORITHM, KINDS, TokenKind, signing_key
from pb_app.voting import services as voting


def _read_email_link(token: str) -> tuple[str, int]:
    """The voter-email link, read for the resident it was sent to (``made``'s)."""
    return voting.read_email_token(token, db.session.scalar(
        select(User).where(User.email == "morag@example.org")))


def _read_device_cookie(token: str) -> dict[str, str]:
    """The devices a cookie names; one that counts for nothing is refused, with no message."""
    devices = account_tokens.read_device_cookie(token)
    if not devices:
        raise InvalidInput("")
    return devices


READERS: dict[str, Callable[[str], object]] = {
    account_tokens.PASSWORD_RESET: account_tokens.read_reset_token,
    account_tokens.REGISTRATION: account_tokens.read_registration_token,
    voting.EMAIL_TOKEN.purpose: _read_email_link,
    monitoring.TICKET.purpose: monitoring.read_ticket,
    account_tokens.DEVICE: _read_device_cookie,
}
PURPOSES = sorted(READERS)
LIFETIMES = {
    account_tokens.PASSWORD_RESET: None,  # from the PASSWORD_RESET_TTL_SECONDS setting
    account_tokens.REGISTRATION: timedelta(days=2),
    voting.EMAIL_TOKEN.purpose: timedelta(days=2),
    monitoring.TICKET.purpose: timedelta(days=2),
    account_tokens.DEVICE: account_tokens.DEVICE_COOKIE_MAX_AGE,
}
FOREIGN_KEY = "another secret key, long enough to sign with HS256"


@pytest.fixture
def made(app) -> dict[str, str]:
    """One genuine token of each purpose, made by its own maker for one resident and round."""
    user = UserFactory(email="morag@example.org", full_name="Morag Elliot")
    round_ = answering_round()  # the questionnaire's ticket is read while voting is open
    db.session.flush()
    links: list[str] = []
    voting.request_email_confirmation(user, round_, links.append, datetime.now(UTC))
    return {
        account_tokens.PASSWORD_RESET: account_tokens.make_reset_token(user),
        account_tokens.REGISTRATION: account_tokens.make_registration_token(user),
        voting.EMAIL_TOKEN.purpose: links[0],
        monitoring.TICKET.purpose: monitoring.issue_ticket(round_),
        account_tokens.DEVICE: account_tokens.remember_device(None, user),
    }


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _refused(purpose: str, token: str) -> str:
    with pytest.raises(InvalidInput) as refusal:
        READERS[purpose](token)
    return refusal.value.message


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_every_purpose_has_one_kind_and_its_own_key(app):
    assert sorted(KINDS) == PURPOSES
    keys = {signing_key(purpose) for purpose in PURPOSES}
    assert len(keys) == len(PURPOSES)
    assert app.config["SECRET_KEY"].encode() not in keys
    with pytest.raises(ValueError, match="Two kinds of token for one purpose: registration"):
        TokenKind(account_tokens.REGISTRATION, (), "expired", "not valid")
    assert KINDS[account_tokens.REGISTRATION] is account_tokens.REGISTRATION_TOKEN


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_genuine_token_is_accepted_and_carries_its_purpose(made, purpose):
    READERS[purpose](made[purpose])
    assert _claims(made[purpose])["purpose"] == purpose


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_token_lives_as_long_as_its_purpose_allows(app, made, purpose):
    lifetime = LIFETIMES[purpose] or timedelta(
        seconds=app.config["PASSWORD_RESET_TTL_SECONDS"])
    claims = _claims(made[purpose])
    if "iat" in claims:
        assert claims["exp"] - claims["iat"] == lifetime.total_seconds()
    else:  # a ticket names no issue time: issue one between two readings of the clock
        before = int(datetime.now(UTC).timestamp())
        claims = _claims(monitoring.issue_ticket(RoundFactory(to_count=True)))
        after = int(datetime.now(UTC).timestamp())
        assert before <= claims["exp"] - lifetime.total_seconds() <= after


@pytest.mark.parametrize("purpose", PURPOSES)
def test_an_expired_token_is_refused_as_expired(made, purpose):
    claims = {**_claims(made[purpose]), "exp": datetime.now(UTC) - timedelta(seconds=1)}
    token = jwt.encode(claims, signing_key(purpose), algorithm=ALGORITHM)
    assert _refused(purpose, token) == KINDS[purpose].expired_message


@pytest.mark.parametrize(
    ("made_for", "given_to"),
    [(a, b) for a in PURPOSES for b in PURPOSES if a != b],
)
def test_a_token_of_one_purpose_is_refused_for_another(made, made_for, given_to):
    assert _refused(given_to, made[made_for]) == KINDS[given_to].invalid_message


@pytest.mark.parametrize("purpose", PURPOSES)
def test_the_purpose_claim_is_checked_as_well_as_the_key(made, purpose):
    other = next(name for name in PURPOSES if name != purpose)
    claims = {**_claims(made[purpose]), "purpose": other}
    token = jwt.encode(claims, signing_key(purpose), algorithm=ALGORITHM)
    assert _refused(purpose, token) == KINDS[purpose].invalid_message


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_changed_payload_is_refused(made, purpose):
    header, _, signature = made[purpose].split(".")
    claims = _claims(made[purpose])
    changed = {**claims, "exp": claims["exp"] + 3600}
    forged = f"{header}.{_segment(changed)}.{signature}"
    assert _refused(purpose, forged) == KINDS[purpose].invalid_message


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_changed_signature_is_refused(made, purpose):
    header, payload, signature = made[purpose].split(".")
    middle = len(signature) // 2
    flipped = "B" if signature[middle] == "A" else "A"
    forged = f"{header}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1:]}"
    assert _refused(purpose, forged) == KINDS[purpose].invalid_message


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("key", ["foreign", "raw secret", "another purpose's"])
def test_a_token_signed_with_another_key_is_refused(app, made, purpose, key):
    other = next(name for name in PURPOSES if name != purpose)
    signing = {"foreign": FOREIGN_KEY, "raw secret": app.config["SECRET_KEY"],
               "another purpose's": signing_key(other)}[key]
    token = jwt.encode(_claims(made[purpose]), signing, algorithm=ALGORITHM)
    assert _refused(purpose, token) == KINDS[purpose].invalid_message


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the point
@pytest.mark.parametrize("purpose", PURPOSES)
def test_an_unsigned_token_or_another_algorithm_is_refused(made, purpose):
    claims = _claims(made[purpose])
    for token in (jwt.encode(claims, None, algorithm="none"),
                  jwt.encode(claims, signing_key(purpose), algorithm="HS512")):
        assert _refused(purpose, token) == KINDS[purpose].invalid_message


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_token_without_an_expiry_is_refused(made, purpose):
    claims = {name: value for name, value in _claims(made[purpose]).items() if name != "exp"}
    token = jwt.encode(claims, signing_key(purpose), algorithm=ALGORITHM)
    assert _refused(purpose, token) == KINDS[purpose].invalid_message
