"""With CSRF protection on (as in production), every voting form carries its token and a
post without it is refused."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from voting.builders import lead_of, project_ids
from voting.helpers import counts, receipt_in

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                   r'type="hidden" name="csrf_token" value="([^"]+)"')


@pytest.fixture
def csrf_on(app, monkeypatch):
    """Turn CSRF checks on for this test."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def token(html: str) -> str:
    """The CSRF token in a page's form."""
    match = TOKEN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def test_the_online_steps_carry_their_tokens(client, sign_in, csrf_on, approval_round, voter):
    sign_in(voter)
    choice = ("project", project_ids(approval_round)[0])
    page = client.get(f"/rounds/{approval_round.id}/vote/ballot").get_data(as_text=True)
    forged = client.post(f"/rounds/{approval_round.id}/vote/confirm", data=MultiDict([choice]))
    assert forged.status_code == 400
    review = client.post(f"/rounds/{approval_round.id}/vote/review",
                         data=MultiDict([choice, ("csrf_token", token(page))]))
    assert review.status_code == 200
    confirmed = client.post(f"/rounds/{approval_round.id}/vote/confirm", data=MultiDict(
        [choice, ("csrf_token", token(review.get_data(as_text=True)))]))
    assert receipt_in(confirmed.get_data(as_text=True))
    assert counts(approval_round.id) == (1, 1)


def test_the_lead_pages_carry_their_tokens(client, sign_in, csrf_on, approval_round):
    sign_in(lead_of(approval_round.locality))
    for path in ("voting", "desk"):
        assert token(client.get(f"/rounds/{approval_round.id}/{path}").get_data(as_text=True))
    forged = client.post(f"/rounds/{approval_round.id}/voting/close")
    assert forged.status_code == 400 and approval_round.phase == "voting"
