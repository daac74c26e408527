"""The rules of personal data: a resident's download, closing an account, and the purge of what
identifies the voters of a round once its retention period has passed.

What a purge keeps: results, count snapshots, published and anonymous ballots, and each
participation's round, channel, age and day, which the oversight reports count. What it
removes: each participation's person key (replaced by ``purged:<id>``, so the unique
constraint on (round, person key) still holds), its links to an account and to a voting code,
the round's voting codes (used or not), the people who followed the round, and failed
voting-code attempts older than the throttle needs.

Services flush and never commit; the view or command commits. They raise ``InvalidInput``
(a wrong password, a bad retention period), ``Conflict`` (closing the last administrator's
account) and let the sign-in throttle's refusal through.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, func, literal, or_, select, update

from pb_app.accounts.models import ADMINISTRATOR, RecoveryCode, RoleGrant, SignInFailure, User
from pb_app.accounts.services import SignInFailed, authenticate, end_sessions
from pb_app.audit.services import record_event
from pb_app.errors import Conflict, InvalidInput
from pb_app.extensions import db
from pb_app.ledger.models import Allocation
from pb_app.links import external_url
from pb_app.proposals.models import Proposal, Status
from pb_app.results.models import Publication
from pb_app.rounds.models import Round, RoundFollower
from pb_app.rounds.rules import CHANNELS
from pb_app.voting.models import (
    CodeAttempt,
    Participation,
    VotingCode,
)
from pb_app.voting.services import CODE_ATTEMPT_WINDOW

PURGED_PREFIX = "purged:"
# Not an argon2 hash, so no password matches it: a closed account cannot be signed in to.
CLOSED_PASSWORD_HASH = "!closed-account"
CLOSED_NAME = "Closed account"
# A reserved domain (RFC 2606) that registration refuses, so the placeholder never clashes.
CLOSED_EMAIL_DOMAIN = "closed.invalid"

NOT_INCLUDED = [
    "How you voted. Ballots are anonymous: they hold nothing that leads back to you, so nobody, "
    "including the partnership, can tell which ballot is yours. Your receipt code shows that "
    "your ballot was counted, not how you voted.",
    "Votes cast with a voting code from a letter, on paper or with help from staff at an event. "
    "These are not linked to your account.",
    "Equalities monitoring answers. They are anonymous and are not linked to you or to your "
    "account.",
]


# ----- download -----------------------------------------------------------------------------

def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data(user: User, now: datetime) -> dict[str, Any]:
    """Everything the service holds that names ``user``, as plain JSON values (never a ballot)."""
    return {
        "exported_at": _iso(now),
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "postcode": user.postcode,
            "date_of_birth": _iso(user.date_of_birth),
            "locality": user.locality.name if user.locality else None,
            "created_at": _iso(user.created_at),
            "email_confirmed_at": _iso(user.email_confirmed_at),
        },
        "roles": [{"role": grant.name, "granted_at": _iso(grant.granted_at)}
                  for grant in user.role_grants],
        "proposals": [_proposal_data(proposal) for proposal in db.session.scalars(
            select(Proposal).where(Proposal.proposer_id == user.id).order_by(Proposal.id))],
        "rounds_voted_in": _rounds_voted_in(user),
        "rounds_followed": [
            {"round": title, "since": _iso(since)}
            for title, since in db.session.execute(
                select(Round.title, RoundFollower.created_at)
                .join(Round, Round.id == RoundFollower.round_id)
                .where(RoundFollower.user_id == user.id).order_by(RoundFollower.id))
        ],
        "not_included": NOT_INCLUDED,
    }


def _proposal_data(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "round": proposal.round.title,
        "title": proposal.title,
        "status": proposal.current_status.label,
        "summary": proposal.summary,
        "description": proposal.description,
        "location": proposal.location,
        "location_postcode": proposal.location_postcode,
        "organisation": proposal.organisation,
        "conflict_of_interest": proposal.conflict_of_interest,
        "outcomes": list(proposal.outcomes or []),
        "priorities": list(proposal.priorities or []),
        "cost_pence": proposal.cost_pence,
        "cost_lines": [{"item": line.item, "amount_pence": line.amount_pence}
                       for line in proposal.cost_lines],
        "reviews": [{"decision": review.decision, "reason": review.reason,
                     "decided_at": _iso(review.created_at)} for review in proposal.reviews],
        "photos": [{"alt_text": photo.alt_text, "address": external_url(
                        "pictures.serve", name=photo.file_name),
                    "added_at": _iso(photo.created_at)} for photo in proposal.photos],
        "created_at": _iso(proposal.created_at),
        "submitted_at": _iso(proposal.submitted_at),
        "updated_at": _iso(proposal.updated_at),
    }


def _rounds_voted_in(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Round, Participation.channel, Participation.voted_on)
        .join(Participation, Participation.round_id == Round.id)
        .where(Participation.user_id == user.id).order_by(Participation.voted_on, Round.id))
    return [{"round": round_.title, "locality": round_.locality.name,
             "channel": CHANNELS.get(channel, channel), "voted_on": _iso(voted_on)}
            for round_, channel, voted_on in rows]


# ----- closing an account --------------------------------------------------------------------

@dataclass(frozen=True)
class ClosedAccount:
    """What closing an account did, in counts (the audit entry records the same)."""

    proposals_deleted: int
    proposals_kept: int
    participations_detached: int
    roles_removed: int


def close_account(user: User, password: str, address: str, now: datetime,
                  device_cookie: str | None = None) -> ClosedAccount:
    """Close ``user``'s account: delete what can go, detach what the record must keep.

    Deleted: the name, email address, postcode, date of birth, password and second factor;
    roles, the email confirmation, followed rounds, failed sign-ins under the address, and
    proposals that did not go to a vote. Every session the person has open ends. Kept, with
    no one named: proposals that went to a vote (or that funding or a merge refers to), and
    participations, which keep their person key until the round is published so that nobody
    votes twice (a published round's key is replaced).

    The password is checked as a sign-in is (``device_cookie`` as there), so guessing it here
    is throttled too. Raises SignInFailed for a wrong password (counted, and kept, as a failed
    sign-in), the sign-in throttle's refusal while it holds, and Conflict for
    the last administrator.
    """
    try:
        authenticate(user.email, password, address, now, device_cookie=device_cookie)
    except SignInFailed:
        raise SignInFailed("That is not your password. Enter the password you sign in "
                           "with.") from None
    if user.has_role(ADMINISTRATOR) and not _other_administrators(user):
        raise Conflict("You are the only administrator. Make someone else an administrator "
                       "before you close your account.")
    deleted, kept = _settle_proposals(user)
    closed = ClosedAccount(
        proposals_deleted=deleted, proposals_kept=kept,
        participations_detached=_detach_participations(user),
        roles_removed=len(user.role_grants),
    )
    user.role_grants.clear()
    db.session.execute(delete(RoundFollower).where(RoundFollower.user_id == user.id))
    db.session.execute(delete(SignInFailure).where(SignInFailure.email == user.email))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.email = f"closed-{user.id}@{CLOSED_EMAIL_DOMAIN}"
    user.full_name = CLOSED_NAME
    user.password_hash = CLOSED_PASSWORD_HASH
    user.postcode, user.date_of_birth, user.locality = None, None, None
    user.reset_mailed_at = user.email_confirmed_at = None
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
    end_sessions(user)
    record_event("account.closed", actor=user, subject=user, after=asdict(closed))
    return closed


def _other_administrators(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RoleGrant).where(
        RoleGrant.role == ADMINISTRATOR, RoleGrant.user_id != user.id))


def _must_keep(proposal: Proposal) -> bool:
    """True when the public record needs the proposal: it went to a vote, was funded, or
    another proposal was merged into it."""
    if proposal.current_status is Status.ACCEPTED and proposal.round.is_frozen:
        return True
    funded = select(Allocation.id).where(Allocation.proposal_id == proposal.id)
    merged_in = select(Proposal.id).where(Proposal.merged_into_id == proposal.id)
    return bool(db.session.scalar(funded.limit(1)) or db.session.scalar(merged_in.limit(1)))


def _settle_proposals(user: User) -> tuple[int, int]:
    deleted = kept = 0
    for proposal in list(db.session.scalars(
            select(Proposal).where(Proposal.proposer_id == user.id))):
        if _must_keep(proposal):
            kept += 1
        else:
            db.session.delete(proposal)
            deleted += 1
    db.session.flush()
    return deleted, kept


def _detach_participations(user: User) -> int:
    published = set(db.session.scalars(select(Publication.round_id)))
    participations = list(db.session.scalars(
        select(Participation).where(Participation.user_id == user.id)))
    for participation in participations:
        participation.user_id = None
        if participation.round_id in published:
            participation.person_key = f"{PURGED_PREFIX}{participation.id}"
            participation.resemblance_key = participation.name_resemblance_key = None
    db.session.flush()
    return len(participations)


# ----- the purge -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RoundPurge:
    """What the purge removes, or would remove, from one published round past retention."""

    round_id: int
    title: str
    published_on: date
    kept_until: date
    person_keys: int
    account_links: int
    code_links: int
    unused_codes: int
    used_codes: int
    followers: int

    def counts(self) -> dict[str, int]:
        """The figures alone, as the audit entry records them (no personal data)."""
        return {name: value for name, value in asdict(self).items()
                if name not in ("round_id", "title", "published_on", "kept_until")}

    @property
    def is_empty(self) -> bool:
        """True when nothing is left to remove (the round was purged before)."""
        return not any(self.counts().values())


@dataclass(frozen=True)
class RetainedRound:
    """A published round still within its retention period."""

    round_id: int
    title: str
    kept_until: date


@dataclass(frozen=True)
class PurgePlan:
    """The rounds due for the purge, those still retained, and stale code attempts."""

    due: list[RoundPurge]
    retained: list[RetainedRound]
    code_attempts: int


def read_retention_days(value: Any) -> int:
    """The retention period in whole days from a setting (a number or digits).

    Raises InvalidInput for anything else, or a negative number.
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"DATA_RETENTION_DAYS must be a whole number of days, 0 or more, "
                           f"not {value!r}")
    return value


def plan_purge(now: datetime, retention_days: int) -> PurgePlan:
    """What a purge at ``now`` removes: rounds published at least ``retention_days`` ago.

    Changes nothing. Raises InvalidInput for a bad retention period.
    """
    retention = timedelta(days=read_retention_days(retention_days))
    published = db.session.execute(
        select(Round.id, Round.title, Publication.published_at)
        .join(Publication, Publication.round_id == Round.id).order_by(Round.id))
    due, retained = [], []
    for round_id, title, published_at in published:
        kept_until = published_at + retention
        if kept_until > now:
            retained.append(RetainedRound(round_id, title, kept_until.date()))
        else:
            due.append(_round_purge(round_id, title, published_at.date(), kept_until.date()))
    return PurgePlan(due, retained, db.session.scalar(
        select(func.count()).select_from(CodeAttempt).where(_stale_attempt(now))))


def _stale_attempt(now: datetime):
    return CodeAttempt.attempted_at <= now - CODE_ATTEMPT_WINDOW


def _round_purge(round_id: int, title: str, published_on: date, kept_until: date) -> RoundPurge:
    def count(model, *conditions) -> int:
        query = select(func.count()).select_from(model).where(model.round_id == round_id)
        return db.session.scalar(query.where(*conditions))

    used = select(Participation.voting_code_id).where(
        Participation.round_id == round_id, Participation.voting_code_id.is_not(None))
    return RoundPurge(
        round_id=round_id, title=title, published_on=published_on, kept_until=kept_until,
        person_keys=count(Participation, ~Participation.person_key.startswith(PURGED_PREFIX)),
        account_links=count(Participation, Participation.user_id.is_not(None)),
        code_links=count(Participation, Participation.voting_code_id.is_not(None)),
        unused_codes=count(VotingCode, VotingCode.id.not_in(used)),
        used_codes=count(VotingCode, VotingCode.id.in_(used)),
        followers=count(RoundFollower),
    )


def purge_personal_data(now: datetime, retention_days: int) -> PurgePlan:
    """Remove what identifies the voters of every round published ``retention_days`` or more
    before ``now``, and stale code attempts; return what was removed (see ``plan_purge``).

    Each round purged gets an audit entry with the counts only. A second run finds nothing
    more to remove and records nothing. Raises InvalidInput for a bad retention period.
    """
    plan = plan_purge(now, retention_days)
    for item in plan.due:
        if item.is_empty:
            continue
        _purge_round(item.round_id)
        record_event("data.purged", subject=db.session.get(Round, item.round_id),
                     after=item.counts())
    if plan.code_attempts:
        db.session.execute(delete(CodeAttempt).where(_stale_attempt(now)))
        record_event("data.purged", after={"code_attempts": plan.code_attempts})
    db.session.flush()
    return plan


def _purge_round(round_id: int) -> None:
    in_round = Participation.round_id == round_id
    purged_key = literal(PURGED_PREFIX).concat(cast(Participation.id, String))
    db.session.execute(
        update(Participation)
        .where(in_round, or_(~Participation.person_key.startswith(PURGED_PREFIX),
                             Participation.resemblance_key.is_not(None),
                             Participation.name_resemblance_key.is_not(None),
                             Participation.user_id.is_not(None),
                             Participation.voting_code_id.is_not(None)))
        .values(person_key=purged_key, resemblance_key=None, name_resemblance_key=None,
                user_id=None, voting_code_id=None),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.execute(delete(VotingCode).where(VotingCode.round_id == round_id))
    db.session.execute(delete(RoundFollower).where(RoundFollower.round_id == round_id))
