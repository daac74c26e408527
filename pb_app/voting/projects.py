"""The projects on a round's ballot as the ballot pages show them, kept between requests.

Every vote reads the ballot's projects twice: on the page where the voter chooses, and again
to check and show back the choices. Once voting opens the ballot is fixed: its projects,
titles and costs no longer change, and a lead may only remove a photo. So each app process
keeps the projects of a fixed ballot, under the round's ``ballot_version``.

Any change to a project or a photo of a round whose ballot is fixed draws a new version in the
same flush (``_mark_ballot_changes``). Every request reads the round afresh, so every
process, however many there are, sees the new version on its next request and reads the
projects again. Until the ballot is fixed they are read on every request, since reviews still
change them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session, joinedload, load_only
from sqlalchemy.orm.util import identity_key

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
    """Draw a new ``ballot_version`` for the rounds whose ballot is fixed and whose projects, or
    their photos, this flush adds, changes or deletes.

    Written in SQL, on the condition that the ballot is fixed as the database has it now (the
    session's copy of the round may be older), so that a round's row is locked only when there
    is a fixed ballot to mark. A flow that may change a fixed ballot locks the round before
    anything else (``pictures.services.remove_photo``), in the order a phase move takes them.
    """
    round_ids = _ballot_rounds_changed(session)
    if not round_ids:
        return
    rounds = Round.__table__
    session.connection().execute(
        update(rounds).where(rounds.c.id.in_(round_ids), rounds.c.ballot_fixed_at.is_not(None))
        .values(ballot_version=new_ballot_version()))
    for round_id in round_ids:
        loaded = session.identity_map.get(identity_key(Round, round_id))
        if loaded is not None:
            session.expire(loaded, ["ballot_version"])


def _ballot_rounds_changed(session: Session) -> set[int]:
    """The ids of the rounds whose ballot projects (accepted proposals, or proposals leaving
    it) or their photos are about to be flushed."""
    round_ids: set[int] = set()
    proposal_ids: set[int] = set()
    modified = (changed for changed in session.dirty
                if isinstance(changed, Proposal | Photo) and session.is_modified(changed))
    for changed in (*session.new, *modified, *session.deleted):
        if isinstance(changed, Proposal) and _on_ballot(changed):
            round_ids.add(changed.round_id if changed.round_id is not None else changed.round.id)
        elif isinstance(changed, Photo):
            proposal_ids.add(changed.proposal_id if changed.proposal_id is not None
                             else changed.proposal.id)
    for proposal_id in proposal_ids - {None}:
        proposal = session.get(Proposal, proposal_id)
        if proposal is not None and _on_ballot(proposal):
            round_ids.add(proposal.round_id)
    return round_ids - {None}


def _on_ballot(proposal: Proposal) -> bool:
    """True if the proposal is accepted, or is leaving the accepted status in this flush."""
    accepted = Status.ACCEPTED.value
    return proposal.status == accepted or accepted in inspect(proposal).attrs.status.history.deleted
