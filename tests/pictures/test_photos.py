"""Photos of proposals through the pages: who may add and remove them, when, who sees them,
how they are served, and that a refused upload writes nothing."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from factories import DEFAULT_PASSWORD, ProposalFactory
from rounds.fixtures import live_round, make_user
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from pb_app.accounts.models import GROUP_LEAD
from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.pictures.images import MAX_UPLOAD_BYTES
from pb_app.pictures.models import Photo
from pb_app.privacy.services import close_account
from pb_app.proposals.models import Proposal, Status
from pb_app.rounds.models import Phase
from pictures import images

ALT = "Volunteers serving soup at long tables in Galashiels Volunteer Hall"


def _photos() -> int:
    return db.session.scalar(select(func.count()).select_from(Photo))


def _files(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def _upload(client, proposal_id: int, data: bytes, name: str = "soup.jpg", alt: str = ALT):
    return client.post(f"/proposals/{proposal_id}/photos",
                       data={"photo": (io.BytesIO(data), name), "alt_text": alt},
                       content_type="multipart/form-data")


@pytest.fixture
def draft(eildon, resident):
    """A draft proposal of Eildon's resident in a round taking proposals (committed)."""
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    proposal = ProposalFactory(round=round_, proposer=resident, status=Status.DRAFT)
    db.session.commit()
    return proposal


def _only_photo() -> Photo:
    return db.session.scalars(select(Photo)).one()


def test_the_proposer_adds_a_photo_stored_bare_under_a_random_name(
        client, sign_in, draft, resident, photo_dir):
    sign_in(resident)
    added = _upload(client, draft.id, images.jpeg_with_gps(), name="Rab Resident garden.jpg")
    assert added.status_code == 302
    photo = _only_photo()
    assert (photo.alt_text, photo.position, photo.uploaded_by_id) == (ALT, 1, resident.id)
    assert _files(photo_dir) == sorted(photo.file_names)
    assert "Rab" not in photo.file_name and photo.file_name.endswith(".jpg")
    stored = (photo_dir / photo.file_name).read_bytes()
    assert images.SECRET not in stored and images.CAMERA.encode() not in stored
    assert stored.endswith(b"\xff\xd9")
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert f'src="/photos/{photo.file_name}" alt="{ALT}"' in page
    assert "Add or remove photos" in page
    action = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id.desc())).first()
    assert action == "photo.added"


def test_a_photo_is_served_with_its_type_nosniff_and_a_cache_header(
        client, sign_in, draft, resident):
    sign_in(resident)
    _upload(client, draft.id, images.png_with_text(), name="hall.png")
    photo = _only_photo()
    mine = client.get(f"/photos/{photo.file_name}")
    assert mine.status_code == 200 and mine.mimetype == "image/png"
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    assert mine.headers["Cache-Control"] == "private, max-age=600"  # a draft: the proposer's
    assert mine.data.startswith(b"\x89PNG") and images.SECRET not in mine.data
    etag = mine.headers["ETag"]
    again = client.get(f"/photos/{photo.file_name}", headers={"If-None-Match": etag})
    assert again.status_code == 304

    with client.session_transaction() as session:
        session.clear()
    assert client.get(f"/photos/{photo.thumbnail_name}").status_code == 404  # a draft is private
    draft.status = Status.SUBMITTED.value
    db.session.commit()
    public = client.get(f"/photos/{photo.thumbnail_name}")
    assert public.status_code == 200 and public.headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/photos/..%2F..%2Fconfig.py").status_code == 404
    assert client.get("/photos/not-a-photo.svg").status_code == 404


@pytest.mark.parametrize(("data", "name", "status", "message"), [
    (images.plain("PNG"), "photo.jpg", 422, "ends in .jpg but it is a PNG image"),
    (images.plain("JPEG"), "photo.png", 422, "ends in .png but it is a JPEG image"),
    (images.plain("GIF"), "photo.gif", 422, "must be a JPEG or PNG photo"),
    (images.svg(), "photo.svg", 422, "must be a JPEG or PNG photo"),
    (images.pixel_bomb(), "bomb.png", 422, "at most 40 million pixels"),
    (images.noisy_png(), "noise.png", 413, "must be 5 MB or smaller"),
], ids=["png-named-jpg", "jpeg-named-png", "gif", "svg", "pixel-bomb", "oversize"])
def test_a_refused_file_gets_a_clear_message_and_writes_nothing(
        client, sign_in, draft, resident, photo_dir, data, name, status, message):
    sign_in(resident)
    refused = _upload(client, draft.id, data, name)
    assert refused.status_code == status
    assert message in refused.get_data(as_text=True)
    assert _photos() == 0 and _files(photo_dir) == []


def test_a_request_larger_than_the_limit_is_refused_unread(client, sign_in, draft, resident,
                                                           photo_dir):
    sign_in(resident)
    refused = _upload(client, draft.id, b"\xff\xd8" + b"0" * (MAX_UPLOAD_BYTES + 70_000))
    assert refused.status_code == 413
    assert "must be 5 MB or smaller" in refused.get_data(as_text=True)
    assert _photos() == 0 and _files(photo_dir) == []


@pytest.mark.parametrize(("alt", "message"), [
    ("", "Describe the photo for people who cannot see it"),
    ("   \n ", "Describe the photo for people who cannot see it"),
    ("x" * 251, "250 characters or fewer"),
])
def test_alt_text_is_required(client, sign_in, draft, resident, photo_dir, alt, message):
    sign_in(resident)
    refused = _upload(client, draft.id, images.plain("JPEG"), alt=alt)
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert _photos() == 0 and _files(photo_dir) == []


def test_no_file_chosen(client, sign_in, draft, resident):
    sign_in(resident)
    refused = client.post(f"/proposals/{draft.id}/photos", data={"alt_text": ALT},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "Choose a photo to add" in refused.get_data(as_text=True)


def test_the_page_explains_alt_text(client, sign_in, draft, resident):
    sign_in(resident)
    page = client.get(f"/proposals/{draft.id}/photos").get_data(as_text=True)
    assert "read aloud to people who cannot see the photo" in page
    assert 'enctype="multipart/form-data"' in page


def test_a_fourth_photo_is_refused_and_the_database_refuses_it_too(
        client, sign_in, draft, resident, photo_dir):
    sign_in(resident)
    for _ in range(3):
        assert _upload(client, draft.id, images.plain("JPEG")).status_code == 302
    refused = _upload(client, draft.id, images.plain("JPEG"))
    assert refused.status_code == 409 and "at most 3 photos" in refused.get_data(as_text=True)
    assert _photos() == 3 and len(_files(photo_dir)) == 6
    row = {"proposal_id": draft.id, "file_name": "a" * 24 + ".jpg",
           "thumbnail_name": "b" * 24 + ".jpg", "content_type": "image/jpeg", "width": 1,
           "height": 1, "thumbnail_width": 1, "thumbnail_height": 1, "alt_text": ALT,
           "uploaded_by_id": resident.id, "created_at": datetime.now(UTC)}
    for position in (2, 4):  # a place taken, and a place past the last
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(insert(Photo).values(position=position, **row))


def test_removing_a_photo_deletes_its_files_once_saved(client, sign_in, draft, resident,
                                                       photo_dir):
    sign_in(resident)
    _upload(client, draft.id, images.plain("JPEG"))
    _upload(client, draft.id, images.plain("PNG"), name="second.png")
    first, second = db.session.scalars(select(Photo).order_by(Photo.id)).all()
    removed = client.post(f"/photos/{first.id}/remove")
    assert removed.status_code == 302
    assert _files(photo_dir) == sorted(second.file_names)
    assert client.get(f"/photos/{first.file_name}").status_code == 404
    # The freed place is taken by the next photo; the page lists photos oldest first.
    _upload(client, draft.id, images.plain("JPEG"))
    third = db.session.scalars(select(Photo).order_by(Photo.id.desc())).first()
    assert third.position == 1 and [p.id for p in draft.photos] == [second.id, third.id]


def test_a_removal_rolled_back_keeps_the_files(draft, resident, photo_dir):
    from pb_app.pictures.services import add_photo, remove_photo

    photo = add_photo(draft, resident, images.plain("JPEG"), "a.jpg", ALT)
    db.session.commit()
    remove_photo(photo, resident)
    db.session.rollback()
    assert _files(photo_dir) == sorted(photo.file_names)


def test_another_resident_and_a_lead_of_another_locality_may_not_change_photos(
        client, sign_in, draft, resident, eildon, other_lead, photo_dir):
    sign_in(resident)
    _upload(client, draft.id, images.plain("JPEG"))
    photo = _only_photo()
    neighbour = make_user("Nan Neighbour", eildon)
    db.session.commit()
    sign_in(neighbour)
    assert _upload(client, draft.id, images.plain("JPEG")).status_code == 404  # a draft
    draft.status = Status.SUBMITTED.value
    db.session.commit()
    for person in (neighbour, other_lead):
        sign_in(person)
        assert client.get(f"/proposals/{draft.id}/photos").status_code == 403
        assert _upload(client, draft.id, images.plain("JPEG")).status_code == 403
        assert client.post(f"/photos/{photo.id}/remove").status_code == 403
        assert "Add or remove photos" not in client.get(f"/proposals/{draft.id}").get_data(
            as_text=True)
    assert _photos() == 1 and len(_files(photo_dir)) == 2


def test_the_proposer_changes_photos_only_while_the_proposal_is_in_their_hands(
        client, sign_in, draft, resident):
    draft.status = Status.SUBMITTED.value
    db.session.commit()
    sign_in(resident)
    refused = _upload(client, draft.id, images.plain("JPEG"))
    assert refused.status_code == 409
    assert "while your proposal is a draft or sent back for changes" in refused.get_data(
        as_text=True)
    draft.status = Status.CHANGES_REQUESTED.value
    db.session.commit()
    assert _upload(client, draft.id, images.plain("JPEG")).status_code == 302


def test_a_lead_adds_until_voting_opens_and_removes_at_any_time(
        client, sign_in, draft, lead, photo_dir):
    draft.status = Status.ACCEPTED.value
    db.session.commit()
    sign_in(lead)
    assert _upload(client, draft.id, images.plain("JPEG")).status_code == 302
    photo = _only_photo()
    draft.round.phase = Phase.VOTING.value
    db.session.commit()
    refused = _upload(client, draft.id, images.plain("JPEG"))
    assert refused.status_code == 409 and "Voting has opened" in refused.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == (
        "round.change_refused")
    assert client.post(f"/photos/{photo.id}/remove").status_code == 302
    assert _photos() == 0 and _files(photo_dir) == []


@pytest.mark.parametrize("ballot_type, params, field", [
    ("approval", {"max_choices": 2}, 'name="project"'),
    ("cumulative", {"points": 10}, 'name="points-'),
    ("ordinal", {"top_k": 2}, 'id="read-more-'),
])
def test_the_ballot_shows_a_thumbnail_next_to_each_project(client, sign_in, photo_dir,
                                                           ballot_type, params, field):
    from voting.builders import place, resident, voting_round

    from pb_app.pictures.services import add_photo

    locality = place("Cheviot", "TD5")
    round_ = voting_round(locality, costs=(300_000, 200_000), ballot_type=ballot_type,
                          ballot_params=params)
    first, second = sorted(round_proposals(round_), key=lambda p: p.id)
    lead = make_user("Cheviot Lead", locality, GROUP_LEAD, locality)
    round_.phase = Phase.REVIEW.value  # photos are added before voting opens
    photo = add_photo(first, lead, images.plain("JPEG"), "soup.jpg", ALT)
    round_.phase = Phase.VOTING.value
    db.session.commit()
    sign_in(resident("Voter", "TD5 7AB", date(1980, 1, 1)))
    ballot = client.get(f"/rounds/{round_.id}/vote/ballot").get_data(as_text=True)
    assert ballot.count(field) == 2
    assert ballot.count("<img") == 1
    assert f'src="/photos/{photo.thumbnail_name}" alt="{ALT}"' in ballot
    assert client.get(f"/photos/{photo.thumbnail_name}").status_code == 200


def round_proposals(round_) -> list[Proposal]:
    """The proposals of a round."""
    return list(db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id)))


def test_closing_an_account_deletes_the_photos_of_its_unpublished_proposals(
        draft, resident, photo_dir):
    from pb_app.pictures.services import add_photo

    add_photo(draft, resident, images.plain("JPEG"), "a.jpg", ALT)
    db.session.commit()
    assert len(_files(photo_dir)) == 2
    closed = close_account(resident, DEFAULT_PASSWORD, "127.0.0.1", datetime.now(UTC))
    db.session.commit()
    assert closed.proposals_deleted == 1
    assert _photos() == 0 and _files(photo_dir) == []


def test_the_proposer_cannot_change_photos_once_voting_opens(client, sign_in, draft, resident):
    draft.status = Status.CHANGES_REQUESTED.value
    draft.round.phase = Phase.VOTING.value
    db.session.commit()
    sign_in(resident)
    refused = _upload(client, draft.id, images.plain("JPEG"))
    assert refused.status_code == 409 and "Voting has opened" in refused.get_data(as_text=True)
    assert _photos() == 0


def test_a_lead_cannot_add_a_photo_to_a_finished_proposal(client, sign_in, draft, lead):
    draft.status = Status.REJECTED.value
    db.session.commit()
    sign_in(lead)
    refused = _upload(client, draft.id, images.plain("JPEG"))
    assert refused.status_code == 409 and "This proposal is not eligible" in refused.get_data(
        as_text=True)
    assert _photos() == 0


def test_a_store_that_cannot_save_refuses_the_upload_and_keeps_no_row(
        app, client, sign_in, draft, resident, tmp_path, monkeypatch):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("in the way")
    monkeypatch.setitem(app.config, "PICTURES_DIR", str(blocked))
    sign_in(resident)
    refused = _upload(client, draft.id, images.plain("JPEG"))
    assert refused.status_code == 503
    assert "The photo could not be saved. Try again later." in refused.get_data(as_text=True)
    assert _photos() == 0


def test_a_photo_whose_file_is_missing_is_not_found(client, sign_in, draft, resident, photo_dir):
    sign_in(resident)
    _upload(client, draft.id, images.plain("JPEG"))
    photo = _only_photo()
    (photo_dir / photo.file_name).unlink()
    assert client.get(f"/photos/{photo.file_name}").status_code == 404
    assert client.get(f"/photos/{photo.thumbnail_name}").status_code == 200


def test_a_photo_larger_than_other_forms_may_be_is_still_read_on_its_page(
        client, sign_in, draft, resident, photo_dir):
    """The service refuses bodies over 3 MB; the photo page takes up to its own 5 MB limit."""
    sign_in(resident)
    read = _upload(client, draft.id, b"\xff\xd8" + b"0" * (4 * 1024 * 1024), "big.jpg")
    assert read.status_code == 422  # read, and refused as no photo, not as too large
    assert "too large" not in read.get_data(as_text=True)
