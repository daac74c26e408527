"""The ballot's projects kept between requests once voting opens (``voting.projects``): read
once, and read again as soon as anything on the ballot changes, in every process, because each
request reads the round and its ``ballot_version`` afresh."""

from __future__ import annotations

import re
from datetime import date

import pytest
from factories import ProposalFactory
from pictures import images
from rounds.fixtures import live_round
from sql_sent import sql_sent
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from pb_app.accounts.models import GROUP_LEAD, RoleGrant, User
from pb_app.extensions import db
from pb_app.pictures.services import add_photo
from pb_app.proposals.models import Proposal, Status
from pb_app.rounds.models import Phase, Round
from voting.builders import COSTS, resident, voting_round

ALT = "Volunteers serving soup at long tables in Galashiels Volunteer Hall"


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path, monkeypatch):
    """The folder the disk backend keeps photos in, for this test alone."""
    monkeypatch.setitem(app.config, "PICTURES_STORAGE", "disk")
    monkeypatch.setitem(app.config, "PICTURES_DIR", str(tmp_path / "pictures"))


@pytest.fixture
def ballot(eildon, client, sign_in):
    """A round in voting whose first project has a photo, a lead of Eildon's id, and a ``show()``
    that returns the ballot page as a signed-in voter sees it and whether it read the
    projects."""
    round_ = voting_round(eildon)
    first = db.session.scalars(select_projects(round_)).first()
    lead = resident("Lead", "TD1 1AA", date(1975, 5, 5))
    db.session.add(RoleGrant(user=lead, role=GROUP_LEAD, locality=eildon))
    round_.phase = Phase.REVIEW.value  # photos are added before voting opens
    photo = add_photo(first, lead, images.plain("JPEG"), "soup.jpg", ALT)
    round_.phase = Phase.VOTING.value
    db.session.commit()
    voter_id = resident("Voter", "TD1 3AB", date(1986, 4, 1)).id

    def show() -> tuple[str, bool]:
        sign_in(db.session.get(User, voter_id))
        db.session.expunge_all()
        with sql_sent() as sent:
            page = client.get(f"/rounds/{round_.id}/vote/ballot")
        assert page.status_code == 200
        read = any(re.search(r"\bFROM proposal\b", statement) for statement, _ in sent)
        return page.get_data(as_text=True), read

    return round_.id, first.id, photo.id, lead.id, show


def select_projects(round_: Round):
    """The round's proposals, by id."""
    return select(Proposal).where(Proposal.round_id == round_.id).order_by(Proposal.id)


def version_of(round_id: int) -> str:
    """The round's ballot version as stored."""
    db.session.expunge_all()
    return db.session.get(Round, round_id).ballot_version


def test_the_projects_are_read_once_while_the_ballot_stays_the_same(ballot):
    _, _, _, _, show = ballot
    first, read_first = show()
    second, read_second = show()
    assert (read_first, read_second) == (True, False)
    assert first.count('name="project"') == second.count('name="project"') == len(COSTS)
    assert first.count("<img") == second.count("<img") == 1


def test_a_photo_a_lead_removes_while_voting_is_open_leaves_the_ballot_at_once(
        ballot, client, sign_in):
    round_id, _, photo_id, lead_id, show = ballot
    page, _ = show()
    assert f'alt="{ALT}"' in page
    version = version_of(round_id)
    sign_in(db.session.get(User, lead_id))
    assert client.post(f"/photos/{photo_id}/remove").status_code == 302
    assert version_of(round_id) != version
    page, read = show()
    assert read and f'alt="{ALT}"' not in page and "<img" not in page


def test_any_change_to_a_project_of_a_fixed_ballot_draws_a_new_version(ballot):
    round_id, project_id, _, _, show = ballot
    show()
    version = version_of(round_id)
    db.session.get(Proposal, project_id).title = "Lunch club, renamed"
    db.session.commit()
    assert version_of(round_id) != version
    page, read = show()
    assert read and "Lunch club, renamed" in page


def test_proposals_of_a_round_whose_ballot_is_not_fixed_leave_the_round_untouched(
        eildon, resident_of_eildon):
    """Drafts never touch the round; accepted proposals of a ballot not yet fixed match no row
    of the mark's UPDATE, so it neither changes nor locks the round."""
    round_id = live_round(eildon, Phase.PROPOSALS_OPEN).id
    proposer_id = resident_of_eildon.id
    db.session.commit()
    version = version_of(round_id)
    for status in (Status.DRAFT, Status.ACCEPTED):
        with sql_sent() as sent:  # a proposal given its round, and one given its round's id
            ProposalFactory(round=db.session.get(Round, round_id), status=status,
                            proposer=db.session.get(User, proposer_id))
            db.session.add(Proposal(round_id=round_id, proposer_id=proposer_id, title="Bare",
                                    summary="By id", cost_pence=1000, status=status.value))
            db.session.commit()
        marked = any(statement.startswith("UPDATE round") for statement, _ in sent)
        assert marked == (status is Status.ACCEPTED)
        assert version_of(round_id) == version


def test_a_project_added_by_its_rounds_id_to_a_fixed_ballot_draws_a_new_version(ballot):
    round_id, _, _, _, _ = ballot
    version = version_of(round_id)
    proposer_id = db.session.scalars(select(Proposal.proposer_id)).first()
    db.session.add(Proposal(round_id=round_id, proposer_id=proposer_id, title="Late",
                            summary="Added by id", cost_pence=1000,
                            status=Status.ACCEPTED.value))
    db.session.commit()
    assert version_of(round_id) != version


def test_a_change_made_with_an_old_copy_of_the_round_still_draws_a_new_version(ballot):
    """The session's round may predate the ballot's fixing (voting opened by another request
    meanwhile): whether the ballot is fixed is read from the database as the mark is written."""
    round_id, project_id, _, _, show = ballot
    show()  # a voter's page keeps the projects under the version of this moment
    version = version_of(round_id)
    proposal = db.session.get(Proposal, project_id)
    stale = proposal.round
    set_committed_value(stale, "ballot_fixed_at", None)  # loaded before voting opened
    proposal.title = "Renamed with an old copy"
    db.session.commit()
    assert version_of(round_id) != version
    page, _ = show()
    assert "Renamed with an old copy" in page


@pytest.fixture
def resident_of_eildon():
    """An Eildon resident."""
    return resident("Proposer", "TD1 3AB", date(1980, 1, 1))
