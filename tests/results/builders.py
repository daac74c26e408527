"""Builders for results, ledger and report tests: a round with projects, ballots and counts."""

from __future__ import annotations

import json
from datetime import date

from factories import LocalityFactory, UserFactory, finance_officer, group_lead

from pb_app.extensions import db
from pb_app.proposals.models import CostLine, Proposal, Status
from pb_app.results.demo import write_ballot
from pb_app.results.models import CountSnapshot
from pb_app.results.services import store_snapshot
from pb_app.rounds.models import Phase, Round
from pb_app.voting.models import PaperBatch

VOTING_DAY = date(2026, 5, 20)


def make_round(locality=None, phase: Phase = Phase.CLOSED, **overrides) -> Round:
    """A round of ``locality`` (a new one by default) in ``phase``, approval up to 3.

    Closed by default, greedy with a lottery tie-break, no dates and no proposals (add them
    with ``make_projects``), flushed but not committed. ``rounds.fixtures.make_round`` makes a
    draft with dates; ``voting.builders.make_round`` a committed round in voting.
    """
    locality = locality or LocalityFactory(population=1000)
    values = dict(
        title=f"{locality.name} Community Fund",
        budget_pence=1_000_000,
        min_project_cost_pence=10_000,
        max_project_cost_pence=800_000,
        priorities=["Early intervention and prevention"],
        ballot_type="approval",
        ballot_params={"max_choices": 3},
        tally_rule="greedy",
        tie_break="support-cost-lottery",
        lottery_seed="seed-of-" + locality.slug,
        phase=phase.value,
    )
    round_ = Round(locality=locality, **{**values, **overrides})
    db.session.add(round_)
    db.session.flush()
    return round_


def make_projects(round_: Round, costs: dict[str, int], outcomes=(1, 4)) -> list[Proposal]:
    """Accepted proposals on the round's ballot, one per (title, cost in pence)."""
    proposer = UserFactory()
    projects = [
        Proposal(
            round=round_,
            proposer_id=proposer.id,
            title=title,
            summary=f"About {title}.",
            outcomes=list(outcomes),
            priorities=list(round_.priorities),
            cost_pence=cost,
            status=Status.ACCEPTED.value,
            cost_lines=[CostLine(position=1, item="All costs", amount_pence=cost)],
        )
        for title, cost in costs.items()
    ]
    db.session.add_all(projects)
    db.session.flush()
    return projects


def cast(
    round_: Round,
    chosen: list[Proposal],
    times: int = 1,
    channel: str = "online",
    batch: PaperBatch | None = None,
    age: int = 40,
) -> list[str]:
    """``times`` ballots choosing ``chosen`` (and their participations); returns receipt codes."""
    codes = []
    for _ in range(times):
        person = UserFactory()
        codes.append(write_ballot(
            round_,
            chosen,
            person_key=f"user:{person.id}",
            channel=channel,
            age_years=age,
            day=VOTING_DAY,
            user_id=person.id,
            helper_id=person.id if channel == "assisted" else None,
            batch=batch,
        ))
    db.session.flush()
    return codes


def paper_batch(round_: Round, declared: int, label: str = "Kelso library") -> PaperBatch:
    """A paper batch with ``declared`` written on it."""
    batch = PaperBatch(
        round_id=round_.id, label=label, declared_count=declared, created_by_id=UserFactory().id
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def stored_snapshot(
    round_: Round, counter, allocation: list[tuple[Proposal, int]]
) -> CountSnapshot:
    """A stored count with this allocation, for ledger tests that need no tally run."""
    pairs = [[str(p.id), amount] for p, amount in allocation]
    snapshot = CountSnapshot(
        round_id=round_.id,
        rule_json='{"rule":"greedy"}',
        algorithm_version="test",
        input_fingerprint="0" * 64,
        input_pb="",
        ballots_csv="receipt_hash,vote,points\n",
        result_json="{}",
        explanation="",
        winners_json=json.dumps([p for p, _ in pairs]),
        allocation_json=json.dumps(pairs),
        support_json="{}",
        checks_json="{}",
        budget_pence=round_.budget_pence,
        spent_pence=sum(a for _, a in pairs),
        ballot_count=0,
    )
    return store_snapshot(snapshot, counter)


def staff(round_: Round):
    """(group lead of the round's locality, finance officer, second finance officer)."""
    return group_lead(round_.locality), finance_officer(), finance_officer()


def publish(round_: Round, when=None):
    """Count, sign off (at ``when``) and publish a closed round through the services."""
    from pb_app.results.services import count_round, publish_result, sign_off

    lead, _, officer = staff(round_)
    snapshot = count_round(round_, lead)
    sign_off(snapshot, officer, now=when)
    publish_result(round_, lead)
    return lead, snapshot
