"""The projects on a round's ballot as the ballot pages show them, kept between requests.

Every vote reads the ballot's projects twice: on the page where the voter chooses, and again
to check and show back the choices. Once voting opens the ballot is fixed: its projects,
titles and costs no longer change, and a lead may only remove a photo. So each app process
keeps the projects of a fixed ballot, under the round's ``ballot_version``.

Any change to a proposal or a photo of a round whose ballot is fixed draws a new version in
the same flush (``_mark_ballot_changes``). Every request reads the round afresh, so every
process, however many there are, sees the new version on its next request and reads the
projects again. Until the ballot is fixed they are read on every request, since reviews still
change them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload, load_only

from pb_app.extensions import db
from pb_app.pictures.models import Photo
from pb_app.proposals.models import Proposal, Status
from pb_app.rounds.models import Round, new_ballot_version

# Rounds whose ballots one process keeps at most; far more than are ever in voting at once.
KEPT_BALLOTS = 64


@dataclass(frozen=True)
class BallotPhoto:
    """What the ballot shows of a project's photo: its thumbnail."""

    thumbnail_name: str
    alt_text: str
    thumbnail_width: int
    thumbnail_height: int


@dataclass(frozen=True)
class BallotProject:
    """One project as the ballot pages show it, detached from the database."""

    id: int
    title: str
    summary: str
    cost_pence: int
    photos: tuple[BallotPhoto, ...]


def ballot_projects(round_: Round) -> tuple[BallotProject, ...]:
    """The projects on the round's ballot (its accepted proposals), by id: read in one query,
    or, once the ballot is fixed, kept from an earlier request at the same version."""
    if round_.ballot_fixed_at is None:
        return _read_projects(round_.id)
    kept = current_app.extensions.setdefault("ballot_projects", {})
    key = (round_.id, round_.ballot_version)
    projects = kept.get(key)
    if projects is None:
        projects = _read_projects(round_.id)
        _keep(kept, key, projects)
    return projects


def _keep(kept: dict, key: tuple, projects: tuple[BallotProject, ...]) -> None:
    """Keep ``projects`` under ``key`` in place of the round's earlier versions (``list`` copies
    the keys at once, so that another thread's request may add one meanwhile)."""
    for older in [other for other in list(kept) if other[0] == key[0]]:
        kept.pop(older, None)
    if len(kept) >= KEPT_BALLOTS:
        kept.clear()
    kept[key] = projects


def _read_projects(round_id: int) -> tuple[BallotProject, ...]:
    """The accepted proposals of the round with their photos, as ``BallotProject``s."""
    query = (select(Proposal)
             .where(Proposal.round_id == round_id, Proposal.status == Status.ACCEPTED.value)
             .options(joinedload(Proposal.photos),
                      load_only(Proposal.title, Proposal.summary, Proposal.cost_pence,
                                raiseload=True))
             .order_by(Proposal.id))
    return tuple(BallotProject(
        id=proposal.id, title=proposal.title, summary=proposal.summary,
        cost_pence=proposal.cost_pence,
        photos=tuple(BallotPhoto(photo.thumbnail_name, photo.alt_text, photo.thumbnail_width,
                                 photo.thumbnail_height) for photo in proposal.photos))
        for proposal in db.session.scalars(query).unique())


@event.listens_for(Session, "before_flush")
def _mark_ballot_changes(session: Session, _context, _instances) -> None:
    """Draw a new ``ballot_version`` for each fixed ballot whose proposals or photos this
    flush adds, changes or deletes, written in the same flush."""
    for round_ in _fixed_ballots_changed(session):
        round_.ballot_version = new_ballot_version()


def _fixed_ballots_changed(session: Session) -> set[Round]:
    """The rounds with a fixed ballot that a proposal or photo about to be flushed belongs to."""
    proposal_ids: set[int] = set()
    rounds: set[Round] = set()
    modified = (changed for changed in session.dirty
                if isinstance(changed, Proposal | Photo) and session.is_modified(changed))
    for changed in (*session.new, *modified, *session.deleted):
        if isinstance(changed, Proposal):
            rounds.add(changed.round)
        elif isinstance(changed, Photo):
            proposal_ids.add(changed.proposal_id or changed.proposal.id)
    rounds.update(session.get(Proposal, proposal_id).round for proposal_id in proposal_ids)
    return {round_ for round_ in rounds if round_.ballot_fixed_at is not None}
