"""The rules of keying paper batches: the keying rule, keying and re-keying sheets, comparing
two keyings, and accepting a batch into the ballot box.

A sheet is read with the round's ballot rules (``entry.read_keyed``), sealed to the round's
box key as an envelope is, and MACed under the audit key with its batch and sheet number, so
that two keyings are compared by their MACs alone. A sheet set aside (blank or spoilt) holds
its word instead of sealed choices, MACed the same way, so two keyings must agree on it too.
Accepting a batch writes one envelope per voting sheet (in the order of their new random ids,
not the sheets' order), counts the sheets set aside on the batch, deletes the sheets and
writes one audit entry for the whole batch.

Services flush and never commit. They raise PermissionDenied (not someone who runs the
round's voting, or another clerk's keying), Conflict (the round, box, batch or keyings forbid
it, with the reason), InvalidInput (``SheetsRefused`` for bad sheets) and NotFound.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from pb_app.accounts.models import User
from pb_app.audit.services import audit_key, record_event
from pb_app.ballotbox import crypto
from pb_app.ballotbox.models import BallotBox, BallotEnvelope, new_ballot_id
from pb_app.ballotbox.services import taking_box
from pb_app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pb_app.extensions import db
from pb_app.paper.entry import SetAside, read_keyed
from pb_app.paper.models import DOUBLE, KEYING_RULES, KeyedSheet, Keying
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.rules import Channel
from pb_app.voting.ballots import Choices
from pb_app.voting.models import PaperBatch
from pb_app.voting.receipts import new_receipt
from pb_app.voting.services import ballot_rules, check_can_run_voting

KEYED_ACTION = "voting.paper_batch_keyed"


class SheetsRefused(InvalidInput):
    """Sheets that cannot be keyed; ``problems`` holds (position in the entries, or None for
    the whole batch, and the reason) for every one of them, so that a file's bad rows are all
    named at once."""

    def __init__(self, problems: list[tuple[int | None, str]]):
        super().__init__(" ".join(reason for _, reason in problems[:3])
                         + (f" And {len(problems) - 3} more." if len(problems) > 3 else ""))
        self.problems = problems


@dataclass(frozen=True)
class Comparison:
    """How a batch's keyings stand: sheets keyed by each, sheets the two keyed differently,
    and sheets one keying has that the other lacks (by keying number)."""

    declared: int
    keyed: dict[int, int]
    differ: list[int] = field(default_factory=list)
    missing: dict[int, list[int]] = field(default_factory=dict)

    @property
    def agree(self) -> bool:
        """True when no sheet is keyed differently or by one keying only."""
        return not self.differ and not any(self.missing.values())


def keyings_needed(batch: PaperBatch) -> int:
    """How many keyings the batch's rule asks for (0 before a rule is chosen)."""
    return {None: 0, DOUBLE: 2}.get(batch.keying_rule, 1)


def keyings_of(batch: PaperBatch) -> dict[int, Keying]:
    """The batch's keyings started so far, by number."""
    rows = db.session.scalars(select(Keying).where(Keying.batch_id == batch.id))
    return {keying.number: keying for keying in rows}


def keyed_numbers(batch: PaperBatch, number: int) -> set[int]:
    """The sheet numbers keying ``number`` of the batch holds."""
    return set(db.session.scalars(
        select(KeyedSheet.sheet_number).join(Keying, KeyedSheet.keying_id == Keying.id)
        .where(Keying.batch_id == batch.id, Keying.number == number)))


def next_sheet(batch: PaperBatch, number: int, after: int = 0) -> int | None:
    """The first sheet keying ``number`` still lacks after sheet ``after``, else the first it
    lacks at all; None when it has every sheet."""
    keyed = keyed_numbers(batch, number)
    missing = [sheet for sheet in range(1, batch.declared_count + 1) if sheet not in keyed]
    return next((sheet for sheet in missing if sheet > after), missing[0] if missing else None)


def choose_keying_rule(round_: Round, batch: PaperBatch, actor: User, rule: str) -> None:
    """Set how the batch is keyed, single or double, before any sheet is keyed.

    Raises PermissionDenied, InvalidInput for an unknown rule, Conflict once keying has
    started or the batch's ballots are in the box.
    """
    check_can_run_voting(actor, round_)
    if rule not in KEYING_RULES:
        raise InvalidInput("Choose single or double keying.")
    _lock(batch, shared=False)
    _check_not_entered(batch)
    if keyings_of(batch):
        raise Conflict("Keying of this batch has started, so its keying rule cannot change.")
    batch.keying_rule = rule
    db.session.flush()


def key_sheets(round_: Round, batch: PaperBatch, actor: User, number: int,
               entries: Sequence[tuple[int | None, str]], *, whole_batch: bool = False) -> Keying:
    """Key sheets into ``actor``'s keying ``number`` of the batch, all of them or none.

    ``entries`` are (sheet number, or None when none could be read, and typed projects);
    ``whole_batch`` asks that the keying then hold every sheet, without gaps. Every entry is
    checked before anything is written; then the sheets are sealed, MACed and inserted in one
    statement. Raises SheetsRefused naming every bad entry (a sheet number missing, out of
    range, given twice or already keyed, choices the ballot does not allow) and any gap,
    PermissionDenied (another clerk's keying), Conflict (no rule chosen, the same person
    keying both, a box not taking ballots, the batch already entered, or the same sheet
    keyed by another request at the same moment).
    """
    keying = _clerk_keying(round_, batch, actor, number)
    already = keyed_numbers(batch, number)
    sheets, problems, seen = [], [], set()
    rules = ballot_rules(round_)
    for position, (sheet, typed) in enumerate(entries):
        problem = _sheet_number_problem(batch, sheet, already, seen, number)
        if problem:
            problems.append((position, problem))
            continue
        seen.add(sheet)
        try:
            sheets.append((sheet, read_keyed(rules, typed)))
        except InvalidInput as error:
            problems.append((position, f"Sheet {sheet}: {error.message}"))
    gaps = sorted(set(range(1, batch.declared_count + 1)) - already - seen)
    if whole_batch and gaps:
        problems.append((None, f"{_sheets_in_words(gaps).capitalize()} missing: every sheet "
                               f"from 1 to {batch.declared_count} must be keyed."))
    if problems:
        raise SheetsRefused(problems)
    _insert_sheets(round_, batch, keying, sheets)
    return keying


def enter_sheet(round_: Round, batch: PaperBatch, actor: User, number: int, sheet: int,
                typed: str) -> Choices | SetAside:
    """Key one sheet from the entry page: a new sheet, or again one the keying holds.

    Returns the choices read, or why the sheet is set aside. Raises as ``key_sheets`` and
    ``rekey_sheet`` do, with the entry's reason alone as the message.
    """
    if sheet in keyed_numbers(batch, number):
        return rekey_sheet(round_, batch, actor, number, sheet, typed)
    try:
        key_sheets(round_, batch, actor, number, [(sheet, typed)])
    except SheetsRefused as refused:
        raise InvalidInput(refused.problems[0][1]) from None
    return read_keyed(ballot_rules(round_), typed)


def rekey_sheet(round_: Round, batch: PaperBatch, actor: User, number: int, sheet: int,
                typed: str) -> Choices | SetAside:
    """Replace a sheet of ``actor``'s own keying with what they typed again; returns the
    choices, or why it is set aside. Raises InvalidInput for choices the ballot does not
    allow, NotFound for a sheet the keying does not hold, and as ``key_sheets`` for the
    rest."""
    keying = _clerk_keying(round_, batch, actor, number)
    row = db.session.scalar(select(KeyedSheet).where(KeyedSheet.keying_id == keying.id,
                                                     KeyedSheet.sheet_number == sheet))
    if row is None:
        raise NotFound(f"Keying {number} has no sheet {sheet} to key again.")
    choices = read_keyed(ballot_rules(round_), typed)
    for column, value in _sheet_values(_taking_box(round_), batch, sheet, choices,
                                       audit_key()).items():
        setattr(row, column, value)
    db.session.flush()
    return choices


def compare_keyings(batch: PaperBatch) -> Comparison:
    """Where the batch's keyings stand and, for two, where they differ (by MAC, unread)."""
    macs: dict[int, dict[int, str]] = {number: {} for number in keyings_of(batch)}
    rows = db.session.execute(
        select(Keying.number, KeyedSheet.sheet_number, KeyedSheet.choices_mac)
        .join(Keying, KeyedSheet.keying_id == Keying.id).where(Keying.batch_id == batch.id))
    for number, sheet, mac in rows:
        macs[number][sheet] = mac
    keyed = {number: len(sheets) for number, sheets in macs.items()}
    if len(macs) < 2:
        return Comparison(batch.declared_count, keyed)
    first, second = macs[1], macs[2]
    return Comparison(
        batch.declared_count, keyed,
        differ=sorted(sheet for sheet in first.keys() & second.keys()
                      if not hmac.compare_digest(first[sheet], second[sheet])),
        missing={1: sorted(second.keys() - first.keys()), 2: sorted(first.keys() - second.keys())},
    )


def accept_batch(round_: Round, batch: PaperBatch, actor: User, today: date) -> int:
    """Put the batch's keyed sheets in the ballot box as envelopes; returns how many.

    Every keying the rule asks for must hold exactly sheets 1..declared count, and two
    keyings must agree on every sheet. One envelope is written per sheet that holds a vote
    (its sealed choices, channel paper, the batch, cast today, the hash of a receipt nobody
    holds: the paper voter has none); the sheets set aside are counted on the batch, blank and
    spoilt. The sheets are deleted and ONE audit entry records the batch. Raises
    PermissionDenied, Conflict (box not taking ballots, round counted, batch already
    entered, keyings incomplete or disagreeing, a sheet set aside whose MAC does not hold:
    nothing written).
    """
    check_can_run_voting(actor, round_)
    _taking_box(round_)
    _lock(batch, shared=False)  # two acceptances at once: one waits, then finds envelopes
    _check_not_entered(batch)
    keyings = _complete_keyings(batch)
    comparison = compare_keyings(batch)
    if not comparison.agree:
        raise Conflict(f"The two keyings disagree on {_sheets_in_words(comparison.differ)}. "
                       "Check those sheets on paper and key them again until they agree.")
    sealed = db.session.scalars(select(KeyedSheet.sealed_choices).where(
        KeyedSheet.keying_id == keyings[0].id, KeyedSheet.sealed_choices.is_not(None))).all()
    for keying in keyings:
        _check_set_aside_macs(batch, keying)
    _count_set_aside(batch, keyings[0])
    envelopes = sorted(({"id": new_ballot_id(), "round_id": round_.id, "channel": Channel.PAPER,
                         "cast_on": today, "paper_batch_id": batch.id,
                         "receipt_hash": new_receipt()[1], "sealed_choices": choices}
                        for choices in sealed), key=lambda row: row["id"])
    if envelopes:
        db.session.execute(insert(BallotEnvelope), envelopes)
    db.session.execute(delete(KeyedSheet).where(
        KeyedSheet.keying_id.in_([keying.id for keying in keyings])))
    record_event(KEYED_ACTION, actor=actor, subject=batch, after={
        "ballots": len(envelopes), "blank": batch.blank_count, "spoilt": batch.spoilt_count,
        "keying_rule": batch.keying_rule,
        "keyed_by": [{"keying": keying.number, "clerk_id": keying.clerk_id,
                      "clerk": keying.clerk.full_name} for keying in keyings]})
    return len(envelopes)


def _check_set_aside_macs(batch: PaperBatch, keying: Keying) -> None:
    """Raise Conflict naming the sheets set aside whose MAC is not that of their word: turned
    from a vote into a blank or spoilt sheet in the database, without the audit key."""
    key = audit_key()
    rows = db.session.execute(select(KeyedSheet.sheet_number, KeyedSheet.set_aside,
                                     KeyedSheet.choices_mac).where(
        KeyedSheet.keying_id == keying.id, KeyedSheet.set_aside.is_not(None)))
    changed = sorted(sheet for sheet, word, mac in rows
                     if not hmac.compare_digest(mac, _set_aside_mac(batch, sheet, word, key)))
    if changed:
        raise Conflict(f"{_sheets_in_words(changed).capitalize()} of keying {keying.number} "
                       f"changed outside the app since keyed: key "
                       f"{'it' if len(changed) == 1 else 'them'} again.")


def _count_set_aside(batch: PaperBatch, keying: Keying) -> None:
    """Count on the batch the sheets ``keying`` set aside, by why."""
    counts = dict(db.session.execute(
        select(KeyedSheet.set_aside, func.count()).where(
            KeyedSheet.keying_id == keying.id, KeyedSheet.set_aside.is_not(None))
        .group_by(KeyedSheet.set_aside)).all())
    batch.blank_count = counts.get(SetAside.BLANK, 0)
    batch.spoilt_count = counts.get(SetAside.SPOILT, 0)


def _complete_keyings(batch: PaperBatch) -> list[Keying]:
    """The keyings the rule asks for, each holding exactly sheets 1..declared count; raises
    Conflict naming what is missing."""
    needed, keyings = keyings_needed(batch), keyings_of(batch)
    if needed == 0:
        raise Conflict("Choose single or double keying for this batch, and key it, first.")
    for number in range(1, needed + 1):
        if number not in keyings:
            raise Conflict(f"Keying {number} of this batch has not started.")
        keyed = keyed_numbers(batch, number)
        wanted = set(range(1, batch.declared_count + 1))
        parts = []
        if wanted - keyed:
            parts.append(f"{_sheets_in_words(sorted(wanted - keyed))} not keyed")
        if keyed - wanted:
            parts.append(f"{_sheets_in_words(sorted(keyed - wanted))} beyond the batch's "
                         f"count of {batch.declared_count}")
        if parts:
            raise Conflict(f"Keying {number} is not complete: {'; '.join(parts)}.")
    return [keyings[number] for number in range(1, needed + 1)]


def _sheets_in_words(sheets: list[int], shown: int = 20) -> str:
    """ "sheet 4", "sheets 4, 9 and 17", or the first ``shown`` and how many more."""
    if len(sheets) == 1:
        return f"sheet {sheets[0]}"
    words = [str(sheet) for sheet in sheets[:shown]]
    if len(sheets) > shown:
        return f"sheets {', '.join(words)} and {len(sheets) - shown} more"
    return f"sheets {', '.join(words[:-1])} and {words[-1]}"


def _clerk_keying(round_: Round, batch: PaperBatch, actor: User, number: int) -> Keying:
    """``actor``'s keying ``number`` of the batch, started now if need be, after every check
    that keying may go on."""
    check_can_run_voting(actor, round_)
    _taking_box(round_)
    _lock(batch, shared=True)  # keyings go on side by side; an acceptance waits for them
    _check_not_entered(batch)
    if not 1 <= number <= keyings_needed(batch):
        raise Conflict("Choose single or double keying for this batch first." if
                       batch.keying_rule is None else "This batch is keyed once only.")
    keyings = keyings_of(batch)
    keying = keyings.get(number)
    if keying is not None:
        if keying.clerk_id != actor.id:
            raise PermissionDenied(f"Keying {number} of this batch is {keying.clerk.full_name}'s:"
                                   " only they can key its sheets.")
        return keying
    return _start_keying(batch, actor, number, keyings)


def _start_keying(batch: PaperBatch, actor: User, number: int,
                  keyings: dict[int, Keying]) -> Keying:
    if any(other.clerk_id == actor.id for other in keyings.values()):
        raise Conflict("You keyed the other keying of this batch. Someone else must key this "
                       "one, so that the two keyings check each other.")
    keying = Keying(batch_id=batch.id, number=number, clerk_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(keying)
    except IntegrityError:  # started by another request at the same moment
        raise Conflict(f"Keying {number} of this batch was started by someone else at the same "
                       "moment. Go back to the batch's page to see who.") from None
    return keying


def _sheet_number_problem(batch: PaperBatch, sheet: int | None, already: set[int],
                          seen: set[int], number: int) -> str:
    """What is wrong with a sheet number to key, in words; "" when nothing is."""
    if sheet is None:
        return "Sheet number missing: give each sheet's number, 1 or more."
    if not 1 <= sheet <= batch.declared_count:
        return f"Sheet {sheet} is not in this batch: it has sheets 1 to {batch.declared_count}."
    if sheet in already:
        return f"Sheet {sheet} is already keyed in keying {number}."
    if sheet in seen:
        return f"Sheet {sheet} is given twice."
    return ""


def _insert_sheets(round_: Round, batch: PaperBatch, keying: Keying,
                   sheets: list[tuple[int, Choices | SetAside]]) -> None:
    box, key = _taking_box(round_), audit_key()
    rows = [{"keying_id": keying.id, "sheet_number": sheet,
             **_sheet_values(box, batch, sheet, choices, key)} for sheet, choices in sheets]
    if not rows:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(KeyedSheet), rows)
    except IntegrityError:  # the same sheet keyed by another request at the same moment
        raise Conflict("One of these sheets was keyed by another request at the same moment. "
                       "Reload the page to see which sheets are keyed.") from None
    if keying.finished_at is None and _count(keying) >= batch.declared_count:
        keying.finished_at = datetime.now(UTC)
    db.session.flush()


def _count(keying: Keying) -> int:
    return db.session.scalar(select(func.count()).select_from(KeyedSheet)
                             .where(KeyedSheet.keying_id == keying.id))


def sheet_mac(batch_id: int, sheet: int, choices_json: str, key: bytes) -> str:
    """The HMAC-SHA256 (hex) of a sheet's choices, batch and number, under the audit key."""
    message = f"paper-sheet:{batch_id}:{sheet}:{choices_json}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _sheet_values(box: BallotBox, batch: PaperBatch, sheet: int, choices: Choices | SetAside,
                  key: bytes) -> dict:
    """A keyed sheet's columns: its choices sealed, or why it is set aside, and the MAC."""
    if isinstance(choices, SetAside):
        return {"sealed_choices": None, "set_aside": choices.value,
                "choices_mac": _set_aside_mac(batch, sheet, choices, key)}
    choices_json = choices.to_json()
    return {"sealed_choices": crypto.seal_padded(box.public_key, choices_json.encode("utf-8")),
            "set_aside": None, "choices_mac": sheet_mac(batch.id, sheet, choices_json, key)}


def _set_aside_mac(batch: PaperBatch, sheet: int, word: str, key: bytes) -> str:
    """The MAC of a sheet set aside: of its word, where a voting sheet's covers its choices."""
    return sheet_mac(batch.id, sheet, f"set-aside:{word}", key)


def _taking_box(round_: Round) -> BallotBox:
    """The round's box while it takes paper ballots (voting open or closed, the box not yet
    opened, its key the one it was sealed with); raises Conflict with the reason otherwise."""
    if round_.current_phase not in (Phase.VOTING, Phase.CLOSED):
        raise Conflict("Paper ballots can be keyed only while voting is open or closed, before "
                       "the round is counted.")
    return taking_box(round_)


def _lock(batch: PaperBatch, *, shared: bool) -> None:
    db.session.refresh(batch, with_for_update={"read": True} if shared else True)


def _check_not_entered(batch: PaperBatch) -> None:
    entered = db.session.scalar(select(func.count()).select_from(BallotEnvelope)
                                .where(BallotEnvelope.paper_batch_id == batch.id))
    entered += batch.set_aside_count
    if entered:
        raise Conflict(f"The ballots of batch {batch.label!r} are already in the ballot box "
                       f"({entered} entered), so it cannot be keyed or accepted again.")
