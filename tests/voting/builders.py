"""Builders for voting tests: localities with postcodes, a round in voting, residents.

Each builder commits: inside a rolled-back test that only releases a savepoint, so that an
error page's rollback in a later request cannot undo the test's own data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ballotbox.builders import sealed
from factories import DEFAULT_PASSWORD_HASH

from pb_app.accounts.models import GROUP_LEAD, RoleGrant, User
from pb_app.extensions import db
from pb_app.localities.models import Locality, PostcodeArea
from pb_app.proposals.models import Proposal, Status
from pb_app.rounds.models import Round
from pb_app.voting.services import confirm_email

NOW = datetime.now(UTC)
CLOSES_AT = (NOW + timedelta(days=10)).replace(hour=20, minute=0, second=0, microsecond=0)
CLOSES_ON = CLOSES_AT.date()
COSTS = (300_000, 450_000, 250_000, 500_000, 150_000)  # pence


def place(name: str, prefix: str) -> Locality:
    """A locality holding one postcode district."""
    locality = Locality(name=name, slug=name.lower(), population=30000)
    db.session.add_all([locality, PostcodeArea(prefix=prefix, locality=locality)])
    db.session.commit()
    return locality


def make_round(locality: Locality, *, ballot_type: str = "approval", ballot_params=None,
               verification: str = "self-declared", minimum_age: int = 16,
               budget_pence: int = 1_000_000, costs=COSTS, title: str = "Eildon 2026") -> Round:
    """A round in voting (opened yesterday, closing in ten days) with accepted proposals and
    a sealed ballot box, committed.

    Unlike ``rounds.fixtures.make_round`` (a draft, flushed) and ``results.builders.make_round``
    (closed, flushed), it commits, and it makes the proposals and the box itself.
    """
    round_ = Round(
        locality=locality, title=title, budget_pence=budget_pence,
        max_project_cost_pence=budget_pence, minimum_voting_age=minimum_age,
        voter_verification=verification, ballot_type=ballot_type,
        ballot_params={"max_choices": 3} if ballot_params is None else ballot_params,
        lottery_seed="seed", phase="voting", voting_open_at=NOW - timedelta(days=1),
        voting_close_at=CLOSES_AT,
    )
    db.session.add(round_)
    db.session.flush()
    sealed(round_)
    proposer = resident("proposer", "TD1 1AA", date(1970, 1, 1))
    for number, cost in enumerate(costs, 1):
        db.session.add(Proposal(round_id=round_.id, proposer_id=proposer.id,
                                title=f"Project {number}", summary=f"Summary {number}",
                                cost_pence=cost, status=Status.ACCEPTED.value))
    db.session.commit()
    return round_


_people = iter(range(10**9))


def resident(name: str, postcode: str | None, born: date | None, *,
             confirmed: bool = True) -> User:
    """A user with a postcode, a date of birth and (by default) a confirmed email."""
    number = next(_people)
    user = User(email=f"{name.lower().replace(' ', '.')}.{number}@example.org",
                password_hash=DEFAULT_PASSWORD_HASH, full_name=f"{name} {number}",
                postcode=postcode, date_of_birth=born)
    db.session.add(user)
    db.session.flush()
    if confirmed:
        confirm_email(user, user.email)
    db.session.commit()
    return user


def lead_of(locality: Locality) -> User:
    """A group lead of ``locality``."""
    user = resident("Lead", "TD1 1AA", date(1975, 5, 5))
    db.session.add(RoleGrant(user=user, role=GROUP_LEAD, locality=locality))
    db.session.commit()
    return user


def project_ids(round_: Round) -> list[str]:
    """The round's proposal ids as ballot ids, by id."""
    return [str(p.id) for p in db.session.query(Proposal).filter_by(round_id=round_.id)
            .order_by(Proposal.id)]
