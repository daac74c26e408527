"""A proposal with several problems shows them all at once: in the error summary at the top,
each linking to its field, and at each field; nothing is saved."""

from __future__ import annotations

import pytest
from rounds.fixtures import live_round, proposal_form
from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.proposals.models import Proposal
from pb_app.proposals.services import ProposalInput, save_proposal
from pb_app.rounds.models import Phase


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _summary(page: str) -> str:
    start = page.index('class="govuk-error-summary"')
    return page[start:page.index("</ul>", start)]


def test_every_problem_with_a_proposal_is_shown_at_once_and_nothing_saved(
        client, sign_in, eildon, tweeddale, resident):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    sign_in(resident)
    form = proposal_form(title="T" * 201, summary="S" * 501, location_postcode="EH45 8AA",
                         **{"cost_lines-0-amount": "lots", "cost_lines-1-item": ""})
    response = client.post(f"/rounds/{round_.id}/proposals/new", data=form)
    assert response.status_code == 422
    page, summary = response.text, _summary(response.text)
    for field, message in (
            ("title", "The title must be 200 characters or fewer"),
            ("summary", "The summary must be 500 characters or fewer"),
            ("location_postcode", "EH45 8AA is in Tweeddale, not Eildon"),
            ("cost_lines-0-amount", "The amount for cost line 1 must be an amount in pounds"),
            ("cost_lines-1-item", "Cost line 2: say what the money is for")):
        assert f'<a href="#{field}">{message}' in summary, field
        assert f'id="{field}-error"' in page, field
    assert ('class="govuk-input govuk-input--width-10 govuk-input--error"'
            ' id="cost_lines-0-amount"') in page
    assert 'aria-describedby="cost_lines-1-item-error"' in page
    assert "<title>Error: " in page
    assert (_count(Proposal), _count(AuditEntry)) == (0, 0)


def test_a_total_over_the_limit_is_shown_on_the_cost_lines(client, sign_in, eildon, resident):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    sign_in(resident)
    response = client.post(f"/rounds/{round_.id}/proposals/new",
                           data=proposal_form(amount="9000", title=""))
    assert response.status_code == 422
    summary = _summary(response.text)
    assert '<a href="#title">Enter a title for your proposal</a>' in summary
    assert ('<a href="#cost_lines-0-amount">The total cost, £9,300.50, is over this round&#39;s'
            " limit of £5,000</a>") in summary


def test_the_service_names_every_problem(eildon, resident):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    data = ProposalInput(title="", organisation="O" * 201, outcomes=(10,), priorities=("x",),
                         cost_lines=(("Food", "0"), ("", "5")))
    with pytest.raises(InvalidInput) as caught:
        save_proposal(round_, resident, data)
    assert getattr(caught.value, "problems", None) == {
        "title": "Enter a title for your proposal",
        "organisation": "The organisation must be 200 characters or fewer",
        "cost_lines.0.amount": "Cost line 1: the amount must be more than £0",
        "cost_lines.1.item": "Cost line 2: say what the money is for",
        "outcomes": "Choose outcomes from the list of nine",
        "priorities": "Choose priorities from this round's list",
    }
    assert caught.value.status == 422 and _count(Proposal) == 0
