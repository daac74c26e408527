"""Builders for voting tests: localities with postcodes, a round in voting, residents.

Each builder commits: inside a rolled-back test that only releases a savepoint, so that an
error page's rollback in a later request cannot undo the test's own data.
"""

from __future__ import annotations

from datetime import date

from ballotbox.builders import sealed
from factories import DEFAULT_PASSWORD_HASH, VOTING_CLOSES_AT, ProposalFactory, RoundFactory
from rounds.fixtures import confirmed_early

from pb_app.accounts.models import GROUP_LEAD, RoleGrant, User
from pb_app.extensions import db
from pb_app.localities.models import Locality, PostcodeArea
from pb_app.proposals.models import Proposal
from pb_app.rounds.models import Round
from pb_app.voting.services import confirm_email

CLOSES_ON = VOTING_CLOSES_AT.date()
COSTS = (300_000, 450_000, 250_000, 500_000, 150_000)  # pence


def place(name: str, prefix: str) -> Locality:
    """A locality holding one postcode district."""
    locality = Locality(name=name, slug=name.lower(), population=30000)
    db.session.add_all([locality, PostcodeArea(prefix=prefix, locality=locality)])
    db.session.commit()
    return locality


def voting_round(locality: Locality, *, costs=COSTS, **overrides) -> Round:
    """A round of ``locality`` in voting (``RoundFactory.in_voting``), with its sealed ballot
    box and one accepted project per cost in ``costs``, "Project 1" onwards, committed."""
    round_ = RoundFactory(in_voting=True, locality=locality, **overrides)
    sealed(round_)
    proposer = resident("proposer", "TD1 1AA", date(1970, 1, 1))
    for number, cost in enumerate(costs, 1):
        ProposalFactory(accepted=True, round=round_, proposer=proposer, title=f"Project {number}",
                        summary=f"Summary {number}", cost_pence=cost)
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


def close_voting(client, round_: Round, **kwargs):
    """Press "Close voting now" as a lead, and confirm it on the question that follows when
    voting closes before its advertised date."""
    return client.post(f"/rounds/{round_.id}/voting/close", data=confirmed_early(round_),
                       **kwargs)
