"""A resident can find the vote: the home page and the round's page lead to it, and say when
a signed-in resident has already voted."""

from __future__ import annotations

import re
from datetime import date

from pb_app.extensions import db
from voting.builders import place, project_ids, resident, voting_round
from voting.helpers import vote


def test_the_home_page_and_the_round_page_lead_to_the_vote(client, approval_round):
    home = client.get("/").get_data(as_text=True)
    assert f'href="/rounds/{approval_round.id}/vote"' in home and 'id="voting-now"' in home
    page = client.get(f"/rounds/{approval_round.id}").get_data(as_text=True)
    assert f'id="vote-{approval_round.id}"' in page
    assert f'href="/rounds/{approval_round.id}/vote"' in page


def test_a_signed_in_resident_sees_their_own_locality_and_whether_they_voted(
        client, sign_in, approval_round):
    tweeddale = place("Borders Elsewhere", "EH46")
    elsewhere = voting_round(tweeddale, title="Elsewhere Fund")
    voter = resident("Ailsa", "TD1 4AB", date(1980, 3, 3))
    voter.locality_id = approval_round.locality_id  # as saving the profile decides
    db.session.commit()
    sign_in(voter)
    home = client.get("/").get_data(as_text=True)
    assert "Voting now in Eildon" in home
    assert f'id="vote-{approval_round.id}"' in home and f"vote-{elsewhere.id}" not in home
    assert vote(client, approval_round.id,
                [("project", project_ids(approval_round)[0])]).status_code == 200
    for address in ("/", f"/rounds/{approval_round.id}"):
        page = client.get(address).get_data(as_text=True)
        assert f'id="voted-{approval_round.id}"' in page, address
        assert f'id="vote-{approval_round.id}"' not in page
        assert re.search(r"You have voted</strong>\s+in Eildon 2026 \(online, ", page)


def test_the_home_page_says_when_nothing_is_open(client):
    place("Eildon", "TD1")
    home = client.get("/").get_data(as_text=True)
    assert "No round is taking votes at the moment" in home


def test_the_locality_page_leads_to_the_vote_the_ideas_and_the_results(client, approval_round):
    eildon = approval_round.locality
    proposing = voting_round(eildon, title="Eildon ideas")
    proposing.phase, proposing.voting_open_at = "proposals-open", None
    published = voting_round(eildon, title="Eildon 2025")
    published.phase = "published"
    elsewhere = voting_round(place("Faraway", "KW1"), title="Faraway 2026")
    db.session.commit()

    home = client.get("/").get_data(as_text=True)
    assert f'href="/localities/{eildon.slug}"' in home
    page = client.get(f"/localities/{eildon.slug}").get_data(as_text=True)
    assert f'id="vote-{approval_round.id}"' in page
    assert f'href="/rounds/{proposing.id}/proposals/new"' in page
    assert f'href="/results/round/{published.id}"' in page
    assert f"vote-{published.id}" not in page and "Faraway 2026" not in page
    assert f'id="vote-{elsewhere.id}"' in client.get("/localities/faraway").get_data(as_text=True)


def test_a_postcode_finds_its_locality_and_a_wrong_one_says_why(client, approval_round):
    found = client.get("/localities/find?postcode=td1 4ab")
    assert found.status_code == 302 and found.headers["Location"] == "/localities/eildon"
    for postcode, reason in (("", "Enter a postcode"), ("banana", "Enter a full UK postcode"),
                             ("ZE1 0AA", "ZE1 0AA is not in any of the localities")):
        refused = client.get(f"/localities/find?postcode={postcode}")
        assert refused.status_code == 422, postcode
        text = refused.get_data(as_text=True)
        assert reason in text and "govuk-error-summary" in text and "<title>Error:" in text


def test_a_locality_that_does_not_exist_is_not_found(client):
    assert client.get("/localities/atlantis").status_code == 404
