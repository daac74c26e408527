"""Who could vote twice, and how it shows: participations that share a postcode and a date
of birth, or a name and a postcode, are listed as suspected duplicates, and staff at the desk
are warned."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

import pytest
from ballotbox.builders import open_sealed
from sqlalchemy import select

from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.results.services import count_round
from pb_app.rounds.models import Phase
from pb_app.rounds.services import move_round
from pb_app.voting.ballots import Choices
from pb_app.voting.eligibility import (
    Voter,
    identity_key,
    name_resemblance_key,
    resemblance_key,
)
from pb_app.voting.models import Participation
from pb_app.voting.services import cast_ballot, suspected_duplicates, voter_at_desk
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


def test_the_same_name_and_postcode_with_another_date_of_birth_is_warned_and_listed(
        client, sign_in, approval_round):
    mary = resident("Mary", "TD1 3QQ", BORN)
    mary.full_name = "Mary O'Neil"
    db.session.commit()
    sign_in(mary)
    first = project_ids(approval_round)[0]
    assert vote(client, approval_round.id, [("project", first)]).status_code == 200
    lead = lead_of(approval_round.locality)
    sign_in(lead)
    other_day = date(1951, 6, 2)
    page = desk_check(client, approval_round, "mary oneil", born=other_day).get_data(True)
    assert ("Someone with this name and postcode has already voted in this round (online"
            in page)
    cast = vote(client, approval_round.id,
                desk_fields("mary oneil", born=other_day) + [("project", first)], desk=True)
    assert cast.status_code == 200  # another date of birth is another person key
    neighbour = desk_check(client, approval_round, "Tom Hall", born=date(1988, 8, 8))
    assert 'id="resembling"' not in neighbour.get_data(True)  # same postcode, nothing else
    # Each warning shown is in the audit trail, with who asked: the look-up is not free.
    warned = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "voting.desk_warned_of_resemblance")).all()
    assert [(entry.actor_id, json.loads(entry.after_json)["shared"]) for entry in warned] == [
        (lead.id, "name and postcode")]
    assert suspected_duplicates(approval_round) == [
        [("online", date.today()), ("assisted", date.today())]]


def test_people_alike_by_either_key_through_one_another_are_one_group(approval_round):
    """A and B share a date of birth, B and C a name: one group; D and E, with voting codes
    (no name), share neither and are in none."""
    lead = lead_of(approval_round.locality)
    first = Choices((project_ids(approval_round)[0],))
    now = datetime.now(UTC)
    for name, born in (("Ann Bell", BORN), ("Annie Bell", BORN), ("Annie Bell", date(1960, 1, 1)),
                       ("Jo Ray", date(1970, 1, 1))):
        cast_ballot(approval_round, voter_at_desk(name, "TD1 3QQ", born), first,
                    channel="assisted", now=now, helper=lead)
    for number in (1, 2):  # code voters: no name key, so never alike by a missing name
        cast_ballot(approval_round, Voter(person_key=f"code:{number}", postcode="TD1 3QQ",
                                          date_of_birth=date(1980, 1, number)),
                    first, channel="online", now=now)
    assert suspected_duplicates(approval_round) == [[("assisted", date.today())] * 3]


def test_the_name_key_is_keyed_and_folds_names_as_the_person_key_does(app):
    key = name_resemblance_key("Mary O'Neil", "td1 3qq")
    assert key == name_resemblance_key("  MARY  ONEIL ", "TD1 3QQ")
    assert key != name_resemblance_key("Mary O'Neil", "TD1 3QR")
    assert key != resemblance_key("TD1 3QQ", BORN)
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = original + "-other"
    try:
        assert name_resemblance_key("Mary O'Neil", "TD1 3QQ") != key
    finally:
        app.config["SECRET_KEY"] = original


@pytest.mark.parametrize("other", ["Fraser-Armstrong", "FRASER ARMSTRONG", "Fräser Armstrong",
                                   "fraser  armstrong."])
def test_spaces_hyphens_case_and_accents_do_not_hide_a_name(app, other):
    assert name_resemblance_key(other, "TD2 6QB") == name_resemblance_key(
        "Fraser Armstrong", "TD2 6QB")


def test_a_name_in_another_script_is_taken_at_the_desk_and_compared(
        client, sign_in, approval_round):
    sign_in(lead_of(approval_round.locality))
    page = desk_check(client, approval_round, "Фрейзер Армстронг")
    assert page.status_code == 200 and "Enter the voter's full name" not in page.get_data(True)
    assert name_resemblance_key("фрейзер армстронг", "TD1 3QQ") == name_resemblance_key(
        "Фрейзер Армстронг", "TD1 3QQ")
    assert identity_key("Фрейзер", "TD1 3QQ", BORN) != identity_key("Иван", "TD1 3QQ", BORN)
