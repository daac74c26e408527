"""Eligibility rules as plain functions: age on the closing day, one key per person."""

from __future__ import annotations

from datetime import date

import pytest

from pb_app.errors import InvalidInput, NotEligible
from pb_app.voting.eligibility import (
    Voter,
    age_on,
    check_eligibility,
    identity_key,
    require_eligible,
)
from voting.builders import CLOSES_ON


@pytest.mark.parametrize(("born", "day", "age"), [
    (date(2010, 6, 30), date(2026, 6, 30), 16),
    (date(2010, 7, 1), date(2026, 6, 30), 15),
    (date(2008, 2, 29), date(2026, 2, 28), 17),
    (date(2008, 2, 29), date(2026, 3, 1), 18),
])
def test_age_on_a_day_counts_whole_years(born, day, age):
    assert age_on(born, day) == age


def test_the_same_person_has_the_same_key_however_their_name_is_typed():
    key = identity_key("Mary O'Neil", "TD1 3QQ", date(1950, 6, 2))
    assert identity_key("  mary   oneil ", "td13qq", date(1950, 6, 2)) == key
    assert identity_key("Máry O’Neil", "TD1 3QQ", date(1950, 6, 2)) == key
    assert identity_key("Mary O'Neil", "TD1 3QR", date(1950, 6, 2)) != key
    assert identity_key("Mary O'Neil", "TD1 3QQ", date(1950, 6, 3)) != key
    with pytest.raises(InvalidInput, match="full name"):
        identity_key("  '' ", "TD1 3QQ", date(1950, 6, 2))
    with pytest.raises(InvalidInput, match="full UK postcode"):
        identity_key("Mary", "TD1", date(1950, 6, 2))


def test_every_broken_rule_is_given_in_plain_words(approval_round):
    young = CLOSES_ON.replace(year=CLOSES_ON.year - 12)
    voter = Voter(person_key="k", postcode="AB1 2DE", date_of_birth=young)
    eligibility = check_eligibility(approval_round, voter)
    assert eligibility.reasons == (
        "AB1 2DE is not in Eildon. This vote is for people who live in Eildon.",
        f"You must be at least 16 on {CLOSES_ON:%-d %B %Y}, the day voting closes. "
        "You will be 12 then.",
    )
    with pytest.raises(NotEligible) as refused:
        require_eligible(approval_round, voter)
    assert refused.value.message == " ".join(eligibility.reasons)
    ok = Voter(person_key="k", postcode="TD1 2DE", date_of_birth=date(1990, 1, 1))
    assert check_eligibility(approval_round, ok).is_eligible
