"""The demo data: localities, staff, residents; refused on a database that has data."""

from __future__ import annotations

from collections import Counter

from factories import LocalityFactory
from sqlalchemy import func, select

from pb_app.accounts import demo as accounts_demo
from pb_app.accounts.models import RoleGrant, User
from pb_app.accounts.services import authenticate
from pb_app.extensions import db
from pb_app.localities import demo as localities_demo
from pb_app.localities.models import Locality
from pb_app.mail.models import MailMessage


def test_the_demo_creates_staff_and_residents_and_prints_the_sign_ins():
    lines: list[str] = []
    localities_demo.load_demo(lines.append)
    accounts_demo.load_demo(lines.append)
    users = list(db.session.scalars(select(User)))
    assert len(users) == 2 + 5 + 1 + accounts_demo.RESIDENT_COUNT
    assert all(user.locality is not None for user in users if user.postcode)
    roles = Counter((g.role, g.locality.name if g.locality else None)
                    for g in db.session.scalars(select(RoleGrant)))
    assert roles == Counter({("administrator", None): 1, ("finance_officer", None): 1,
                             **{("group_lead", name): 1 for name in [
                                 "Berwickshire", "Cheviot", "Eildon", "Teviot and Liddesdale",
                                 "Tweeddale"]}})
    per_locality = Counter(user.locality.name for user in users if user.locality)
    assert min(per_locality.values()) > 30
    assert per_locality["Eildon"] == max(per_locality.values())
    assert "Administrator: admin@example.org / demo-staff-password" in lines
    resident_line = next(line for line in lines if line.startswith("Resident"))
    email = resident_line.split(": ")[1].split(" / ")[0]
    assert authenticate(email, accounts_demo.RESIDENT_PASSWORD, "127.0.0.1").email == email
    assert authenticate("lead.eildon@example.org", accounts_demo.STAFF_PASSWORD, "127.0.0.1")


def test_demo_load_refuses_a_database_that_has_data(runner):
    LocalityFactory(name="Somewhere")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "This database already has data" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Locality)) == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_load_if_empty_leaves_a_database_with_data_alone(runner):
    LocalityFactory(name="Somewhere")
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert "already has data" in result.output
    assert db.session.scalar(select(func.count()).select_from(Locality)) == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_load_sends_no_email_even_with_a_real_backend(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setattr("pb_app.demo.DEMO_LOADERS", ["pb_app.localities.demo",
                                                     "pb_app.accounts.demo",
                                                     "pb_app.ballotbox.demo",
                                                     "pb_app.rounds.demo"])
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(MailMessage)) == 0  # no outbox row
    assert app.config["MAIL_BACKEND"] == "smtp"
