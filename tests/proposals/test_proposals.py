"""Proposals: saving, privacy of drafts, filters, automatic checks, review, merging."""

from __future__ import annotations

import pytest
from factories import ProposalFactory, RoundFactory
from rounds.fixtures import make_user
from sqlalchemy import func, insert, select

from pb_app.accounts.models import GROUP_LEAD
from pb_app.audit.models import AuditEntry
from pb_app.errors import Conflict, InvalidInput, NotEligible, NotFound, PermissionDenied
from pb_app.extensions import db
from pb_app.money import parse_pounds
from pb_app.proposals.models import DeclaredInterest, Proposal, ProposalReview, Status
from pb_app.proposals.services import (
    ProposalInput,
    declare_interest,
    get_proposal,
    list_public_proposals,
    merge_proposals,
    review_proposal,
    save_proposal,
    submit_proposal,
    withdraw_proposal,
)
from pb_app.rounds.models import Phase
from pb_app.rounds.services import RulesFrozen

PRIORITY = "Early intervention and prevention"
LUNCH = ProposalInput(
    title="Lunch club", summary="A weekly hot lunch.", description="Hot lunch and company.",
    location="Galashiels", location_postcode="td1 1aa", outcomes=(4, 1, 4), priorities=(PRIORITY,),
    cost_lines=(("Food", "1,200"), ("", ""), ("Hall hire", "300.50")))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("text", "pence"), [
    ("1250", 125_000), ("1,250.50", 125_050), ("£1,250.5", 125_050), ("0.99", 99), (" 7 ", 700),
])
def test_parse_pounds_reads_amounts(text, pence):
    assert parse_pounds(text, "the amount") == pence


@pytest.mark.parametrize(("text", "message"), [
    ("", "Enter the amount"), ("-5", "cannot be negative"), ("£-5", "cannot be negative"),
    ("ten", "amount in pounds"), ("1.234", "amount in pounds"), ("1e5", "amount in pounds"),
    ("12,34", "amount in pounds"), ("99999999999", "too large"),
    ("21,474,836.48", "the most it can be is £21,474,836.47"), ("\u0661\u0662", "amount in pounds"),
])
def test_parse_pounds_refuses_what_is_not_money(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_pounds(text, "the amount")


def test_save_creates_a_private_draft_whose_cost_is_the_sum_of_its_lines(eildon, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    proposal = save_proposal(round_, resident, LUNCH)
    assert (proposal.status, proposal.cost_pence) == ("draft", 150_050)
    assert [(line.position, line.item, line.amount_pence) for line in proposal.cost_lines] == [
        (1, "Food", 120_000), (2, "Hall hire", 30_050)]
    assert (proposal.outcomes, proposal.location_postcode) == ([1, 4], "TD1 1AA")
    stranger = make_user("Stranger", eildon)
    with pytest.raises(NotFound):
        get_proposal(proposal.id, stranger)
    assert get_proposal(proposal.id, resident) is proposal
    assert list_public_proposals(round_) == []


def test_only_the_proposer_may_change_a_proposal(eildon, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    proposal = save_proposal(round_, resident, LUNCH)
    with pytest.raises(PermissionDenied):
        save_proposal(round_, make_user("Other", eildon), LUNCH, proposal)


@pytest.mark.parametrize(("lines", "message"), [
    ((("Food", "0"),), "more than £0"),
    ((("", "100"),), "say what the money is for"),
    ((("Food", "5000.01"),), "over this round's limit of £5,000"),
])
def test_bad_cost_lines_write_nothing(eildon, resident, lines, message):
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    with pytest.raises(InvalidInput, match=message):
        save_proposal(round_, resident, ProposalInput(title="Bus", cost_lines=lines))
    assert (_count(Proposal), _count(AuditEntry)) == (0, 0)


def test_only_residents_propose_unless_groups_are_allowed(eildon, tweeddale):
    outsider = make_user("Outsider", tweeddale)
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    group = ProposalInput(title="Bus", organisation="Borders Community Transport")
    with pytest.raises(NotEligible, match="Only residents of Eildon may propose"):
        save_proposal(round_, outsider, group)
    round_.is_group_proposals_allowed = True
    assert save_proposal(round_, outsider, group).organisation == "Borders Community Transport"
    with pytest.raises(NotEligible, match="or a community group"):
        save_proposal(round_, outsider, ProposalInput(title="Bus"))


def test_submission_runs_the_checks_and_refuses_failures_without_saving(eildon, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    proposal = save_proposal(round_, resident, ProposalInput(
        title="Tiny", cost_lines=(("Stamps", "20"),)))
    with pytest.raises(InvalidInput) as caught:
        submit_proposal(proposal, resident)
    assert "Add a summary, a full description, where it happens" in caught.value.message
    assert "£20, is between £500 and £5,000: it must be" in caught.value.message
    assert "Give the postcode of where it happens, in Eildon" in caught.value.message
    assert (proposal.status, proposal.check_results, proposal.submitted_at) == ("draft", [], None)


def test_submission_records_passed_checks(eildon, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    proposal = save_proposal(round_, resident, LUNCH)
    results = submit_proposal(proposal, resident)
    assert [r.passed for r in results] == [True, True, True]
    assert proposal.status == "submitted"
    assert [c["name"] for c in proposal.check_results] == ["required", "cost", "locality"]
    with pytest.raises(Conflict):
        submit_proposal(proposal, resident)


def test_public_list_searches_and_filters(eildon, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED, title="Lunch club",
                    cost_pence=80_000)
    bus = ProposalFactory(round=round_, proposer=resident, status=Status.SUBMITTED,
                          title="Community bus", cost_pence=450_000)
    bus.outcomes, bus.priorities, bus.summary = [2], [round_.priorities[1]], "Door to door."
    ProposalFactory(round=round_, proposer=resident, status=Status.DRAFT, title="Secret draft")
    ProposalFactory(round=round_, proposer=resident, status=Status.WITHDRAWN,
                    title="Withdrawn walk")

    def titles(**filters) -> list[str]:
        return [p.title for p in list_public_proposals(round_, **filters)]

    assert titles() == ["Community bus", "Lunch club"]
    assert titles(search="LUNCH") == ["Lunch club"]
    assert titles(search="galashiels bus") == ["Community bus"]
    assert titles(search="%") == titles(search="_") == []
    assert titles(status="accepted") == ["Lunch club"]
    assert titles(status="draft") == ["Community bus", "Lunch club"]
    assert titles(outcome=2) == ["Community bus"]
    assert titles(priority=round_.priorities[0]) == ["Lunch club"]
    assert titles(cost_band="under-1000") == ["Lunch club"]
    assert titles(cost_band="1000-5000") == ["Community bus"]
    assert titles(cost_band="10000-plus") == []


def test_review_decisions_email_the_proposer_with_the_reason(eildon, lead, resident, outbox):
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW)
    proposal = ProposalFactory(round=round_, proposer=resident)
    review_proposal(proposal, lead, "request-changes", "conditions", "partial",
                    "Please cost the hall hire.")
    db.session.commit()  # mail goes out when the decision is saved
    assert proposal.status == "changes-requested"
    assert outbox[-1]["To"] == "rab.resident@example.org"
    assert "sent back to you for changes" in outbox[-1].get_content()
    assert "Please cost the hall hire." in outbox[-1].get_content()
    save_proposal(round_, resident, LUNCH, proposal)
    submit_proposal(proposal, resident)
    review_proposal(proposal, lead, "accept", "feasible", "strong", "Good plan.")
    db.session.commit()
    assert proposal.status == "accepted"
    assert [r.decision for r in proposal.reviews] == ["request-changes", "accept"]
    assert len(outbox) == 2


@pytest.mark.parametrize(("args", "error", "message"), [
    (("maybe", "feasible", "strong", "x"), InvalidInput, "Choose a decision"),
    (("accept", "", "strong", "x"), InvalidInput, "feasibility"),
    (("accept", "feasible", "strong", "   "), InvalidInput, "Write the reason"),
    (("accept", "not-feasible", "none", "x"), InvalidInput, "not feasible"),
])
def test_bad_review_input_writes_nothing(eildon, lead, resident, args, error, message):
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.REVIEW),
                               proposer=resident)
    with pytest.raises(error, match=message):
        review_proposal(proposal, lead, *args)
    assert (proposal.status, _count(ProposalReview), _count(AuditEntry)) == ("submitted", 0, 0)


def test_accepting_a_proposal_that_fails_its_checks_is_refused(eildon, lead, resident):
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.REVIEW),
                               proposer=resident, cost_pence=10_000)
    with pytest.raises(InvalidInput, match="fails its checks"):
        review_proposal(proposal, lead, "accept", "feasible", "strong", "Fine")


def test_a_lead_who_declared_an_interest_cannot_review(eildon, lead, resident):
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.REVIEW),
                               proposer=resident)
    declare_interest(proposal, lead, "My sister runs the lunch club.")
    with pytest.raises(NotEligible, match="declared an interest"):
        review_proposal(proposal, lead, "accept", "feasible", "strong", "Fine")
    with pytest.raises(Conflict):
        declare_interest(proposal, lead, "Again")
    second_lead = make_user("Second Lead", eildon, GROUP_LEAD, eildon)
    review_proposal(proposal, second_lead, "accept", "feasible", "strong", "Fine")
    assert proposal.status == "accepted"


def test_an_interest_declared_meanwhile_by_another_request_is_a_conflict(eildon, lead, resident):
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.REVIEW),
                               proposer=resident)
    assert proposal.interests == []  # what this request has read, before the other one commits
    db.session.execute(insert(DeclaredInterest).values(
        proposal_id=proposal.id, user_id=lead.id, reason="First click"))
    with pytest.raises(Conflict, match="already declared an interest"):
        declare_interest(proposal, lead, "Second click")
    assert _count(DeclaredInterest) == 1


def test_a_lead_cannot_review_their_own_proposal(eildon, lead):
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.REVIEW),
                               proposer=lead)
    with pytest.raises(NotEligible, match="You made this proposal"):
        review_proposal(proposal, lead, "reject", "feasible", "none", "No")


def test_a_lead_of_another_locality_cannot_review(eildon, other_lead, resident):
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.REVIEW),
                               proposer=resident)
    with pytest.raises(PermissionDenied):
        review_proposal(proposal, other_lead, "reject", "feasible", "none", "No")
    with pytest.raises(PermissionDenied):
        declare_interest(proposal, other_lead, "None of my business")
    assert proposal.status == "submitted"


def test_merging_duplicates(eildon, lead, resident, outbox):
    round_ = RoundFactory(locality=eildon, phase=Phase.REVIEW)
    original = ProposalFactory(round=round_, proposer=resident, title="Lunch club")
    duplicate = ProposalFactory(round=round_, proposer=make_user("Other", eildon),
                                title="Lunch group")
    merge_proposals(duplicate, original, lead, "Same lunch, same hall.")
    db.session.commit()
    assert (duplicate.status, duplicate.merged_into, original.status) == (
        "merged", original, "submitted")
    assert "merged with a similar proposal" in outbox[-1].get_content()
    other_round = ProposalFactory(
        round=RoundFactory(locality=eildon, phase=Phase.REVIEW, title="Other"), proposer=resident)
    with pytest.raises(InvalidInput, match="same round"):
        merge_proposals(original, other_round, lead, "No")
    with pytest.raises(Conflict):
        merge_proposals(original, duplicate, lead, "Into a merged one")


def test_ballot_list_is_frozen_once_voting_opens(eildon, lead, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.VOTING)
    proposal = ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    for attempt in (lambda: withdraw_proposal(proposal, resident),
                    lambda: save_proposal(round_, resident, LUNCH, proposal),
                    lambda: review_proposal(proposal, lead, "reject", "feasible", "none", "x")):
        with pytest.raises(RulesFrozen):
            attempt()
    assert proposal.status == "accepted"
    assert list(db.session.scalars(select(AuditEntry.action))) == ["round.change_refused"] * 3


def test_withdrawing_before_voting(eildon, resident):
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.REVIEW),
                               proposer=resident)
    withdraw_proposal(proposal, resident)
    assert proposal.status == "withdrawn"
    with pytest.raises(Conflict):
        withdraw_proposal(proposal, resident)


def test_changing_an_accepted_proposal_sends_it_back_for_review(eildon, lead, resident):
    round_ = RoundFactory(locality=eildon, phase=Phase.PROPOSALS_OPEN)
    proposal = save_proposal(round_, resident, LUNCH)
    submit_proposal(proposal, resident)
    review_proposal(proposal, lead, "accept", "feasible", "strong", "Good plan.")
    save_proposal(round_, resident, LUNCH, proposal)
    assert (proposal.status, proposal.check_results) == ("draft", [])
    assert get_proposal(proposal.id, resident) is proposal
    assert list_public_proposals(round_) == []


@pytest.mark.parametrize(("status", "closed", "with_proposer"), [
    (Status.DRAFT, False, True), (Status.CHANGES_REQUESTED, False, True),
    (Status.SUBMITTED, False, False), (Status.ACCEPTED, False, False),
    (Status.REJECTED, True, False), (Status.WITHDRAWN, True, False), (Status.MERGED, True, False),
])
def test_which_statuses_are_closed_and_which_are_with_the_proposer(status, closed, with_proposer):
    proposal = Proposal(status=status.value)
    assert (proposal.is_closed, proposal.is_with_proposer) == (closed, with_proposer)
