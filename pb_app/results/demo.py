"""Demo results: the Cheviot round's ballots counted, signed off, published and spent against,
with equalities answers, so that the year's oversight report has something to show.

The Cheviot round is already past voting when this runs, so its ballots (online, on paper
at a Kelso event, and with help from staff) are written as the voting pages would have. Three
of the event's paper sheets were left blank or spoilt: their voters are recorded, their
sheets set aside on the batch.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from pb_app.accounts.models import FINANCE_OFFICER, GROUP_LEAD, RoleGrant, User
from pb_app.ballotbox.demo import demo_passphrases
from pb_app.ballotbox.models import Ballot, BallotEnvelope, new_ballot_id
from pb_app.ballotbox.services import open_box
from pb_app.extensions import db
from pb_app.localities.models import Locality
from pb_app.money import financial_year_of
from pb_app.monitoring.demo import load_demo_answers
from pb_app.proposals.models import Proposal, Status
from pb_app.results.services import count_round, publish_result, sign_off
from pb_app.rounds.models import Round
from pb_app.voting.ballots import Choices
from pb_app.voting.models import PaperBatch, Participation
from pb_app.voting.receipts import new_receipt

VOTERS = 160
PAPER_SHARE, ASSISTED_SHARE = 0.25, 0.05
BLANK_SHEETS, SPOILT_SHEETS = 2, 1  # of the paper sheets: set aside, not counted
CHOICE_WEIGHTS = (0.62, 0.55, 0.41)  # how often each project is approved, in ballot order


def _staff(role: str, locality: Locality | None = None) -> User:
    query = select(User).join(RoleGrant).where(RoleGrant.role == role)
    if locality is not None:
        query = query.where(RoleGrant.locality_id == locality.id)
    return db.session.scalars(query.order_by(User.id)).first()


def _channel(index: int) -> str:
    if index < VOTERS * ASSISTED_SHARE:
        return "assisted"
    return "paper" if index < VOTERS * (ASSISTED_SHARE + PAPER_SHARE) else "online"


def _cast(round_: Round, projects: list[Proposal], lead: User, rng: random.Random) -> str:
    """Write the round's participations and ballots; return one receipt code to try."""
    batch = PaperBatch(
        round_id=round_.id,
        label="Kelso Tait Hall event",
        declared_count=int(VOTERS * PAPER_SHARE),
        created_by_id=lead.id,
    )
    db.session.add(batch)
    db.session.flush()
    day = (round_.voting_close_at or datetime.now(UTC)).date() - timedelta(days=3)
    sample, set_aside = "", 0
    for index in range(VOTERS):
        channel = _channel(index)
        chosen = [
            p for p, weight in zip(projects, CHOICE_WEIGHTS, strict=False) if rng.random() < weight
        ] or [projects[index % len(projects)]]
        voter = {"person_key": f"demo-cheviot-{index}", "channel": channel, "day": day,
                 "age_years": rng.choice((17, 19, 33, 41, 52, 60, 64, 68, 72, 81)),
                 "helper_id": lead.id if channel == "assisted" else None}
        if channel == "paper" and set_aside < BLANK_SHEETS + SPOILT_SHEETS:
            write_participation(round_, **voter)  # took a paper, left it blank or spoilt it
            set_aside += 1
            continue
        code = write_ballot(round_, chosen, batch=batch if channel == "paper" else None, **voter)
        sample = sample or code
    batch.blank_count, batch.spoilt_count = BLANK_SHEETS, SPOILT_SHEETS
    db.session.flush()
    return sample


def write_participation(round_: Round, *, person_key: str, channel: str, age_years: int,
                        day: date, user_id: int | None = None,
                        helper_id: int | None = None) -> None:
    """Write that one person voted, as the voting pages record it."""
    db.session.add(
        Participation(
            round_id=round_.id,
            person_key=person_key,
            user_id=user_id,
            channel=channel,
            age_years=age_years,
            voted_on=day,
            helper_id=helper_id,
        )
    )


def write_ballot(
    round_: Round,
    chosen: list[Proposal],
    *,
    person_key: str,
    channel: str,
    age_years: int,
    day: date,
    user_id: int | None = None,
    helper_id: int | None = None,
    batch: PaperBatch | None = None,
) -> str:
    """Write one person's participation and their approval ballot as the opened ballot box
    leaves them, for a round already past the count; return the ballot's receipt code."""
    code, hashed = new_receipt()
    write_participation(round_, person_key=person_key, channel=channel, age_years=age_years,
                        day=day, user_id=user_id, helper_id=helper_id)
    db.session.add(
        BallotEnvelope(
            id=new_ballot_id(),
            round_id=round_.id,
            channel=channel,
            cast_on=day,
            paper_batch_id=batch.id if batch else None,
            receipt_hash=hashed,
            sealed_choices=None,
        )
    )
    db.session.add(
        Ballot(round_id=round_.id,
               choices_json=Choices(tuple(sorted(str(p.id) for p in chosen))).to_json())
    )
    return code


def _open_box(round_: Round, finance: User) -> None:
    """Open the round's ballot box with the demo key holders' passphrases, as at a count."""
    open_box(round_, finance, demo_passphrases(), datetime.now(UTC))


def load_demo(echo: Callable[[str], None]) -> None:
    """Count, sign off and publish the Cheviot round; add spend lines and equalities answers."""
    locality = db.session.scalars(select(Locality).where(Locality.slug == "cheviot")).one()
    round_ = db.session.scalars(select(Round).where(Round.locality_id == locality.id)).first()
    projects = list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.round_id == round_.id, Proposal.status == Status.ACCEPTED.value)
            .order_by(Proposal.id)
        )
    )
    lead, finance = _staff(GROUP_LEAD, locality), _staff(FINANCE_OFFICER)
    rng = random.Random(2025)
    receipt = _cast(round_, projects, lead, rng)
    load_demo_answers(round_, rng)
    _open_box(round_, finance)
    snapshot = count_round(round_, lead)
    sign_off(snapshot, finance)
    publish_result(round_, lead)
    year = financial_year_of(datetime.now(UTC).date())
    echo(
        f"Results: {round_.title} counted, signed off and published: /results/round/{round_.id}"
        f" (try receipt code {receipt})"
    )
    echo(f"Oversight report for the year: /reports/year/{year} (and .pdf, .csv)")
