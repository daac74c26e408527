"""A resident's own data: the download holds theirs and nobody else's, and closing an account
deletes what can go, detaches what the record keeps, and ends every session."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from factories import (
    DEFAULT_PASSWORD,
    VOTING_DAY,
    LocalityFactory,
    RoleGrantFactory,
    RoundFactory,
    UserFactory,
)
from results.builders import make_projects, publish
from sqlalchemy import func, select

from pb_app.accounts.models import ADMINISTRATOR, FINANCE_OFFICER, SignInFailure, User
from pb_app.accounts.services import find_user_by_email, register_user
from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.proposals.models import CostLine, Proposal, ProposalReview, Status
from pb_app.results.demo import write_ballot
from pb_app.rounds.models import Phase, RoundFollower
from pb_app.voting.eligibility import Voter, identity_key, previous_participation
from pb_app.voting.models import Participation

BORN = date(1961, 4, 2)


def _resident(name: str, postcode: str, locality) -> User:
    user = UserFactory(full_name=name, postcode=postcode, date_of_birth=BORN)
    user.locality = locality
    user.email_confirmed_at = datetime.now(UTC)
    db.session.flush()
    return user


def _proposal(round_, user: User, title: str, status: Status) -> Proposal:
    proposal = Proposal(round=round_, proposer_id=user.id, title=title, status=status.value,
                        cost_pence=50_000,
                        cost_lines=[CostLine(position=1, item="Materials", amount_pence=50_000)])
    db.session.add(proposal)
    db.session.flush()
    return proposal


def _vote(round_, user: User, person_key: str) -> Participation:
    (project,) = [p for p in db.session.scalars(select(Proposal).where(
        Proposal.round_id == round_.id, Proposal.status == Status.ACCEPTED.value))][:1]
    write_ballot(round_, [project], person_key=person_key, channel="online", age_years=64,
                 day=VOTING_DAY, user_id=user.id)
    db.session.flush()
    return db.session.scalar(select(Participation).where(
        Participation.round_id == round_.id, Participation.user_id == user.id))


@pytest.fixture
def morag():
    """A resident of Teviot who voted in an open round and in a published one, proposed three
    projects (one on the ballot of the open round, a draft, one rejected), follows a round,
    and mistyped her password once; and Angus, her neighbour, with the same kinds of data."""
    teviot = LocalityFactory(name="Teviot and Liddesdale")
    morag = _resident("Morag Elliot", "TD9 7AA", teviot)
    angus = _resident("Angus Scott", "TD9 8BB", teviot)
    open_round = RoundFactory(to_count=True, locality=teviot, phase=Phase.VOTING,
                              title="Teviot Fund 2027")
    make_projects(open_round, {"Lunch club": 300_000})
    past_round = RoundFactory(to_count=True, locality=teviot, title="Teviot Fund 2026")
    make_projects(past_round, {"Minibus": 300_000})
    _vote(past_round, angus, "user:angus")
    _vote(past_round, morag, "user:morag")
    publish(past_round)
    _vote(open_round, morag, identity_key("Morag Elliot", "TD9 7AA", BORN))
    _vote(open_round, angus, identity_key("Angus Scott", "TD9 8BB", BORN))
    on_ballot = _proposal(open_round, morag, "Benches by the Teviot", Status.ACCEPTED)
    draft_round = RoundFactory(to_count=True, locality=teviot, phase=Phase.PROPOSALS_OPEN,
                               title="Teviot Fund 2028")
    _proposal(draft_round, morag, "A community fridge", Status.DRAFT)
    rejected = _proposal(draft_round, morag, "A new road", Status.REJECTED)
    rejected.reviews.append(ProposalReview(reviewer_id=UserFactory().id, decision="reject",
                                           feasibility="not-feasible", fit="none",
                                           reason="Roads are not in scope"))
    _proposal(draft_round, angus, "Angus's secret garden", Status.DRAFT)
    db.session.add_all([RoundFollower(round_id=draft_round.id, user_id=morag.id),
                        RoundFollower(round_id=draft_round.id, user_id=angus.id),
                        SignInFailure(email=morag.email, address="192.0.2.1",
                                      failed_at=datetime.now(UTC))])
    RoleGrantFactory(user=morag, role=FINANCE_OFFICER)
    db.session.commit()
    return {"morag": morag, "angus": angus, "open": open_round, "past": past_round,
            "on_ballot": on_ballot}


def _state(user: User) -> dict:
    """What closing an account may change, as plain values."""
    db.session.expire_all()
    return {
        "user": (user.email, user.full_name, user.password_hash, user.postcode,
                 user.date_of_birth, user.locality_id, [g.role for g in user.role_grants]),
        "proposals": sorted(db.session.scalars(
            select(Proposal.title).where(Proposal.proposer_id == user.id))),
        "participations": sorted(db.session.execute(
            select(Participation.round_id, Participation.person_key, Participation.user_id)
            .where(Participation.user_id == user.id)).all()),
        "confirmed": user.email_confirmed_at is not None,
        "follows": db.session.scalar(select(func.count()).select_from(
            RoundFollower).where(RoundFollower.user_id == user.id)),
    }


def test_the_download_holds_the_residents_data_and_nobody_elses(client, sign_in, morag):
    sign_in(morag["morag"])
    response = client.get("/account/data/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="your-data.json"'
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert data["account"].pop("email_confirmed_at") is not None
    assert data["account"] == {
        "email": morag["morag"].email, "full_name": "Morag Elliot", "postcode": "TD9 7AA",
        "date_of_birth": "1961-04-02", "locality": "Teviot and Liddesdale",
        "created_at": morag["morag"].created_at.isoformat()}
    assert [role["role"] for role in data["roles"]] == ["Finance officer"]
    assert [p["title"] for p in data["proposals"]] == [
        "Benches by the Teviot", "A community fridge", "A new road"]
    assert data["proposals"][2]["reviews"][0]["reason"] == "Roads are not in scope"
    assert sorted(data["rounds_voted_in"], key=lambda vote: vote["round"]) == [
        {"round": "Teviot Fund 2026", "locality": "Teviot and Liddesdale", "channel": "Online",
         "voted_on": VOTING_DAY.isoformat()},
        {"round": "Teviot Fund 2027", "locality": "Teviot and Liddesdale", "channel": "Online",
         "voted_on": VOTING_DAY.isoformat()},
    ]
    assert [f["round"] for f in data["rounds_followed"]] == ["Teviot Fund 2028"]
    for someone_else in (morag["angus"].email, "Angus Scott", "TD9 8BB", "secret garden"):
        assert someone_else not in text
    # That she voted, never what: no ballot, choice or receipt appears.
    assert not re.search(r"choice|receipt_hash|projects\"", text)


def test_the_download_lists_the_photos_of_her_proposals(client, sign_in, morag):
    from pictures.images import plain

    from pb_app.pictures.services import add_photo

    fridge = db.session.scalar(select(Proposal).where(Proposal.title == "A community fridge"))
    photo = add_photo(fridge, morag["morag"], plain("JPEG"), "IMG_0042.jpg",
                      "A white fridge in the church hall")
    db.session.commit()
    sign_in(morag["morag"])
    data = json.loads(client.get("/account/data/download").get_data(as_text=True))
    photos = {p["title"]: p["photos"] for p in data["proposals"]}
    assert photos["A community fridge"] == [{
        "alt_text": "A white fridge in the church hall",
        "address": f"http://localhost/photos/{photo.file_name}",
        "added_at": photo.created_at.isoformat()}]
    assert photos["Benches by the Teviot"] == []


def test_the_data_page_is_for_the_signed_in_resident(client, sign_in, morag):
    anonymous = client.get("/account/data")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    assert client.get("/account/data/download").status_code == 302
    sign_in(morag["morag"])
    page = client.get("/account/data").get_data(as_text=True)
    assert "Morag Elliot" in page and "Angus" not in page
    assert 'href="/account/data/download"' in page and 'href="/account/close"' in page
    assert re.search(r'href="/account/data"[^>]*>See and download the data we hold about you',
                     client.get("/profile").get_data(as_text=True))


def test_closing_with_a_wrong_password_changes_nothing(client, sign_in, morag):
    user = morag["morag"]
    before = _state(user)
    sign_in(user)
    refused = client.post("/account/close", data={"password": "not my password at all"})
    assert refused.status_code == 422
    assert "That is not your password" in refused.get_data(as_text=True)
    assert _state(user) == before
    assert client.get("/account/data").status_code == 200  # still signed in
    assert client.post("/account/close", data={}).status_code == 422
    assert _state(user) == before


def test_closing_an_account(app, client, sign_in, morag):
    user, old_email = morag["morag"], morag["morag"].email
    angus_before = _state(morag["angus"])
    sign_in(user)
    elsewhere = app.test_client()  # the same person signed in on another device
    with elsewhere.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.get_id(), True
    assert elsewhere.get("/account/data").status_code == 200

    closed = client.post("/account/close", data={"password": DEFAULT_PASSWORD})
    assert closed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SignInFailure).where(
        SignInFailure.email == old_email)) == 0

    # Signed out here and everywhere; the email and password no longer sign anyone in.
    assert client.get("/account/data").status_code == 302
    assert elsewhere.get("/account/data").status_code == 302
    sign_in_again = client.post("/sign-in", data={"email": old_email, "password": DEFAULT_PASSWORD})
    assert sign_in_again.status_code != 302
    assert find_user_by_email(old_email) is None

    # The account keeps its row, for the records that refer to it, but nothing personal.
    state = _state(user)
    assert state["user"] == (f"closed-{user.id}@closed.invalid", "Closed account",
                             "!closed-account", None, None, None, [])
    assert state["confirmed"] is False and state["follows"] == 0
    # The proposal on a ballot stays, proposed by nobody named; the others are deleted.
    assert state["proposals"] == ["Benches by the Teviot"]
    assert morag["on_ballot"].proposer_id == user.id
    assert db.session.scalar(select(func.count()).select_from(CostLine)) >= 1
    # Participations: detached; the open round still stops her voting twice, the published
    # round's person key is gone.
    assert state["participations"] == []
    voter = Voter(person_key=identity_key("Morag Elliot", "TD9 7AA", BORN), postcode="TD9 7AA",
                  date_of_birth=BORN)
    again = previous_participation(morag["open"], voter)
    assert again is not None and again.user_id is None
    past = db.session.scalars(select(Participation.person_key).where(
        Participation.round_id == morag["past"].id)).all()
    assert "user:morag" not in past and "user:angus" in past
    assert any(key.startswith("purged:") for key in past)
    assert _state(morag["angus"]) == angus_before  # nobody else's data moved

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.closed"))
    assert (entry.actor_id, entry.object_type, entry.object_id) == (user.id, "User", str(user.id))
    assert json.loads(entry.after_json) == {"proposals_deleted": 2, "proposals_kept": 1,
                                            "participations_detached": 2, "roles_removed": 1}
    assert old_email not in entry.after_json and "Morag" not in entry.after_json

    # The address is free: it can make a new account.
    assert register_user(old_email, "a brand new password", "Morag Elliot") is not None
    assert find_user_by_email(old_email).id != user.id


def test_the_only_administrator_cannot_close_their_account(client, sign_in, morag):
    admin = RoleGrantFactory(role=ADMINISTRATOR).user
    db.session.commit()
    before = _state(admin)
    sign_in(admin)
    refused = client.post("/account/close", data={"password": DEFAULT_PASSWORD})
    assert refused.status_code == 409
    assert "only administrator" in refused.get_data(as_text=True)
    assert _state(admin) == before


def test_closing_needs_the_forms_csrf_token(app, client, sign_in, morag, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    user = morag["morag"]
    before = _state(user)
    sign_in(user)
    page = client.get("/account/close").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    forged = client.post("/account/close", data={"password": DEFAULT_PASSWORD})
    assert forged.status_code == 400
    assert _state(user) == before
