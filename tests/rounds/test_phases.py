"""Round settings, every phase transition and its guards, frozen rules and the schedule."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from concurrently import run_together
from factories import ROUND_DAY as NOW  # the draft rounds' dates lie around it
from factories import ProposalFactory, RoundFactory
from results.builders import stored_snapshot
from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.audit.services import verify_chain
from pb_app.errors import Conflict, InvalidInput, PermissionDenied
from pb_app.extensions import db
from pb_app.proposals.models import Status
from pb_app.results.models import CountSnapshot, Publication
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.services import (
    RoundNotReady,
    RoundSettings,
    RulesFrozen,
    advance_due,
    create_round,
    follow_round,
    move_round,
    update_round,
)
from rounds.fixtures import make_user

SETTINGS = RoundSettings(
    title="Eildon Community Fund 2026", budget_pence=2_500_000, min_project_cost_pence=50_000,
    max_project_cost_pence=750_000, priorities=("Early intervention and prevention",),
    ballot_params={"max_choices": 3}, proposals_open_at=NOW,
    proposals_close_at=NOW + timedelta(days=30), voting_open_at=NOW + timedelta(days=45),
    voting_close_at=NOW + timedelta(days=60))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.sequence)))


def test_lead_creates_a_draft_round_with_an_audit_entry(eildon, lead):
    round_ = create_round(eildon, lead, SETTINGS)
    assert (round_.phase, round_.budget_pence, round_.max_project_cost_pence) == (
        "draft", 2_500_000, 750_000)
    assert len(round_.lottery_seed) == 64
    assert _actions() == ["round.created"]
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.actor_id, entry.round_id, entry.object_type) == (lead.id, round_.id, "Round")


def test_lead_of_another_locality_cannot_create_or_manage(eildon, lead, other_lead):
    with pytest.raises(PermissionDenied):
        create_round(eildon, other_lead, SETTINGS)
    assert _count(Round) == 0
    round_ = RoundFactory(locality=eildon)
    with pytest.raises(PermissionDenied):
        update_round(round_, other_lead, replace(SETTINGS, budget_pence=1))
    with pytest.raises(PermissionDenied):
        move_round(round_, other_lead, Phase.PROPOSALS_OPEN)
    assert (round_.phase, round_.budget_pence) == ("draft", 2_000_000)


def test_administrator_may_manage_any_round(eildon, admin):
    round_ = create_round(eildon, admin, SETTINGS)
    move_round(round_, admin, Phase.PROPOSALS_OPEN)
    assert round_.phase == "proposals-open"


@pytest.mark.parametrize(("change", "message"), [
    ({"title": "  "}, "Enter a title"),
    ({"budget_pence": 0}, "budget must be more than £0"),
    ({"budget_pence": -100}, "budget must be more than £0"),
    ({"min_project_cost_pence": 800_000}, "maximum project cost must be at least the minimum"),
    ({"max_project_cost_pence": 3_000_000}, "cannot be more than the budget"),
    ({"priorities": (" ",)}, "at least one priority"),
    ({"minimum_voting_age": 200}, "voting age"),
    ({"voter_verification": "trust-me"}, "how voters are verified"),
    ({"ballot_type": "plurality"}, "ballot type"),
    ({"ballot_params": {"max_choices": 0}}, "from 1 to 100"),
    ({"ballot_params": {"max_choices": "3"}}, "from 1 to 100"),
    ({"tally_rule": "borda"}, "tally rule"),
    ({"tally_rule": "mes", "tally_params": {"completion": "none", "comparison": "satisfaction"}},
     "completes"),
    ({"tie_break": "coin"}, "ties"),
    ({"voting_open_at": NOW + timedelta(days=10)}, "voting opens must be after"),
])
def test_bad_settings_are_refused_and_nothing_is_written(eildon, lead, change, message):
    with pytest.raises(InvalidInput, match=message):
        create_round(eildon, lead, replace(SETTINGS, **change))
    assert (_count(Round), _count(AuditEntry)) == (0, 0)


def test_rule_parameters_are_kept_for_the_chosen_rule_only(eildon, lead):
    settings = replace(SETTINGS, tally_rule="mes", tie_break="lexico", ballot_type="cumulative",
                       ballot_params={"points": 10, "max_choices": 3},
                       tally_params={"completion": "add1-greedy", "comparison": "exhaustive"})
    round_ = create_round(eildon, lead, settings)
    assert round_.ballot_params == {"points": 10}
    assert round_.tally_params == {"completion": "add1-greedy", "comparison": "exhaustive"}


def test_open_proposals_needs_every_date(eildon, lead):
    round_ = create_round(eildon, lead, replace(SETTINGS, voting_close_at=None))
    with pytest.raises(RoundNotReady, match="voting closes"):
        move_round(round_, lead, Phase.PROPOSALS_OPEN)
    assert round_.phase == "draft"


def test_phases_cannot_be_skipped_or_reversed(eildon, lead):
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    for target in (Phase.VOTING, Phase.DRAFT, Phase.PROPOSALS_OPEN):
        with pytest.raises(Conflict):
            move_round(round_, lead, target)
    assert round_.phase == "proposals-open"


def test_every_transition_from_draft_to_archived_writes_an_audit_entry(eildon, lead, resident,
                                                                      box_keys):
    round_ = RoundFactory(locality=eildon)
    move_round(round_, lead, Phase.PROPOSALS_OPEN)
    move_round(round_, lead, Phase.REVIEW)
    first = ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    second = ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED,
                             title="Walking group")
    ProposalFactory(round=round_, proposer=resident, status=Status.REJECTED, title="Rejected")
    for target in list(Phase)[3:]:
        if target is Phase.COUNTED:
            stored_snapshot(round_, lead, [(first, first.cost_pence)])
        if target is Phase.PUBLISHED:
            published(round_, lead)
        move_round(round_, lead, target)
        assert round_.phase == target.value
    phases = [f"round.phase.{p.value}" for p in list(Phase)[1:]]
    assert [a for a in _actions() if a.startswith("round.phase.")] == phases
    assert _actions().index("ballot_box.sealed") == _actions().index("round.phase.voting") + 1
    voting = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.phase.voting")).one()
    assert f'"ballot":[{first.id},{second.id}]' in voting.after_json
    assert round_.lottery_seed_sha256 in voting.after_json
    assert round_.ballot_fixed_at is not None
    assert verify_chain().is_intact


def published(round_: Round, lead) -> Publication:
    """The publication of the round's latest count, as the count page writes it."""
    snapshot_id = db.session.scalar(
        select(CountSnapshot.id).where(CountSnapshot.round_id == round_.id))
    publication = Publication(round_id=round_.id, snapshot_id=snapshot_id,
                              published_by_id=lead.id, ballots_pb="", published_at=NOW)
    db.session.add(publication)
    db.session.flush()
    return publication


def test_a_round_is_counted_and_published_only_on_the_count_page(eildon, lead, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.CLOSED)
    project = ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    with pytest.raises(RoundNotReady, match="counted by running its count") as refused:
        move_round(round_, lead, Phase.COUNTED)
    assert [place for _, place, _ in refused.value.problems] == ["count"]
    stored_snapshot(round_, lead, [(project, project.cost_pence)])
    move_round(round_, lead, Phase.COUNTED)
    with pytest.raises(RoundNotReady, match="published from the count page"):
        move_round(round_, lead, Phase.PUBLISHED)
    assert round_.phase == "counted"


def test_voting_needs_two_eligible_proposals(eildon, lead, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    ProposalFactory(round=round_, proposer=resident, status=Status.REJECTED, title="No")
    with pytest.raises(Conflict, match="at least 2 eligible proposals.*has 1"):
        move_round(round_, lead, Phase.VOTING)
    assert (round_.phase, round_.ballot_fixed_at) == ("review", None)


def test_voting_needs_every_proposal_decided(eildon, lead, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED, title="Two")
    ProposalFactory(round=round_, proposer=resident, status=Status.CHANGES_REQUESTED, title="Three")
    with pytest.raises(Conflict, match="1 proposal"):
        move_round(round_, lead, Phase.VOTING)
    assert round_.phase == "review"


def test_voting_needs_a_positive_budget_and_ordered_dates(eildon, lead, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW, voting_close_at=NOW)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED, title="Two")
    with pytest.raises(RoundNotReady, match="voting closes must be after"):
        move_round(round_, lead, Phase.VOTING)
    round_.voting_close_at, round_.budget_pence = NOW + timedelta(days=99), 0
    with pytest.raises(RoundNotReady, match="budget"):
        move_round(round_, lead, Phase.VOTING)
    assert round_.phase == "review"


def test_followers_are_emailed_when_voting_opens(eildon, lead, resident, outbox, box_keys):
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED, title="Two")
    assert follow_round(round_, resident) is True
    assert follow_round(round_, resident) is False
    move_round(round_, lead, Phase.VOTING)
    assert outbox == []  # nothing is said before the change is saved
    db.session.commit()
    assert [m["To"] for m in outbox] == ["rab.resident@example.org"]
    assert outbox[0]["Subject"] == "Voting is open: Eildon Community Fund"


@pytest.mark.parametrize("phase", [Phase.VOTING, Phase.CLOSED, Phase.PUBLISHED])
def test_frozen_rules_refuse_changes_with_409_and_an_audit_entry(eildon, lead, phase):
    round_ = RoundFactory(locality=eildon, phase=phase)
    settings = RoundSettings(**{n: getattr(round_, n) for n in RoundSettings.__dataclass_fields__})
    with pytest.raises(RulesFrozen, match="can no longer change") as caught:
        update_round(round_, lead, replace(settings, budget_pence=9_000_000))
    assert caught.value.status == 409
    assert round_.budget_pence == 2_000_000
    assert _actions() == ["round.change_refused"]


def test_editing_before_voting_records_what_changed(eildon, lead):
    round_ = create_round(eildon, lead, SETTINGS)
    update_round(round_, lead, replace(SETTINGS, budget_pence=3_000_000))
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.settings_changed")).one()
    assert (entry.before_json, entry.after_json) == ('{"budget_pence":2500000}',
                                                     '{"budget_pence":3000000}')


def test_schedule_moves_rounds_at_their_dates(eildon, resident, box_keys):
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    assert advance_due(round_, now=NOW) is None
    assert round_.phase == "proposals-open"
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED, title="Two")
    assert advance_due(round_, now=NOW + timedelta(days=61)) is None
    assert round_.phase == "voting"
    assert _actions()[-3:] == ["round.phase.review", "round.phase.voting", "ballot_box.sealed"]
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.phase.review")).one()
    assert entry.actor_id is None and '"by":"schedule"' in entry.after_json


def test_voting_does_not_open_without_ballot_box_key_holders_and_says_why(eildon, lead,
                                                                         resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED, title="Two")
    reason = advance_due(round_, now=NOW + timedelta(days=61))
    assert "needs at least 2 key holders" in reason and "'Ballot box keys'" in reason
    assert round_.phase == "review" and "round.phase.voting" not in _actions()


def test_schedule_leaves_a_round_whose_guard_fails_and_says_why(eildon):
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW)
    reason = advance_due(round_, now=NOW + timedelta(days=61))
    assert "at least 2 eligible proposals" in reason
    assert round_.phase == "review"


def test_cli_advance_moves_due_rounds(app, runner, eildon, resident, monkeypatch):
    monkeypatch.setattr("pb_app.rounds.services.utcnow", lambda: NOW + timedelta(days=31))
    due = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    later = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN,
                         proposals_close_at=NOW + timedelta(days=40))
    result = runner.invoke(args=["rounds", "advance"])
    assert result.exit_code == 0, result.output
    assert f"Round {due.id} (Eildon Community Fund) is now review" in result.output
    db.session.expire_all()
    assert (db.session.get(Round, due.id).phase, db.session.get(Round, later.id).phase) == (
        "review", "proposals-open")


def test_users_of_no_locality_can_follow(eildon):
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    assert follow_round(round_, make_user("Visitor")) is True


@pytest.mark.committing
def test_concurrent_page_loads_move_a_due_round_once(app):
    with app.app_context():
        from rounds.fixtures import make_locality

        round_id = RoundFactory(locality=make_locality("Eildon", "TD1"),
                                phase=Phase.PROPOSALS_OPEN).id
        db.session.commit()
        db.session.remove()
    barrier = threading.Barrier(4)

    def load() -> None:
        with app.app_context():
            round_ = db.session.get(Round, round_id)
            barrier.wait()
            advance_due(round_, now=NOW + timedelta(days=31))
            db.session.commit()
            db.session.remove()

    run_together(*[load] * 4)
    with app.app_context():
        assert _actions() == ["round.phase.review"]
        db.session.remove()
