"""The rules of a funding round: settings, phase transitions, frozen rules, followers.

Every change writes an audit entry. Services flush, never commit; the view commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from flask import current_app
from flask.signals import Namespace
from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, load_only

from pb_app.accounts.services import (
    can_manage_locality,
    check_can_manage_locality,
    is_administrator,
)
from pb_app.audit.services import record_event
from pb_app.errors import Conflict, InvalidInput, NotFound
from pb_app.extensions import begin_writing, db
from pb_app.localities.models import Locality
from pb_app.mail import send_mail
from pb_app.moments import when
from pb_app.rounds.models import Phase, Round, RoundFollower, utcnow
from pb_app.rounds.rules import (
    BALLOT_TYPES,
    GREEDY_RULES,
    LOTTERY_TIE_BREAK,
    MES_COMPARISONS,
    MES_COMPLETIONS,
    TALLY_RULES,
    TIE_BREAKS,
    VOTER_VERIFICATIONS,
    BallotKind,
    RuleKind,
    Verification,
)


class RulesFrozen(Conflict):
    """The round's budget, rules or ballot list are frozen because voting has opened.

    The service has recorded the refused attempt in the audit trail, and that entry is
    committed when the refusal is shown (``errors.settle_refusal``).
    """

    recorded = True


@dataclass(frozen=True)
class RoundSettings:
    """Everything a group lead sets on a round, as plain values (money in pence)."""

    title: str
    budget_pence: int
    max_project_cost_pence: int
    min_project_cost_pence: int = 0
    description: str = ""
    priorities: tuple[str, ...] = ()
    is_group_proposals_allowed: bool = False
    minimum_voting_age: int = 16
    voter_verification: str = Verification.SELF_DECLARED.value
    ballot_type: str = BallotKind.APPROVAL.value
    ballot_params: dict = field(default_factory=dict)
    is_ballot_order_fixed: bool = False
    tally_rule: str = RuleKind.GREEDY.value
    tally_params: dict = field(default_factory=dict)
    tie_break: str = LOTTERY_TIE_BREAK
    proposals_open_at: datetime | None = None
    proposals_close_at: datetime | None = None
    voting_open_at: datetime | None = None
    voting_close_at: datetime | None = None


SETTING_NAMES = tuple(RoundSettings.__dataclass_fields__)
DATE_NAMES = ("proposals_open_at", "proposals_close_at", "voting_open_at", "voting_close_at")
DATE_LABELS = dict(zip(DATE_NAMES, ("proposals open", "proposals close", "voting opens",
                                    "voting closes"), strict=True))


class InvalidSettings(InvalidInput):
    """Settings that break one or more rules: ``problems`` maps each setting's name (a field
    of ``RoundSettings``, or a ballot or tally parameter) to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def _int_problem(value, low: int, high: int, label: str) -> str | None:
    """What is wrong with ``value`` as a whole number from ``low`` to ``high``, or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"{label} must be a whole number from {low} to {high}"
    return None


def _check_ballot(settings: RoundSettings, problems: dict[str, str]) -> dict:
    """The chosen ballot's parameters; adds what is wrong to ``problems``."""
    if settings.ballot_type not in BALLOT_TYPES:
        problems["ballot_type"] = "Choose a ballot type"
        return {}
    setting = BALLOT_TYPES[settings.ballot_type].setting
    value = settings.ballot_params.get(setting.name)
    if problem := _int_problem(value, setting.low, setting.high, setting.called):
        problems[setting.name] = problem
    return {setting.name: value}


def _check_tally(settings: RoundSettings, problems: dict[str, str]) -> dict:
    """The chosen counting rule's parameters; adds what is wrong to ``problems``."""
    if settings.tie_break not in TIE_BREAKS:
        problems["tie_break"] = "Choose how ties are broken"
    params = settings.tally_params
    if settings.tally_rule not in TALLY_RULES:
        problems["tally_rule"] = "Choose a tally rule: how votes are counted"
        return {}
    if settings.tally_rule in GREEDY_RULES:
        return _check_greedy(settings.tally_rule, params, problems)
    if settings.tally_rule != RuleKind.MES:
        return {}
    if params.get("completion") not in MES_COMPLETIONS:
        problems["completion"] = "Choose how Equal Shares completes its choice of projects"
    if params.get("comparison") not in MES_COMPARISONS:
        problems["comparison"] = "Choose how Equal Shares checks its result"
    return {"completion": params.get("completion"), "comparison": params.get("comparison")}


def _check_greedy(rule: str, params: dict, problems: dict[str, str]) -> dict:
    """A greedy rule's parameters: its minimum support and whether it stops at the first
    project that does not fit (greedy-threshold), and its conflict groups; only what is set
    is kept."""
    kept = {}
    if rule == RuleKind.GREEDY_THRESHOLD:
        value = params.get("threshold_percent")
        if problem := _int_problem(value, 0, 100, "The minimum support"):
            problems["threshold_percent"] = problem
        kept["threshold_percent"] = value
        votes = params.get("threshold_votes")
        if votes is not None:
            if problem := _int_problem(votes, 0, 10**9, "The minimum number of votes"):
                problems["threshold_votes"] = problem
            kept["threshold_votes"] = votes
        if params.get("stop_at_first"):
            kept["stop_at_first"] = True
    groups = [list(group) for group in params.get("conflicts") or ()]
    if problem := _conflict_problem(groups):
        problems["conflicts"] = problem
    elif groups:
        kept["conflicts"] = [[str(int(n)) for n in group] for group in groups]
    return kept


def _conflict_problem(groups: list[list[str]]) -> str | None:
    """What is wrong with conflict groups as typed, or None."""
    for group in groups:
        if not all(isinstance(n, str) and n.isdigit() and n.isascii() for n in group):
            return ("Write each group of projects that cannot both be funded as project"
                    " numbers separated by commas, such as 12, 15")
        if len({int(n) for n in group}) < 2:
            return "Each group of projects that cannot both be funded needs two or more projects"
    return None


def _money_problems(settings: RoundSettings) -> dict[str, str]:
    """What is wrong with the budget and the project cost limits (None: not given)."""
    problems = {}
    budget, low, high = (settings.budget_pence, settings.min_project_cost_pence,
                         settings.max_project_cost_pence)
    if budget is None:
        problems["budget_pence"] = "Enter the budget"
    elif budget <= 0:
        problems["budget_pence"] = "The budget must be more than £0"
    if low is not None and low < 0:
        problems["min_project_cost_pence"] = "The minimum project cost cannot be negative"
    if high is None:
        problems["max_project_cost_pence"] = "Enter the largest project cost"
    elif low is not None and high < low:
        problems["max_project_cost_pence"] = ("The maximum project cost must be at least the"
                                              " minimum")
    elif budget is not None and high > budget:
        problems["max_project_cost_pence"] = ("The maximum project cost cannot be more than"
                                              " the budget")
    return problems


def date_problems(values: dict, *, required: bool) -> dict[str, str]:
    """What is wrong with the dates in ``values``: out of order, or (if ``required``) not set."""
    problems = {}
    if required:
        problems = {name: f"Enter the date {DATE_LABELS[name]}"
                    for name in DATE_NAMES if values[name] is None}
    present = [(name, values[name]) for name in DATE_NAMES if values[name] is not None]
    for (earlier, first), (later, second) in zip(present, present[1:], strict=False):
        if second <= first:
            problems[later] = (f"The date {DATE_LABELS[later]} must be after the date"
                               f" {DATE_LABELS[earlier]}")
    return problems


def raise_problems(problems: dict[str, str]) -> None:
    """Raise InvalidSettings naming every problem, if there is any."""
    if problems:
        raise InvalidSettings(problems)


def validate_settings(settings: RoundSettings) -> RoundSettings:
    """Return the settings cleaned (trimmed text, only the rule's parameters).

    Raises InvalidSettings naming every problem at once, each in plain words.
    """
    problems: dict[str, str] = {}
    title = (settings.title or "").strip()
    if not title:
        problems["title"] = "Enter a title for the round"
    elif len(title) > 200:
        problems["title"] = "The title must be 200 characters or fewer"
    problems.update(_money_problems(settings))
    priorities = tuple(dict.fromkeys(p.strip() for p in settings.priorities if p.strip()))
    if not priorities:
        problems["priorities"] = "Choose at least one priority the round serves"
    if problem := _int_problem(settings.minimum_voting_age, 0, 120, "The minimum voting age"):
        problems["minimum_voting_age"] = problem
    if settings.voter_verification not in VOTER_VERIFICATIONS:
        problems["voter_verification"] = "Choose how voters are verified"
    ballot_params = _check_ballot(settings, problems)
    tally_params = _check_tally(settings, problems)
    problems.update(date_problems(asdict(settings), required=False))
    raise_problems(problems)
    return RoundSettings(**{**asdict(settings), "title": title, "priorities": priorities,
                            "description": settings.description.strip(),
                            "ballot_params": ballot_params, "tally_params": tally_params})


def _settings_of(round_: Round) -> dict:
    values = {name: getattr(round_, name) for name in SETTING_NAMES}
    return {**values, "priorities": list(values["priorities"])}


def refuse_if_frozen(round_: Round, actor, attempted: str) -> None:
    """Raise RulesFrozen (after an audit entry) if voting has opened in ``round_``."""
    if not round_.is_frozen:
        return
    reason = (f"Voting has opened in {round_.title}, so its budget, rules and ballot list"
              f" can no longer change ({attempted} refused)")
    record_event("round.change_refused", actor=actor, subject=round_,
                 after={"attempted": attempted})
    raise RulesFrozen(reason)


def create_round(locality: Locality, actor, settings: RoundSettings) -> Round:
    """Create a draft round for ``locality``; raises PermissionDenied or InvalidInput."""
    check_can_manage_locality(actor, locality)
    clean = validate_settings(settings)
    if clean.tally_params.get("conflicts"):
        raise_problems({"conflicts": "A new round has no projects yet: say which projects "
                                     "cannot both be funded once they are on the ballot"})
    round_ = Round(locality=locality, created_by_id=actor.id, phase=Phase.DRAFT.value,
                   lottery_seed=secrets.token_hex(32),
                   **{**asdict(clean), "priorities": list(clean.priorities)})
    db.session.add(round_)
    record_event("round.created", actor=actor, subject=round_, after=_settings_of(round_))
    return round_


def update_round(round_: Round, actor, settings: RoundSettings) -> Round:
    """Change a round's settings until voting opens; the audit entry holds what changed.

    Raises PermissionDenied, RulesFrozen (409, once voting has opened) or InvalidInput.
    """
    check_can_manage_locality(actor, round_.locality)
    refuse_if_frozen(round_, actor, "changing the round's settings")
    clean = validate_settings(settings)
    problems = {name: message for check in SETTINGS_CHECKS for name, message
                in check(round_, clean).items()}
    if round_.current_phase is not Phase.DRAFT:
        problems.update(date_problems(asdict(clean), required=True))
    raise_problems(problems)
    before = _settings_of(round_)
    for name in SETTING_NAMES:
        value = getattr(clean, name)
        setattr(round_, name, list(value) if name == "priorities" else value)
    after = _settings_of(round_)
    changed = [name for name in SETTING_NAMES if before[name] != after[name]]
    if changed:
        record_event("round.settings_changed", actor=actor, subject=round_,
                     before={n: before[n] for n in changed}, after={n: after[n] for n in changed})
    db.session.flush()
    return round_


# ----- phases -------------------------------------------------------------------------


class RoundNotReady(Conflict):
    """A round cannot move on yet. ``problems`` lists each thing to put right as (what is
    wrong, where it is put right, which one): the place is "setting" (with the setting's
    name), "proposals", "paper-batch" (with the batch's id), "voting" or "count"."""

    def __init__(self, target: Phase, problems: list[tuple[str, str, str | int | None]]):
        super().__init__(f"The round cannot move on to: {target.label.lower()}. "
                         + " ".join(message.rstrip(".") + "." for message, _, _ in problems))
        self.target, self.problems = target, problems


def _setting_problems(problems: dict[str, str]) -> list[tuple[str, str, str]]:
    """Problems with settings as a guard lists them: each put right on the settings page."""
    return [(message, "setting", name) for name, message in problems.items()]


def _guard_open_proposals(round_: Round, now: datetime) -> list:
    """Proposals open only once every setting is valid and every date is set, in order."""
    try:
        settings = validate_settings(RoundSettings(**_settings_of(round_)))
    except InvalidSettings as error:
        return _setting_problems(error.problems)
    return _setting_problems(date_problems(asdict(settings), required=True))


def _guard_open_voting(round_: Round, now: datetime) -> list:
    """Voting opens only with a budget, every date in order and a decided ballot list."""
    values = _settings_of(round_)
    return (_setting_problems(_money_problems(RoundSettings(**values)))
            + _setting_problems(date_problems(values, required=True)))


# What a move to a phase asks, in lists that the domains above the rounds' add to with
# ``adds_to``, so that the rounds import none of them. A guard gives every problem that stops a
# round moving to the phase, each as (message, where it is put right, the id there), so that
# all are shown at once. A record gives what the move's audit entry keeps (and may set the
# round's own fields as it moves).
Guard = Callable[[Round, datetime], list]
Record = Callable[[Round, datetime], dict]
GUARDS: dict[Phase, list[Guard]] = {phase: [] for phase in Phase}
GUARDS[Phase.PROPOSALS_OPEN].append(_guard_open_proposals)
GUARDS[Phase.VOTING].append(_guard_open_voting)
RECORDS: dict[Phase, list[Record]] = {phase: [] for phase in Phase}
# Checks of a round's settings against what other domains hold (the projects that conflict
# groups name), each giving problems by setting name.
SETTINGS_CHECKS: list[Callable[[Round, RoundSettings], dict[str, str]]] = []


def adds_to(hooks: list) -> Callable:
    """Decorator: add the function to ``hooks`` (a list of ``GUARDS``, ``RECORDS`` or
    ``SETTINGS_CHECKS``) and leave it as it is."""
    def add(function: Callable) -> Callable:
        hooks.append(function)
        return function
    return add


# Sent after a round has moved to a new phase, by hand or at its dates, with ``target``: the
# other domains (the ballot box is sealed as voting opens) react without the rounds importing them.
round_moved = Namespace().signal("round-moved")


def move_round(round_: Round, actor, target: Phase, *, now: datetime | None = None) -> Round:
    """Move a round to the next phase ``target`` after its guards pass; writes an audit entry.

    ``actor`` None means the round moved at its dates; a move before the date advertised for
    it records that date. Raises PermissionDenied (not a lead
    of the locality), Conflict (not the next phase) or RoundNotReady (a Conflict naming
    every problem a guard found: settings, budget, dates, undecided or too few eligible
    proposals, paper ballots that do not reconcile).
    """
    now = now or utcnow()
    check_move(round_, actor, target, now)
    current = round_.current_phase
    advertised = scheduled_move(round_)
    details = {"advertised": advertised.isoformat()} if advertised and advertised > now else {}
    for record in RECORDS[target]:
        details.update(record(round_, now))
    round_.phase = target.value
    if target is Phase.VOTING:
        details["lottery_seed_sha256"] = round_.lottery_seed_sha256
    record_event(f"round.phase.{target.value}", actor=actor, subject=round_,
                 before={"phase": current.value},
                 after={"phase": target.value, "by": "lead" if actor else "schedule", **details})
    db.session.flush()
    round_moved.send(round_, target=target)
    if target is Phase.VOTING:
        notify_followers(round_)
    return round_


def check_move(round_: Round, actor, target: Phase, now: datetime) -> None:
    """Raise what ``move_round`` would raise for this move, changing nothing (so that a lead
    asked to confirm an early move is first told what stops it)."""
    if actor is not None:
        check_can_manage_locality(actor, round_.locality)
    current = round_.current_phase
    if current.next is not target:
        raise Conflict(f"{round_.title} is {current.label.lower()}: it cannot move to"
                       f" {target.label.lower()}")
    if problems := [problem for guard in GUARDS[target] for problem in guard(round_, now)]:
        raise RoundNotReady(target, problems)


# The date at which a round in a phase moves on by itself (opening a draft is always by hand).
SCHEDULE = {
    Phase.PROPOSALS_OPEN: "proposals_close_at",
    Phase.REVIEW: "voting_open_at",
    Phase.VOTING: "voting_close_at",
}


def scheduled_move(round_: Round) -> datetime | None:
    """When the round moves on from its phase by itself: the date advertised for the next
    phase. None when only a lead moves it on."""
    name = SCHEDULE.get(round_.current_phase)
    return getattr(round_, name) if name else None


def _due_phase(round_: Round, now: datetime) -> Phase | None:
    moment = scheduled_move(round_)
    return round_.current_phase.next if moment and moment <= now else None


def advance_due(round_: Round, *, now: datetime | None = None) -> str | None:
    """Move a round on through every phase whose date has passed.

    Returns None, or the reason it could not move (it then stays where it is). The round's
    row is locked and re-read first, so two requests never move the same round twice, even
    when many readers of its page find it due at the same moment.
    """
    now = now or utcnow()
    if _due_phase(round_, now) is None:
        return None
    lock_round(round_)
    while (target := _due_phase(round_, now)) is not None:
        try:
            with db.session.begin_nested():
                move_round(round_, None, target, now=now)
        except (Conflict, InvalidInput) as error:
            db.session.refresh(round_)
            return error.message
    return None


def lock_round(round_: Round) -> None:
    """Lock the round's row until the transaction ends and re-read it. Take it before any other
    lock (the audit trail's among them), as phase moves do, so that no two flows wait on each
    other.

    ``FOR UPDATE OF`` the round alone: the round may have been loaded with its locality joined
    in, and PostgreSQL refuses to lock the nullable side of an outer join.
    """
    begin_writing()
    db.session.refresh(round_, with_for_update={"of": Round})


def advance_due_rounds(*, now: datetime | None = None) -> list[tuple[Round, str | None]]:
    """Advance every round whose date has passed; return (round, reason it is stuck or None)."""
    now = now or utcnow()
    begin_writing()  # before reading the rounds, so that moving one never restarts the read
    rounds = db.session.scalars(select(Round).where(Round.phase.in_([p.value for p in SCHEDULE]))
                                .order_by(Round.id).with_for_update())
    results = []
    for round_ in rounds:
        phase = round_.phase
        reason = advance_due(round_, now=now)
        if reason or round_.phase != phase:
            results.append((round_, reason))
    return results


def round_reading(*columns) -> Select:
    """A statement that reads one round (its id bound as ``round_id``): only ``columns`` of it
    (any other is read if touched), or, with none given, all of it and its locality.

    Build it once, at import: a statement kept remembers its cache key, so each request only
    binds the id (building it per request cost as much again as reading the row)."""
    options = load_only(*columns) if columns else joinedload(Round.locality)
    return select(Round).options(options).where(Round.id == bindparam("round_id"))


WHOLE_ROUND = round_reading()


def get_round(round_id: int, *, reading: Select = WHOLE_ROUND) -> Round:
    """The round with this id, as ``reading`` (from ``round_reading``) reads it, moved on to its
    current phase if a date has passed.

    Raises NotFound.
    """
    round_ = db.session.scalars(reading, {"round_id": round_id}).first()
    if round_ is None:
        raise NotFound("There is no such round")
    advance_due(round_)
    return round_


def get_visible_round(round_id: int, viewer, *, reading: Select = WHOLE_ROUND) -> Round:
    """The round (as ``get_round`` reads it), unless it is a draft the viewer may not manage;
    raises NotFound."""
    round_ = get_round(round_id, reading=reading)
    if round_.current_phase is Phase.DRAFT and not can_manage(viewer, round_):
        raise NotFound("There is no such round")
    return round_


def can_manage(user, round_: Round) -> bool:
    """True if ``user`` is a lead of the round's locality or an administrator."""
    return can_manage_locality(user, round_.locality)


def list_rounds(viewer) -> list[Round]:
    """Rounds the viewer may see, newest first (moved on at their dates): every non-draft,
    and drafts they manage."""
    query = select(Round).order_by(Round.created_at.desc(), Round.id.desc())
    if not (viewer.is_authenticated and is_administrator(viewer)):
        led = [loc.id for loc in viewer.led_localities] if viewer.is_authenticated else []
        query = query.where(or_(Round.phase != Phase.DRAFT.value, Round.locality_id.in_(led)))
    rounds = list(db.session.scalars(query))
    for round_ in rounds:
        advance_due(round_)
    return rounds


# ----- followers ----------------------------------------------------------------------


def follow_round(round_: Round, user) -> bool:
    """Ask to be emailed when voting opens; returns False if already following.

    The unique (round, user) constraint decides, so two requests at once add one row.
    """
    try:
        with db.session.begin_nested():
            db.session.add(RoundFollower(round_id=round_.id, user_id=user.id))
    except IntegrityError:
        return False
    return True


def notify_followers(round_: Round) -> int:
    """Email every follower that voting has opened; returns how many were sent."""
    from pb_app.accounts.models import User

    users = db.session.scalars(select(User).join(RoundFollower, RoundFollower.user_id == User.id)
                               .where(RoundFollower.round_id == round_.id).order_by(User.id))
    count = 0
    for user in users:
        send_mail(user.email, f"Voting is open: {round_.title}",
                  f"Hello {user.full_name},\n\nVoting has opened in {round_.title}"
                  f" ({round_.locality.name}). It closes at"
                  f" {when(round_.voting_close_at, closing=True)}.\n\n"
                  f"{current_app.config['SERVICE_NAME']}")
        count += 1
    return count
