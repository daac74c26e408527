"""The rules of proposals: saving, automatic checks, submission, review, merging.

Services flush, never commit, write the audit entry and raise domain errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from pb_app.accounts.services import check_can_manage_locality
from pb_app.audit.services import record_event, snapshot
from pb_app.errors import Conflict, InvalidInput, NotEligible, NotFound, PermissionDenied
from pb_app.extensions import db
from pb_app.localities.services import find_locality, normalise_postcode
from pb_app.mail import send_mail
from pb_app.money import format_pounds, parse_pounds
from pb_app.proposals.models import (
    FEASIBILITY,
    FIT,
    OUTCOMES,
    PUBLIC_STATUSES,
    CostLine,
    DeclaredInterest,
    Proposal,
    ProposalReview,
    Status,
)
from pb_app.rounds.models import Phase, Round, utcnow
from pb_app.rounds.services import (
    GUARDS,
    RECORDS,
    SETTINGS_CHECKS,
    RoundSettings,
    adds_to,
    can_manage,
    refuse_if_frozen,
)

MAX_COST_LINES = 20
MIN_ELIGIBLE_PROPOSALS = 2
AUDITED_FIELDS = ("title", "summary", "description", "location", "location_postcode",
                  "organisation", "conflict_of_interest", "outcomes", "priorities", "cost_pence",
                  "status")
DECISIONS = {
    "accept": Status.ACCEPTED,
    "reject": Status.REJECTED,
    "request-changes": Status.CHANGES_REQUESTED,
}
DECISION_WORDS = {
    "accept": "accepted onto the ballot",
    "reject": "found not eligible",
    "request-changes": "sent back to you for changes",
    "merge": "merged with a similar proposal",
}
COST_BANDS = {
    "under-1000": ("Under £1,000", 0, 100_000),
    "1000-5000": ("£1,000 to £4,999", 100_000, 500_000),
    "5000-10000": ("£5,000 to £9,999", 500_000, 1_000_000),
    "10000-plus": ("£10,000 or more", 1_000_000, None),
}


@dataclass(frozen=True)
class ProposalInput:
    """What a proposer types, as plain values; cost amounts are text in pounds."""

    title: str
    summary: str = ""
    description: str = ""
    location: str = ""
    location_postcode: str = ""
    organisation: str = ""
    conflict_of_interest: str = ""
    outcomes: tuple[int, ...] = ()
    priorities: tuple[str, ...] = ()
    cost_lines: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """One automatic check on submission: its name, whether it passed, and why."""

    name: str
    passed: bool
    message: str


# ----- reading ------------------------------------------------------------------------


def get_proposal(proposal_id: int, viewer) -> Proposal:
    """The proposal, if the viewer may see it: drafts only by their proposer.

    Withdrawn proposals are seen by their proposer and the round's leads. Raises NotFound.
    """
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not _may_see(proposal, viewer):
        raise NotFound("There is no such proposal")
    return proposal


def is_proposer(proposal: Proposal, user) -> bool:
    """True if ``user`` is signed in and made the proposal."""
    return bool(user.is_authenticated and proposal.proposer_id == user.id)


def check_is_proposer(proposal: Proposal, user, action: str) -> None:
    """Raise PermissionDenied unless ``user`` made the proposal (``action``: "change", ...)."""
    if not is_proposer(proposal, user):
        raise PermissionDenied(f"Only the person who made a proposal can {action} it")


def get_own_proposal(proposal_id: int, user) -> Proposal:
    """The user's own proposal, to change it; raises NotFound or PermissionDenied."""
    proposal = get_proposal(proposal_id, user)
    check_is_proposer(proposal, user, "change")
    return proposal


def _may_see(proposal: Proposal, viewer) -> bool:
    if proposal.current_status in PUBLIC_STATUSES or is_proposer(proposal, viewer):
        return True
    return proposal.current_status is Status.WITHDRAWN and can_manage(viewer, proposal.round)


def list_public_proposals(round_: Round, *, search: str = "", status: str = "",
                          outcome: int | None = None, priority: str = "",
                          cost_band: str = "") -> list[Proposal]:
    """A round's public proposals matching the search words and filters, by title."""
    statuses = [s.value for s in PUBLIC_STATUSES]
    query = select(Proposal).where(Proposal.round_id == round_.id).order_by(Proposal.title)
    query = query.where(Proposal.status.in_([status] if status in statuses else statuses))
    for word in search.split()[:10]:  # "%" and "_" are searched for, not wildcards
        query = query.where(or_(*(column.icontains(word, autoescape=True) for column in (
            Proposal.title, Proposal.summary, Proposal.location))))
    if cost_band in COST_BANDS:
        _, low, high = COST_BANDS[cost_band]
        query = query.where(Proposal.cost_pence >= low)
        if high is not None:
            query = query.where(Proposal.cost_pence < high)
    proposals = db.session.scalars(query)
    return [p for p in proposals
            if (outcome is None or outcome in p.outcomes)
            and (not priority or priority in p.priorities)]


def list_own_proposals(user) -> list[Proposal]:
    """The user's own proposals, newest first, drafts included."""
    return list(db.session.scalars(select(Proposal).where(Proposal.proposer_id == user.id)
                                   .order_by(Proposal.created_at.desc(), Proposal.id.desc())))


def list_for_review(round_: Round) -> list[Proposal]:
    """Every non-draft proposal of a round, for its leads, oldest submission first."""
    return list(db.session.scalars(
        select(Proposal).where(Proposal.round_id == round_.id,
                               Proposal.status != Status.DRAFT.value)
        .order_by(Proposal.submitted_at, Proposal.id)))


# ----- proposing ----------------------------------------------------------------------


class InvalidProposal(InvalidInput):
    """A proposal with one or more problems: ``problems`` maps each part's name (a field of
    ``ProposalInput``, ``cost_lines.<n>.item`` or ``cost_lines.<n>.amount`` for cost line n
    counted from 0, or ``cost`` for the total) to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def _parse_cost_lines(rows: tuple[tuple[str, str], ...],
                      problems: dict[str, str]) -> list[tuple[str, int]]:
    """The filled-in cost lines as (item, pence); adds what is wrong to ``problems``."""
    lines = []
    for index, (item, amount) in enumerate(rows):
        number, item, amount = index + 1, (item or "").strip(), (amount or "").strip()
        if not item and not amount:
            continue
        if not item:
            problems[f"cost_lines.{index}.item"] = f"Cost line {number}: say what the money is for"
        elif len(item) > 200:
            problems[f"cost_lines.{index}.item"] = (f"Cost line {number}: the item must be 200"
                                                    " characters or fewer")
        try:
            pence = parse_pounds(amount, f"the amount for cost line {number}")
        except InvalidInput as error:
            problems[f"cost_lines.{index}.amount"] = error.message
            continue
        if pence == 0:
            problems[f"cost_lines.{index}.amount"] = (f"Cost line {number}: the amount must be"
                                                      " more than £0")
        lines.append((item, pence))
    if len(lines) > MAX_COST_LINES:
        problems["cost"] = f"Use at most {MAX_COST_LINES} cost lines"
    return lines


def _text_problems(data: ProposalInput) -> dict[str, str]:
    """A missing title, and each text longer than its limit."""
    problems = {}
    if not data.title.strip():
        problems["title"] = "Enter a title for your proposal"
    limits = {"title": 200, "summary": 500, "location": 200, "organisation": 200}
    for name, limit in limits.items():
        if len(getattr(data, name).strip()) > limit:
            problems[name] = f"The {name} must be {limit} characters or fewer"
    return problems


def _check_postcode(round_: Round, postcode: str) -> str | None:
    """The postcode normalised, or None if none was given; raises InvalidInput for one that
    is not a postcode, or is outside the round's locality."""
    if not postcode.strip():
        return None
    normalised = normalise_postcode(postcode)
    locality = find_locality(normalised)
    if locality.id != round_.locality_id:
        raise InvalidInput(f"{normalised} is in {locality.name}, not {round_.locality.name}:"
                           f" a proposal to this round must happen in {round_.locality.name}")
    return normalised


def _check_may_propose(round_: Round, proposer, data: ProposalInput) -> None:
    if proposer.locality_id == round_.locality_id:
        return
    if round_.is_group_proposals_allowed and data.organisation.strip():
        return
    groups = " or a community group" if round_.is_group_proposals_allowed else ""
    raise NotEligible(f"Only residents of {round_.locality.name}{groups} may propose projects"
                      " to this round. Check the postcode in your profile.")


def check_may_edit(round_: Round, proposal: Proposal | None, actor) -> None:
    """Raise Conflict unless the round lets a proposer change ``proposal`` (or write a new
    one, when None) now: while proposals are open, or in review once it was sent back."""
    refuse_if_frozen(round_, actor, "changing a proposal")
    phase = round_.current_phase
    if phase is Phase.PROPOSALS_OPEN:
        return
    sent_back = proposal is not None and proposal.current_status is Status.CHANGES_REQUESTED
    if sent_back and phase is Phase.REVIEW:
        return
    if phase is Phase.DRAFT:
        raise Conflict(f"{round_.title} is not taking proposals yet")
    raise Conflict(f"Proposals for {round_.title} closed"
                   + (f" on {round_.proposals_close_at:%d %B %Y}" if round_.proposals_close_at
                      else ""))


def _validated_values(round_: Round, data: ProposalInput) -> tuple[dict, list[tuple[str, int]]]:
    """The proposal's values, cleaned, and its cost lines; raises InvalidProposal naming
    every problem at once."""
    problems = _text_problems(data)
    lines = _parse_cost_lines(data.cost_lines, problems)
    cost = sum(pence for _, pence in lines)
    if cost > round_.max_project_cost_pence:
        problems.setdefault("cost", f"The total cost, {format_pounds(cost)}, is over this round's"
                                    f" limit of {format_pounds(round_.max_project_cost_pence)}")
    if any(number not in OUTCOMES for number in data.outcomes):
        problems["outcomes"] = "Choose outcomes from the list of nine"
    if any(priority not in round_.priorities for priority in data.priorities):
        problems["priorities"] = "Choose priorities from this round's list"
    try:
        postcode = _check_postcode(round_, data.location_postcode)
    except InvalidInput as error:
        problems["location_postcode"] = error.message
    if problems:
        raise InvalidProposal(problems)
    values = {
        "title": data.title.strip(), "summary": data.summary.strip(),
        "description": data.description.strip(), "location": data.location.strip(),
        "location_postcode": postcode, "organisation": data.organisation.strip(),
        "conflict_of_interest": data.conflict_of_interest.strip(),
        "outcomes": sorted(set(data.outcomes)), "priorities": list(dict.fromkeys(data.priorities)),
        "cost_pence": cost,
    }
    return values, lines


def save_proposal(round_: Round, proposer, data: ProposalInput,
                  proposal: Proposal | None = None) -> Proposal:
    """Create a draft (``proposal`` None) or change the proposer's own proposal.

    A submitted or accepted proposal that is changed goes back to draft, to be submitted
    and reviewed again.

    Raises NotEligible (not a resident), PermissionDenied (not theirs), Conflict (proposals
    closed), RulesFrozen (voting open) or InvalidProposal (every problem with the text, the
    costs or the postcode).
    """
    if proposal is not None:
        check_is_proposer(proposal, proposer, "change")
    if proposal is not None and proposal.is_closed:
        raise Conflict(f"This proposal is {proposal.current_status.label.lower()}")
    check_may_edit(round_, proposal, proposer)
    _check_may_propose(round_, proposer, data)
    values, lines = _validated_values(round_, data)
    before = None if proposal is None else snapshot(proposal, *AUDITED_FIELDS)
    if proposal is None:
        proposal = Proposal(round=round_, proposer_id=proposer.id, status=Status.DRAFT.value)
        db.session.add(proposal)
    for name, value in values.items():
        setattr(proposal, name, value)
    if proposal.current_status in (Status.SUBMITTED, Status.ACCEPTED):
        # A changed proposal must pass its checks and its review again.
        proposal.status, proposal.check_results = Status.DRAFT.value, []
    proposal.cost_lines = [CostLine(position=n, item=item, amount_pence=pence)
                           for n, (item, pence) in enumerate(lines, start=1)]
    proposal.updated_at = utcnow()
    db.session.flush()
    record_event("proposal.saved", actor=proposer, subject=proposal, before=before,
                 after=snapshot(proposal, *AUDITED_FIELDS))
    return proposal


def run_checks(proposal: Proposal) -> list[CheckResult]:
    """The automatic checks: required fields, cost within the limits, inside the locality."""
    round_ = proposal.round
    missing = [label for label, present in (
        ("a summary", proposal.summary), ("a full description", proposal.description),
        ("where it happens", proposal.location), ("at least one outcome", proposal.outcomes),
        ("at least one priority of the round", proposal.priorities),
        ("at least one cost line", proposal.cost_lines)) if not present]
    low, high, cost = (round_.min_project_cost_pence, round_.max_project_cost_pence,
                       proposal.cost_pence)
    in_limits = low <= cost <= high
    return [
        CheckResult("required", not missing,
                    "All required parts are filled in" if not missing
                    else "Add " + ", ".join(missing)),
        CheckResult("cost", in_limits,
                    f"The cost, {format_pounds(cost)}, is between {format_pounds(low)} and"
                    f" {format_pounds(high)}" + ("" if in_limits else ": it must be")),
        CheckResult("locality", bool(proposal.location_postcode),
                    f"It happens at {proposal.location_postcode}, in {round_.locality.name}"
                    if proposal.location_postcode
                    else f"Give the postcode of where it happens, in {round_.locality.name}"),
    ]


def submit_proposal(proposal: Proposal, proposer) -> list[CheckResult]:
    """Run the automatic checks and, if all pass, send the proposal for review.

    Raises InvalidInput listing every failed check (nothing is saved), PermissionDenied,
    Conflict (proposals closed, already submitted) or RulesFrozen.
    """
    check_is_proposer(proposal, proposer, "submit")
    if not proposal.is_with_proposer:
        raise Conflict(f"This proposal is {proposal.current_status.label.lower()}")
    check_may_edit(proposal.round, proposal, proposer)
    results = run_checks(proposal)
    failed = [result.message for result in results if not result.passed]
    if failed:
        raise InvalidInput("Your proposal cannot be submitted yet: " + "; ".join(failed))
    before = {"status": proposal.status}
    proposal.status = Status.SUBMITTED.value
    proposal.check_results = [{"name": r.name, "passed": r.passed, "message": r.message}
                              for r in results]
    proposal.submitted_at = utcnow()
    record_event("proposal.submitted", actor=proposer, subject=proposal, before=before,
                 after={"status": proposal.status, "checks": proposal.check_results})
    return results


def withdraw_proposal(proposal: Proposal, proposer) -> Proposal:
    """Withdraw the proposer's own proposal before voting opens.

    Raises PermissionDenied, Conflict (already withdrawn, merged or rejected) or RulesFrozen.
    """
    check_is_proposer(proposal, proposer, "withdraw")
    refuse_if_frozen(proposal.round, proposer, "withdrawing a proposal")
    if proposal.is_closed:
        raise Conflict(f"This proposal is already {proposal.current_status.label.lower()}")
    before = {"status": proposal.status}
    proposal.status = Status.WITHDRAWN.value
    record_event("proposal.withdrawn", actor=proposer, subject=proposal, before=before,
                 after={"status": proposal.status})
    return proposal


# ----- review -------------------------------------------------------------------------


def _check_may_review(proposal: Proposal, reviewer, attempted: str) -> None:
    round_ = proposal.round
    check_can_manage_locality(reviewer, round_.locality)
    refuse_if_frozen(round_, reviewer, attempted)
    if round_.current_phase not in (Phase.PROPOSALS_OPEN, Phase.REVIEW):
        raise Conflict(f"{round_.title} is {round_.current_phase.label.lower()}:"
                       " proposals cannot be reviewed now")
    if is_proposer(proposal, reviewer):
        raise NotEligible("You made this proposal, so another lead must review it")
    if any(interest.user_id == reviewer.id for interest in proposal.interests):
        raise NotEligible("You declared an interest in this proposal, so another lead must"
                          " review it")
    if proposal.current_status in (Status.DRAFT, Status.WITHDRAWN, Status.MERGED):
        raise Conflict(f"This proposal is {proposal.current_status.label.lower()}")


def _notify_proposer(proposal: Proposal, decision: str, reason: str) -> None:
    from pb_app.accounts.models import User

    proposer = db.session.get(User, proposal.proposer_id)
    send_mail(proposer.email, f"Your proposal: {proposal.title}",
              f"Hello {proposer.full_name},\n\nYour proposal \"{proposal.title}\" to"
              f" {proposal.round.title} has been {DECISION_WORDS[decision]}.\n\n"
              f"The reason given:\n{reason}\n\n{current_app.config['SERVICE_NAME']}")


def review_proposal(proposal: Proposal, reviewer, decision: str, feasibility: str, fit: str,
                    reason: str) -> ProposalReview:
    """Record a lead's decision (accept, reject, request changes) with its written reason.

    Accepting re-runs the automatic checks. Emails the proposer. Raises PermissionDenied
    (not a lead here), NotEligible (declared an interest, or their own proposal), Conflict
    (wrong phase or status), RulesFrozen or InvalidInput (missing reason, failed checks).
    """
    _check_may_review(proposal, reviewer, "reviewing a proposal")
    if decision not in DECISIONS:
        raise InvalidInput("Choose a decision: accept, reject or ask for changes")
    if feasibility not in FEASIBILITY or fit not in FIT:
        raise InvalidInput("Record the proposal's feasibility and its fit with the priorities")
    if not reason.strip():
        raise InvalidInput("Write the reason for your decision: the proposer will see it")
    if decision == "accept":
        if feasibility == "not-feasible":
            raise InvalidInput("A proposal found not feasible cannot go on the ballot")
        failed = [r.message for r in run_checks(proposal) if not r.passed]
        if failed:
            raise InvalidInput("This proposal fails its checks: " + "; ".join(failed))
    review = ProposalReview(proposal=proposal, reviewer_id=reviewer.id, decision=decision,
                            feasibility=feasibility, fit=fit, reason=reason.strip())
    db.session.add(review)
    before = {"status": proposal.status}
    proposal.status = DECISIONS[decision].value
    record_event(f"proposal.review.{decision}", actor=reviewer, subject=proposal, before=before,
                 after={"status": proposal.status, "feasibility": feasibility, "fit": fit,
                        "reason": review.reason})
    _notify_proposer(proposal, decision, review.reason)
    return review


def merge_proposals(duplicate: Proposal, target: Proposal, reviewer, reason: str) -> Proposal:
    """Merge ``duplicate`` into ``target`` of the same round; the duplicate leaves the list.

    Raises PermissionDenied, NotEligible, Conflict or InvalidInput as ``review_proposal``.
    """
    _check_may_review(duplicate, reviewer, "merging proposals")
    if target.round_id != duplicate.round_id or target.id == duplicate.id:
        raise InvalidInput("Choose another proposal of the same round to merge into")
    if target.current_status not in (Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.ACCEPTED):
        raise Conflict(f"\"{target.title}\" is {target.current_status.label.lower()}:"
                       " merge into a proposal that is still in the running")
    if not reason.strip():
        raise InvalidInput("Write the reason for merging: the proposer will see it")
    review = ProposalReview(proposal=duplicate, reviewer_id=reviewer.id, decision="merge",
                            feasibility="", fit="", reason=reason.strip())
    db.session.add(review)
    before = {"status": duplicate.status}
    duplicate.status, duplicate.merged_into = Status.MERGED.value, target
    record_event("proposal.merged", actor=reviewer, subject=duplicate, before=before,
                 after={"status": duplicate.status, "merged_into": target.id,
                        "reason": review.reason})
    _notify_proposer(duplicate, "merge", review.reason)
    return duplicate


def declare_interest(proposal: Proposal, lead, reason: str) -> DeclaredInterest:
    """Record that a lead has an interest in a proposal, so they cannot review it.

    Raises PermissionDenied (not a lead of the locality), Conflict (already declared) or
    InvalidInput (no reason).
    """
    check_can_manage_locality(lead, proposal.round.locality)
    if not reason.strip():
        raise InvalidInput("Say what your interest is")
    already = Conflict("You have already declared an interest in this proposal")
    if any(interest.user_id == lead.id for interest in proposal.interests):
        raise already
    interest = DeclaredInterest(user_id=lead.id, reason=reason.strip())
    try:
        with db.session.begin_nested():
            proposal.interests.append(interest)
    except IntegrityError:  # declared by a concurrent request (a double click) since the check
        raise already from None
    record_event("proposal.interest_declared", actor=lead, subject=proposal,
                 after={"reason": interest.reason})
    return interest


# ----- what a round's settings and moves ask of its proposals --------------------------------


@adds_to(SETTINGS_CHECKS)
def conflict_problems(round_: Round, settings: RoundSettings) -> dict[str, str]:
    """Conflict groups (projects that cannot both be funded) must name the round's own
    proposals."""
    groups = settings.tally_params.get("conflicts") or []
    named = {int(n) for group in groups for n in group}
    if not named:
        return {}
    found = set(db.session.scalars(select(Proposal.id).where(
        Proposal.round_id == round_.id, Proposal.id.in_(named))))
    if missing := sorted(named - found):
        return {"conflicts": f"This round has no project number {missing[0]}"}
    return {}


@adds_to(GUARDS[Phase.VOTING])
def undecided_proposals(round_: Round, now: datetime) -> list[tuple[str, str, None]]:
    """Undecided proposals, and too few accepted ones, stop voting opening."""
    counts = dict(db.session.execute(
        select(Proposal.status, func.count()).where(Proposal.round_id == round_.id)
        .group_by(Proposal.status)).all())
    problems = []
    waiting = counts.get(Status.SUBMITTED, 0) + counts.get(Status.CHANGES_REQUESTED, 0)
    if waiting:
        which = "1 proposal still waits" if waiting == 1 else f"{waiting} proposals still wait"
        problems.append((f"{which} for a decision: accept, reject or merge each one before"
                         " voting opens, so the ballot list is fixed", "proposals", None))
    accepted = counts.get(Status.ACCEPTED, 0)
    if accepted < MIN_ELIGIBLE_PROPOSALS:
        problems.append((f"Voting needs at least {MIN_ELIGIBLE_PROPOSALS} eligible proposals on"
                         f" the ballot; this round has {accepted}", "proposals", None))
    return problems


@adds_to(RECORDS[Phase.VOTING])
def fix_ballot_list(round_: Round, now: datetime) -> dict:
    """Fix the ballot list as voting opens; returns it for the audit entry."""
    ballot = db.session.scalars(select(Proposal.id).where(
        Proposal.round_id == round_.id, Proposal.status == Status.ACCEPTED).order_by(Proposal.id))
    round_.ballot_fixed_at = now
    return {"ballot": list(ballot)}
