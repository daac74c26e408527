"""factory_boy factories bound to the test session; each flushes, the test rolls back.

One home for what a test's locality, person, role, round, proposal and ballot look like.
A round comes in three shapes, as traits of ``RoundFactory``: a draft with dates (the
default), ``in_voting`` and ``to_count``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import factory
from argon2 import PasswordHasher, profiles
from factory.alchemy import SQLAlchemyModelFactory

from pb_app.accounts.models import ADMINISTRATOR, FINANCE_OFFICER, GROUP_LEAD, RoleGrant, User
from pb_app.extensions import db
from pb_app.localities.models import Locality, PostcodeArea
from pb_app.localities.services import slugify
from pb_app.proposals.models import CostLine, Proposal, Status
from pb_app.results.demo import write_ballot
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.rules import Channel

DEFAULT_PASSWORD = "correct horse battery"
# Hashed once: every factory user can sign in with DEFAULT_PASSWORD.
DEFAULT_PASSWORD_HASH = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(DEFAULT_PASSWORD)


def current_session():
    """The session of the running test (the fixture swaps ``db.session`` per test)."""
    return db.session


class BaseFactory(SQLAlchemyModelFactory):
    """Adds to the test's session and flushes, so ids exist and the rollback undoes it."""

    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"


class LocalityFactory(BaseFactory):
    """A locality with a unique name."""

    class Meta:
        model = Locality

    name = factory.Sequence(lambda n: f"Locality {n}")
    slug = factory.LazyAttribute(lambda obj: slugify(obj.name))
    population = 20000


class PostcodeAreaFactory(BaseFactory):
    """A postcode district in a new locality."""

    class Meta:
        model = PostcodeArea

    prefix = factory.Sequence(lambda n: f"ZZ{n % 100}")
    locality = factory.SubFactory(LocalityFactory)


class UserFactory(BaseFactory):
    """A resident who confirmed their address, with no postcode yet; the password is
    DEFAULT_PASSWORD (``email_confirmed_at=None`` for one who has not opened the link)."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password_hash = DEFAULT_PASSWORD_HASH
    email_confirmed_at = factory.LazyFunction(lambda: datetime.now(UTC))


class RoleGrantFactory(BaseFactory):
    """A staff role for a user (pass ``locality`` for a group lead)."""

    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = FINANCE_OFFICER
    locality = None


def group_lead(locality: Locality, **kwargs) -> User:
    """A new user who is group lead of ``locality``."""
    return RoleGrantFactory(role=GROUP_LEAD, locality=locality, **kwargs).user


def finance_officer(**kwargs) -> User:
    """A new user who is a finance officer."""
    return RoleGrantFactory(role=FINANCE_OFFICER, **kwargs).user


def administrator(**kwargs) -> User:
    """A new user who is an administrator."""
    return RoleGrantFactory(role=ADMINISTRATOR, **kwargs).user


# A draft round's dates lie a month apart around this fixed moment.
ROUND_DAY = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# A round ``in_voting`` closes at eight in the evening ten days from the real today.
VOTING_CLOSES_AT = (datetime.now(UTC) + timedelta(days=10)).replace(
    hour=20, minute=0, second=0, microsecond=0)
# The day every ``BallotFactory`` ballot is cast on.
VOTING_DAY = date(2026, 5, 20)
PRIORITIES = ("Early intervention and prevention",
              "Engaging local communities on an ongoing basis")


class RoundFactory(BaseFactory):
    """A draft round of a new locality: £20,000 for projects of £500 to £5,000, approval of
    up to 3, counted greedily, its dates a month apart around ``ROUND_DAY``.

    Traits:
    - ``in_voting``: voting opened yesterday, fixing the ballot, and closes at
      ``VOTING_CLOSES_AT``; £10,000, any project up to the whole budget, no priorities. Its
      box and projects come from ``voting.builders.voting_round``.
    - ``to_count``: closed, with no dates; £10,000 for projects of £100 to £8,000, in a new
      locality of 1,000 people.
    """

    class Meta:
        model = Round

    locality = factory.SubFactory(LocalityFactory)
    title = factory.LazyAttribute(lambda obj: f"{obj.locality.name} Community Fund")
    description = "Small grants."
    budget_pence = 2_000_000
    min_project_cost_pence = 50_000
    max_project_cost_pence = 500_000
    priorities = factory.LazyFunction(lambda: list(PRIORITIES))
    ballot_params = factory.LazyFunction(lambda: {"max_choices": 3})
    lottery_seed = factory.LazyAttribute(lambda obj: f"seed-{obj.locality.slug}")
    proposals_open_at = ROUND_DAY - timedelta(days=30)
    proposals_close_at = ROUND_DAY + timedelta(days=30)
    voting_open_at = ROUND_DAY + timedelta(days=60)
    voting_close_at = ROUND_DAY + timedelta(days=90)
    phase = Phase.DRAFT

    class Params:
        in_voting = factory.Trait(
            title="Eildon 2026", description="", budget_pence=1_000_000,
            min_project_cost_pence=0, max_project_cost_pence=factory.SelfAttribute("budget_pence"),
            priorities=factory.LazyFunction(list), lottery_seed="seed", phase=Phase.VOTING,
            proposals_open_at=None, proposals_close_at=None,
            voting_open_at=factory.LazyFunction(lambda: datetime.now(UTC) - timedelta(days=1)),
            ballot_fixed_at=factory.SelfAttribute("voting_open_at"),
            voting_close_at=VOTING_CLOSES_AT)
        to_count = factory.Trait(
            locality=factory.SubFactory(LocalityFactory, population=1000), description="",
            budget_pence=1_000_000, min_project_cost_pence=10_000, max_project_cost_pence=800_000,
            priorities=factory.LazyFunction(lambda: list(PRIORITIES[:1])),
            lottery_seed=factory.LazyAttribute(lambda obj: f"seed-of-{obj.locality.slug}"),
            phase=Phase.CLOSED, proposals_open_at=None, proposals_close_at=None,
            voting_open_at=None, voting_close_at=None)


class ProposalFactory(BaseFactory):
    """A complete proposal, submitted, that passes every automatic check: a £1,200 weekly
    lunch club in Galashiels, costed in one line, serving the round's first priority.

    Pass ``proposer`` for who put it forward (a new person by default); the trait
    ``accepted`` puts it on the ballot.
    """

    class Meta:
        model = Proposal

    class Params:
        proposer = factory.SubFactory(UserFactory)
        accepted = factory.Trait(status=Status.ACCEPTED)

    round = factory.SubFactory(RoundFactory)
    proposer_id = factory.SelfAttribute("proposer.id")
    title = "Lunch club"
    summary = "A weekly lunch."
    description = "Hot lunch and company for older people."
    location = "Galashiels"
    location_postcode = "TD1 1AA"
    outcomes = factory.LazyFunction(lambda: [1, 4])
    priorities = factory.LazyAttribute(lambda obj: list(obj.round.priorities[:1]))
    cost_pence = 120_000
    status = Status.SUBMITTED
    cost_lines = factory.LazyAttribute(
        lambda obj: [CostLine(position=1, item="Food", amount_pence=obj.cost_pence)])


class BallotFactory(factory.Factory):
    """One voter's approval ballot in a round past the count, as its opened box leaves it,
    with the voter's participation: choosing ``chosen``, cast online on ``VOTING_DAY`` by a
    new person of 40. Returns the ballot's receipt code.

    Pass ``channel`` ("paper" with its ``batch``, or "assisted", whose helper is the voter)
    and ``age`` to change who voted and how.
    """

    class Meta:
        model = str  # the receipt code

    round = None
    chosen = ()
    channel = Channel.ONLINE
    batch = None
    age = 40
    person = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *, round, chosen, channel, batch, age, person):
        """Write the ballot through ``write_ballot`` and flush."""
        receipt = write_ballot(round, list(chosen), person_key=f"user:{person.id}",
                               channel=channel, age_years=age, day=VOTING_DAY,
                               user_id=person.id,
                               helper_id=person.id if channel == Channel.ASSISTED else None,
                               batch=batch)
        db.session.flush()
        return receipt
