"""Helpers for paper keying tests: keying whole batches, people who took paper, counts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.ballotbox.models import BallotEnvelope
from pb_app.extensions import db
from pb_app.paper.services import KEYED_ACTION, choose_keying_rule, key_sheets
from pb_app.rounds.rules import Channel
from pb_app.voting.models import Participation

TODAY = date(2026, 12, 7)


def key_batch(round_, batch, clerk, number, typed: list[str], rule: str | None = None):
    """Key ``typed`` as sheets 1..n of keying ``number`` (choosing ``rule`` first if given),
    and commit, as the pages do."""
    if rule is not None:
        choose_keying_rule(round_, batch, clerk, rule)
    keyed = key_sheets(round_, batch, clerk, number, list(enumerate(typed, 1)))
    db.session.commit()
    return keyed


def took_paper(round_, count: int) -> None:
    """Record ``count`` people as having taken a paper ballot (as the desk does)."""
    db.session.add_all([Participation(round_id=round_.id, person_key=f"paper-{n}",
                                      channel=Channel.PAPER, age_years=40, voted_on=TODAY)
                        for n in range(count)])
    db.session.commit()


def envelopes_in(batch) -> int:
    """How many ballot envelopes the batch holds."""
    return db.session.scalar(select(func.count()).select_from(BallotEnvelope)
                             .where(BallotEnvelope.paper_batch_id == batch.id))


def keyed_entries(round_) -> int:
    """How many 'paper batch keyed' audit entries the round has."""
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.round_id == round_.id, AuditEntry.action == KEYED_ACTION))
