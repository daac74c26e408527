"""Every results, ledger, report and staff voting route, tried anonymously and as each role."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import (
    LocalityFactory,
    RoundFactory,
    UserFactory,
    administrator,
    finance_officer,
    group_lead,
)
from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.ledger.models import Allocation
from pb_app.rounds.models import Phase
from results.builders import cast, make_projects, publish, stored_snapshot

WHO = ["anonymous", "resident", "lead", "other_lead", "finance", "admin"]
SIGN_IN = 302  # an anonymous visitor is sent to sign in
SPEND = {"kind": "spend", "description": "Hall hire", "amount": "10.00", "entry_on": "2026-07-01"}

# (method, path, form data, statuses for: anonymous, resident, lead of the rounds' locality,
# lead of another locality, finance officer, administrator). {p} is a published round with
# its allocation {a}; {c} a closed round counted (snapshot {s}) by someone else and not yet
# signed off; {v} a round taking votes by voting code.
CASES = [
    ("GET", "/results/", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/results/round/{p}", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/results/round/{p}/ballots.pb", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/results/round/{p}/ballots.csv", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/results/round/{p}/result.json", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/results/round/{p}/recount", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/results/round/{p}/receipt", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/results/round/{c}", None, (404, 404, 404, 404, 404, 404)),
    ("GET", "/results/round/{c}/count", None, (SIGN_IN, 403, 200, 403, 200, 200)),
    ("POST", "/results/round/{c}/count", {}, (SIGN_IN, 403, 302, 403, 403, 302)),
    ("POST", "/results/snapshot/{s}/sign-off", {}, (SIGN_IN, 403, 403, 403, 302, 403)),
    ("POST", "/results/snapshot/{s}/return", {"reason": "Check the paper batch."},
     (SIGN_IN, 403, 403, 403, 302, 403)),
    ("POST", "/results/snapshot/{s}/return", {"reason": ""}, (SIGN_IN, 403, 403, 403, 422, 403)),
    ("POST", "/results/round/{c}/publish", {}, (SIGN_IN, 403, 409, 403, 403, 409)),
    ("GET", "/results/ledger", None, (SIGN_IN, 403, 200, 200, 200, 200)),
    ("GET", "/results/ledger.csv", None, (SIGN_IN, 403, 200, 200, 200, 200)),
    ("GET", "/results/allocation/{a}", None, (SIGN_IN, 403, 200, 200, 200, 200)),
    ("POST", "/results/allocation/{a}", SPEND, (SIGN_IN, 403, 302, 403, 302, 302)),
    ("POST", "/results/allocation/{a}/delivery", {"status": "in-progress"},
     (SIGN_IN, 403, 302, 403, 302, 302)),
    ("GET", "/reports/", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/reports/round/{p}", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/reports/year/2026.csv", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/reports/round/{c}", None, (404, 404, 404, 404, 404, 404)),  # not published
    ("GET", "/reports/round/{c}.csv", None, (404, 404, 404, 404, 404, 404)),
    ("GET", "/rounds/{v}/voting", None, (SIGN_IN, 403, 200, 403, 403, 200)),
    ("GET", "/rounds/{v}/desk", None, (SIGN_IN, 403, 200, 403, 403, 200)),
    ("POST", "/rounds/{v}/voting/batches", {"label": "Kelso library", "declared_count": "3"},
     (SIGN_IN, 403, 302, 403, 403, 302)),
    ("POST", "/rounds/{v}/voting/batches", {"label": ""}, (SIGN_IN, 403, 422, 403, 403, 422)),
    ("POST", "/rounds/{v}/voting/codes", {"count": "2"}, (SIGN_IN, 403, 200, 403, 403, 200)),
    ("POST", "/rounds/{v}/voting/codes", {"count": "0"}, (SIGN_IN, 403, 422, 403, 403, 422)),
    # Closing before the advertised date: the question that asks to confirm it.
    ("POST", "/rounds/{v}/voting/close", {}, (SIGN_IN, 403, 303, 403, 403, 303)),
]


@pytest.fixture
def world():
    """A published round, a counted one awaiting sign-off and a live one, one user per role."""
    locality = LocalityFactory(population=1000)
    published = RoundFactory(to_count=True, locality=locality, title="Published Fund")
    lunch, transport = make_projects(published, {"Lunch club": 400_000, "Transport": 500_000})
    cast(published, [lunch, transport], times=3)
    publish(published, when=datetime(2026, 6, 1, tzinfo=UTC))
    counted = RoundFactory(to_count=True, locality=locality, title="Counted Fund")
    (walks,) = make_projects(counted, {"Walking group": 200_000})
    counter = finance_officer()
    snapshot = stored_snapshot(counted, counter, [(walks, 200_000)])
    live = RoundFactory(to_count=True, locality=locality, phase=Phase.VOTING, title="Live Fund",
                        voter_verification="voting-code",
                        voting_close_at=datetime(2099, 1, 1, tzinfo=UTC))
    make_projects(live, {"Men's shed": 300_000})
    users = {"anonymous": None, "resident": UserFactory(), "lead": group_lead(locality),
             "other_lead": group_lead(LocalityFactory()), "finance": finance_officer(),
             "admin": administrator(), "counter": counter}
    allocation = db.session.scalar(select(Allocation.id).where(Allocation.round_id == published.id))
    db.session.commit()
    ids = {"p": published.id, "c": counted.id, "s": snapshot.id, "v": live.id, "a": allocation}
    return users, ids


@pytest.mark.parametrize(("index", "who"), list(enumerate(WHO)))
@pytest.mark.parametrize(("method", "path", "data", "statuses"), CASES,
                         ids=[f"{case[0]} {case[1]}" for case in CASES])
def test_each_route_as_each_role(client, sign_in, world, index, who, method, path, data,
                                 statuses):
    users, ids = world
    if users[who] is not None:
        sign_in(users[who])
    entries_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.open(path.format(**ids), method=method, data=data)
    assert response.status_code == statuses[index], response.text[:2000]
    if who == "anonymous" and statuses[index] == SIGN_IN:
        assert response.location.startswith("/sign-in?next=")
    if response.status_code >= 400:  # a refusal writes nothing
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries_before


BUTTONS = ("Count again", "Sign off this result", "Return to the group lead", "Publish the result")


@pytest.mark.parametrize(("who", "offered"), [
    ("lead", {"Count again"}),
    ("admin", {"Count again"}),
    ("finance", {"Sign off this result", "Return to the group lead"}),
    ("counter", set()),  # the finance officer who ran the count may not review it
])
def test_the_count_page_offers_only_the_actions_open_to_its_viewer(client, sign_in, world, who,
                                                                    offered):
    users, ids = world
    sign_in(users[who])
    page = client.get(f"/results/round/{ids['c']}/count").get_data(as_text=True)
    assert {button for button in BUTTONS if button in page} == offered


def test_a_signed_off_count_offers_publishing_to_the_lead_only(client, sign_in, world):
    users, ids = world
    sign_in(users["finance"])
    assert client.post(f"/results/snapshot/{ids['s']}/sign-off").status_code == 302
    for who, offered in (("lead", {"Publish the result"}), ("finance", set()), ("counter", set())):
        sign_in(users[who])
        page = client.get(f"/results/round/{ids['c']}/count").get_data(as_text=True)
        assert {button for button in BUTTONS if button in page} == offered, who


@pytest.mark.parametrize(("reason", "message"), [
    ("  ", "Enter the reason for returning this result"),
    ("x" * 2001, "Field cannot be longer than 2000 characters"),
])
def test_a_refused_return_keeps_the_form_with_its_error(client, sign_in, world, reason, message):
    users, ids = world
    sign_in(users["finance"])
    response = client.post(f"/results/snapshot/{ids['s']}/return", data={"reason": reason})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert 'id="reason-error"' in page and 'class="govuk-error-summary' in page
    assert "<title>Error: Count and sign-off" in page
    sign_in(users["counter"])  # the counter is refused before the reason is looked at
    assert client.post(f"/results/snapshot/{ids['s']}/return", data={"reason": ""}
                       ).status_code == 403


@pytest.mark.parametrize(("who", "can_record"), [
    ("lead", True), ("finance", True), ("admin", True), ("other_lead", False)])
def test_the_allocation_page_offers_its_forms_only_to_who_may_use_them(client, sign_in, world,
                                                                       who, can_record):
    users, ids = world
    sign_in(users[who])
    page = client.get(f"/results/allocation/{ids['a']}").get_data(as_text=True)
    assert ("Add to the ledger" in page) is can_record
    assert ("Save delivery status" in page) is can_record
