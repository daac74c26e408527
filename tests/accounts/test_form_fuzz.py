"""Forms with a date of birth answer a form error, never a 500, whatever subset of their fields
is posted (issue 14, breach 9: 31 of 5,000 fuzzed requests were 500 errors)."""

from __future__ import annotations

import random

import pytest
from voting.builders import lead_of, place, resident, voting_round

from pb_app.voting.services import generate_voting_codes

REQUESTS_PER_ROUTE = 150
JUNK = ["", " ", "x", "0", "-1", "99999999999999999999", "31", "2", "1958", "TD1 1AA",
        "td1 1aa", "ZZ9 9ZZ", "paper", "assisted", "A" * 300, "\u00e9\u00e8", "1958-03-27",
        "27 3 1958", "<script>", "%s", "\ufeff"]
DATES = [[], ["27", "3", "1958"], ["27", "3"], ["27", "3", "1958", "1"], ["", "", ""],
         ["31", "2", "1958"], ["x", "y", "z"], ["27", "3", "2999"], ["1958-03-27"]]


def _random_form(rng: random.Random, fields: dict[str, list]) -> dict[str, list[str]]:
    """A random subset of ``fields``, each with a plausible, junk or repeated value."""
    data = {}
    for name, good in fields.items():
        if rng.random() < 0.4:
            continue  # the field is missing altogether
        if name == "date_of_birth":
            data[name] = rng.choice(DATES + [[rng.choice(JUNK) for _ in range(3)]])
        else:
            data[name] = [rng.choice(good + JUNK) for _ in range(rng.choice((1, 1, 1, 2)))]
    return data


@pytest.fixture
def eildon_rounds():
    eildon = place("Eildon", "TD1")
    online = voting_round(eildon, title="Eildon Fund")
    by_code = voting_round(eildon, title="Eildon Code Vote", voter_verification="voting-code")
    lead = lead_of(eildon)
    code, = generate_voting_codes(by_code, lead, 1)
    return online, by_code, lead, code


def _fuzz(client, url: str, fields: dict[str, list], seed: int) -> dict[int, int]:
    rng = random.Random(seed)
    statuses: dict[int, int] = {}
    for n in range(REQUESTS_PER_ROUTE):
        response = client.post(url, data=_random_form(rng, fields),
                               environ_base={"REMOTE_ADDR": f"198.51.100.{n % 250}"})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (url, response.status_code)
    return statuses


def test_the_profile_form_never_answers_500(client, sign_in, eildon_rounds):
    sign_in(resident("Isla", None, None))
    statuses = _fuzz(client, "/profile", {"postcode": ["TD1 3HW"], "date_of_birth": [],
                                          "submit": ["Save"]}, seed=1)
    assert set(statuses) <= {302, 422}


def test_a_missing_date_of_birth_is_a_form_error(client, sign_in, eildon_rounds):
    online, by_code, lead, code = eildon_rounds
    sign_in(lead)
    for url, data in [("/profile", {"postcode": "TD1 3HW"}),
                      (f"/rounds/{online.id}/desk", {"full_name": "Ann Bell", "postcode": "TD1 3HW",
                                                     "channel": "assisted"}),
                      (f"/rounds/{by_code.id}/vote/code", {"code": code, "postcode": "TD1 3HW"})]:
        response = client.post(url, data=data)
        assert response.status_code == 422, url
        assert "Enter your date of birth" in response.text or \
            "Enter a date of birth" in response.text


def test_the_desk_form_never_answers_500(client, sign_in, eildon_rounds):
    online, _, lead, _ = eildon_rounds
    sign_in(lead)
    _fuzz(client, f"/rounds/{online.id}/desk",
          {"full_name": ["Ann Bell"], "postcode": ["TD1 3HW"], "date_of_birth": [],
           "channel": ["paper", "assisted"], "batch": [""]}, seed=2)


def test_the_voting_code_form_never_answers_500(client, eildon_rounds):
    _, by_code, _, code = eildon_rounds
    _fuzz(client, f"/rounds/{by_code.id}/vote/code",
          {"code": [code, code.lower()], "postcode": ["TD1 3HW"], "date_of_birth": []}, seed=3)
