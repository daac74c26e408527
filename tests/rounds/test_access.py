"""Every round, proposal and audit route, tried anonymously and as each role."""

from __future__ import annotations

import pytest
from factories import ProposalFactory
from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.rounds.models import Phase
from rounds.fixtures import live_round, make_user, proposal_form, round_form

WHO = ["anonymous", "resident", "proposer", "lead", "other_lead", "finance", "admin"]
SIGN_IN = 302  # an anonymous visitor is sent to sign in

# (method, path, form data, statuses for: anonymous, resident, proposer, lead of the round's
# locality, lead of another locality, finance officer, administrator). The round is taking
# proposals; {p} is a submitted proposal by the proposer, {q} another one to merge it into.
CASES = [
    ("GET", "/rounds/", None, (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/rounds/new", None, (SIGN_IN, 403, 403, 200, 200, 403, 200)),
    ("POST", "/rounds/new", "round", (SIGN_IN, 403, 403, 302, 422, 403, 302)),
    ("GET", "/rounds/{r}", None, (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/rounds/{r}/edit", None, (SIGN_IN, 403, 403, 200, 403, 403, 200)),
    ("POST", "/rounds/{r}/edit", "round", (SIGN_IN, 403, 403, 302, 403, 403, 302)),
    # Closing proposals before their advertised date: the question that asks to confirm it.
    ("POST", "/rounds/{r}/advance", {"target": "review"}, (SIGN_IN, 403, 403, 303, 403, 403, 303)),
    ("POST", "/rounds/{r}/follow", {}, (SIGN_IN, 302, 302, 302, 302, 302, 302)),
    ("GET", "/rounds/{r}/proposals", None, (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/rounds/{r}/proposals/new", None, (SIGN_IN, 200, 200, 200, 200, 200, 200)),
    ("POST", "/rounds/{r}/proposals/new", "proposal", (SIGN_IN, 302, 302, 302, 403, 403, 403)),
    ("GET", "/proposals/mine", None, (SIGN_IN, 200, 200, 200, 200, 200, 200)),
    ("GET", "/proposals/{p}", None, (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/proposals/{p}/edit", None, (SIGN_IN, 403, 200, 403, 403, 403, 403)),
    ("POST", "/proposals/{p}/edit", "proposal", (SIGN_IN, 403, 302, 403, 403, 403, 403)),
    ("POST", "/proposals/{p}/submit", {}, (SIGN_IN, 403, 409, 403, 403, 403, 403)),
    ("POST", "/proposals/{p}/withdraw", {}, (SIGN_IN, 403, 302, 403, 403, 403, 403)),
    ("GET", "/rounds/{r}/review", None, (SIGN_IN, 403, 403, 200, 403, 403, 200)),
    ("GET", "/proposals/{p}/review", None, (SIGN_IN, 403, 403, 200, 403, 403, 200)),
    ("POST", "/proposals/{p}/decide", {"decision": "reject", "feasibility": "feasible",
                                      "fit": "none", "reason": "Outside the round's focus."},
     (SIGN_IN, 403, 403, 302, 403, 403, 302)),
    ("POST", "/proposals/{p}/merge", {"target": "{q}", "merge_reason": "The same lunch club."},
     (SIGN_IN, 403, 403, 302, 403, 403, 302)),
    ("POST", "/proposals/{p}/interest", {"interest": "I chair the lunch club."},
     (SIGN_IN, 403, 403, 302, 403, 403, 302)),
    ("GET", "/audit/", None, (SIGN_IN, 403, 403, 403, 403, 200, 200)),
]


@pytest.fixture
def world(eildon, tweeddale, lead, other_lead, resident, finance, admin):
    """A round of Eildon taking proposals, two submitted proposals, one user per role."""
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    proposer = make_user("Pat Proposer", eildon)
    proposal = ProposalFactory(round=round_, proposer=proposer)
    other = ProposalFactory(round=round_, proposer=resident, title="Lunch club in Melrose")
    db.session.commit()
    return {"round": round_, "proposal": proposal, "other": other, "anonymous": None,
            "resident": resident, "proposer": proposer, "lead": lead, "other_lead": other_lead,
            "finance": finance, "admin": admin}


def _data(data, world) -> dict | None:
    if data == "round":
        return round_form(world["round"].locality_id)
    if data == "proposal":
        return proposal_form()
    if isinstance(data, dict):
        return {key: value.format(q=world["other"].id) for key, value in data.items()}
    return data


@pytest.mark.parametrize(("index", "who"), list(enumerate(WHO)))
@pytest.mark.parametrize(("method", "path", "data", "statuses"), CASES,
                         ids=[f"{case[0]} {case[1]}" for case in CASES])
def test_each_route_as_each_role(client, sign_in, world, index, who, method, path, data,
                                 statuses):
    url = path.format(r=world["round"].id, p=world["proposal"].id)
    if world[who] is not None:
        sign_in(world[who])
    entries_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.open(url, method=method, data=_data(data, world))
    assert response.status_code == statuses[index], response.text[:2000]
    if who == "anonymous" and statuses[index] == SIGN_IN:
        assert response.location.startswith("/sign-in?next=")
    if response.status_code >= 400:  # a refusal writes nothing
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries_before
