"""Builders for results, ledger and report tests: a round with projects, ballots and counts."""

from __future__ import annotations

import json

from factories import BallotFactory, ProposalFactory, UserFactory, finance_officer, group_lead

from pb_app.extensions import db
from pb_app.proposals.models import Proposal
from pb_app.results.models import CountSnapshot
from pb_app.results.services import store_snapshot
from pb_app.rounds.models import Round
from pb_app.voting.models import PaperBatch


def make_projects(round_: Round, costs: dict[str, int], outcomes=(1, 4)) -> list[Proposal]:
    """Accepted proposals on the round's ballot, one per (title, cost in pence)."""
    proposer = UserFactory()
    return [ProposalFactory(accepted=True, round=round_, proposer=proposer, title=title,
                            summary=f"About {title}.", outcomes=list(outcomes),
                            priorities=list(round_.priorities), cost_pence=cost)
            for title, cost in costs.items()]


def cast(round_: Round, chosen: list[Proposal], times: int = 1, **ballot) -> list[str]:
    """``times`` ballots choosing ``chosen`` (``BallotFactory``); returns their receipt codes."""
    return [BallotFactory(round=round_, chosen=chosen, **ballot) for _ in range(times)]


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
