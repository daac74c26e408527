"""The rules of casting: open or closed, who the voter is, one ballot each, paper batches.

Services take plain values and model objects, flush and never commit; the view commits.
They raise ``Conflict`` (voting closed, already voted), ``NotEligible`` (a rule stops the
voter, with the reason), ``InvalidInput`` (a bad code or ballot) and ``NotFound``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import Insert, bindparam, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from pb_app.accounts.models import User
from pb_app.accounts.services import check_can_manage_locality
from pb_app.accounts.tokens import user_of
from pb_app.audit.models import AuditEntry
from pb_app.audit.services import record_event
from pb_app.ballotbox.models import Ballot, BallotEnvelope
from pb_app.ballotbox.services import check_box_opened, seal_ballot
from pb_app.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotEligible,
    NotFound,
    PermissionDenied,
)
from pb_app.extensions import database_dialect, db
from pb_app.links import external_url
from pb_app.localities.services import (
    normalise_postcode,
    postcode_locality,
    postcode_parameters,
)
from pb_app.mail import send_mail
from pb_app.proposals.models import Proposal, Status
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.rules import CHANNELS, Channel, Verification
from pb_app.rounds.services import move_round
from pb_app.tokens import TokenKind
from pb_app.voting import codes
from pb_app.voting.ballots import BallotRules, Choices
from pb_app.voting.eligibility import (
    Eligibility,
    Voter,
    code_key,
    identity_key,
    name_resemblance_key,
    require_eligible,
    resemblance_key,
)
from pb_app.voting.models import (
    CodeAttempt,
    PaperBatch,
    Participation,
    VotingCode,
    VotingCodeBatch,
)
from pb_app.voting.projects import BallotProject, ballot_projects
from pb_app.voting.receipts import new_receipt, receipt_hash
from pb_app.voting.wording import count_of, there_are, was_or_were

CODE_ATTEMPT_WINDOW = timedelta(minutes=15)
CODE_ATTEMPTS_PER_ADDRESS = 10
MAX_CODES_PER_BATCH = 5000
EMAIL_TOKEN_TTL = timedelta(days=2)
EMAIL_TOKEN = TokenKind(
    "voter-email", claims=("sub", "email", "round"),
    expired_message="This link has expired. Ask for a new one.",
    invalid_message="This link is not valid. Check you copied all of it, or ask for a new one.",
)
ALREADY_VOTED = "You have already voted in this round. Each person can vote once, on one channel."
CODE_USED = "This voting code has already been used. Each code can be used once."


class TooManyCodeAttempts(DomainError):
    """Voting codes refused for a while after too many wrong ones from one address."""

    status = 429
    title = "Too many attempts"


class WrongCode(InvalidInput):
    """A voting code that is not recognised; the attempt is recorded, and kept, for the rate
    limit of its address."""

    recorded = True


def voting_state(round_: Round, now: datetime) -> str:
    """Why ballots are refused now, in plain words, or "" while voting is open."""
    if round_.current_phase in (Phase.DRAFT, Phase.PROPOSALS_OPEN, Phase.REVIEW):
        return "Voting in this round has not opened yet."
    opens, closes = round_.voting_open_at, round_.voting_close_at
    if opens is not None and now < opens:
        return f"Voting in this round opens on {opens:%-d %B %Y at %H:%M} (UTC)."
    if round_.current_phase != Phase.VOTING or closes is None or now >= closes:
        return "Voting in this round has closed. No more ballots can be accepted."
    return ""


def check_voting_open(round_: Round, now: datetime) -> None:
    """Raise Conflict unless the round is taking ballots at ``now``."""
    problem = voting_state(round_, now)
    if problem:
        raise Conflict(problem)


def ballot_proposals(round_: Round) -> list[Proposal]:
    """The proposals on the round's ballot (its accepted ones), by id, in one query, for the
    count and the reports; the ballot pages read ``projects.ballot_projects``."""
    return list(db.session.scalars(select(Proposal).where(
        Proposal.round_id == round_.id, Proposal.status == Status.ACCEPTED.value)
        .order_by(Proposal.id)))


def opened_ballots(round_: Round) -> Iterator[tuple[Choices, int]]:
    """The round's opened ballots as the count reads them: each distinct content once, with
    how many ballots have it, sorted by the stored JSON (so in no order anyone cast them).

    The box is checked and the ballots read at the call; each content is parsed as it is
    taken, so a city's ballots are never all held as ``Choices`` at once.
    Raises Conflict while sealed ballots wait in the round's ballot box.
    """
    check_box_opened(round_)
    query = (select(Ballot.choices_json, func.count())
             .where(Ballot.round_id == round_.id).group_by(Ballot.choices_json))
    stored = sorted((text, count) for text, count in db.session.execute(query))
    return ((Choices.from_json(text), count) for text, count in stored)


def display_order(round_: Round, projects: Sequence[BallotProject],
                  seed: str) -> list[BallotProject]:
    """The ballot's projects in this voter's order: shuffled by their own seed, unless the
    round shows every voter the same order."""
    if round_.is_ballot_order_fixed:
        return list(projects)
    shuffled = list(projects)
    random.Random(f"{seed}:{round_.id}").shuffle(shuffled)
    return shuffled


def ballot_rules(round_: Round, projects: Sequence[BallotProject] | None = None) -> BallotRules:
    """The round's ballot type, its projects' costs and its limits, for ``read_choices``;
    ``projects`` are its ``ballot_projects`` when the caller has them already."""
    params = round_.ballot_params or {}
    if projects is None:
        projects = ballot_projects(round_)
    return BallotRules(
        ballot_type=round_.ballot_type,
        costs={str(project.id): project.cost_pence for project in projects},
        max_choices=params.get("max_choices"),
        budget_pence=round_.budget_pence,
        min_share_percent=params.get("min_share_percent") or 0,
        points=params.get("points"),
        max_score=params.get("max_score"),
        top_k=params.get("top_k"),
    )


def is_email_confirmed(user: User) -> bool:
    """True if the user's email address has been confirmed by a link (at registration, by a
    password reset, or before voting)."""
    return user.email_confirmed_at is not None


def confirm_email(user: User, email: str) -> None:
    """Record that ``email`` reached ``user`` (from a signed link); stale links are refused."""
    if email != user.email:
        raise InvalidInput("This link was for an email address you no longer use. "
                           "Ask for a new one.")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = datetime.now(UTC)
    db.session.flush()


def request_email_confirmation(user: User, round_: Round, link_for: Callable[[str], str],
                               now: datetime) -> None:
    """Email the resident a link that confirms their address (valid for two days)."""
    claims = {"sub": str(user.id), "email": user.email, "round": round_.id, "iat": now}
    token = EMAIL_TOKEN.make(claims, now, EMAIL_TOKEN_TTL)
    send_mail(user.email, "Confirm your email address to vote", (
        f"Dear {user.full_name},\n\nTo vote in {round_.title}, confirm your email address by "
        f"opening this link within two days:\n\n{link_for(token)}\n\n"
        "If you did not ask for this, you can ignore this email."
    ))


def read_email_token(token: str, person: User) -> tuple[str, int]:
    """The address an email-confirmation link was sent to, and the round the voter came
    from, for the signed-in ``person``.

    Raises InvalidInput for an expired or altered link, PermissionDenied when the link was
    sent to another account (whoever registered someone else's address cannot have its owner
    confirm it by opening the link).
    """
    claims = EMAIL_TOKEN.read(token)
    if user_of(claims, EMAIL_TOKEN).id != person.id:
        raise PermissionDenied("This link was sent to another account. Sign out, then sign in "
                               "to the account whose email address you are confirming.")
    return claims["email"], int(claims["round"])


def confirm_email_token(token: str, person: User) -> int:
    """Confirm ``person``'s address with the link sent to it; return the round the voter came
    from. Raises as ``read_email_token`` does, and InvalidInput for a stale link."""
    email, round_id = read_email_token(token, person)
    confirm_email(person, email)
    return round_id


def voter_for_user(round_: Round, user: User) -> Voter:
    """The voter a signed-in resident is, for a self-declared round.

    Raises NotEligible when the round needs another kind of verification, or the resident's
    email is not confirmed, or their postcode and date of birth are not recorded.
    """
    if round_.voter_verification != Verification.SELF_DECLARED:
        raise NotEligible(_VERIFICATION_NEEDED.get(round_.voter_verification, ""))
    if not is_email_confirmed(user):
        raise NotEligible("Confirm your email address before you vote: we will send you a link.")
    if not user.postcode or user.date_of_birth is None:
        raise NotEligible("Add your postcode and date of birth to your profile before you vote.")
    return Voter(person_key=identity_key(user.full_name, user.postcode, user.date_of_birth),
                 postcode=user.postcode, date_of_birth=user.date_of_birth,
                 name_key=name_resemblance_key(user.full_name, user.postcode), user_id=user.id)


_VERIFICATION_NEEDED = {
    Verification.VOTING_CODE: "This round asks for the voting code posted to your home. "
                   "Use the code, with your postcode, to vote.",
    Verification.IN_PERSON: "This round's vote takes place in person at community events. "
                 "Ask your Community Integration Group where and when.",
}


def voter_for_code(round_: Round, typed_code: str, postcode: str, date_of_birth: date,
                   address: str, now: datetime) -> Voter:
    """The voter who holds a voting code for this round, until the round closes.

    A valid code is never throttled, so residents behind one address (a library, a care
    home) are not locked out by a neighbour's mistakes: a code has about 75 bits, so only
    wrong guesses need slowing. Raises Conflict when voting is not open, TooManyCodeAttempts
    for a wrong code after repeated wrong codes from ``address``, WrongCode for a code
    that is unknown (the failure is recorded and kept) and NotEligible for a
    code already used.
    """
    if round_.voter_verification != Verification.VOTING_CODE:
        raise NotEligible("This round does not use voting codes.")
    check_voting_open(round_, now)
    normalised = normalise_postcode(postcode)
    found = None
    if codes.is_well_formed(typed_code, codes.VOTING_CODE_GROUPS):
        found = db.session.execute(_CODE_AND_ITS_HOLDER, {
            "code_hash": codes.hash_code(typed_code), "round_id": round_.id,
            "locality_id": round_.locality_id, **postcode_parameters(normalised)}).first()
    if found is None:
        _refuse_wrong_code(address, now)
    if found.used:
        raise NotEligible(CODE_USED)
    return Voter(person_key=code_key(found.id), postcode=postcode, date_of_birth=date_of_birth,
                 voting_code_id=found.id, in_locality=bool(found.in_locality))


# The code of a round, whether it was used, and whether the holder's postcode lies in the
# round's locality: one statement, built once (see ``rounds.services.round_reading``).
_CODE_AND_ITS_HOLDER = (
    select(VotingCode.id, Participation.id.is_not(None).label("used"),
           (postcode_locality() == bindparam("locality_id")).label("in_locality"))
    .outerjoin(Participation, Participation.voting_code_id == VotingCode.id)
    .where(VotingCode.code_hash == bindparam("code_hash"),
           VotingCode.round_id == bindparam("round_id")))


def _refuse_wrong_code(address: str, now: datetime) -> None:
    """Record a wrong code from ``address`` and refuse it: TooManyCodeAttempts once the
    address has made too many lately (that refusal is not recorded, so the wait ends),
    WrongCode before."""
    since = now - CODE_ATTEMPT_WINDOW
    db.session.execute(delete(CodeAttempt).where(CodeAttempt.attempted_at <= since))
    recent = db.session.scalar(select(func.count()).select_from(CodeAttempt).where(
        CodeAttempt.address == address, CodeAttempt.attempted_at > since))
    if recent >= CODE_ATTEMPTS_PER_ADDRESS:
        minutes = int(CODE_ATTEMPT_WINDOW.total_seconds() // 60)
        raise TooManyCodeAttempts(
            f"Too many voting codes from this connection were not recognised. Check your code "
            f"against your letter and try again in {minutes} minutes, or ask your Community "
            "Integration Group for help."
        )
    db.session.add(CodeAttempt(address=address, attempted_at=now))
    db.session.flush()
    raise WrongCode("We do not recognise that voting code. Check it against your letter: "
                       "it has 15 letters and numbers, in three groups of five.")


def voter_at_desk(full_name: str, postcode: str, date_of_birth: date) -> Voter:
    """The voter staff identified at an event by name, postcode and date of birth."""
    return Voter(person_key=identity_key(full_name, postcode, date_of_birth),
                 postcode=normalise_postcode(postcode), date_of_birth=date_of_birth,
                 name_key=name_resemblance_key(full_name, postcode), at_desk=True)


def hand_out_paper_ballot(round_: Round, voter: Voter, staff: User, now: datetime) -> None:
    """Record that staff at an event gave ``voter`` a ballot paper: they have voted, on paper.

    The paper goes into a batch and is keyed with it (``pb_app.paper``), whose acceptance
    writes the ballots and one audit entry for the batch, so nothing here waits on the audit
    trail. Raises PermissionDenied, Conflict (voting not open, or already voted: the database
    decides a race) and NotEligible.
    """
    check_can_run_voting(staff, round_)
    check_voting_open(round_, now)
    eligibility = require_eligible(round_, voter)
    _record_participation(round_, voter, eligibility, Channel.PAPER, now, None)


def cast_ballot(round_: Round, voter: Voter, choices: Choices, *, channel: str, now: datetime,
                helper: User | None = None, batch: PaperBatch | None = None,
                eligibility: Eligibility | None = None) -> str:
    """Record that ``voter`` voted and, in the same transaction, their ballot, sealed.

    Returns the receipt code, which is stored nowhere (the sealed ballot keeps its hash). Raises
    Conflict when voting is closed or the voter already voted (the database's unique
    participation decides a race: the loser writes nothing), NotEligible when a rule stops
    them. ``choices`` must come from ``read_choices`` with this round's rules. ``eligibility``
    is the voter's when it was established earlier in this same vote (a voting code's holder
    is checked as the code is entered); without it the rules are checked here.
    """
    check_voting_open(round_, now)
    if eligibility is None:
        eligibility = require_eligible(round_, voter)
    participation_id = _record_participation(round_, voter, eligibility, channel, now, helper)
    receipt, hashed = new_receipt()
    seal_ballot(round_, choices_json=choices.to_json(), receipt_hash=hashed, channel=channel,
                day=now.date(), batch_id=batch.id if batch else None)
    if helper is not None:
        record_event(f"voting.{channel}_entry", actor=helper,
                     subject=db.session.get(Participation, participation_id))
    return receipt


def _record_participation(round_: Round, voter: Voter, eligibility: Eligibility, channel: str,
                          now: datetime, helper: User | None) -> int:
    """Insert the voter's participation and return its id; raise Conflict, having written
    nothing, when one of theirs exists (by person, account or voting code)."""
    inserted = db.session.scalar(_PARTICIPATION_UNLESS_PRESENT[database_dialect()], {
        "round_id": round_.id, "person_key": voter.person_key,
        "resemblance_key": resemblance_key(voter.postcode, voter.date_of_birth),
        "name_resemblance_key": voter.name_key, "user_id": voter.user_id,
        "voting_code_id": voter.voting_code_id, "channel": channel, "age_years": eligibility.age,
        "helper_id": helper.id if helper is not None and channel == Channel.ASSISTED else None,
        "voted_on": now.date(),
    })
    if inserted is None:
        raise Conflict(ALREADY_VOTED)
    return inserted


def _participation_unless_present(dialect) -> Insert:
    """An INSERT of one participation, its columns bound by name, that writes nothing, instead
    of failing, where a unique key already holds a row (one statement, no savepoint); returns
    its id. Built once per dialect (see ``rounds.services.round_reading``)."""
    table = Participation.__table__  # the table, not the class: a row written, not an object
    columns = ("round_id", "person_key", "resemblance_key", "name_resemblance_key", "user_id",
               "voting_code_id", "channel", "age_years", "helper_id", "voted_on")
    return (dialect.insert(table).values({name: bindparam(name) for name in columns})
            .on_conflict_do_nothing().returning(table.c.id))


_PARTICIPATION_UNLESS_PRESENT = {"postgresql": _participation_unless_present(postgresql),
                                 "sqlite": _participation_unless_present(sqlite)}


def send_receipt(email: str, round_: Round, receipt: str) -> None:
    """Email a receipt code to the voter who asked for it (the message names no choices)."""
    send_mail(email, f"Your receipt for {round_.title}", (
        f"Thank you for voting in {round_.title}.\n\nYour receipt code is {receipt}\n\n"
        "You can use it to check that your ballot is in the ballot box now, and that it was "
        "counted once the results are published, at "
        f"{external_url('voting.check_receipt', round_id=round_.id)}\n\n"
        "Nobody can see how you voted from this code unless you show it to them."
    ))


SEALED = "sealed"
COUNTED = "counted"


def receipt_status(round_: Round, typed_receipt: str) -> str | None:
    """Where the ballot a receipt names is: ``SEALED`` in the round's box, ``COUNTED`` once the
    box was opened for the count, or None when no ballot of the round has that receipt."""
    hashed = receipt_hash(typed_receipt)
    if hashed is None:
        return None
    envelope = db.session.scalar(select(BallotEnvelope).where(
        BallotEnvelope.round_id == round_.id, BallotEnvelope.receipt_hash == hashed))
    if envelope is None:
        return None
    return COUNTED if envelope.is_opened else SEALED


def turnout_by_channel(round_: Round) -> dict[str, int]:
    """How many people voted in the round, per channel."""
    rows = db.session.execute(select(Participation.channel, func.count()).where(
        Participation.round_id == round_.id).group_by(Participation.channel))
    return {channel: count for channel, count in rows}


def suspected_duplicates(round_: Round) -> list[list[tuple[str, date]]]:
    """Participations of the round that share a postcode and a date of birth, or a name and a
    postcode, as groups of (channel, day), earliest first: the same person may have voted
    twice under two spellings of their name, with another date of birth, or on two channels.
    Participations linked through either are one group. Ballots cannot be taken back
    (nothing links them to a person); the finance officer weighs these against the result's
    margins before signing off."""
    in_round = Participation.round_id == round_.id
    keys = (Participation.resemblance_key, Participation.name_resemblance_key)
    shared = [select(key).where(in_round, key.is_not(None)).group_by(key)
              .having(func.count() > 1) for key in keys]
    rows = db.session.execute(
        select(Participation.id, *keys, Participation.channel, Participation.voted_on)
        .where(in_round, or_(*(key.in_(query) for key, query in zip(keys, shared, strict=True))))
        .order_by(Participation.voted_on, Participation.id)).all()
    groups = _linked(rows)
    return [[(row.channel, row.voted_on) for row in group] for group in groups]


def _linked(rows) -> list[list]:
    """``rows`` (in order, each with an id and the two resemblance keys) in groups that share
    a key, directly or through other rows; each group, and the groups, in the rows' order."""
    parent = {row.id: row.id for row in rows}

    def root(row_id: int) -> int:
        while parent[row_id] != row_id:
            row_id = parent[row_id]
        return row_id

    first_with: dict[tuple[int, str], int] = {}
    for row in rows:
        for kind, key in enumerate((row.resemblance_key, row.name_resemblance_key)):
            if key is None:
                continue
            if (kind, key) in first_with:
                parent[root(row.id)] = root(first_with[(kind, key)])
            else:
                first_with[(kind, key)] = row.id
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(root(row.id), []).append(row)
    return list(groups.values())


@dataclass(frozen=True)
class Resemblance:
    """An earlier participation that looks like the voter at the desk, and what they share."""

    channel: str
    voted_on: date
    shared: str  # "postcode and date of birth", or "name and postcode"


def resembling_participation(round_: Round, voter: Voter) -> Resemblance | None:
    """A participation of the round with the same postcode and date of birth as ``voter``, or
    the same name and postcode, for staff at the desk to ask about before entering a ballot."""
    born = resemblance_key(voter.postcode, voter.date_of_birth)
    alike = [Participation.resemblance_key == born]
    if voter.name_key is not None:  # a voting code names nobody
        alike.append(Participation.name_resemblance_key == voter.name_key)
    found = db.session.execute(select(
        Participation.channel, Participation.voted_on, Participation.resemblance_key,
    ).where(Participation.round_id == round_.id, or_(*alike)).limit(1)).first()
    if found is None:
        return None
    shared = "postcode and date of birth" if found.resemblance_key == born else (
        "name and postcode")
    return Resemblance(found.channel, found.voted_on, shared)


def warn_of_resemblance(round_: Round, voter: Voter, staff: User) -> Resemblance | None:
    """``resembling_participation`` for staff at the desk, and an audit entry when there is
    one: whether a named person has voted is worth knowing, and so is who asked."""
    resembling = resembling_participation(round_, voter)
    if resembling is not None:
        record_event("voting.desk_warned_of_resemblance", actor=staff, subject=round_,
                     after={"shared": resembling.shared, "channel": resembling.channel,
                            "voted_on": resembling.voted_on.isoformat()})
    return resembling


def participation_of(round_: Round, user: User) -> Participation | None:
    """The signed-in user's participation in the round, once they have voted (on any
    channel where their account is known)."""
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(Participation).where(
        Participation.round_id == round_.id, Participation.user_id == user.id))


def rounds_in_voting(now: datetime, locality_id: int | None = None) -> list[Round]:
    """The rounds taking ballots at ``now``, closing soonest first; only those of
    ``locality_id`` when it is given."""
    query = select(Round).where(Round.phase == Phase.VOTING.value,
                                Round.voting_close_at > now)
    if locality_id is not None:
        query = query.where(Round.locality_id == locality_id)
    return list(db.session.scalars(query.order_by(Round.voting_close_at, Round.id)))


def check_can_run_voting(user: User, round_: Round) -> None:
    """Raise PermissionDenied unless ``user`` may run voting for the round's locality."""
    check_can_manage_locality(user, round_.locality)


def _check_voting_not_closed(round_: Round, consequence: str) -> None:
    """Raise Conflict once the round is past voting."""
    if round_.current_phase not in (Phase.DRAFT, Phase.PROPOSALS_OPEN, Phase.REVIEW,
                                    Phase.VOTING):
        raise Conflict(f"Voting in this round has closed, so {consequence}.")


def create_paper_batch(round_: Round, actor: User, label: str, declared_count: int) -> PaperBatch:
    """Open a batch of paper ballots with the count written on it.

    Raises PermissionDenied for someone who cannot run this round's voting, Conflict once
    voting has closed (a batch added then could never be filled, and the count waits for
    every batch), InvalidInput for an empty label, a negative count or a label already used.
    """
    check_can_run_voting(actor, round_)
    _check_voting_not_closed(round_, "no more paper batches can be added")
    label = label.strip()
    if not label:
        raise InvalidInput("Enter a label for the batch, such as the event and the date")
    if declared_count < 0:
        raise InvalidInput("The number of ballots in the batch cannot be negative")
    batch = PaperBatch(round_id=round_.id, label=label, declared_count=declared_count,
                       created_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(batch)
    except IntegrityError:
        raise InvalidInput(f"There is already a batch called {label!r} in this round") from None
    record_event("voting.paper_batch_created", actor=actor, subject=batch,
                 after={"label": label, "declared_count": declared_count})
    return batch


def correct_paper_batch_count(round_: Round, batch: PaperBatch, actor: User, declared_count: int,
                              reason: str) -> PaperBatch:
    """Correct the count written on a batch after a recount, until the round is counted.

    The old and new counts and the reason go into the audit trail, which the finance officer
    reviews before signing the result off. Raises PermissionDenied for someone who cannot
    run this round's voting, Conflict once the round has been counted, InvalidInput for a
    negative count, a missing reason or a count that does not change.
    """
    check_can_run_voting(actor, round_)
    if round_.current_phase not in (Phase.VOTING, Phase.CLOSED):
        raise Conflict("Batch counts can be corrected only while voting is open or closed "
                       "and the round is not yet counted.")
    reason = reason.strip()
    if declared_count < 0:
        raise InvalidInput("The number of ballots in the batch cannot be negative")
    if not reason:
        raise InvalidInput("Enter why the count changes")
    if declared_count == batch.declared_count:
        raise InvalidInput(f"The batch already says {count_of(declared_count, 'ballot')}")
    before = batch.declared_count
    batch.declared_count = declared_count
    record_event("voting.paper_batch_corrected", actor=actor, subject=batch,
                 before={"declared_count": before},
                 after={"declared_count": declared_count, "reason": reason})
    return batch


def paper_batch_corrections(round_: Round) -> list[dict]:
    """Every correction of a batch's written count in the round, oldest first, from the audit
    trail: the batch's label, the count before and after, and the reason given."""
    labels = dict(db.session.execute(
        select(PaperBatch.id, PaperBatch.label).where(PaperBatch.round_id == round_.id)).all())
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.round_id == round_.id,
                                 AuditEntry.action == "voting.paper_batch_corrected")
        .order_by(AuditEntry.sequence))
    corrections = []
    for entry in entries:
        before, after = json.loads(entry.before_json), json.loads(entry.after_json)
        corrections.append({"label": labels.get(int(entry.object_id), entry.object_id),
                            "from": before["declared_count"], "to": after["declared_count"],
                            "reason": after["reason"]})
    return corrections


def get_paper_batch(round_: Round, batch_id: int) -> PaperBatch:
    """The round's paper batch with this id; raises NotFound."""
    batch = db.session.get(PaperBatch, batch_id)
    if batch is None or batch.round_id != round_.id:
        raise NotFound("There is no such batch of paper ballots in this round")
    return batch


def paper_batches(round_: Round) -> list[tuple[PaperBatch, int]]:
    """Each paper batch of the round with the number of ballot envelopes entered in it."""
    entered = (select(func.count()).where(BallotEnvelope.paper_batch_id == PaperBatch.id)
               .correlate(PaperBatch).scalar_subquery())
    rows = db.session.execute(select(PaperBatch, entered).where(
        PaperBatch.round_id == round_.id).order_by(PaperBatch.id))
    return [(batch, count) for batch, count in rows]


def ballot_count(round_: Round, channel: str | None = None) -> int:
    """How many ballots the round took: its envelopes, sealed or opened (on ``channel`` only,
    if given)."""
    query = select(func.count()).select_from(BallotEnvelope).where(
        BallotEnvelope.round_id == round_.id)
    if channel is not None:
        query = query.where(BallotEnvelope.channel == channel)
    return db.session.scalar(query)


def _opened_counts(round_: Round) -> tuple[int, int]:
    """(opened envelopes, opened ballots) of the round: equal unless rows were changed."""
    envelopes = db.session.scalar(select(func.count()).select_from(BallotEnvelope).where(
        BallotEnvelope.round_id == round_.id, BallotEnvelope.sealed_choices.is_(None)))
    ballots = db.session.scalar(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == round_.id))
    return envelopes, ballots


class Mismatch(str):
    """One reason the ballots do not reconcile, in plain words; ``batch_id`` is the paper batch
    it is about (put right on the batch's correction page), or None."""

    batch_id: int | None

    def __new__(cls, message: str, batch_id: int | None = None) -> Mismatch:
        mismatch = super().__new__(cls, message)
        mismatch.batch_id = batch_id
        return mismatch


def reconcile_ballots(round_: Round) -> list[Mismatch]:
    """What stops the ballots reconciling, in plain words; an empty list when they do.

    Each paper batch must hold exactly the number of ballots written on it, counting its
    sheets set aside as blank or spoilt; on every channel the envelopes (on paper, with the
    sheets set aside) must number the people who voted (every cast writes both in one
    transaction), and the opened ballots must number the opened envelopes (the opening writes
    both in one transaction): a difference means rows were added or removed outside the app.
    """
    batches = paper_batches(round_)
    problems = [
        Mismatch(f"Batch {batch.label!r} says {count_of(batch.declared_count, 'ballot')} but "
                 f"{was_or_were(count)} entered{_and_set_aside(batch.set_aside_count)}.",
                 batch.id)
        for batch, count in batches if count + batch.set_aside_count != batch.declared_count
    ]
    turnout = turnout_by_channel(round_)
    for channel, label in CHANNELS.items():
        ballots, voters = ballot_count(round_, channel), turnout.get(channel, 0)
        set_aside = (sum(batch.set_aside_count for batch, _ in batches)
                     if channel == Channel.PAPER else 0)
        if ballots + set_aside != voters:
            problems.append(Mismatch(f"{count_of(voters, 'person', 'people')} voted "
                                     f"{label[0].lower() + label[1:]} but "
                                     f"{there_are(ballots, 'such ballot')}"
                                     f"{_and_set_aside(set_aside)}."))
    envelopes, ballots = _opened_counts(round_)
    if envelopes != ballots:
        problems.append(Mismatch(f"{was_or_were(envelopes, 'ballot envelope')} opened but "
                                 f"{there_are(ballots, 'opened ballot')}."))
    return problems


def _and_set_aside(count: int) -> str:
    """The words ' and 2 set aside' for paper sheets set aside as blank or spoilt; none for 0."""
    return f" and {count} set aside" if count else ""


def generate_voting_codes(round_: Round, actor: User, count: int) -> list[str]:
    """Make ``count`` single-use codes for the round and return them, the only time they exist
    in plain text (the database keeps their hashes).

    Raises PermissionDenied, InvalidInput for a count out of range or a round that does not
    use codes, Conflict once voting has closed.
    """
    check_can_run_voting(actor, round_)
    if round_.voter_verification != Verification.VOTING_CODE:
        raise InvalidInput("This round does not use voting codes: change its voter verification.")
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise InvalidInput(f"Make between 1 and {MAX_CODES_PER_BATCH} codes at a time")
    _check_voting_not_closed(round_, "no more codes can be made")
    batch = VotingCodeBatch(round_id=round_.id, size=count, created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    plain = [codes.new_code(codes.VOTING_CODE_GROUPS) for _ in range(count)]
    db.session.execute(insert(VotingCode), [
        {"batch_id": batch.id, "round_id": round_.id, "code_hash": codes.hash_code(code)}
        for code in plain
    ])
    record_event("voting.codes_generated", actor=actor, subject=batch, after={"count": count})
    current_app.logger.info("Generated %d voting codes for round %d", count, round_.id)
    return plain


def close_voting(round_: Round, actor: User, now: datetime) -> int:
    """Close voting now (a lead's decision); returns how many ballots wait in the box.

    Raises PermissionDenied for someone who cannot run the round, Conflict when the round
    is not in voting.
    """
    move_round(round_, actor, Phase.CLOSED, now=now)
    return ballot_count(round_)
