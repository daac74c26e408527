"""Builders and fixtures for round and proposal tests (shared with tests/proposals)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from ballotbox.builders import key_holders
from factories import PostcodeAreaFactory, RoleGrantFactory, RoundFactory, UserFactory

from pb_app.accounts.models import ADMINISTRATOR, FINANCE_OFFICER, GROUP_LEAD, User
from pb_app.extensions import db
from pb_app.localities.models import Locality
from pb_app.rounds.early import stamp
from pb_app.rounds.models import IJB_PRIORITIES, Phase, Round
from pb_app.rounds.services import scheduled_move


def make_locality(name: str, prefix: str) -> Locality:
    """A locality with one postcode district."""
    return PostcodeAreaFactory(prefix=prefix, locality__name=name,
                               locality__population=1000).locality


def make_user(name: str, locality: Locality | None = None, role: str | None = None,
              role_locality: Locality | None = None) -> User:
    """A user living in ``locality``, optionally holding ``role``."""
    user = UserFactory(email=f"{name.lower().replace(' ', '.')}@example.org", full_name=name,
                       locality=locality)
    if role:
        RoleGrantFactory(user=user, role=role,
                         locality=role_locality if role == GROUP_LEAD else None)
    return user


def _day(days: int) -> list[str]:
    day = datetime.now(UTC) + timedelta(days=days)
    return [str(day.day), str(day.month), str(day.year)]


def round_form(locality_id: int, **changes) -> dict:
    """The fields a lead fills in to set up a round."""
    return {"locality": str(locality_id), "title": "Eildon Community Fund", "budget": "20,000",
            "min_cost": "500", "max_cost": "5000", "priorities": [IJB_PRIORITIES[0]],
            "other_priorities": "Tackling loneliness", "minimum_voting_age": "12",
            "voter_verification": "voting-code", "ballot_type": "approval", "max_choices": "3",
            "tally_rule": "mes", "mes_completion": "add1", "mes_comparison": "satisfaction",
            "tie_break": "support-cost-lottery", "proposals_open_at": _day(-1),
            "proposals_close_at": _day(30), "voting_open_at": _day(45),
            "voting_close_at": _day(60), **changes}


def proposal_form(title: str = "Lunch club", amount: str = "1200", **changes) -> dict:
    """The fields a resident fills in to propose a project."""
    return {"title": title, "summary": "A weekly hot lunch.", "description": "For older people.",
            "location": "Galashiels", "location_postcode": "TD1 1AA", "outcomes": ["1", "4"],
            "priorities": [IJB_PRIORITIES[0]], "cost_lines-0-item": "Food",
            "cost_lines-0-amount": amount, "cost_lines-1-item": "Hall hire",
            "cost_lines-1-amount": "300.50", **changes}


def live_round(locality, phase: Phase = Phase.DRAFT, **changes) -> Round:
    """A round whose dates lie around the real today, so no page moves it on.

    The setup is committed (into the test's outer transaction) so that a refused request,
    which rolls its session back, does not take the setup with it.
    """
    now = datetime.now(UTC)
    round_ = RoundFactory(locality=locality, phase=phase,
                          proposals_open_at=now - timedelta(days=1),
                          proposals_close_at=now + timedelta(days=30),
                          voting_open_at=now + timedelta(days=45),
                          voting_close_at=now + timedelta(days=60), **changes)
    db.session.commit()
    return round_


@pytest.fixture
def eildon() -> Locality:
    """Eildon, with postcode district TD1."""
    return make_locality("Eildon", "TD1")


@pytest.fixture
def tweeddale() -> Locality:
    """Tweeddale, with postcode district EH45."""
    return make_locality("Tweeddale", "EH45")


@pytest.fixture
def lead(eildon) -> User:
    """A group lead of Eildon, living there."""
    return make_user("Lena Lead", eildon, GROUP_LEAD, eildon)


@pytest.fixture
def other_lead(eildon, tweeddale) -> User:
    """A group lead of Tweeddale only."""
    return make_user("Tam Tweed", tweeddale, GROUP_LEAD, tweeddale)


@pytest.fixture
def resident(eildon) -> User:
    """A resident of Eildon."""
    return make_user("Rab Resident", eildon)


@pytest.fixture
def finance(eildon) -> User:
    """A finance officer."""
    return make_user("Fiona Finance", None, FINANCE_OFFICER)


@pytest.fixture
def box_keys(eildon) -> list:
    """Two ballot box key holders, so that voting can open."""
    return key_holders()


@pytest.fixture
def admin(eildon) -> User:
    """An administrator."""
    return make_user("Ada Admin", None, ADMINISTRATOR)


class _LoggedMail(logging.Handler):
    """Keeps each message the log mail backend writes, as an ``EmailMessage``."""

    def __init__(self, sent: list) -> None:
        super().__init__(logging.INFO)
        self.sent = sent

    def emit(self, record: logging.LogRecord) -> None:
        """Keep every 'email not sent' message."""
        if record.getMessage().startswith("Email not sent"):
            to, subject, body = record.args
            message = EmailMessage()
            message["To"], message["Subject"] = to, subject
            message.set_content(body)
            self.sent.append(message)


@pytest.fixture
def outbox(app, monkeypatch) -> list:
    """The messages the app sends, each once the change it reports is committed.

    Read from the log mail backend, which writes a message when its transaction commits
    (the SMTP backend waits for ``flask mail send``: tests/mail covers that path).
    """
    sent: list = []
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "log")
    handler = _LoggedMail(sent)
    app.logger.addHandler(handler)
    yield sent
    app.logger.removeHandler(handler)


def confirmed_early(round_: Round) -> dict[str, str]:
    """The field a lead's second press sends to move ``round_`` on before its advertised
    date (nothing when no date is advertised)."""
    moment = scheduled_move(round_)
    return {"confirmed_for": stamp(moment)} if moment else {}


def move_on(client, round_id: int, target: Phase):
    """Press the round page's "Move on to" button, and confirm the move if it is early."""
    round_ = db.session.get(Round, round_id)
    return client.post(f"/rounds/{round_id}/advance",
                       data={"target": target.value, **confirmed_early(round_)})
