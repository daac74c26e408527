"""The rules of photos: who may add and remove them, when, and who may see them.

The proposer changes photos while the proposal is in their hands (a draft, or sent back for
changes) and the round takes changes; the locality's leads, who review the proposal, may add
photos until voting opens and remove one at any time (a photo that should not be shown). A
photo is seen by whoever may see its proposal.

A removed photo's files are deleted once the removal is committed, so a removal that fails
or is rolled back leaves the photo whole; deleting a proposal (a closed account's draft)
removes its photos and files the same way. Services flush, never commit, write the audit
entry and raise domain errors.
"""

from __future__ import annotations

import secrets
from functools import partial

from sqlalchemy import event, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session

from pb_app.accounts.services import can_manage_locality, check_can_manage_locality
from pb_app.after_commit import after_commit
from pb_app.audit.services import record_event
from pb_app.errors import Conflict, InvalidInput, NotFound
from pb_app.extensions import db
from pb_app.pictures.images import CleanPhoto, clean_photo
from pb_app.pictures.models import MAX_ALT_TEXT, MAX_PHOTOS, Photo
from pb_app.pictures.storage import photo_storage
from pb_app.proposals.models import PUBLIC_STATUSES, Proposal, Status
from pb_app.proposals.services import check_may_edit, get_proposal, is_proposer
from pb_app.rounds.services import lock_round, refuse_if_frozen


class AltTextRefused(InvalidInput):
    """The alt text is missing or too long."""


# ----- who may do what ------------------------------------------------------------------


def check_can_change_photos(proposal: Proposal, user, *, adding: bool) -> None:
    """Raise unless ``user`` may add (``adding``) or remove photos of ``proposal`` now.

    Raises PermissionDenied (neither the proposer nor a lead of the locality), Conflict (the
    proposal is not in the proposer's hands, or is finished with) or RulesFrozen (voting has
    opened: the proposer can change nothing, a lead can only remove).
    """
    if is_proposer(proposal, user):
        if not proposal.is_with_proposer:
            raise Conflict("You can add or remove photos while your proposal is a draft or sent"
                           " back for changes. To change it now, choose Change on its page:"
                           " it will need to be submitted again.")
        check_may_edit(proposal.round, proposal, user)
        return
    check_can_manage_locality(user, proposal.round.locality)
    if adding:
        if proposal.is_closed:
            raise Conflict(f"This proposal is {proposal.current_status.label.lower()}")
        refuse_if_frozen(proposal.round, user, "adding a photo")


def may_manage_photos(proposal: Proposal, user) -> bool:
    """True if the user is the proposer with the proposal in hand, or a lead of its locality:
    whether to offer the photos page (``check_can_change_photos`` has the last word)."""
    if not user.is_authenticated:
        return False
    if is_proposer(proposal, user):
        return proposal.is_with_proposer
    return can_manage_locality(user, proposal.round.locality)


def check_photos_page(proposal: Proposal, user) -> None:
    """Raise PermissionDenied unless the user made the proposal or leads its locality."""
    if not is_proposer(proposal, user):
        check_can_manage_locality(user, proposal.round.locality)


# ----- reading --------------------------------------------------------------------------


def visible_photos(proposal: Proposal, viewer) -> list[Photo]:
    """The proposal's photos, oldest first, if ``viewer`` may see the proposal; else none."""
    try:
        get_proposal(proposal.id, viewer)
    except NotFound:
        return []
    return list(proposal.photos)


def get_photo(photo_id: int, viewer) -> Photo:
    """The photo, if ``viewer`` may see its proposal; raises NotFound."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("There is no such photo")
    get_proposal(photo.proposal_id, viewer)
    return photo


def find_photo_file(name: str, viewer) -> tuple[Photo, bool]:
    """The photo one of whose files is ``name``, and whether anyone may see it.

    Raises NotFound when no photo has that file, or ``viewer`` may not see its proposal.
    """
    photo = db.session.scalars(select(Photo).where(
        or_(Photo.file_name == name, Photo.thumbnail_name == name))).first()
    if photo is None:
        raise NotFound("There is no such photo")
    proposal = get_proposal(photo.proposal_id, viewer)
    return photo, proposal.current_status in PUBLIC_STATUSES


# ----- adding and removing --------------------------------------------------------------


def _checked_alt_text(alt_text: str) -> str:
    text = " ".join((alt_text or "").split())
    if not text:
        raise AltTextRefused("Describe the photo for people who cannot see it")
    if len(text) > MAX_ALT_TEXT:
        raise AltTextRefused(f"The description must be {MAX_ALT_TEXT} characters or fewer")
    return text


def _free_position(proposal: Proposal) -> int:
    taken = {photo.position for photo in proposal.photos}
    free = [n for n in range(1, MAX_PHOTOS + 1) if n not in taken]
    if not free:
        raise Conflict(f"A proposal can have at most {MAX_PHOTOS} photos. Remove one to add"
                       " another.")
    return free[0]


def add_photo(proposal: Proposal, actor, data: bytes, filename: str, alt_text: str) -> Photo:
    """Clean the uploaded photo (``data``, named ``filename`` on the person's computer), store
    it under a random name and add it to the proposal with its alt text.

    Raises as ``check_can_change_photos``, then as ``store_photo``.
    """
    check_can_change_photos(proposal, actor, adding=True)
    return store_photo(proposal, actor, data, filename, alt_text)


def store_photo(proposal: Proposal, uploader, data: bytes, filename: str,
                alt_text: str) -> Photo:
    """Clean, store and add a photo, with its audit entry, without asking who or when: for
    ``add_photo``, and for the demo, which adds photos as they were added before voting.

    Raises InvalidInput (no file), AltTextRefused, InvalidInput or PhotoTooLarge for the file
    (see ``clean_photo``), Conflict when the proposal already has ``MAX_PHOTOS`` (the database
    refuses a fourth even when two uploads race) and StorageUnavailable.
    """
    if not data and not filename:
        raise InvalidInput("Choose a photo to add")
    alt_text = _checked_alt_text(alt_text)
    clean = clean_photo(data, filename)
    token = secrets.token_urlsafe(18)
    photo = Photo(
        position=_free_position(proposal), alt_text=alt_text, uploaded_by_id=uploader.id,
        file_name=f"{token}.{clean.full.extension}",
        thumbnail_name=f"{token}-small.{clean.thumbnail.extension}",
        content_type=clean.full.content_type, width=clean.full.width, height=clean.full.height,
        thumbnail_width=clean.thumbnail.width, thumbnail_height=clean.thumbnail.height)
    try:
        with db.session.begin_nested():
            proposal.photos.append(photo)
    except IntegrityError:  # another upload took the last free place since the check
        raise Conflict(f"A proposal can have at most {MAX_PHOTOS} photos. Remove one to add"
                       " another.") from None
    _store(photo, clean)
    record_event("photo.added", actor=uploader, subject=photo, round_id=proposal.round_id,
                 after={"proposal_id": proposal.id, "file_name": photo.file_name,
                        "alt_text": alt_text})
    return photo


def _store(photo: Photo, clean: CleanPhoto) -> None:
    """Save both files; if the second fails, take the first away again."""
    storage = photo_storage()
    storage.save(photo.file_name, clean.full.data, clean.full.content_type)
    try:
        storage.save(photo.thumbnail_name, clean.thumbnail.data, clean.thumbnail.content_type)
    except Exception:
        storage.delete(photo.file_name)
        raise


def remove_photo(photo: Photo, actor) -> None:
    """Remove the photo; its files go once the removal is committed.

    Raises as ``check_can_change_photos`` (a lead may remove a photo even while voting is
    open).
    """
    proposal = photo.proposal
    check_can_change_photos(proposal, actor, adding=False)
    if proposal.status == Status.ACCEPTED.value:  # on a ballot, which may be fixed: see
        lock_round(proposal.round)                # voting.projects, whose mark writes the round
    record_event("photo.removed", actor=actor, subject=photo, round_id=proposal.round_id,
                 before={"proposal_id": proposal.id, "file_name": photo.file_name,
                         "alt_text": photo.alt_text})
    proposal.photos.remove(photo)
    db.session.flush()


# ----- deleting files once a removal is committed --------------------------------------


@event.listens_for(Photo, "after_delete")
def _delete_files_once_saved(mapper, connection, photo: Photo) -> None:
    """Delete a deleted photo's files (removed, or deleted with its proposal) once the deletion
    is saved; kept if it rolls back."""
    for name in photo.file_names:
        after_commit(partial(_delete_file, name), f"delete photo file {name}",
                     object_session(photo))


def _delete_file(name: str) -> None:
    photo_storage().delete(name)
