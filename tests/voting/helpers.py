"""Small helpers for driving the voting pages with the test client."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from pb_app.ballotbox.models import BallotEnvelope
from pb_app.extensions import db
from pb_app.voting.models import Participation

RECEIPT_RE = re.compile(r'id="receipt-code">([2-9A-Z-]+)<')


def counts(round_id: int | None = None) -> tuple[int, int]:
    """(participations, ballot envelopes), in one round or in all."""
    def count(model):
        query = select(func.count()).select_from(model)
        if round_id is not None:
            query = query.where(model.round_id == round_id)
        return db.session.scalar(query)
    return count(Participation), count(BallotEnvelope)


def receipt_in(html: str) -> str:
    """The receipt code shown on a receipt page."""
    match = RECEIPT_RE.search(html)
    assert match, "no receipt code on the page"
    return match.group(1)


def vote(client, round_id: int, fields: list[tuple[str, str]], *, desk: bool = False):
    """Post choices through review and confirm; returns the confirm response."""
    prefix = "desk" if desk else "vote"
    reviewed = client.post(f"/rounds/{round_id}/{prefix}/review", data=MultiDict(fields))
    assert reviewed.status_code == 200, reviewed.get_data(as_text=True)[:2000]
    return client.post(f"/rounds/{round_id}/{prefix}/confirm", data=MultiDict(fields))
