"""Demo ballots: a few hundred in the Eildon round, online, on paper (in reconciled batches)
and with help from staff. Runs after the rounds demo; everything goes through the services."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from pb_app.accounts.demo import FIRST_NAMES, LAST_NAMES, NEWCOMER_EMAIL, SECTORS, UNIT_LETTERS
from pb_app.accounts.models import GROUP_LEAD, RoleGrant, User
from pb_app.extensions import db
from pb_app.localities.models import Locality
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.rules import Channel
from pb_app.voting import services
from pb_app.voting.ballots import Choices, read_choices
from pb_app.voting.eligibility import Voter

PAPER_EVENTS = (("Galashiels Library, Saturday coffee morning", 90),
                ("Selkirk Market Place stall", 70))
ASSISTED_COUNT = 40
# Eildon residents left to vote online, beside the newcomer, so that more than one person can
# try the vote from the demo's sign-ins.
NOT_YET_VOTED = 5


def load_demo(echo: Callable[[str], None]) -> None:
    """Cast the demo ballots in the Eildon round that is in voting: every Eildon resident's but
    the newcomer's and ``NOT_YET_VOTED`` others', whose emails it prints."""
    eildon = db.session.scalar(select(Locality).where(Locality.slug == "eildon"))
    round_ = db.session.scalar(select(Round).where(Round.locality_id == eildon.id,
                                                   Round.phase == Phase.VOTING.value))
    lead = db.session.scalar(select(User).join(RoleGrant).where(
        RoleGrant.role == GROUP_LEAD, RoleGrant.locality_id == eildon.id))
    rng, now = random.Random(44), datetime.now(UTC)
    ballot = _ballot_maker(round_, rng)
    residents = list(db.session.scalars(select(User).where(
        User.locality_id == eildon.id, User.id != lead.id,
        User.email != NEWCOMER_EMAIL).order_by(User.id)))
    voters, waiting = residents[:-NOT_YET_VOTED], residents[-NOT_YET_VOTED:]
    for resident in residents:
        services.confirm_email(resident, resident.email)
    for resident in voters:
        services.cast_ballot(round_, services.voter_for_user(round_, resident), ballot(),
                             channel=Channel.ONLINE, now=now)
    for label, count in PAPER_EVENTS:
        batch = services.create_paper_batch(round_, lead, label, count)
        for _ in range(count):
            services.cast_ballot(round_, _person(rng, now), ballot(), channel=Channel.PAPER,
                                 now=now, helper=lead, batch=batch)
    for _ in range(ASSISTED_COUNT):
        services.cast_ballot(round_, _person(rng, now), ballot(), channel=Channel.ASSISTED, now=now,
                             helper=lead)
    paper = sum(count for _, count in PAPER_EVENTS)
    echo(f"Ballots in {round_.title}: {len(voters)} online, {paper} on paper in "
         f"{len(PAPER_EVENTS)} batches, {ASSISTED_COUNT} assisted")
    echo(f"Residents of Eildon who have not voted yet (password as above): "
         f"{', '.join(resident.email for resident in waiting)}")


def _ballot_maker(round_: Round, rng: random.Random) -> Callable[[], Choices]:
    """Random approval ballots with uneven popularity, checked by the round's own rules."""
    rules = services.ballot_rules(round_)
    projects = list(rules.costs)
    popularity = [rng.uniform(0.2, 3.0) for _ in projects]
    limit = rules.max_choices or len(projects)

    def make() -> Choices:
        """One voter's approvals: popular projects are picked more often."""
        chosen: set[str] = set()
        for _ in range(rng.randint(1, limit)):
            chosen.add(rng.choices(projects, popularity)[0])
        return read_choices(rules, MultiDict([("project", p) for p in sorted(chosen)]))

    return make


def _person(rng: random.Random, now: datetime) -> Voter:
    """Someone who came to an event: a name, an Eildon postcode and an adult's birthday."""
    sector = rng.choice(SECTORS["eildon"])
    born = now.date() - timedelta(days=rng.randint(17 * 365, 92 * 365))
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    postcode = f"{sector}{rng.choice(UNIT_LETTERS)}{rng.choice(UNIT_LETTERS)}"
    return services.voter_at_desk(name, postcode, born)
