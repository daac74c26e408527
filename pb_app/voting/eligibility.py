"""Who may vote in a round, and why not, in plain words.

Three rules: the voter lives in the round's locality (their postcode says so), is at least
the round's minimum age on the day voting closes, and has not voted in this round on any
channel. Each broken rule gives one reason the voter can read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import or_, select

from pb_app.errors import InvalidInput, NotEligible
from pb_app.extensions import db
from pb_app.localities.models import Locality
from pb_app.localities.services import find_locality_id, normalise_postcode
from pb_app.moments import closing_day
from pb_app.rounds.models import Round
from pb_app.rounds.rules import CHANNELS
from pb_app.voting.models import Participation


@dataclass(frozen=True)
class Voter:
    """A person about to vote, as identified for the one-person-one-ballot rule.

    ``person_key`` is the same for the same person on every channel where we know their
    name, postcode and date of birth; a voting code is its own key. ``at_desk``: staff
    identified them at an event, so refusals speak of them, not to them.
    """

    person_key: str
    postcode: str
    date_of_birth: date
    name_key: str | None = None  # ``name_resemblance_key``; None for a voting code
    user_id: int | None = None
    voting_code_id: int | None = None
    at_desk: bool = False
    # True when the postcode was found in the round's locality as the voter was looked up (a
    # voting code's holder, in the statement that finds the code); otherwise looked up when
    # the rules are checked.
    in_locality: bool = False


@dataclass(frozen=True)
class Eligibility:
    """The outcome of the checks: the reasons a voter may not vote (none: they may)."""

    reasons: tuple[str, ...]
    age: int

    @property
    def is_eligible(self) -> bool:
        """True when no rule stops the voter."""
        return not self.reasons


def identity_key(full_name: str, postcode: str, date_of_birth: date) -> str:
    """The person key for someone known by name, postcode and date of birth.

    Names are compared without case, accents, punctuation or extra spaces, so that
    "Mary O'Neil" entered at an event matches "mary oneil" typed online.
    """
    name, place = _folded_name(full_name), normalise_postcode(postcode)
    text = f"person|{name}|{place}|{date_of_birth.isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _folded_name(full_name: str) -> str:
    """A name without case, accents, punctuation or extra spaces; a name with no Latin
    letters (in Cyrillic, say) keeps its own letters. Raises InvalidInput when nothing is
    left."""
    folded = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode().casefold()
    name = " ".join(re.sub(r"[^a-z0-9 ]", "", folded).split()) or _letters_only(full_name)
    if not name:
        raise InvalidInput("Enter the voter's full name")
    return name


def _letters_only(full_name: str) -> str:
    """The letters and digits of a name, in any script, without case, accents, spaces or
    punctuation: "Fraser-Armstrong" and "fraser armstrong" alike."""
    decomposed = unicodedata.normalize("NFKD", full_name.casefold())
    return "".join(character for character in decomposed if character.isalnum())


def resemblance_key(postcode: str, date_of_birth: date) -> str:
    """A keyed hash of a postcode and a date of birth, the same on every channel: two
    participations that share it are listed as suspected duplicates (another spelling of a
    name, a voting code used and then a desk visit)."""
    return _keyed(f"{normalise_postcode(postcode)}|{date_of_birth.isoformat()}")


def name_resemblance_key(full_name: str, postcode: str) -> str:
    """A keyed hash of a name (its letters only, so that spaces and hyphens do not matter)
    and a postcode: two participations that share it are suspected duplicates too (the same
    person giving another date of birth). Raises InvalidInput for a name with no letters."""
    name = _letters_only(full_name)
    if not name:
        raise InvalidInput("Enter the voter's full name")
    return _keyed(f"name|{name}|{normalise_postcode(postcode)}")


def _keyed(text: str) -> str:
    """HMAC-SHA256 (hex) of ``text`` under a key derived from the app's secret, so that a
    copy of the database alone cannot test guesses against a resemblance key."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    key = hashlib.sha256(b"pb_app resemblance v1:" + secret).digest()
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def code_key(voting_code_id: int) -> str:
    """The person key for whoever holds one voting code."""
    return f"code:{voting_code_id}"


def voting_closes_on(round_: Round) -> date:
    """The day voting closes, in UK time (the day of its last minute: a close at midnight is
    the end of the day before), on which the minimum age is judged."""
    if round_.voting_close_at is None:
        raise InvalidInput("This round has no voting close date yet")
    return closing_day(round_.voting_close_at)


def age_on(date_of_birth: date, day: date) -> int:
    """Age in whole years on ``day``."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def previous_participation(round_: Round, voter: Voter) -> Participation | None:
    """The participation already recorded for this voter in this round, if any."""
    same_person = [Participation.person_key == voter.person_key]
    if voter.user_id is not None:
        same_person.append(Participation.user_id == voter.user_id)
    query = select(Participation).where(Participation.round_id == round_.id, or_(*same_person))
    return db.session.scalars(query).first()


def check_eligibility(round_: Round, voter: Voter) -> Eligibility:
    """Check the three rules for ``voter`` in ``round_`` and explain each one broken.

    A voting code's holder is not looked up again for the third rule: the code's own use is
    checked as it is entered (``services.voter_for_code``), and the database refuses a second
    participation with it. Raises InvalidInput only for a malformed postcode (the voter must
    correct it).
    """
    reasons = [_locality_reason(round_, voter)]
    closes_on = voting_closes_on(round_)
    age = age_on(voter.date_of_birth, closes_on)
    who, they = ("This person", "They") if voter.at_desk else ("You", "You")
    if age < round_.minimum_voting_age:
        reasons.append(
            f"{who} must be at least {round_.minimum_voting_age} on {closes_on:%-d %B %Y}, "
            f"the day voting closes. {they} will be {max(age, 0)} then."
        )
    previous = None if voter.voting_code_id else previous_participation(round_, voter)
    if previous is not None:
        reasons.append(
            f"{who} {'has' if voter.at_desk else 'have'} already voted in this round "
            f"({CHANNELS[previous.channel].lower()}). Each person can vote once, on one channel."
        )
    return Eligibility(reasons=tuple(reason for reason in reasons if reason), age=age)


def _locality_reason(round_: Round, voter: Voter) -> str:
    """Why ``voter`` may not vote in the round's locality, or "" (the localities' names are
    read only to say why)."""
    normalised = normalise_postcode(voter.postcode)
    if voter.in_locality:
        return ""
    locality_id = find_locality_id(normalised)
    if locality_id == round_.locality_id:
        return ""
    name = round_.locality.name
    if locality_id is None:
        return f"{normalised} is not in {name}. This vote is for people who live in {name}."
    return (f"{normalised} is in {db.session.get(Locality, locality_id).name}, not {name}. "
            f"This vote is for people who live in {name}.")


def require_eligible(round_: Round, voter: Voter) -> Eligibility:
    """Return the eligibility of ``voter``; raise NotEligible with every reason when refused."""
    eligibility = check_eligibility(round_, voter)
    if not eligibility.is_eligible:
        raise NotEligible(" ".join(eligibility.reasons))
    return eligibility
