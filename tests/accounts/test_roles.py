"""Granting and removing roles: administrators only, scoped group leads, every change audited."""

from __future__ import annotations

import json

import pytest
from factories import LocalityFactory, UserFactory, administrator, finance_officer, group_lead
from flask_login import AnonymousUserMixin
from sqlalchemy import func, insert, select

from pb_app.accounts import services
from pb_app.accounts.models import RoleGrant
from pb_app.audit.models import AuditEntry
from pb_app.errors import Conflict, InvalidInput, PermissionDenied
from pb_app.extensions import db


def _grants() -> int:
    return db.session.scalar(select(func.count()).select_from(RoleGrant))


def _audit() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.sequence)))


@pytest.fixture
def admin():
    return administrator()


def test_granting_a_group_lead_role_is_scoped_and_audited(admin):
    eildon, user = LocalityFactory(name="Eildon", slug="eildon"), UserFactory()
    services.grant_role(admin, user, "group_lead", eildon)
    assert user.has_role("group_lead", eildon)
    assert not user.has_role("group_lead", LocalityFactory())
    [entry] = _audit()
    assert (entry.action, entry.actor_id, entry.object_type, entry.object_id) == (
        "role.granted", admin.id, "User", str(user.id))
    assert json.loads(entry.after_json) == {"user_id": user.id, "role": "group_lead",
                                            "locality": "eildon"}


def test_removing_a_role_is_audited_with_what_it_was(admin):
    user = finance_officer()
    services.remove_role(admin, user.role_grants[0])
    assert not user.has_role("finance_officer")
    [entry] = _audit()
    assert entry.action == "role.removed"
    assert json.loads(entry.before_json) == {"user_id": user.id, "role": "finance_officer",
                                             "locality": None}
    assert entry.after_json is None


@pytest.mark.parametrize(("role", "with_locality", "error", "message"), [
    ("group_lead", False, InvalidInput, "Choose a locality for a group lead"),
    ("finance_officer", True, InvalidInput, "Choose a locality for a group lead"),
    ("mayor", False, InvalidInput, "Choose a role"),
    ("resident", False, InvalidInput, "Choose a role"),
])
def test_bad_grants_are_refused_and_write_nothing(admin, role, with_locality, error, message):
    user, locality = UserFactory(), LocalityFactory()
    before = _grants()
    with pytest.raises(error, match=message):
        services.grant_role(admin, user, role, locality if with_locality else None)
    assert (_grants(), _audit()) == (before, [])


def test_a_role_held_already_is_a_conflict(admin):
    eildon = LocalityFactory()
    lead = group_lead(eildon)
    with pytest.raises(Conflict, match=f"is already a group lead of {eildon.name}"):
        services.grant_role(admin, lead, "group_lead", eildon)
    with pytest.raises(Conflict, match="is already an administrator"):
        services.grant_role(admin, admin, "administrator")
    services.grant_role(admin, lead, "group_lead", LocalityFactory())
    assert len(lead.led_localities) == 2


@pytest.mark.parametrize("scoped", [True, False])
def test_a_role_granted_meanwhile_by_another_request_is_a_conflict(admin, scoped):
    user, locality = UserFactory(), LocalityFactory() if scoped else None
    role = "group_lead" if scoped else "finance_officer"
    assert user.role_grants == []  # what this request has read, before the other one commits
    db.session.execute(insert(RoleGrant).values(
        user_id=user.id, role=role, locality_id=locality.id if scoped else None))
    with pytest.raises(Conflict, match="is already a"):
        services.grant_role(admin, user, role, locality)
    assert (_grants(), _audit()) == (2, [])


def test_manageable_localities_are_all_for_an_administrator_and_the_led_for_a_lead(admin):
    north, south = LocalityFactory(name="North"), LocalityFactory(name="South")
    assert services.manageable_localities(admin) == [north, south]
    assert services.manageable_localities(group_lead(south)) == [south]
    assert services.manageable_localities(finance_officer()) == []
    assert services.manageable_localities(AnonymousUserMixin()) == []


def test_the_database_refuses_a_second_identical_unscoped_role():
    user = finance_officer()
    db.session.add(RoleGrant(user=user, role="finance_officer"))
    with pytest.raises(Exception, match="(?i)unique"):
        with db.session.begin_nested():
            db.session.flush()


@pytest.mark.parametrize("actor", ["resident", "group_lead", "finance_officer"])
def test_only_administrators_grant_or_remove(admin, actor):
    eildon = LocalityFactory()
    people = {"resident": UserFactory(), "group_lead": group_lead(eildon),
              "finance_officer": finance_officer()}
    target = finance_officer()
    with pytest.raises(PermissionDenied, match="Only an administrator can do this"):
        services.grant_role(people[actor], target, "group_lead", eildon)
    with pytest.raises(PermissionDenied):
        services.remove_role(people[actor], target.role_grants[0])
    assert [g.role for g in target.role_grants] == ["finance_officer"]
    assert _audit() == []


def test_the_last_administrator_cannot_be_removed(admin):
    with pytest.raises(Conflict, match="This is the last administrator"):
        services.remove_role(admin, admin.role_grants[0])
    second = administrator()
    services.remove_role(second, admin.role_grants[0])
    assert not admin.has_role("administrator")


def test_the_admin_pages_list_users_and_refuse_a_bad_grant(client, sign_in, admin):
    user = UserFactory(full_name="Ruaridh Elliot")
    db.session.commit()
    sign_in(admin)
    assert "Ruaridh Elliot" in client.get("/admin/users").get_data(as_text=True)
    response = client.post(f"/admin/users/{user.id}", data={"role": "group_lead", "locality": ""})
    assert response.status_code == 422
    assert "Choose a locality for a group lead" in response.get_data(as_text=True)
    response = client.post(f"/admin/users/{user.id}", data={"role": "", "locality": ""})
    assert response.status_code == 422
    assert "Choose a role" in response.get_data(as_text=True)
    assert user.role_grants == []


def test_removing_the_last_administrator_through_the_page_is_a_409(client, sign_in, admin):
    db.session.commit()
    sign_in(admin)
    response = client.post(f"/admin/users/{admin.id}/roles/{admin.role_grants[0].id}/remove")
    assert response.status_code == 409
    assert admin.has_role("administrator")


def test_make_admin_command(runner):
    user = UserFactory(email="first@example.org")
    result = runner.invoke(args=["accounts", "make-admin", "FIRST@example.org"])
    assert result.exit_code == 0, result.output
    assert "first@example.org is now an administrator." in result.output
    assert user.has_role("administrator")
    [entry] = _audit()
    assert (entry.action, entry.actor_id) == ("role.granted", None)
    again = runner.invoke(args=["accounts", "make-admin", "first@example.org"])
    assert again.exit_code == 1 and "is already an administrator" in again.output
    missing = runner.invoke(args=["accounts", "make-admin", "nobody@example.org"])
    assert missing.exit_code == 1 and "No account has the email address" in missing.output


def test_has_role_scopes_group_leads_only():
    eildon, cheviot = LocalityFactory(), LocalityFactory()
    lead, finance, admin, resident = (group_lead(eildon), finance_officer(), administrator(),
                                      UserFactory())
    assert [lead.has_role("group_lead", eildon), lead.has_role("group_lead", cheviot)] == [
        True, False]
    assert finance.has_role("finance_officer", cheviot) and admin.has_role("administrator", eildon)
    assert not finance.has_role("administrator") and not admin.has_role("group_lead")
    assert resident.has_role("resident") and not resident.has_role("finance_officer")
    assert lead.has_role("resident", cheviot)


def test_the_roles_page_names_each_grant_on_its_remove_button(client, sign_in, admin):
    eildon = LocalityFactory(name="Eildon")
    lead = group_lead(eildon)
    finance_officer(user=lead)
    page = sign_in(admin).get(f"/admin/users/{lead.id}").text
    for name in ("Group lead (Eildon)", "Finance officer"):
        assert f'<td class="govuk-table__cell">{name}</td>' in page
        assert f'aria-label="Remove {name}"' in page


def test_the_users_list_is_paged_and_searchable(client, sign_in, admin):
    for n in range(1, 121):
        UserFactory(full_name=f"Resident {n:03d}", email=f"resident{n:03d}@example.org")
    UserFactory(full_name="Ruaridh Elliot", email="r.elliot@example.org")
    UserFactory(full_name="Percent 100%_", email="odd@example.org")
    db.session.commit()
    sign_in(admin)
    total = 120 + 2 + 1  # and the administrator

    first = client.get("/admin/users").get_data(as_text=True)
    assert f"{total} users, page 1 of 3." in first
    assert first.count('href="/admin/users/') == services.USERS_PER_PAGE
    assert 'href="/admin/users?page=2"' in first and 'href="/admin/users?page=3"' in first

    last = client.get("/admin/users?page=3").get_data(as_text=True)
    assert last.count('href="/admin/users/') == total - 2 * services.USERS_PER_PAGE
    for page in ("99999999999999999999", "-4", "two"):
        response = client.get(f"/admin/users?page={page}")
        assert response.status_code == 200  # past the end shows the last; nonsense the first
    assert "page 3 of 3" in client.get("/admin/users?page=999").get_data(as_text=True)

    found = client.get("/admin/users?q=ELLIOT").get_data(as_text=True)
    assert "1 user matching" in found and "Ruaridh Elliot" in found
    assert "Resident 001" not in found and "?page=" not in found
    assert "r.elliot@example.org" in client.get("/admin/users?q=r.ell").get_data(as_text=True)
    wildcard = client.get("/admin/users?q=%25_").get_data(as_text=True)  # "%_" is literal
    assert "1 user matching" in wildcard and "Percent 100%_" in wildcard
    paged_search = client.get("/admin/users?q=resident&page=2").get_data(as_text=True)
    assert "120 users matching" in paged_search and 'href="/admin/users?page=3&amp;q=resident"' \
        in paged_search
