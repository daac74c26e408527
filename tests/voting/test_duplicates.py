"""Who could vote twice, and how it shows: participations that share a postcode and a date
of birth are listed as suspected duplicates, and staff at the desk are warned."""

from __future__ import annotations

import hashlib
from datetime import date

from ballotbox.builders import open_sealed
from sqlalchemy import select

from pb_app.extensions import db
from pb_app.results.services import count_round
from pb_app.rounds.models import Phase
from pb_app.rounds.services import move_round
from pb_app.voting.eligibility import resemblance_key
from pb_app.voting.models import Participation
from pb_app.voting.services import suspected_duplicates
from voting.builders import lead_of, project_ids, resident
from voting.helpers import vote

BORN = date(1950, 6, 2)


def desk_check(client, round_, name: str, postcode: str = "TD1 3QQ", born: date = BORN):
    """Staff check a person at the desk (assisted); returns the ballot page."""
    return client.post(f"/rounds/{round_.id}/desk", data={
        "full_name": name, "postcode": postcode,
        "date_of_birth": [str(born.day), str(born.month), str(born.year)],
        "channel": "assisted", "batch": ""})


def desk_fields(name: str, postcode: str = "TD1 3QQ", born: date = BORN) -> list:
    """The desk voter's carried fields."""
    return [("desk_full_name", name), ("desk_postcode", postcode),
            ("desk_date_of_birth", born.isoformat()), ("desk_channel", "assisted"),
            ("desk_batch", "")]


def test_another_spelling_at_the_desk_is_warned_listed_and_carried_into_the_count(
        client, sign_in, approval_round):
    online = resident("Mary O'Neil", "TD1 3QQ", BORN)
    sign_in(online)
    first = project_ids(approval_round)[0]
    assert vote(client, approval_round.id, [("project", first)]).status_code == 200

    lead = lead_of(approval_round.locality)
    sign_in(lead)
    unrelated = desk_check(client, approval_round, "Tom Hall", born=date(1961, 1, 1))
    assert 'id="resembling"' not in unrelated.get_data(as_text=True)
    page = desk_check(client, approval_round, "Marie O'Neill")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="resembling"' in text
    assert "already voted in this round (online" in text
    cast = vote(client, approval_round.id, desk_fields("Marie O'Neill") + [("project", first)],
                desk=True)
    assert cast.status_code == 200  # another spelling is another person key: it is accepted

    assert suspected_duplicates(approval_round) == [
        [("online", date.today()), ("assisted", date.today())]]
    manage = client.get(f"/rounds/{approval_round.id}/voting").get_data(as_text=True)
    assert "1 group of people who voted gave the same postcode and date of birth" in manage

    move_round(approval_round, lead, Phase.CLOSED)
    open_sealed(approval_round)
    snapshot = count_round(approval_round, lead)
    db.session.commit()
    count_page = client.get(f"/results/round/{approval_round.id}/count").get_data(as_text=True)
    assert "1 group of people who voted gave the same postcode" in count_page
    assert '"suspected_duplicates":[[{"channel":"online"' in snapshot.checks_json


def test_a_voting_code_then_a_desk_visit_is_flagged(client, sign_in, sign_out, eildon):
    from voting.test_channels import code_round, enter, letters

    round_ = code_round(eildon)
    code, = letters(client, sign_in, sign_out, round_, 1)
    born = (str(BORN.day), str(BORN.month), str(BORN.year))
    assert enter(client, round_, code, postcode="TD1 3QQ", born=born).status_code == 200
    assert client.post(f"/rounds/{round_.id}/vote/confirm").status_code == 200
    sign_in(lead_of(round_.locality))
    page = desk_check(client, round_, "Jean Scott")
    assert "already voted in this round (online with a voting code" in page.get_data(True)


def test_the_resemblance_key_is_keyed_so_a_database_copy_cannot_test_guesses(app):
    key = resemblance_key("td1 3qq", BORN)
    assert key == resemblance_key("TD1 3QQ", BORN)
    assert key != resemblance_key("TD1 3QQ", date(1950, 6, 3))
    assert key != hashlib.sha256(f"TD1 3QQ|{BORN.isoformat()}".encode()).hexdigest()
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = original + "-other"
    try:
        assert resemblance_key("TD1 3QQ", BORN) != key
    finally:
        app.config["SECRET_KEY"] = original


def test_every_participation_carries_the_key(client, sign_in, approval_round):
    sign_in(resident("Ann Bell", "TD1 1AB", date(1980, 2, 2)))
    vote(client, approval_round.id, [("project", project_ids(approval_round)[1])])
    participation = db.session.scalar(select(Participation))
    assert participation.resemblance_key == resemblance_key("TD1 1AB", date(1980, 2, 2))
