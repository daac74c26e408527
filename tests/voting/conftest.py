"""Fixtures for voting tests: Eildon and a round in voting with an eligible resident."""

from __future__ import annotations

from datetime import date

import pytest
from rounds.fixtures import outbox  # noqa: F401  (the emails the app sends)

from pb_app.accounts.models import User
from pb_app.localities.models import Locality
from pb_app.rounds.models import Round
from voting.builders import place, resident, voting_round


@pytest.fixture
def eildon() -> Locality:
    """Eildon (TD1), with Tweeddale (EH45) beside it."""
    place("Tweeddale", "EH45")
    return place("Eildon", "TD1")


@pytest.fixture
def approval_round(eildon) -> Round:
    """An approval round (up to 3) in Eildon, self-declared, minimum age 16."""
    return voting_round(eildon)


@pytest.fixture
def voter(approval_round) -> User:
    """An eligible Eildon resident aged 40."""
    return resident("Voter", "TD1 3AB", date(1986, 4, 1))


@pytest.fixture
def sign_out(client):
    """``sign_out()`` forgets whoever is signed in, for the following requests."""

    def _sign_out():
        with client.session_transaction() as session:
            session.clear()
        return client

    return _sign_out
