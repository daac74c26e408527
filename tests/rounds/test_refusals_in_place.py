"""A refused phase move is shown on the round's page, not on a bare error page: every problem
at once, each saying what to put right and linking to where it is put right."""

from __future__ import annotations

import re

import pytest
from factories import ProposalFactory
from sqlalchemy import select

from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.proposals.models import Status
from pb_app.rounds.models import Phase
from pb_app.voting.models import PaperBatch
from rounds.fixtures import live_round, move_on


def _summary(page: str) -> str:
    """The error summary of a page (it fails the test if there is none)."""
    start = page.index('class="govuk-error-summary"')
    return page[start:page.index("</ul>", start)]


def _links(page: str) -> list[tuple[str, str]]:
    """(address, text) of each link in the page's error summary."""
    return [(href.replace("&amp;", "&"), re.sub(r"\s+", " ", text).strip())
            for href, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', _summary(page), re.S)]


def _is_round_page(page: str, round_) -> bool:
    """True for the round's own page, not an error page."""
    return (f'<h1 class="govuk-heading-l">{round_.title}</h1>' in page
            and "Go to the home page" not in page and "Error code" not in page)


def test_opening_voting_with_no_eligible_proposal_is_refused_on_the_round_page(
        client, sign_in, eildon, lead, resident, box_keys):
    round_ = live_round(eildon, Phase.REVIEW)
    ProposalFactory(round=round_, proposer=resident, status=Status.REJECTED)
    db.session.commit()
    sign_in(lead)
    response = move_on(client, round_.id, Phase.VOTING)
    assert response.status_code == 409
    page = response.text
    assert _is_round_page(page, round_)
    assert "cannot move on yet" in _summary(page)
    assert _links(page) == [(f"/rounds/{round_.id}/review",
                             "Voting needs at least 2 eligible proposals on the ballot; this"
                             " round has 0")]
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: " in page
    db.session.expire_all()
    assert round_.phase == "review"


def test_every_problem_stopping_voting_is_listed_with_where_to_fix_it(
        client, sign_in, eildon, lead, resident, box_keys):
    round_ = live_round(eildon, Phase.REVIEW, budget_pence=0, max_project_cost_pence=0,
                        min_project_cost_pence=0)
    round_.voting_close_at = round_.voting_open_at
    ProposalFactory(round=round_, proposer=resident, status=Status.SUBMITTED)
    db.session.commit()
    sign_in(lead)
    page = move_on(client, round_.id, Phase.VOTING).text
    edit, review = f"/rounds/{round_.id}/edit", f"/rounds/{round_.id}/review"
    assert _links(page) == [
        (f"{edit}#budget", "The budget must be more than £0"),
        (f"{edit}#voting_close_at", "The date voting closes must be after the date voting opens"),
        (review, "1 proposal still waits for a decision: accept, reject or merge each one"
                 " before voting opens, so the ballot list is fixed"),
        (review, "Voting needs at least 2 eligible proposals on the ballot; this round has 0"),
    ]
    edit_page = client.get(f"{edit}").text
    assert 'id="budget"' in edit_page and 'id="voting_close_at"' in edit_page


def test_opening_proposals_without_dates_links_to_each_missing_date(
        client, sign_in, eildon, lead):
    round_ = live_round(eildon, Phase.DRAFT)
    round_.voting_open_at = round_.voting_close_at = None
    db.session.commit()
    sign_in(lead)
    response = move_on(client, round_.id, Phase.PROPOSALS_OPEN)
    assert response.status_code == 409 and _is_round_page(response.text, round_)
    assert _links(response.text) == [
        (f"/rounds/{round_.id}/edit#voting_open_at", "Enter the date voting opens"),
        (f"/rounds/{round_.id}/edit#voting_close_at", "Enter the date voting closes"),
    ]


def test_counting_a_round_whose_paper_batch_does_not_reconcile_links_to_the_batch(
        client, sign_in, eildon, lead):
    round_ = live_round(eildon, Phase.CLOSED)
    batch = PaperBatch(round_id=round_.id, label="Kelso Hall", declared_count=3,
                       created_by_id=lead.id)
    db.session.add(batch)
    db.session.commit()
    sign_in(lead)
    response = move_on(client, round_.id, Phase.COUNTED)
    assert response.status_code == 409 and _is_round_page(response.text, round_)
    assert _links(response.text) == [
        (f"/results/round/{round_.id}/count",
         "A round is counted by running its count, on the count page"),
        (f"/rounds/{round_.id}/voting/batches/{batch.id}/correct",
         "Batch &#39;Kelso Hall&#39; says 3 ballots but 0 were entered."),
    ]
    db.session.expire_all()
    assert round_.phase == "closed"
    assert "round.phase.counted" not in db.session.scalars(select(AuditEntry.action)).all()


def test_a_move_already_made_leads_back_to_the_round_page_saying_so(client, sign_in, eildon,
                                                                    lead):
    round_ = live_round(eildon, Phase.DRAFT)
    sign_in(lead)
    assert move_on(client, round_.id, Phase.PROPOSALS_OPEN).status_code == 302
    again = move_on(client, round_.id, Phase.PROPOSALS_OPEN)  # a second click, say
    assert again.status_code == 302 and again.location == f"/rounds/{round_.id}"
    page = client.get(again.location).text
    assert _is_round_page(page, round_) and f"{round_.title} is already: taking proposals." in page


def test_voting_without_ballot_box_keys_is_refused_on_the_round_page(
        client, sign_in, eildon, lead, resident):
    round_ = live_round(eildon, Phase.REVIEW)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED)
    ProposalFactory(round=round_, proposer=resident, status=Status.ACCEPTED, title="Walking group")
    db.session.commit()
    sign_in(lead)
    response = move_on(client, round_.id, Phase.VOTING)
    assert response.status_code == 409 and _is_round_page(response.text, round_)
    assert "needs at least 2 key holders" in _summary(response.text)
    db.session.expire_all()
    assert round_.phase == "review"


def test_someone_who_cannot_run_the_round_still_gets_a_plain_refusal(
        client, sign_in, eildon, other_lead):
    round_ = live_round(eildon, Phase.REVIEW)
    sign_in(other_lead)
    assert move_on(client, round_.id, Phase.VOTING).status_code == 403


def test_the_round_page_links_a_lead_to_where_voting_and_the_count_are_run(
        client, sign_in, eildon, lead):
    round_ = live_round(eildon, Phase.CLOSED)
    sign_in(lead)
    page = client.get(f"/rounds/{round_.id}").text
    assert f'href="/rounds/{round_.id}/voting">Run the voting' in page
    assert f'href="/results/round/{round_.id}/count">Count the votes' in page


@pytest.mark.parametrize("phase", [Phase.CLOSED, Phase.COUNTED])
def test_the_round_page_sends_counting_and_publishing_to_the_count_page(
        client, sign_in, eildon, lead, phase):
    round_ = live_round(eildon, phase)
    db.session.commit()
    sign_in(lead)
    page = client.get(f"/rounds/{round_.id}").text
    assert f'action="/rounds/{round_.id}/advance"' not in page
    assert f'href="/results/round/{round_.id}/count"' in page
