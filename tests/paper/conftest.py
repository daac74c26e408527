"""Fixtures for paper keying: an approval round in voting, a batch of four sheets, two clerks."""

from __future__ import annotations

import pytest
from voting.builders import lead_of, place, voting_round

from pb_app.accounts.models import User
from pb_app.extensions import db
from pb_app.rounds.models import Round
from pb_app.voting.models import PaperBatch


@pytest.fixture
def paper_round() -> Round:
    """An approval round (up to 3 of 5 projects) in Eildon, in voting, its box sealed."""
    return voting_round(place("Eildon", "TD1"))


@pytest.fixture
def clerks(paper_round) -> tuple[User, User]:
    """Two people who run the round's voting (leads of Eildon)."""
    return lead_of(paper_round.locality), lead_of(paper_round.locality)


@pytest.fixture
def batch(paper_round, clerks) -> PaperBatch:
    """A batch of four paper ballots, its keying rule not yet chosen."""
    batch = PaperBatch(round_id=paper_round.id, label="Galashiels fair", declared_count=4,
                       created_by_id=clerks[0].id)
    db.session.add(batch)
    db.session.commit()
    return batch
