"""The rules of results: count, finance sign-off, publication, and the receipt check.

Every step writes one audit entry. A snapshot's content hash goes into the audit chain with
the count and again with the sign-off, so an altered snapshot no longer matches the chain.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from datetime import UTC, datetime

from flask.signals import Namespace
from sqlalchemy import select

from pb_app.accounts.models import FINANCE_OFFICER, User
from pb_app.accounts.services import check_can_manage_locality, oversees_locality
from pb_app.audit.models import AuditEntry
from pb_app.audit.services import canonical_json, record_checkpoint, record_event
from pb_app.ballotbox.models import BallotEnvelope
from pb_app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pb_app.extensions import db
from pb_app.results.election import build_count_input, rule_spec_for
from pb_app.results.models import (
    RETURNED,
    SIGNED_OFF,
    CountSnapshot,
    Publication,
    SnapshotReview,
)
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.services import GUARDS, adds_to, move_round
from pb_app.tally.engine import TallyError, run_tally
from pb_app.tally.explain import render_text, result_to_json
from pb_app.tally.model import Election, Result, RuleSpec
from pb_app.tally.pabulib import read_pb, write_pb
from pb_app.voting.receipts import receipt_hash
from pb_app.voting.services import (
    ballot_proposals,
    paper_batch_corrections,
    paper_batches,
    reconcile_ballots,
    suspected_duplicates,
)

COUNTABLE_PHASES = (Phase.CLOSED, Phase.COUNTED)
# Sent as a finance officer signs a result off, inside the sign-off, with ``review`` and
# ``officer``: the allocation ledger opens the funded projects' allocations without the
# results importing it.
result_signed_off = Namespace().signal("result-signed-off")
HASHED_COLUMNS = (
    "round_id",
    "sequence",
    "counted_by_id",
    "rule_json",
    "algorithm_version",
    "input_fingerprint",
    "result_json",
    "explanation",
    "winners_json",
    "allocation_json",
    "support_json",
    "checks_json",
    "budget_pence",
    "spent_pence",
    "ballot_count",
    "is_different_from_previous",
)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot_hash(snapshot: CountSnapshot) -> str:
    """SHA-256 over the snapshot's whole content (its large texts by their own hashes)."""
    content = {name: getattr(snapshot, name) for name in HASHED_COLUMNS}
    content["counted_at"] = snapshot.counted_at
    content["input_pb_sha256"] = _sha256(snapshot.input_pb)
    content["ballots_csv_sha256"] = _sha256(snapshot.ballots_csv)
    return _sha256(canonical_json(content))


def _tally(election: Election, spec: RuleSpec) -> tuple[Result, str, str]:
    """Run the tally core: the result, its JSON and its plain-text explanation.

    Raises Conflict when the round's declared rule cannot count its ballots.
    """
    try:
        result = run_tally(election, spec)
    except TallyError as error:
        raise Conflict(f"The round's rule cannot count these ballots: {error}") from error
    return result, result_to_json(result), render_text(result)


def latest_snapshot(round_: Round) -> CountSnapshot | None:
    """The round's most recent count, or None before the first."""
    query = select(CountSnapshot).where(CountSnapshot.round_id == round_.id)
    return db.session.scalar(query.order_by(CountSnapshot.sequence.desc()).limit(1))


def list_snapshots(round_: Round) -> list[CountSnapshot]:
    """Every count of the round, first to last."""
    query = select(CountSnapshot).where(CountSnapshot.round_id == round_.id)
    return list(db.session.scalars(query.order_by(CountSnapshot.sequence)))


def get_snapshot(snapshot_id: int) -> CountSnapshot:
    """The snapshot with this id; raises NotFound."""
    snapshot = db.session.get(CountSnapshot, snapshot_id)
    if snapshot is None:
        raise NotFound("There is no such count")
    return snapshot


def _check_countable(round_: Round) -> list[dict]:
    """Raise Conflict unless voting has closed, nothing is signed off and batches reconcile."""
    if round_.current_phase not in COUNTABLE_PHASES:
        raise Conflict(
            f"{round_.title} is {round_.current_phase.label.lower()}: "
            "it can be counted only once voting has closed"
        )
    previous = latest_snapshot(round_)
    if previous is not None and previous.is_signed_off:
        raise Conflict("This result has been signed off: it cannot be counted again")
    problems = reconcile_ballots(round_)
    if problems:
        raise Conflict(
            "Paper ballots do not reconcile, so the count cannot run. " + " ".join(problems)
        )
    return [
        {"label": batch.label, "declared": batch.declared_count, "entered": entered,
         "blank": batch.blank_count, "spoilt": batch.spoilt_count}
        for batch, entered in paper_batches(round_)
    ]


def count_round(round_: Round, actor: User) -> CountSnapshot:
    """Count the round's ballots by its declared rule and store a new immutable snapshot.

    Raises PermissionDenied (not a lead of the locality), Conflict (voting not closed, paper
    batches that do not reconcile, a result already signed off). A re-count adds a snapshot
    and flags it when its winners or allocation differ from the one before.
    """
    check_can_manage_locality(actor, round_.locality)
    batches = _check_countable(round_)
    count_input = build_count_input(round_)
    election = count_input.election
    ballot_count = sum(b.weight for b in election.ballots)
    spec = rule_spec_for(round_)
    result, result_json, explanation = _tally(election, spec)
    snapshot = CountSnapshot(
        round_id=round_.id,
        rule_json=canonical_json(dataclasses.asdict(spec)),
        algorithm_version=result.algorithm_version,
        input_fingerprint=result.input_fingerprint,
        input_pb=write_pb(election),
        ballots_csv=count_input.ballots_csv,
        result_json=result_json,
        explanation=explanation,
        winners_json=json.dumps(list(result.selected)),
        allocation_json=json.dumps([list(pair) for pair in result.allocation]),
        support_json=json.dumps(dict(result.support)),
        checks_json=canonical_json(_count_checks(round_, batches, result)),
        budget_pence=result.budget,
        spent_pence=result.spent,
        ballot_count=ballot_count,
    )
    store_snapshot(snapshot, actor)
    if round_.current_phase is Phase.CLOSED:
        move_round(round_, actor, Phase.COUNTED)
    return snapshot


MAX_WITHDRAWAL_REASON = 500


def withdraw_after_vote(round_: Round, actor: User, project_id: str, reason: str) -> None:
    """Withdraw a project on the ballot from the count, after the vote (the site was lost, the
    group folded): it is never funded, its votes are set aside, and the count says why.

    Raises PermissionDenied (not a lead of the locality), Conflict (voting not closed, the
    result already signed off, or no other project would be left) or InvalidInput (not a
    project on the ballot, already withdrawn, or no reason).
    """
    check_can_manage_locality(actor, round_.locality)
    # Lock and re-read the round: two withdrawals at once must not overwrite each other.
    db.session.refresh(round_, with_for_update=True)
    if round_.current_phase not in COUNTABLE_PHASES:
        raise Conflict("A project can be withdrawn from the count once voting has closed, "
                       "and before the result is signed off")
    latest = latest_snapshot(round_)
    if latest is not None and latest.is_signed_off:
        raise Conflict("This result has been signed off: no project can be withdrawn now")
    on_ballot = {str(p.id): p for p in ballot_proposals(round_)}
    withdrawn = round_.withdrawn_after_vote
    if project_id not in on_ballot:
        raise InvalidInput("Choose a project on the ballot")
    if project_id in withdrawn:
        raise InvalidInput(f"{on_ballot[project_id].title} is already withdrawn")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_WITHDRAWAL_REASON:
        raise InvalidInput(f"Say why the project is withdrawn, in up to "
                           f"{MAX_WITHDRAWAL_REASON} characters")
    if len(withdrawn) + 1 >= len(on_ballot):
        raise Conflict("At least one project must stay in the count")
    round_.tally_params = {**(round_.tally_params or {}),
                           "withdrawn": {**withdrawn, project_id: reason}}
    record_event("round.project_withdrawn", actor=actor, subject=round_,
                 after={"project_id": project_id, "reason": reason})
    db.session.flush()


def _count_checks(round_: Round, batches: list[dict], result: Result) -> dict:
    """What the finance officer checks beside the result: paper batches and their corrections,
    suspected duplicate voters, and the ties the rule met."""
    return {
        "paper_batches": batches,
        "batch_corrections": paper_batch_corrections(round_),
        "suspected_duplicates": [[{"channel": channel, "day": day} for channel, day in group]
                                 for group in suspected_duplicates(round_)],
        "ties": [dataclasses.asdict(t) for t in result.ties],
    }


def store_snapshot(snapshot: CountSnapshot, actor: User) -> CountSnapshot:
    """Number a new snapshot after the round's last, flag a differing result, hash and audit it."""
    previous = db.session.scalar(
        select(CountSnapshot)
        .where(CountSnapshot.round_id == snapshot.round_id)
        .order_by(CountSnapshot.sequence.desc())
        .limit(1)
    )
    snapshot.sequence = previous.sequence + 1 if previous else 1
    snapshot.counted_by_id = actor.id
    snapshot.counted_at = datetime.now(UTC)
    snapshot.is_different_from_previous = previous is not None and (
        previous.winners_json != snapshot.winners_json
        or previous.allocation_json != snapshot.allocation_json
    )
    snapshot.content_hash = snapshot_hash(snapshot)
    db.session.add(snapshot)
    db.session.flush()
    record_event(
        "result.counted",
        actor=actor,
        subject=snapshot,
        round_id=snapshot.round_id,
        after={
            "sequence": snapshot.sequence,
            "snapshot_hash": snapshot.content_hash,
            "input_fingerprint": snapshot.input_fingerprint,
            "rule": json.loads(snapshot.rule_json),
            "winners": json.loads(snapshot.winners_json),
            "spent_pence": snapshot.spent_pence,
            "differs_from_previous": snapshot.is_different_from_previous,
        },
    )
    return snapshot


def check_can_see_count(user: User, round_: Round) -> None:
    """Raise PermissionDenied unless the user leads the locality, or is finance or admin."""
    if oversees_locality(user, round_.locality):
        return
    raise PermissionDenied("Only the locality's group lead or a finance officer can see this count")


@dataclasses.dataclass(frozen=True)
class CountActions:
    """The buttons the count page offers its viewer: the services' own checks, tried."""

    can_count: bool
    can_review: bool
    can_publish: bool


def count_actions(user: User, round_: Round, snapshot: CountSnapshot | None,
                  publication: Publication | None) -> CountActions:
    """What ``user`` may do on the round's count page now, given its latest snapshot.

    The actions still refuse on their own (a newer count, batches that do not reconcile, a
    changed snapshot) with the reason; this only hides buttons the user could never use.
    """
    is_lead = _passes(check_can_manage_locality, user, round_.locality)
    is_signed_off = snapshot is not None and snapshot.is_signed_off
    return CountActions(
        can_count=is_lead and publication is None and not is_signed_off
        and round_.current_phase in COUNTABLE_PHASES,
        can_review=snapshot is not None and snapshot.latest_review is None
        and _passes(_check_can_review, snapshot, user),
        can_publish=is_lead and is_signed_off and publication is None,
    )


def _passes(check, *args) -> bool:
    try:
        check(*args)
    except PermissionDenied:
        return False
    return True


def rounds_awaiting_result(user: User) -> list[Round]:
    """Rounds whose voting has closed but whose result is unpublished, that the user may see."""
    query = select(Round).where(Round.phase.in_([Phase.CLOSED.value, Phase.COUNTED.value]))
    rounds = db.session.scalars(query.order_by(Round.id))
    return [round_ for round_ in rounds if _passes(check_can_see_count, user, round_)]


def published_rounds() -> list[Publication]:
    """Every publication, newest first."""
    query = select(Publication).order_by(Publication.published_at.desc())
    return list(db.session.scalars(query))


def _check_can_review(snapshot: CountSnapshot, officer: User) -> None:
    """Raise PermissionDenied unless the user is a finance officer who did not run the count."""
    if not (officer.is_authenticated and officer.has_role(FINANCE_OFFICER)):
        raise PermissionDenied("Only a finance officer can sign off or return a result")
    if snapshot.counted_by_id == officer.id:
        raise PermissionDenied("You ran this count, so another finance officer must review it")


def _check_reviewable(snapshot: CountSnapshot, officer: User) -> None:
    _check_can_review(snapshot, officer)
    if snapshot != latest_snapshot(snapshot.round):
        raise Conflict("A newer count of this round exists: review that one")
    if snapshot.latest_review is not None:
        raise Conflict("This count has already been reviewed")
    verify_snapshot(snapshot)


def _review(
    snapshot: CountSnapshot, officer: User, decision: str, reason: str, now: datetime | None
) -> SnapshotReview:
    review = SnapshotReview(
        snapshot=snapshot,
        officer_id=officer.id,
        decision=decision,
        reason=reason,
        snapshot_hash=snapshot.content_hash,
        decided_at=now or datetime.now(UTC),
    )
    db.session.add(review)
    db.session.flush()
    record_event(
        f"result.{decision}",
        actor=officer,
        subject=review,
        round_id=snapshot.round_id,
        after={
            "snapshot_id": snapshot.id,
            "snapshot_hash": snapshot.content_hash,
            "input_fingerprint": snapshot.input_fingerprint,
            "reason": reason,
        },
    )
    return review


def sign_off(
    snapshot: CountSnapshot, officer: User, *, now: datetime | None = None
) -> SnapshotReview:
    """A finance officer who did not run the count signs it off; ``result_signed_off`` is sent
    (the ledger creates the allocations), and the audit chain's checkpoint after it all is
    stored with the sign-off, to be shown.

    Raises PermissionDenied (not a finance officer, or the counter), Conflict (already
    reviewed, a newer count exists, or the snapshot no longer matches its recorded hash).
    """
    _check_reviewable(snapshot, officer)
    review = _review(snapshot, officer, SIGNED_OFF, "", now)
    result_signed_off.send(snapshot, review=review, officer=officer)
    record_checkpoint("result.signed-off", review)
    return review


def return_result(snapshot: CountSnapshot, officer: User, reason: str) -> SnapshotReview:
    """A finance officer returns the count to the lead with a reason (the lead may re-count).

    Raises as ``sign_off``, and then InvalidInput without a reason.
    """
    _check_reviewable(snapshot, officer)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Enter the reason for returning this result")
    return _review(snapshot, officer, RETURNED, reason, None)


def publish_result(round_: Round, actor: User) -> Publication:
    """Publish the round's signed-off result with its anonymised ballots in random order,
    and store the audit chain's checkpoint after it with the publication, to be shown.

    Raises PermissionDenied (not a lead of the locality), Conflict (no signed-off result,
    already published, or the snapshot no longer matches the hash recorded at sign-off).
    """
    check_can_manage_locality(actor, round_.locality)
    snapshot = latest_snapshot(round_)
    if snapshot is None or not snapshot.is_signed_off:
        raise Conflict("Only a result signed off by a finance officer can be published")
    if get_publication(round_) is not None:
        raise Conflict("This result has already been published")
    verify_snapshot(snapshot)
    election = read_pb(snapshot.input_pb)
    ballots_pb = write_pb(
        election, selected=json.loads(snapshot.winners_json), shuffle_seed=secrets.token_hex(16)
    )
    publication = Publication(
        round_id=round_.id,
        snapshot_id=snapshot.id,
        published_by_id=actor.id,
        ballots_pb=ballots_pb,
        published_at=datetime.now(UTC),
    )
    db.session.add(publication)
    db.session.flush()
    record_event(
        "result.published",
        actor=actor,
        subject=publication,
        round_id=round_.id,
        after={
            "snapshot_id": snapshot.id,
            "snapshot_hash": snapshot.content_hash,
            "published_pb_sha256": _sha256(ballots_pb),
        },
    )
    move_round(round_, actor, Phase.PUBLISHED)
    record_checkpoint("result.published", publication)
    return publication


def recorded_hashes(snapshot: CountSnapshot) -> list[str]:
    """The snapshot hashes the audit chain recorded for this snapshot (count and sign-off)."""
    review_ids = [str(review.id) for review in snapshot.reviews]
    query = select(AuditEntry.after_json).where(
        ((AuditEntry.object_type == "CountSnapshot") & (AuditEntry.object_id == str(snapshot.id)))
        | ((AuditEntry.object_type == "SnapshotReview") & AuditEntry.object_id.in_(review_ids))
    )
    return [json.loads(after)["snapshot_hash"] for after in db.session.scalars(query)]


def verify_snapshot(snapshot: CountSnapshot) -> None:
    """Raise Conflict when the snapshot's content no longer matches its hash in the audit chain."""
    actual = snapshot_hash(snapshot)
    recorded = recorded_hashes(snapshot)
    stored = {snapshot.content_hash, *(review.snapshot_hash for review in snapshot.reviews)}
    if not recorded or any(value != actual for value in [*recorded, *stored]):
        raise Conflict(
            f"Count {snapshot.sequence} of this round has been altered since it was "
            "recorded: its content no longer matches the audit trail"
        )


def get_publication(round_: Round) -> Publication | None:
    """The round's publication, or None while it is unpublished."""
    return db.session.scalar(select(Publication).where(Publication.round_id == round_.id))


def require_publication(round_: Round) -> Publication:
    """The round's publication; raises NotFound while the result is unpublished."""
    publication = get_publication(round_)
    if publication is None:
        raise NotFound("The result of this round has not been published yet")
    return publication


def check_receipt(publication: Publication, typed: str) -> None:
    """Check that the ballot a receipt code names was counted in the published result.

    Receipts stay on the ballots' envelopes, and the opened ballots carry none, so the check
    shows that a ballot was counted, never what it chose. Raises InvalidInput when the code
    is malformed, NotFound when no counted ballot has it.
    """
    hashed = receipt_hash(typed or "")
    if hashed is None:
        raise InvalidInput("Enter your receipt code exactly as it was shown to you")
    counted = db.session.scalar(select(BallotEnvelope.id).where(
        BallotEnvelope.round_id == publication.round_id, BallotEnvelope.receipt_hash == hashed,
        BallotEnvelope.sealed_choices.is_(None)))
    if counted is None:
        raise NotFound(
            "No counted ballot in this round has that receipt code. Check the code, and the round."
        )


# ----- what a round's moves ask of its count ---------------------------------------------------


@adds_to(GUARDS[Phase.COUNTED])
def uncounted(round_: Round, now: datetime) -> list:
    """A round is counted only by running the count, and only once its paper ballots
    reconcile: each short or long batch is put right on its own correction page, anything else
    on the voting page."""
    problems = []
    if not _exists(CountSnapshot, round_):
        problems.append(("A round is counted by running its count, on the count page",
                         "count", None))
    for mismatch in reconcile_ballots(round_):
        problems.append((mismatch, "paper-batch", mismatch.batch_id) if mismatch.batch_id
                        else (mismatch, "voting", None))
    return problems


@adds_to(GUARDS[Phase.PUBLISHED])
def unpublished(round_: Round, now: datetime) -> list:
    """A result is public only once it is published, from the count page after sign-off."""
    if _exists(Publication, round_):
        return []
    return [("A result is published from the count page, once a finance officer has signed "
             "the count off", "count", None)]


def _exists(model, round_: Round) -> bool:
    """True when a row of ``model`` (a count, a publication) belongs to the round."""
    return db.session.scalar(select(model.id).where(model.round_id == round_.id).limit(1)) \
        is not None
