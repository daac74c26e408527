"""Every route, tried anonymously and as each role, gets the expected status."""

from __future__ import annotations

import pytest
from factories import (
    LocalityFactory,
    UserFactory,
    administrator,
    finance_officer,
    group_lead,
)
from flask_login import AnonymousUserMixin

from pb_app.accounts.models import FINANCE_OFFICER, RoleGrant
from pb_app.accounts.services import check_can_manage_locality, oversees_locality
from pb_app.accounts.tokens import make_reset_token
from pb_app.errors import PermissionDenied
from pb_app.extensions import db

ROLES = ["anonymous", "resident", "group_lead", "finance_officer", "administrator"]


@pytest.fixture
def people():
    """One user per role, two localities, and a user holding a role to remove."""
    eildon, cheviot = LocalityFactory(name="Eildon"), LocalityFactory(name="Cheviot")
    target = finance_officer(user__email="target@example.org")
    people = {
        "eildon": eildon, "cheviot": cheviot, "target": target,
        "anonymous": None,
        "resident": UserFactory(),
        "group_lead": group_lead(eildon),
        "finance_officer": finance_officer(),
        "administrator": administrator(),
    }
    db.session.commit()  # a refused request rolls back what is not committed
    return people


# (method, path, form data, statuses for: anonymous, resident, group lead, finance, admin)
CASES = [
    ("GET", "/", None, (200, 200, 200, 200, 200)),
    ("GET", "/register", None, (200, 200, 200, 200, 200)),
    ("GET", "/sign-in", None, (200, 200, 200, 200, 200)),
    ("POST", "/sign-out", {}, (302, 302, 302, 302, 302)),
    ("GET", "/profile", None, (302, 200, 200, 200, 200)),
    ("POST", "/profile", {"postcode": "G1 1AA", "date_of_birth": ["1", "2", "1960"]},
     (302, 422, 422, 422, 422)),
    ("GET", "/reset-password", None, (200, 200, 200, 200, 200)),
    ("GET", "/reset-password/{token}", None, (200, 200, 200, 200, 200)),
    ("GET", "/reset-password/not-a-token", None, (422, 422, 422, 422, 422)),
    ("GET", "/admin/users", None, (302, 403, 403, 403, 200)),
    ("GET", "/admin/users/{target}", None, (302, 403, 403, 403, 200)),
    ("GET", "/admin/users/999999", None, (302, 403, 403, 403, 404)),
    ("POST", "/admin/users/{target}", {"role": "administrator", "locality": ""},
     (302, 403, 403, 403, 302)),
    ("POST", "/admin/users/{target}/roles/{grant}/remove", {}, (302, 403, 403, 403, 302)),
]


@pytest.mark.parametrize(("role_index", "role"), list(enumerate(ROLES)))
@pytest.mark.parametrize(("method", "path", "data", "statuses"), CASES,
                         ids=[f"{case[0]} {case[1]}" for case in CASES])
def test_each_route_as_each_role(client, sign_in, people, role_index, role, method, path, data,
                                 statuses):
    target = people["target"]
    url = path.format(target=target.id, grant=target.role_grants[0].id,
                      token=make_reset_token(target))
    if people[role] is not None:
        sign_in(people[role])
    grants_before = db.session.query(RoleGrant).count()
    response = client.open(url, method=method, data=data)
    assert response.status_code == statuses[role_index]
    if response.status_code == 403:
        assert "This page is only for staff with the role: administrator" in response.text
    if response.status_code == 302 and role == "anonymous" and "sign-out" not in path:
        assert response.location.startswith("/sign-in?next=")
    if role != "administrator":
        assert db.session.query(RoleGrant).count() == grants_before


def test_an_administrator_changes_roles_through_the_pages(client, sign_in, people):
    sign_in(people["administrator"])
    target = people["target"]
    client.post(f"/admin/users/{target.id}", data={"role": "group_lead", "locality": "cheviot"})
    assert target.has_role("group_lead", people["cheviot"])
    grant = target.role_grants[0]
    assert grant.role == FINANCE_OFFICER
    client.post(f"/admin/users/{target.id}/roles/{grant.id}/remove", data={})
    db.session.expire_all()
    assert [g.role for g in target.role_grants] == ["group_lead"]


@pytest.mark.parametrize(("who", "locality", "allowed"), [
    ("administrator", "eildon", True),
    ("administrator", "cheviot", True),
    ("group_lead", "eildon", True),
    ("group_lead", "cheviot", False),
    ("finance_officer", "eildon", False),
    ("resident", "eildon", False),
    ("anonymous", "eildon", False),
])
def test_only_an_administrator_or_the_localitys_own_lead_manages_it(people, who, locality,
                                                                     allowed):
    user = people[who] or AnonymousUserMixin()
    if allowed:
        check_can_manage_locality(user, people[locality])
    else:
        name = people[locality].name
        with pytest.raises(PermissionDenied, match=f"Only the group lead of {name}"):
            check_can_manage_locality(user, people[locality])


@pytest.mark.parametrize(("who", "locality", "allowed"), [
    ("administrator", "eildon", True),
    ("finance_officer", "cheviot", True),
    ("group_lead", "eildon", True),
    ("group_lead", "cheviot", False),
    ("resident", "eildon", False),
    ("anonymous", "eildon", False),
])
def test_counts_boxes_and_money_are_overseen_by_finance_administrators_and_the_own_lead(
        people, who, locality, allowed):
    assert oversees_locality(people[who] or AnonymousUserMixin(), people[locality]) is allowed


def test_a_lead_of_two_localities_manages_both_and_lists_them(people):
    lead = people["group_lead"]
    db.session.add(RoleGrant(user=lead, role="group_lead", locality=people["cheviot"]))
    db.session.flush()
    check_can_manage_locality(lead, people["cheviot"])
    assert [loc.name for loc in lead.led_localities] == ["Cheviot", "Eildon"]
    assert lead.has_role("group_lead") and not lead.has_role("administrator")


def test_posts_need_a_csrf_token_when_protection_is_on(app, client, sign_in, people, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    sign_in(people["administrator"])
    response = client.post(f"/admin/users/{people['target'].id}",
                           data={"role": "administrator", "locality": ""})
    assert response.status_code == 400
    assert "Your form has expired" in response.get_data(as_text=True)
    assert not people["target"].has_role("administrator")
    client.post("/sign-out", data={})
    assert client.get("/admin/users").status_code == 200  # still signed in
