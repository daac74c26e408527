"""Two requests keying the same sheet at the same moment, through a live threaded server: the
unique (keying, sheet) decides, and the loser is told the sheet is keyed (or was, just then)."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from voting.builders import lead_of, place, voting_round
from voting.test_concurrency import race, server, session_cookie  # noqa: F401  (fixture)

from pb_app.extensions import db
from pb_app.paper.models import SINGLE, KeyedSheet
from pb_app.voting.models import PaperBatch

from .helpers import key_batch

pytestmark = pytest.mark.committing


def test_two_requests_keying_the_same_sheet_at_once_leave_one_row(app, server):  # noqa: F811
    with app.app_context():
        round_ = voting_round(place("Eildon", "TD1"))
        clerk = lead_of(round_.locality)
        batch = PaperBatch(round_id=round_.id, label="Selkirk", declared_count=3,
                           created_by_id=clerk.id)
        db.session.add(batch)
        db.session.commit()
        key_batch(round_, batch, clerk, 1, ["1"], rule=SINGLE)
        db.session.commit()
        path = f"/rounds/{round_.id}/voting/batches/{batch.id}/keying/1"
        cookie = session_cookie(app, clerk.id)
        db.session.remove()
    results = race(server, path, [cookie] * 2, urlencode({"sheet": "2", "projects": "3"}))
    statuses = Counter(status for status, _ in results)
    assert statuses[302] >= 1 and set(statuses) <= {302, 409, 422}, statuses
    refusals = [body for status, body in results if status != 302]
    assert all("already keyed" in body or "at the same moment" in body for body in refusals)
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(KeyedSheet)
                                 .where(KeyedSheet.sheet_number == 2))
        db.session.remove()
    assert rows == 1
