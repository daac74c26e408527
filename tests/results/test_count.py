"""The count, finance sign-off and publication: rules, separation of duties, tamper evidence."""

from __future__ import annotations

import hashlib
import json

import pytest
from factories import (
    VOTING_DAY,
    LocalityFactory,
    RoleGrantFactory,
    RoundFactory,
    UserFactory,
    finance_officer,
    group_lead,
)
from sqlalchemy import func, select, text

from pb_app.accounts.models import FINANCE_OFFICER, GROUP_LEAD
from pb_app.audit.models import AuditEntry
from pb_app.audit.services import verify_chain
from pb_app.errors import Conflict, InvalidInput, PermissionDenied
from pb_app.extensions import db
from pb_app.ledger.services import ledger_lines
from pb_app.results.models import CountSnapshot
from pb_app.results.presentation import project_outcomes
from pb_app.results.services import (
    count_round,
    publish_result,
    return_result,
    sign_off,
    verify_snapshot,
)
from pb_app.rounds.models import Phase
from pb_app.voting.models import Participation
from results.builders import cast, make_projects, paper_batch, staff


def _voted_round(**overrides):
    """Budget £10,000; lunch club £4,000 (5 votes), transport £5,000 (4), walks £2,000 (3)."""
    round_ = RoundFactory(to_count=True, budget_pence=1_000_000, **overrides)
    lunch, transport, walks = make_projects(
        round_, {"Lunch club": 400_000, "Community transport": 500_000, "Walking group": 200_000}
    )
    cast(round_, [lunch, transport], times=3)
    cast(round_, [lunch, walks], times=2)
    cast(round_, [transport, walks], times=1)
    return round_, {"lunch": lunch, "transport": transport, "walks": walks}


def _snapshots() -> int:
    return db.session.scalar(select(func.count()).select_from(CountSnapshot))


def test_count_stores_an_immutable_explained_snapshot_and_moves_the_round():
    round_, projects = _voted_round()
    lead, _, _ = staff(round_)
    snapshot = count_round(round_, lead)
    lunch, transport = str(projects["lunch"].id), str(projects["transport"].id)
    assert json.loads(snapshot.winners_json) == [lunch, transport]
    assert json.loads(snapshot.allocation_json) == [[lunch, 400_000], [transport, 500_000]]
    assert (snapshot.budget_pence, snapshot.spent_pence, snapshot.ballot_count) == (
        1_000_000,
        900_000,
        6,
    )
    assert snapshot.input_fingerprint == hashlib.sha256(snapshot.input_pb.encode()).hexdigest()
    assert json.loads(snapshot.support_json) == {
        lunch: 5,
        transport: 4,
        str(projects["walks"].id): 3,
    }
    rule = json.loads(snapshot.rule_json)
    assert rule["rule"] == "greedy"
    assert rule["tie_break"] == {
        "criteria": ["support", "cost"],
        "declared": [],
        "order": "lottery",
        "seed": round_.lottery_seed,
    }
    assert "Walking group" not in snapshot.explanation and "Not funded" in snapshot.explanation
    assert round_.current_phase is Phase.COUNTED
    assert snapshot.sequence == 1 and not snapshot.is_different_from_previous
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.sequence)))
    assert actions[-2:] == ["result.counted", "round.phase.counted"]
    snapshot.explanation = "something else"
    with pytest.raises(Conflict):
        db.session.flush()


@pytest.mark.parametrize("phase", [Phase.VOTING, Phase.REVIEW, Phase.PUBLISHED])
def test_count_needs_voting_closed(phase):
    round_, _ = _voted_round(phase=phase)
    with pytest.raises(Conflict, match="only once voting has closed"):
        count_round(round_, staff(round_)[0])
    assert _snapshots() == 0


def test_count_needs_paper_batches_to_reconcile(client, sign_in):
    round_, projects = _voted_round()
    batch = paper_batch(round_, declared=4)
    cast(round_, [projects["walks"]], times=2, channel="paper", batch=batch)
    lead = staff(round_)[0]
    with pytest.raises(Conflict, match="Batch 'Kelso library' says 4 ballots but 2 were entered"):
        count_round(round_, lead)
    assert _snapshots() == 0
    cast(round_, [projects["walks"]], times=1, channel="paper", batch=batch)
    batch.spoilt_count = 1  # a fourth sheet, spoilt, as accepting the batch counts it
    db.session.add(Participation(round_id=round_.id, person_key="paper-spoilt", channel="paper",
                                 age_years=40, voted_on=VOTING_DAY))
    snapshot = count_round(round_, lead)
    assert json.loads(snapshot.checks_json)["paper_batches"] == [
        {"declared": 4, "entered": 3, "blank": 0, "spoilt": 1, "label": "Kelso library"}
    ]
    assert snapshot.ballot_count == 9
    db.session.commit()
    sign_in(lead)
    page = client.get(f"/results/round/{round_.id}/count").get_data(as_text=True)
    assert "Kelso library: 3 of 4 entered, 0 blank and 1 spoilt" in page
    sign_off(snapshot, staff(round_)[2])
    publish_result(round_, lead)
    db.session.commit()
    public = client.get(f"/results/round/{round_.id}").get_data(as_text=True)
    assert "Paper sheets set aside</dt>" in public
    assert "0 blank sheets and 1 spoilt sheet, not counted" in public


def test_only_a_lead_of_the_locality_counts():
    round_, _ = _voted_round()
    for outsider in (UserFactory(), finance_officer(), group_lead(LocalityFactory())):
        with pytest.raises(PermissionDenied):
            count_round(round_, outsider)
    assert _snapshots() == 0


def test_recount_adds_a_snapshot_and_flags_a_different_result():
    round_, projects = _voted_round()
    lead = staff(round_)[0]
    first = count_round(round_, lead)
    second = count_round(round_, lead)
    assert (second.sequence, second.is_different_from_previous) == (2, False)
    assert second.content_hash != first.content_hash
    cast(round_, [projects["walks"], projects["transport"]], times=3)  # a late paper correction
    third = count_round(round_, lead)
    assert third.sequence == 3 and third.is_different_from_previous
    assert json.loads(third.winners_json) == [
        str(projects["transport"].id),
        str(projects["walks"].id),
    ]
    assert _snapshots() == 3


def test_the_counter_cannot_sign_off_and_only_finance_can():
    round_, _ = _voted_round()
    counter = group_lead(round_.locality)
    RoleGrantFactory(user=counter, role=FINANCE_OFFICER)
    snapshot = count_round(round_, counter)
    with pytest.raises(PermissionDenied, match="You ran this count"):
        sign_off(snapshot, counter)
    for not_finance in (group_lead(round_.locality), UserFactory()):
        with pytest.raises(PermissionDenied, match="Only a finance officer"):
            sign_off(snapshot, not_finance)
    assert snapshot.latest_review is None
    officer = finance_officer()
    review = sign_off(snapshot, officer)
    assert snapshot.is_signed_off and review.snapshot_hash == snapshot.content_hash
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.sequence.desc()).limit(2))
    assert [(e.action, e.actor_id) for e in entries] == [
        ("ledger.allocated", officer.id), ("result.signed-off", officer.id)]
    assert [line.allocation.amount_pence for line in ledger_lines(round_ids=[round_.id])] == [
        400_000,
        500_000,
    ]
    with pytest.raises(Conflict, match="already been reviewed"):
        sign_off(snapshot, finance_officer())
    with pytest.raises(Conflict, match="signed off"):
        count_round(round_, counter)


def test_nobody_can_publish_an_unsigned_result():
    round_, _ = _voted_round()
    lead, _, officer = staff(round_)
    admin = RoleGrantFactory(role="administrator").user
    with pytest.raises(Conflict, match="signed off"):
        publish_result(round_, lead)
    snapshot = count_round(round_, lead)
    for publisher in (lead, admin):
        with pytest.raises(Conflict, match="signed off by a finance officer"):
            publish_result(round_, publisher)
    with pytest.raises(InvalidInput):
        return_result(snapshot, officer, "   ")
    return_result(snapshot, officer, "Check the Kelso paper batch first")
    with pytest.raises(Conflict, match="signed off by a finance officer"):
        publish_result(round_, lead)
    recount = count_round(round_, lead)
    with pytest.raises(Conflict, match="newer count"):
        sign_off(snapshot, officer)
    sign_off(recount, officer)
    with pytest.raises(PermissionDenied):
        publish_result(round_, group_lead(LocalityFactory()))
    publication = publish_result(round_, lead)
    assert publication.snapshot_id == recount.id
    assert round_.current_phase is Phase.PUBLISHED
    with pytest.raises(Conflict, match="already been published"):
        publish_result(round_, lead)
    assert verify_chain().is_intact


def test_a_signed_snapshot_altered_in_the_database_is_detected():
    round_, projects = _voted_round()
    lead, _, officer = staff(round_)
    snapshot = count_round(round_, lead)
    sign_off(snapshot, officer)
    forged = json.dumps([[str(projects["walks"].id), 900_000]])
    db.session.execute(
        text("UPDATE count_snapshot SET allocation_json = :forged WHERE id = :id"),
        {"forged": forged, "id": snapshot.id},
    )
    db.session.expire_all()
    with pytest.raises(Conflict, match="altered since it was recorded"):
        verify_snapshot(db.session.get(CountSnapshot, snapshot.id))
    with pytest.raises(Conflict, match="altered"):
        publish_result(round_, lead)
    assert verify_chain().is_intact  # the chain itself is untouched: it is the evidence


def test_rehashing_a_forged_snapshot_still_disagrees_with_the_audit_chain():
    round_, _ = _voted_round()
    lead, _, officer = staff(round_)
    snapshot = count_round(round_, lead)
    sign_off(snapshot, officer)
    db.session.execute(
        text("UPDATE count_snapshot SET spent_pence = 1, content_hash = :h WHERE id = :id"),
        {"h": "f" * 64, "id": snapshot.id},
    )
    db.session.expire_all()
    with pytest.raises(Conflict, match="altered"):
        verify_snapshot(db.session.get(CountSnapshot, snapshot.id))


def test_a_group_lead_who_is_also_finance_still_cannot_sign_their_own_count():
    round_, _ = _voted_round()
    both = RoleGrantFactory(role=GROUP_LEAD, locality=round_.locality).user
    RoleGrantFactory(user=both, role=FINANCE_OFFICER)
    with pytest.raises(PermissionDenied):
        sign_off(count_round(round_, both), both)


def test_an_equal_shares_round_is_counted_and_explained_in_plain_words():
    round_, projects = _voted_round(
        tally_rule="mes", tally_params={"completion": "add1", "comparison": "exhaustive"}
    )
    snapshot = count_round(round_, staff(round_)[0])
    rule = json.loads(snapshot.rule_json)
    assert (rule["rule"], rule["completion"], rule["exhaustive_stop"], rule["comparison"]) == (
        "mes",
        "add1",
        True,
        False,
    )
    assert snapshot.spent_pence <= snapshot.budget_pence
    # Cost utilities: lunch costs its 5 supporters 20p per pound of utility, walks its 3 about
    # 33p; transport would overspend the £10,000 whatever the endowment, so add1 never adds it.
    walks, lunch = str(projects["walks"].id), str(projects["lunch"].id)
    assert json.loads(snapshot.winners_json) == [lunch, walks]
    assert snapshot.spent_pence == 600_000
    why = {o.title: o.why for o in project_outcomes(snapshot)}
    assert why["Walking group"] == (
        "Funded by equal shares: 3 of its supporters together paid "
        "its cost of £2,000 from their shares of the budget."
    )
    assert why["Lunch club"].startswith("Funded by equal shares: 5 of its supporters")
    assert why["Community transport"].startswith("Not funded: its supporters had only £")
    assert why["Community transport"].endswith("less than its cost of £5,000.")
