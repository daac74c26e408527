"""A round run from draft to voting through the pages alone; boundaries and refusals."""

from __future__ import annotations

import re

import pytest
from factories import ProposalFactory
from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.audit.services import verify_chain
from pb_app.extensions import db
from pb_app.proposals.models import Proposal, Status
from pb_app.rounds.models import IJB_PRIORITIES, Phase, Round
from rounds.fixtures import live_round, move_on, proposal_form, round_form


def _proposal_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Proposal))


@pytest.mark.parametrize("ticked", [True, False])
def test_a_lead_chooses_whether_every_voter_sees_the_same_order(
        client, sign_in, eildon, lead, ticked):
    sign_in(lead)
    form = round_form(eildon.id, **({"fixed_order": "y"} if ticked else {}))
    assert client.post("/rounds/new", data=form).status_code == 302
    round_ = db.session.scalars(select(Round)).one()
    assert round_.is_ballot_order_fixed is ticked
    page = client.get(f"/rounds/{round_.id}/edit").text
    assert ('name="fixed_order" type="checkbox" value="y" checked' in page) is ticked


def test_a_round_runs_from_draft_to_voting_through_the_pages(
        client, sign_in, eildon, lead, resident, box_keys):
    sign_in(lead)
    assert client.get("/rounds/new").status_code == 200
    response = client.post("/rounds/new", data=round_form(eildon.id))
    assert response.status_code == 302, response.text
    round_ = db.session.scalars(select(Round)).one()
    assert (round_.budget_pence, round_.max_project_cost_pence, round_.minimum_voting_age) == (
        2_000_000, 500_000, 12)
    assert round_.priorities == [IJB_PRIORITIES[0], "Tackling loneliness"]
    assert round_.tally_params == {"completion": "add1", "comparison": "satisfaction"}
    assert move_on(client, round_.id, Phase.PROPOSALS_OPEN).status_code == 302

    sign_in(resident)
    ids = []
    for title in ("Lunch club", "Walking group"):
        response = client.post(f"/rounds/{round_.id}/proposals/new", data=proposal_form(title))
        assert response.status_code == 302, response.text
        ids.append(int(response.headers["Location"].rsplit("/", 1)[1]))
        assert client.post(f"/proposals/{ids[-1]}/submit").status_code == 302
    proposal = db.session.get(Proposal, ids[0])
    assert (proposal.status, proposal.cost_pence) == ("submitted", 150_050)
    page = client.get(f"/proposals/{ids[0]}").text
    assert "Passed: The cost, £1,500.50, is between £500 and £5,000" in page
    assert "Review decisions" not in page  # none yet

    sign_in(lead)
    assert move_on(client, round_.id, Phase.REVIEW).status_code == 302
    for proposal_id in ids:
        response = client.post(f"/proposals/{proposal_id}/decide", data={
            "decision": "accept", "feasibility": "feasible", "fit": "strong",
            "reason": "Clear plan and costs."})
        assert response.status_code == 302, response.text
    page = client.get(f"/proposals/{ids[0]}").text
    assert re.search(r'<h2 class="govuk-heading-m">Review decisions</h2>\s*<div class="govuk-inset'
                     r'-text">\s*<p class="govuk-body"><strong>Accept</strong>', page)
    assert move_on(client, round_.id, Phase.VOTING).status_code == 302
    db.session.expire_all()
    assert round_.phase == "voting"
    page = client.get(f"/rounds/{round_.id}").text
    assert round_.lottery_seed_sha256 in page
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.sequence)))
    assert actions.count("proposal.review.accept") == 2
    assert actions[-2:] == ["round.phase.voting", "ballot_box.sealed"]
    assert verify_chain().is_intact


def test_frozen_rules_give_409_through_the_page_and_keep_the_audit_entry(
        client, sign_in, eildon, lead):
    round_ = live_round(eildon, Phase.VOTING)
    sign_in(lead)
    response = client.post(f"/rounds/{round_.id}/edit",
                           data=round_form(eildon.id, budget="99999"))
    assert response.status_code == 409
    assert "can no longer change" in response.text
    db.session.expire_all()
    assert round_.budget_pence == 2_000_000
    assert list(db.session.scalars(select(AuditEntry.action))) == ["round.change_refused"]


def test_a_budget_too_large_to_store_is_refused_with_a_message(client, sign_in, eildon, lead):
    sign_in(lead)
    response = client.post("/rounds/new", data=round_form(eildon.id, budget="£99,999,999"))
    assert response.status_code == 422
    assert "The budget is too large" in response.text
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


@pytest.mark.parametrize(("field", "message"), [
    ("max_choices", "Enter a whole number"),
    ("minimum_voting_age", "Enter the minimum voting age as a whole number of years"),
])
def test_a_number_field_given_words_says_so_in_plain_words(client, sign_in, eildon, lead, field,
                                                           message):
    sign_in(lead)
    response = client.post("/rounds/new", data=round_form(eildon.id, **{field: "three"}))
    assert response.status_code == 422
    assert message in response.text and "Not a valid integer" not in response.text
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_ids_too_large_for_the_database_name_nothing(client, sign_in, eildon, admin, resident):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    ProposalFactory(round=round_, proposer=resident)
    db.session.commit()
    sign_in(admin)
    huge = "9" * 25
    for path in (f"/rounds/{huge}", f"/rounds/{huge}/edit", f"/rounds/{huge}/proposals",
                 f"/rounds/{huge}/review", f"/proposals/{huge}", f"/proposals/{huge}/review",
                 f"/admin/users/{huge}"):
        assert client.get(path).status_code == 404, path
    for path in (f"/rounds/{huge}/advance", f"/proposals/{huge}/decide",
                 f"/admin/users/{admin.id}/roles/{huge}/remove"):
        assert client.post(path).status_code == 404, path
    page = client.get(f"/audit/?round={huge}&actor={huge}")
    assert page.status_code == 200
    assert 'name="round" inputmode="numeric" value=""' in page.text  # the bad filter is dropped


def test_a_nul_character_is_refused_and_nothing_written(client, sign_in, eildon, lead, resident):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    sign_in(resident)
    response = client.post(f"/rounds/{round_.id}/proposals/new",
                           data=proposal_form(title="Lunch\x00club"))
    assert response.status_code == 400
    assert "cannot be stored" in response.text
    assert client.get(f"/rounds/{round_.id}/proposals?q=a%00b").status_code == 400
    sign_in(lead)
    response = client.post("/rounds/new", data=round_form(eildon.id, description="a\x00b"))
    assert response.status_code == 400
    client.post("/sign-out")
    assert client.post("/register", data={"full_name": "a\x00b", "email": "a@example.org",
                                          "password": "long enough!", "confirm": "long enough!"}
                       ).status_code == 400
    assert _proposal_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Round)) == 1


def test_the_round_page_gives_its_rules_in_plain_words(client, eildon):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN, tally_rule="mes",
                        tally_params={"completion": "add1", "comparison": "satisfaction"})
    page = client.get(f"/rounds/{round_.id}").text
    for words in ("Self-declared: the voter confirms their address and age",
                  "Choose projects; each voter may choose up to 3",
                  "Equal shares; when money is left unspent: give every voter a little more,"
                  " until no more money can be used; then: compare with most votes first, and"
                  " keep the result more voters prefer",
                  "More support first, then lower cost, then a lottery from a seed"):
        assert words in page
    for jargon in ("support-cost-lottery", "add1", "satisfaction", "(k)", "max choices"):
        assert jargon not in page


def test_the_cost_table_of_a_proposal_has_column_headers(client, eildon, resident):
    proposal = ProposalFactory(round=live_round(eildon, Phase.REVIEW), proposer=resident)
    db.session.commit()
    page = client.get(f"/proposals/{proposal.id}").text
    table = page[page.index('<caption class="govuk-table__caption govuk-table__caption--m">Cost'):]
    assert '<th scope="col" class="govuk-table__header">Item</th>' in table
    assert "govuk-table__header--numeric\">Amount</th>" in table


def test_refused_reviews_and_submissions_show_the_page_again_with_the_reason(
        client, sign_in, eildon, lead, resident):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    proposal = ProposalFactory(round=round_, proposer=resident)
    draft = ProposalFactory(round=round_, proposer=resident, status=Status.DRAFT,
                            title="Half an idea")
    draft.summary = ""
    db.session.commit()
    sign_in(lead)
    decision = {"decision": "accept", "feasibility": "feasible", "fit": "strong"}
    page = client.post(f"/proposals/{proposal.id}/decide", data=decision)
    assert page.status_code == 422
    assert '<a href="#reason">Write the reason for your decision</a>' in page.text
    client.post(f"/proposals/{proposal.id}/interest", data={"interest": "My club."})
    page = client.post(f"/proposals/{proposal.id}/decide", data={**decision, "reason": "Good"})
    assert page.status_code == 403
    assert "You declared an interest in this proposal" in page.text
    assert 'name="reason"' in page.text  # the review page again, not an error page
    sign_in(resident)
    page = client.post(f"/proposals/{draft.id}/submit")
    assert page.status_code == 422
    assert "Your proposal cannot be submitted yet: Add a summary" in page.text
    db.session.expire_all()
    assert (proposal.status, draft.status) == ("submitted", "draft")


def test_a_lead_of_another_locality_cannot_manage_the_round(
        client, sign_in, eildon, other_lead, resident):
    round_ = live_round(eildon, Phase.REVIEW)
    sign_in(other_lead)
    assert client.get(f"/rounds/{round_.id}/edit").status_code == 403
    assert move_on(client, round_.id, Phase.VOTING).status_code == 403
    assert client.get(f"/rounds/{round_.id}/review").status_code == 403
    response = client.post("/rounds/new", data=round_form(eildon.id))
    assert response.status_code in (403, 422)
    assert db.session.scalar(select(func.count()).select_from(Round)) == 1


def test_residents_cannot_set_up_rounds_and_drafts_are_hidden(client, sign_in, eildon, resident):
    draft = live_round(eildon)
    sign_in(resident)
    assert client.get("/rounds/new").status_code == 403
    assert client.get(f"/rounds/{draft.id}").status_code == 404
    assert "Eildon Community Fund" not in client.get("/rounds/").text


@pytest.mark.parametrize(("changes", "message"), [
    ({"cost_lines-0-amount": "-50"}, "cannot be negative"),
    ({"cost_lines-0-amount": "lots"}, "must be an amount in pounds"),
    ({"cost_lines-0-amount": "12.345"}, "must be an amount in pounds"),
    ({"cost_lines-0-amount": "9000"}, "is over this round&#39;s limit of £5,000"),
    ({"title": ""}, "Enter a title for your proposal"),
    ({"title": "   "}, "Enter a title for your proposal"),
    ({"location_postcode": "EH45 8AA"}, "EH45 8AA is in Tweeddale, not Eildon"),
    ({"location_postcode": "not a postcode"}, "Enter a full UK postcode"),
])
def test_bad_proposal_input_is_refused_with_a_message_and_nothing_saved(
        client, sign_in, eildon, tweeddale, resident, changes, message):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    sign_in(resident)
    response = client.post(f"/rounds/{round_.id}/proposals/new", data=proposal_form(**changes))
    assert response.status_code == 422
    assert message in response.text
    assert _proposal_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_residents_of_another_locality_cannot_propose(
        client, sign_in, eildon, tweeddale, other_lead):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    sign_in(other_lead)
    response = client.post(f"/rounds/{round_.id}/proposals/new", data=proposal_form())
    assert response.status_code == 403
    assert "Only residents of Eildon" in response.text
    assert _proposal_count() == 0


def test_edits_after_the_deadline_are_refused(client, sign_in, eildon, resident):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    sign_in(resident)
    response = client.post(f"/rounds/{round_.id}/proposals/new", data=proposal_form())
    proposal_id = int(response.headers["Location"].rsplit("/", 1)[1])
    round_.phase = Phase.REVIEW.value
    db.session.commit()
    response = client.post(f"/proposals/{proposal_id}/edit", data=proposal_form("Changed"))
    assert response.status_code == 409
    assert "Proposals for Eildon Community Fund closed" in response.text
    db.session.expire_all()
    assert db.session.get(Proposal, proposal_id).title == "Lunch club"


def test_html_in_text_is_stored_as_typed_and_rendered_escaped(client, sign_in, eildon, resident):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    sign_in(resident)
    script = "<script>alert('x')</script>"
    response = client.post(f"/rounds/{round_.id}/proposals/new",
                           data=proposal_form(title=script, summary=f"<b>{script}</b>"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert script not in page and "<b><script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_audit_page_is_for_finance_officers_and_filters(
        client, sign_in, eildon, lead, finance, resident):
    first, second = live_round(eildon), live_round(eildon, title="Second round")
    from pb_app.audit.services import record_event
    record_event("test.first", actor=lead, subject=first)
    record_event("test.second", actor=lead, subject=second)
    db.session.commit()
    sign_in(resident)
    assert client.get("/audit/").status_code == 403
    sign_in(finance)
    page = client.get(f"/audit/?round={second.id}&actor={lead.id}").text
    assert "test.second" in page and "test.first" not in page
    assert f"Lena Lead ({lead.id})" in page
    assert "Audit chain" not in page  # verified only when asked
    verdict = client.post(f"/audit/verify?round={second.id}&actor={lead.id}", data={}).text
    assert "Audit chain intact: 2 entries verified" in verdict


def test_every_page_renders_for_the_people_who_use_it(
        client, sign_in, eildon, lead, resident, finance):
    round_ = live_round(eildon, Phase.REVIEW)
    proposal = ProposalFactory(round=round_, proposer=resident)
    db.session.commit()
    pages = {
        lead: ["/rounds/", f"/rounds/{round_.id}", f"/rounds/{round_.id}/edit", "/rounds/new",
               f"/rounds/{round_.id}/review", f"/proposals/{proposal.id}/review"],
        resident: [f"/rounds/{round_.id}/proposals?q=lunch&status=submitted&outcome=1"
                   f"&priority=x&cost_band=1000-5000", f"/proposals/{proposal.id}",
                   "/proposals/mine", f"/proposals/{proposal.id}/edit"],
        finance: ["/audit/"],
    }
    for user, urls in pages.items():
        sign_in(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            for table in re.findall(r"<table.*?</table>", response.text, re.S):
                assert '<caption class="govuk-table__caption' in table, url
    sign_in(resident)
    listing = client.get(f"/rounds/{round_.id}/proposals?cost_band=1000-5000").text
    assert "Lunch club" in listing and "1 proposal<" in listing
    assert "Lunch club" not in client.get(
        f"/rounds/{round_.id}/proposals?cost_band=under-1000").text
    for odd in ("99", "\u00b2", "-1", "x"):  # an outcome not among the nine filters nothing
        listing = client.get(f"/rounds/{round_.id}/proposals", query_string={"outcome": odd})
        assert listing.status_code == 200 and "Lunch club" in listing.text
    assert "Lunch club" not in client.get(f"/rounds/{round_.id}/proposals?outcome=2").text
