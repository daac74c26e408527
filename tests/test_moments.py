"""Moments of a round as people in the UK read them: a close at midnight is 11:59pm the day
before, so "until 26 December" is never read as including the 26th."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pb_app.moments import UK, when


@pytest.mark.parametrize(("moment", "closing", "said"), [
    (datetime(2026, 12, 26, tzinfo=UK), True, "11:59pm on 25 December 2026"),
    (datetime(2026, 12, 26, tzinfo=UK), False, "26 December 2026"),
    (datetime(2026, 12, 17, 20, tzinfo=UTC), True, "8pm on 17 December 2026"),
    (datetime(2026, 12, 17, 9, 30, tzinfo=UTC), False, "9:30am on 17 December 2026"),
    (datetime(2026, 12, 17, 12, tzinfo=UTC), True, "12pm on 17 December 2026"),
    # In summer UK time is an hour ahead: midnight in Scotland is 23:00 UTC the day before.
    (datetime(2026, 6, 30, 23, tzinfo=UTC), True, "11:59pm on 30 June 2026"),
    (datetime(2026, 6, 30, 23, tzinfo=UTC), False, "1 July 2026"),
    (None, True, ""),
])
def test_a_moment_is_said_in_uk_time_and_a_midnight_close_as_the_minute_before(
        moment, closing, said):
    assert when(moment, closing=closing) == said


def test_the_round_and_locality_pages_say_the_last_minute_to_vote(client):
    from voting.builders import place, voting_round

    midnight = datetime.now(UK).replace(hour=0, minute=0, second=0, microsecond=0)
    closes = midnight.replace(day=1, month=1, year=midnight.year + 1)  # 00:00 on 1 January
    round_ = voting_round(place("Eildon", "TD1"), voting_close_at=closes)
    last_minute = f"11:59pm on 31 December {midnight.year}"
    assert f"Voting is open until {last_minute}." in client.get(f"/rounds/{round_.id}").text
    assert f"until {last_minute}" in client.get("/localities/eildon").text


def test_the_day_voting_closes_is_the_day_of_its_last_minute_and_judges_age(app):
    from factories import RoundFactory

    from pb_app.voting.eligibility import age_on, voting_closes_on

    round_ = RoundFactory(in_voting=True, voting_close_at=datetime(2026, 12, 26, tzinfo=UK))
    closes_on = voting_closes_on(round_)
    assert str(closes_on) == "2026-12-25"  # the page says "until 11:59pm on 25 December"
    born = datetime(2010, 12, 26).date()  # 16 on the 26th: still 15 when voting closes
    assert age_on(born, closes_on) == 15
    summer = RoundFactory(in_voting=True, voting_close_at=datetime(2026, 6, 30, 23, tzinfo=UTC))
    assert str(voting_closes_on(summer)) == "2026-06-30"  # midnight BST, UK's own day
