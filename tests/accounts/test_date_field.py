"""The day-month-year date field refuses, in plain words, what the page never sends."""

from __future__ import annotations

import pytest
from factories import PostcodeAreaFactory, UserFactory

from pb_app.extensions import db


@pytest.mark.parametrize("sent", [["1958-03-27"], ["27", "3"], ["27", "3", "1958", "x"]])
def test_a_date_not_in_three_boxes_is_refused_and_nothing_saved(client, sign_in, sent):
    user = UserFactory(postcode=None, date_of_birth=None)
    db.session.commit()
    sign_in(user)
    response = client.post("/profile", data={"postcode": "TD1 1AA", "date_of_birth": sent})
    assert response.status_code == 422
    assert "as a day, a month and a year" in response.text
    db.session.refresh(user)
    assert user.date_of_birth is None


def test_the_three_boxes_still_take_a_real_date(client, sign_in):
    PostcodeAreaFactory(prefix="TD1")
    user = UserFactory(postcode=None, date_of_birth=None)
    sign_in(user)
    client.post("/profile", data={"postcode": "TD1 1AA", "date_of_birth": ["27", "3", "1958"]})
    assert str(user.date_of_birth) == "1958-03-27"
