"""The rules of equalities monitoring: tickets, sealed answers, area type and suppressed
aggregates.

Voting offers the questionnaire with a signed ticket (``issue_ticket``) that names only the
round and locality and carries a random nonce; the nonce's hash is kept once the ticket is
used, so each ticket gives at most one response and neither the ticket nor the response names
anyone. The answers are sealed to the round's ballot-box key as they come, and written out in
a random order only when key holders open the box (``models`` says why), so the
questionnaire closes when the count begins.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from pb_app.audit.services import audit_key
from pb_app.ballotbox.crypto import DamagedBox
from pb_app.ballotbox.models import new_ballot_id
from pb_app.ballotbox.services import box_opened, get_box, seal_for_box
from pb_app.errors import Conflict, InvalidInput
from pb_app.extensions import db
from pb_app.monitoring.models import EqualitiesResponse, QuestionnaireTicket, SealedResponse
from pb_app.monitoring.questions import (
    ALL_QUESTIONS,
    NOT_ANSWERED,
    NOT_KNOWN,
    NOT_RESPONDED_LABEL,
    QUESTIONS,
    Question,
    age_band_reaches,
)
from pb_app.monitoring.suppression import THRESHOLD, SuppressedTable, suppress
from pb_app.rounds.models import Round
from pb_app.tokens import TokenKind

TICKET_LIFETIME = timedelta(days=2)
TICKET = TokenKind(
    "equalities-questionnaire", claims=("r", "l", "n"),
    expired_message="This questionnaire link has expired. Thank you for voting.",
    invalid_message="This questionnaire link is not valid.",
)
AREA_FILE = Path(__file__).parent / "data" / "urban_rural.csv"
ALREADY_ANSWERED = "This questionnaire has already been answered or skipped. Thank you."
QUESTIONNAIRE_CLOSED = ("The count of this round has begun, so its questionnaire is closed. "
                        "Thank you for voting.")


class QuestionnaireClosed(Conflict):
    """The questionnaire takes no more answers (a used ticket, or the count has begun)."""

    title = "This questionnaire is closed"


@dataclass(frozen=True)
class Ticket:
    """What a questionnaire ticket says: the round, its locality, and a random nonce."""

    round_id: int
    locality_id: int
    nonce: str


def issue_ticket(round_: Round) -> str:
    """A signed, single-use ticket to answer the questionnaire for this round (no person in it).

    Voting links to ``url_for("monitoring.questionnaire", token=issue_ticket(round_))`` once a
    ballot is cast.
    """
    claims = {"r": round_.id, "l": round_.locality_id, "n": secrets.token_urlsafe(16)}
    return TICKET.make(claims, datetime.now(UTC), TICKET_LIFETIME)


def read_ticket(token: str) -> Ticket:
    """Decode a ticket; raises InvalidInput when it is forged or expired, Conflict when used
    or when its round's questionnaire is closed (``check_answering``)."""
    claims = TICKET.read(token)  # signed with the ticket key, so made by issue_ticket
    ticket = Ticket(int(claims["r"]), int(claims["l"]), str(claims["n"]))
    if db.session.scalar(
        select(QuestionnaireTicket.id).where(QuestionnaireTicket.nonce_hash == _nonce_hash(ticket))
    ):
        raise QuestionnaireClosed(ALREADY_ANSWERED)
    check_answering(db.session.get(Round, ticket.round_id))
    return ticket


def check_answering(round_: Round) -> None:
    """Raise Conflict, saying why, unless the round's questionnaire takes answers: its box is
    sealed and not yet opened."""
    box = get_box(round_)
    if box is None:
        raise Conflict("This round is not taking questionnaire answers.")
    if box.is_open:
        raise QuestionnaireClosed(QUESTIONNAIRE_CLOSED)


def _nonce_hash(ticket: Ticket) -> str:
    return hashlib.sha256(ticket.nonce.encode()).hexdigest()


def _spend_ticket(ticket: Ticket) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(QuestionnaireTicket(nonce_hash=_nonce_hash(ticket)))
    except IntegrityError as error:
        raise QuestionnaireClosed(ALREADY_ANSWERED) from error


@cache
def _area_types() -> dict[str, str]:
    with AREA_FILE.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["prefix"].strip().upper(): row["area_type"].strip() for row in rows}


def classify_area(postcode: str | None) -> str:
    """``urban``, ``rural`` or ``not_known`` for a postcode (sector first, then district).

    Raises InvalidInput when a postcode is given but malformed; the postcode is never stored.
    """
    from pb_app.localities.services import normalise_postcode

    if not postcode or not postcode.strip():
        return NOT_KNOWN
    outward, inward = normalise_postcode(postcode).split(" ")
    table = _area_types()
    return table.get(f"{outward} {inward[0]}") or table.get(outward) or NOT_KNOWN


def minimum_age(ticket: Ticket) -> int:
    """The minimum voting age of the ticket's round: no age band below it is offered."""
    return db.session.get(Round, ticket.round_id).minimum_voting_age


def _clean_answers(answers: Mapping[str, str | None], youngest: int) -> dict[str, str]:
    cleaned = {}
    for item in QUESTIONS:
        value = answers.get(item.key) or NOT_ANSWERED
        if value not in item.labels() or not age_band_reaches(value, youngest):
            raise InvalidInput(f"Choose one of the answers offered for: {item.label}")
        cleaned[item.key] = value
    return cleaned


def validated_answers(answers: Mapping[str, str | None], postcode: str | None,
                      youngest: int) -> dict[str, str]:
    """The answer to every question (unanswered ones ``not_answered``) and the postcode's area
    type, the postcode itself dropped.

    Raises InvalidInput for an unknown answer, an age band wholly below ``youngest`` (the
    round's minimum voting age, which nobody who voted can be under) or a malformed postcode.
    """
    return {**_clean_answers(answers, youngest), "area_type": classify_area(postcode)}


def record_response(token: str, answers: Mapping[str, str | None], postcode: str | None) -> None:
    """Seal one anonymous response to the ticket's round's ballot box, with its MAC; it is
    read only when the box is opened.

    Raises InvalidInput (see ``validated_answers``, and a forged ticket), Conflict for a used
    ticket or once the count has begun.
    """
    ticket = read_ticket(token)
    round_ = db.session.get(Round, ticket.round_id)
    answers_json = json.dumps(validated_answers(answers, postcode, round_.minimum_voting_age))
    _spend_ticket(ticket)
    try:  # the box locked for share, so an opening under way opens this answer too
        sealed = seal_for_box(round_, answers_json.encode(), share_lock=True)
    except Conflict:
        check_answering(round_)  # opened since the ticket was read: say so
        raise
    response = SealedResponse(id=new_ballot_id(), round_id=round_.id, sealed_answers=sealed)
    response.answers_mac = answers_mac(response)
    db.session.add(response)
    db.session.flush()


def answers_mac(response: SealedResponse) -> str:
    """The HMAC-SHA256 (hex), under the audit key, of a sealed response with its round and id:
    a database writer can seal answers to the box's public key, but cannot vouch for them,
    nor copy a genuine one under a new id."""
    message = f"equalities-answers:{response.round_id}:{response.id}:".encode()
    return hmac.new(audit_key(), message + response.sealed_answers, hashlib.sha256).hexdigest()


@box_opened.connect
def _open_responses(round_: Round, unseal: Callable[[bytes], bytes]) -> dict[str, int]:
    """As the round's box is opened: write its sealed responses out in a random order, and
    delete the sealed rows. A response whose MAC does not match, or that does not open as a
    set of answers, is set aside: the answers are optional, so they never stop the count,
    but the opening's audit entry says how many were set aside. Fewer than ``THRESHOLD``
    genuine responses are withheld, none written: a database writer who deleted every sealed
    response but one person's would otherwise read that person's answers."""
    sealed = db.session.scalars(select(SealedResponse).where(SealedResponse.round_id == round_.id))
    opened = [_opened_answers(unseal, response) for response in sealed]
    rows = [{"round_id": round_.id, "locality_id": round_.locality_id, **answers}
            for answers in opened if answers is not None]
    withheld = len(rows) if len(rows) < THRESHOLD else 0
    secrets.SystemRandom().shuffle(rows)
    if rows and not withheld:
        db.session.execute(insert(EqualitiesResponse), rows)
    db.session.execute(delete(SealedResponse).where(SealedResponse.round_id == round_.id))
    return {"equalities_answers": len(rows) - withheld,
            "equalities_answers_set_aside": len(opened) - len(rows),
            "equalities_answers_withheld": withheld}


def _opened_answers(unseal: Callable[[bytes], bytes],
                    response: SealedResponse) -> dict[str, str] | None:
    """One sealed response's answers, or None when its MAC does not match or it does not open
    as a set of answers."""
    if not hmac.compare_digest(response.answers_mac, answers_mac(response)):
        return None
    try:
        answers = json.loads(unseal(response.sealed_answers))
    except (DamagedBox, ValueError):
        return None
    return answers if _is_answer_set(answers) else None


def _is_answer_set(answers: object) -> bool:
    """Whether ``answers`` holds one of its answers for every question, and nothing else."""
    return (isinstance(answers, dict) and answers.keys() == {q.key for q in ALL_QUESTIONS}
            and all(isinstance(answers[q.key], str) and answers[q.key] in q.labels()
                    for q in ALL_QUESTIONS))


def skip_questionnaire(token: str) -> None:
    """Use up the ticket without answering (skipping is always allowed)."""
    _spend_ticket(read_ticket(token))


def _counts(question: Question, round_ids: Sequence[int]) -> dict[tuple[str, int], int]:
    column = getattr(EqualitiesResponse, question.key)
    query = (
        select(column, EqualitiesResponse.locality_id, func.count())
        .where(EqualitiesResponse.round_id.in_(round_ids))
        .group_by(column, EqualitiesResponse.locality_id)
    )
    return {
        (answer, locality_id): count for answer, locality_id, count in db.session.execute(query)
    }


@dataclass(frozen=True)
class AggregateTable:
    """One question's answers by locality, suppressed for publication."""

    question: Question
    table: SuppressedTable


def _shown_answers(item: Question, counts: Mapping[tuple[str, int], int],
                   minimum_age: int) -> dict[str, str]:
    """The answers a table lists: all of them, except age bands wholly below the youngest
    age allowed to vote, unless somebody chose one."""
    chosen = {answer for answer, _ in counts}
    return {
        answer: label for answer, label in item.labels().items()
        if answer in chosen or age_band_reaches(answer, minimum_age)
    }


def aggregate_responses(
    round_ids: Sequence[int],
    localities: Sequence[tuple[int, str]],
    voters: Mapping[int, int],
    minimum_age: int,
) -> list[AggregateTable]:
    """Every question's answers (rows) by locality (columns), small numbers suppressed.

    ``localities`` is (id, name) for each column, in order; ``voters`` the voters of each
    locality id. The last row counts the voters who did not fill in the questionnaire, so
    each column adds up to the locality's voters (a published figure, so never hidden). That
    row is the same in every table, so it is never hidden either: the answers are protected
    against it instead.
    ``minimum_age`` is the youngest age any of the rounds let vote.
    """
    responses = _responses_by_locality(round_ids)
    not_responded = [voters.get(locality_id, 0) - responses.get(locality_id, 0)
                     for locality_id, _ in localities]
    tables = []
    for item in ALL_QUESTIONS:
        counts = _counts(item, round_ids)
        labels = _shown_answers(item, counts, minimum_age)
        cells = [
            [counts.get((answer, locality_id), 0) for locality_id, _ in localities]
            for answer in labels
        ]
        table = suppress([*labels.values(), NOT_RESPONDED_LABEL],
                         [name for _, name in localities], [*cells, not_responded],
                         public_column_totals=True, public_rows=(len(cells),))
        tables.append(AggregateTable(item, table))
    return tables


def _responses_by_locality(round_ids: Sequence[int]) -> dict[int, int]:
    query = (
        select(EqualitiesResponse.locality_id, func.count())
        .where(EqualitiesResponse.round_id.in_(round_ids))
        .group_by(EqualitiesResponse.locality_id)
    )
    return dict(db.session.execute(query).all())


def count_responses(round_ids: Sequence[int]) -> int:
    """How many people answered the questionnaire in these rounds."""
    query = (
        select(func.count())
        .select_from(EqualitiesResponse)
        .where(EqualitiesResponse.round_id.in_(round_ids))
    )
    return db.session.scalar(query) or 0
