"""The profile: postcode and date of birth decide locality and age; bad input writes nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from factories import LocalityFactory, PostcodeAreaFactory, UserFactory

from pb_app.accounts import services
from pb_app.accounts.models import User
from pb_app.extensions import db


@pytest.fixture
def resident(sign_in):
    eildon = LocalityFactory(name="Eildon")
    PostcodeAreaFactory(prefix="TD1", locality=eildon)
    user = UserFactory(full_name="Isla Kerr")
    db.session.commit()  # a refused request rolls back what is not committed
    sign_in(user)
    return user


def _post(client, postcode, day="27", month="3", year="1958"):
    return client.post("/profile", data={"postcode": postcode,
                                         "date_of_birth": [day, month, year]})


def test_a_postcode_and_date_of_birth_give_locality_and_age(client, resident, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: date(2026, 3, 26))
    response = _post(client, "td1 3hw")
    assert response.status_code == 302
    assert (resident.postcode, resident.date_of_birth) == ("TD1 3HW", date(1958, 3, 27))
    assert resident.locality.name == "Eildon"
    page = client.get("/profile").get_data(as_text=True)
    assert _summary_value(page, "Locality") == "Eildon"
    assert _summary_value(page, "Age") == "67"


@pytest.mark.parametrize(("target", "location"), [
    ("/rounds/7/vote", "/rounds/7/vote"),
    ("https://evil.example/", "/profile"),
    ("//evil.example/", "/profile"),
])
def test_saving_goes_back_to_the_page_that_asked_for_it_on_this_site(client, resident, target,
                                                                     location):
    response = client.post(f"/profile?next={target}", data={
        "postcode": "TD1 3HW", "date_of_birth": ["27", "3", "1958"]})
    assert response.status_code == 302 and response.location == location
    assert resident.postcode == "TD1 3HW"


def _summary_value(page: str, key: str) -> str:
    row = rf">\s*{key}\s*</dt>\s*<dd class=\"govuk-summary-list__value\">\s*(.*?)\s*</dd>"
    match = re.search(row, page)
    assert match, f"no summary row {key}"
    return match.group(1)


@pytest.mark.parametrize(("postcode", "day", "month", "year", "message"), [
    ("TD1", "27", "3", "1958", "Enter a full UK postcode, like TD1 3HW"),
    ("", "27", "3", "1958", "Enter your postcode"),
    ("G1 1AA", "27", "3", "1958", "G1 1AA is not in any of the localities this service covers"),
    ("TD1 3HW", "31", "2", "1958", "Date of birth must be a real date, like 27 3 1958"),
    ("TD1 3HW", "", "", "", "Enter your date of birth"),
    ("TD1 3HW", "1", "1", "2999", "Your date of birth must be in the past"),
    ("TD1 3HW", "1", "1", "1850", "Your date of birth must be after"),
])
def test_bad_profiles_are_refused_and_write_nothing(client, resident, postcode, day, month, year,
                                                    message):
    response = _post(client, postcode, day, month, year)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "There is a problem" in page
    db.session.expire_all()
    assert (resident.postcode, resident.date_of_birth, resident.locality) == (None, None, None)


@pytest.mark.parametrize(("on", "age"), [
    (date(2026, 3, 26), 67), (date(2026, 3, 27), 68), (date(1958, 3, 27), 0),
])
def test_age_counts_whole_years_to_the_birthday(on, age):
    assert User(date_of_birth=date(1958, 3, 27)).age_on(on) == age


def test_age_is_unknown_without_a_date_of_birth():
    assert User().age_on(date(2026, 1, 1)) is None


def test_a_leap_day_birthday_counts_from_the_first_of_march():
    born = User(date_of_birth=date(2008, 2, 29))
    assert (born.age_on(date(2026, 2, 28)), born.age_on(date(2026, 3, 1))) == (17, 18)
