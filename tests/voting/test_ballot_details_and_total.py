"""The ballot's way to each project's page and back with the choices kept (in the session,
never in an address), on every channel; the running total on the review page; the plurals of
the voting pages."""

from __future__ import annotations

import re
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from pb_app.extensions import db
from pb_app.rounds.rules import BallotKind
from pb_app.voting.ballots import (
    BallotRules,
    draft_fields,
    total_in_words,
)
from pb_app.voting.services import create_paper_batch, generate_voting_codes, reconcile_ballots
from pb_app.voting.views import BALLOT_DRAFT
from pb_app.voting.wording import count_of, there_are, was_or_were
from voting.builders import close_voting, lead_of, project_ids, resident, voting_round
from voting.helpers import counts, vote
from voting.strategies import COSTS, ROUND_PARAMS, RULES

APPROVAL, KNAPSACK, CUMULATIVE, SCORING, ORDINAL = BallotKind

# One half-filled ballot of each type, in the strategies' ids ("11".."15").
EXAMPLES = {
    APPROVAL: [("project", "11"), ("project", "13")],
    KNAPSACK: [("project", "12"), ("project", "15")],
    CUMULATIVE: [("points-11", "4"), ("points-14", "6")],
    SCORING: [("points-12", "5"), ("points-15", "1")],
    ORDINAL: [("rank-1", "14"), ("rank-2", "11")],
}


def translated(ballot_type: str, ids: dict[str, str]) -> list[tuple[str, str]]:
    """The example of ``ballot_type`` with the round's own project ids."""
    def swap(text: str) -> str:
        return ids.get(text, text)
    return [(f"points-{swap(k[7:])}" if k.startswith("points-") else k, swap(v))
            for k, v in EXAMPLES[ballot_type]]


def shown_values(page: str) -> set[tuple[str, str]]:
    """The choices a ballot page shows as made: ticked boxes, filled points, chosen ranks."""
    ticked = {("project", v) for v in re.findall(r'value="(\d+)" data-cost-pence="\d+" checked',
                                                 page)}
    points = {(n, v) for n, v in re.findall(
        r'name="(points-\d+)" type="text" inputmode="numeric" value="(\d+)"', page)}
    ranks = set()
    for name, options in re.findall(r'name="(rank-\d+)">(.*?)</select>', page, re.S):
        ranks |= {(name, v) for v in re.findall(r'value="(\d+)" selected', options)}
    return ticked | points | ranks


def read_more(client, round_id: int, proposal_id: str, fields, *, desk: bool = False):
    """Press "Read more" about ``proposal_id`` on the ballot holding ``fields``."""
    prefix = "desk" if desk else "vote"
    return client.post(f"/rounds/{round_id}/{prefix}/about/{proposal_id}",
                       data=MultiDict(fields))


def back_link(page: str) -> str | None:
    """The "Back to your ballot" address on a proposal page, if it has one."""
    match = re.search(r'id="back-to-ballot" href="([^"]+)">Back to your ballot<', page)
    return match.group(1) if match else None


@pytest.mark.parametrize("ballot_type", list(RULES))
def test_every_project_on_every_ballot_has_a_read_more_button_that_posts_the_choices(
        client, sign_in, eildon, ballot_type):
    round_ = voting_round(eildon, ballot_type=ballot_type, ballot_params=ROUND_PARAMS[ballot_type])
    sign_in(resident("Voter", "TD1 3AB", date(1980, 1, 1)))
    page = client.get(f"/rounds/{round_.id}/vote/ballot").get_data(as_text=True)
    for number, project in enumerate(project_ids(round_), 1):
        assert re.search(
            rf'<button type="submit" [^>]*id="read-more-{project}"\s+formaction='
            rf'"/rounds/{round_.id}/vote/about/{project}">'
            rf"Read more about Project {number}</button>", page)
    # Enter in a box submits with the form's first button: Continue, hidden from view.
    ballot_form = r'<form method="post" action="[^"]*/vote/review".*?(<button[^>]*>[^<]*)'
    first_button = re.search(ballot_form, page, re.S)
    assert 'tabindex="-1" aria-hidden="true">Continue' in first_button.group(1)
    assert "formaction" not in first_button.group(1)


@pytest.mark.parametrize("ballot_type", list(RULES))
def test_reading_about_a_project_keeps_the_choices_and_the_way_back_restores_them(
        client, sign_in, eildon, ballot_type):
    round_ = voting_round(eildon, ballot_type=ballot_type, ballot_params=ROUND_PARAMS[ballot_type])
    ids = dict(zip(sorted(COSTS), project_ids(round_), strict=True))
    sign_in(resident("Voter", "TD1 3AB", date(1980, 1, 1)))
    fields = translated(ballot_type, ids)
    read = read_more(client, round_.id, ids["13"], fields)
    assert read.status_code == 302
    assert read.headers["Location"] == f"/proposals/{ids['13']}"  # no choices in the address
    proposal = client.get(read.headers["Location"]).get_data(as_text=True)
    assert "Project 3" in proposal
    back = back_link(proposal)
    assert back == f"/rounds/{round_.id}/vote/ballot#read-more-{ids['13']}"
    restored = client.get(back.split("#")[0]).get_data(as_text=True)
    assert shown_values(restored) == set(fields)
    assert counts(round_.id) == (0, 0)


def test_the_way_back_is_offered_only_on_the_pages_of_the_same_rounds_projects(
        client, sign_in, eildon):
    round_, other = voting_round(eildon), voting_round(eildon, title="Eildon Youth")
    first, second, *_ = project_ids(round_)
    sign_in(resident("Voter", "TD1 3AB", date(1980, 1, 1)))
    assert back_link(client.get(f"/proposals/{first}").get_data(as_text=True)) is None
    read_more(client, round_.id, second, [("project", first)])
    assert back_link(client.get(f"/proposals/{first}").get_data(as_text=True))
    other_page = client.get(f"/proposals/{project_ids(other)[0]}").get_data(as_text=True)
    assert back_link(other_page) is None


def test_a_project_that_is_not_on_this_ballot_is_refused_and_nothing_is_kept(
        client, sign_in, eildon):
    round_, other = voting_round(eildon), voting_round(eildon, title="Eildon Youth")
    first = project_ids(round_)[0]
    sign_in(resident("Voter", "TD1 3AB", date(1980, 1, 1)))
    for proposal_id in (project_ids(other)[0], "999999"):
        refused = read_more(client, round_.id, proposal_id, [("project", first)])
        assert refused.status_code == 404
        assert "not a project on this ballot" in refused.get_data(as_text=True)
    with client.session_transaction() as session:
        assert BALLOT_DRAFT not in session


def test_someone_not_signed_in_and_without_a_code_cannot_keep_choices(client, approval_round):
    for desk in (False, True):
        refused = read_more(client, approval_round.id, project_ids(approval_round)[0], [],
                            desk=desk)
        assert refused.status_code == 403
    assert client.get(f"/rounds/{approval_round.id}/desk/ballot").status_code == 403
    with client.session_transaction() as session:
        assert BALLOT_DRAFT not in session


def test_the_next_person_on_the_same_browser_does_not_see_the_kept_choices(
        client, sign_in, approval_round, voter):
    first, second, *_ = project_ids(approval_round)
    sign_in(voter)
    read_more(client, approval_round.id, second, [("project", first)])
    sign_in(resident("Neighbour", "TD1 3AB", date(1980, 1, 1)))
    assert back_link(client.get(f"/proposals/{second}").get_data(as_text=True)) is None
    page = client.get(f"/rounds/{approval_round.id}/vote/ballot").get_data(as_text=True)
    assert shown_values(page) == set()


def test_signing_out_forgets_the_kept_choices(client, sign_in, approval_round, voter):
    first, second, *_ = project_ids(approval_round)
    sign_in(voter)
    read_more(client, approval_round.id, second, [("project", first)])
    client.post("/sign-out")
    with client.session_transaction() as session:
        assert "_user_id" not in session and BALLOT_DRAFT not in session


def test_casting_the_ballot_forgets_the_kept_choices(client, sign_in, approval_round, voter):
    first, second, *_ = project_ids(approval_round)
    sign_in(voter)
    read_more(client, approval_round.id, second, [("project", first)])
    assert vote(client, approval_round.id, [("project", first)]).status_code == 200
    with client.session_transaction() as session:
        assert BALLOT_DRAFT not in session
    assert back_link(client.get(f"/proposals/{second}").get_data(as_text=True)) is None


def test_a_voting_code_holder_reads_about_a_project_and_comes_back(client, sign_in, sign_out,
                                                                    eildon):
    round_ = voting_round(eildon, voter_verification="voting-code")
    code, = generate_voting_codes(round_, lead_of(eildon), 1)
    db.session.commit()
    sign_out()
    first, second, *_ = project_ids(round_)
    code_page = client.get(f"/rounds/{round_.id}/vote/code").get_data(as_text=True)
    assert (f'href="/proposals/{second}" target="_blank" rel="noopener">Read more about '
            "Project 2 (opens in a new tab)") in code_page  # nobody to keep choices for yet
    entered = client.post(f"/rounds/{round_.id}/vote/code", data={
        "code": code, "postcode": "TD1 2XY", "date_of_birth": ["1", "2", "1960"],
        "project": first})
    assert entered.status_code == 200
    read = read_more(client, round_.id, second, [("project", first)])
    proposal = client.get(read.headers["Location"]).get_data(as_text=True)
    back = back_link(proposal)
    assert back.startswith(f"/rounds/{round_.id}/vote/ballot#")
    assert shown_values(client.get(back).get_data(as_text=True)) == {("project", first)}
    assert vote(client, round_.id, [("project", first)]).status_code == 200
    assert counts(round_.id) == (1, 1)


def desk_fields() -> list[tuple[str, str]]:
    """The voter fields the desk carries from step to step."""
    return [("desk_full_name", "Agnes Hogg"), ("desk_postcode", "TD1 1XY"),
            ("desk_date_of_birth", "1939-11-05")]


def test_at_the_desk_staff_read_about_a_project_and_come_back_to_the_voters_ballot(
        client, sign_in, approval_round):
    sign_in(lead_of(approval_round.locality))
    first, second, *_ = project_ids(approval_round)
    voter = desk_fields()
    read = read_more(client, approval_round.id, second, voter + [("project", first)], desk=True)
    assert read.headers["Location"] == f"/proposals/{second}"
    back = back_link(client.get(read.headers["Location"]).get_data(as_text=True))
    assert back.startswith(f"/rounds/{approval_round.id}/desk/ballot#")
    page = client.get(back).get_data(as_text=True)
    assert "Enter the ballot" in page and shown_values(page) == {("project", first)}
    for name, value in voter:
        assert f'name="{name}" value="{value}"' in page
    assert f'formaction="/rounds/{approval_round.id}/desk/about/{first}"' in page
    entered = vote(client, approval_round.id, voter + [("project", first)], desk=True)
    assert "Ballot recorded" in entered.get_data(as_text=True)
    assert reconcile_ballots(approval_round) == []


def test_the_next_voter_at_the_desk_starts_with_an_empty_ballot(client, sign_in,
                                                                approval_round):
    lead = lead_of(approval_round.locality)
    sign_in(lead)
    first, second, *_ = project_ids(approval_round)
    voter = desk_fields()
    read_more(client, approval_round.id, second, voter + [("project", first)], desk=True)
    client.post(f"/rounds/{approval_round.id}/desk", data={
        "full_name": "Tom Hall", "postcode": "TD1 1XY", "date_of_birth": ["2", "3", "1950"],
        "channel": "assisted"})
    with client.session_transaction() as session:
        assert BALLOT_DRAFT not in session
    refused = client.get(f"/rounds/{approval_round.id}/desk/ballot")
    assert refused.status_code == 422 and "start again" in refused.get_data(as_text=True)


def test_a_kept_draft_holds_only_this_ballots_fields_and_projects():
    approval = RULES[APPROVAL]
    form = MultiDict([("project", "11"), ("project", "11"), ("project", "99"),
                      ("csrf_token", "x"), ("points-11", "3")])
    assert draft_fields(approval, form) == [("project", "11")]
    points = MultiDict([("points-11", " 4 "), ("points-12", ""), ("points-99", "5"),
                        ("points-13", "1" * 40)])
    assert draft_fields(RULES[CUMULATIVE], points) == [("points-11", "4"),
                                                       ("points-13", "1" * 10)]
    ranks = MultiDict([("rank-1", "14"), ("rank-2", "99"), ("rank-3", "12"), ("rank-4", "11")])
    assert draft_fields(RULES[ORDINAL], ranks) == [("rank-1", "14"), ("rank-3", "12")]


@pytest.mark.parametrize(("rules", "used", "words"), [
    (BallotRules(APPROVAL, COSTS, max_choices=4), 3, "3 of 4 chosen"),
    (BallotRules(APPROVAL, COSTS, max_choices=4), 5, "5 of 4 chosen, 1 too many"),
    (BallotRules(APPROVAL, COSTS), 0, "0 of 5 chosen"),
    (BallotRules(KNAPSACK, COSTS, budget_pence=6_000_000), 4_120_000, "£41,200 of £60,000 spent"),
    (BallotRules(KNAPSACK, COSTS, budget_pence=6_000_000), 6_500_050,
     "£65,000.50 of £60,000 spent, £5,000.50 over budget"),
    (BallotRules(CUMULATIVE, COSTS, points=10), 7, "7 of 10 points used"),
    (BallotRules(CUMULATIVE, COSTS, points=10), 12, "12 of 10 points used, 2 too many"),
    (BallotRules(CUMULATIVE, COSTS, points=1), 1, "1 of 1 point used"),
])
def test_the_running_total_in_words(rules, used, words):
    assert total_in_words(rules, used) == words


@pytest.mark.parametrize(("ballot_type", "params", "total"), [
    (APPROVAL, {"max_choices": 4}, "2 of 4 chosen"),
    (KNAPSACK, {}, "£6,000 of £10,000 spent"),  # Project 2 (£4,500) and Project 5 (£1,500)
    (CUMULATIVE, {"points": 12}, "10 of 12 points used"),
])
def test_the_review_page_shows_the_running_total(client, sign_in, eildon, ballot_type, params,
                                                 total):
    round_ = voting_round(eildon, ballot_type=ballot_type, ballot_params=params)
    ids = dict(zip(sorted(COSTS), project_ids(round_), strict=True))
    sign_in(resident("Voter", "TD1 3AB", date(1980, 1, 1)))
    review = client.post(f"/rounds/{round_.id}/vote/review",
                         data=MultiDict(translated(ballot_type, ids)))
    assert f'<p class="govuk-body" id="ballot-total">{total}</p>' in review.get_data(True)


@pytest.mark.parametrize(("ballot_type", "params", "limit"), [
    (APPROVAL, {"max_choices": 4}, "4"), (KNAPSACK, {}, "1000000"),
    (CUMULATIVE, {"points": 12}, "12"), (SCORING, {"max_score": 5}, None),
    (ORDINAL, {"top_k": 3}, None)])
def test_the_ballot_page_holds_a_polite_live_total_for_scripts_to_fill(
        client, sign_in, eildon, ballot_type, params, limit):
    round_ = voting_round(eildon, ballot_type=ballot_type, ballot_params=params)
    sign_in(resident("Voter", "TD1 3AB", date(1980, 1, 1)))
    page = client.get(f"/rounds/{round_.id}/vote/ballot").get_data(as_text=True)
    region = re.search(r'<p [^>]*id="ballot-total"[^>]*>', page)
    if limit is None:
        assert region is None
        return
    assert 'aria-live="polite"' in region.group(0) and " hidden>" in region.group(0)
    assert f'data-ballot-total="{ballot_type}" data-limit="{limit}"' in region.group(0)


def test_counts_are_worded_in_the_singular_for_one():
    assert count_of(1, "ballot") == "1 ballot" and count_of(0, "ballot") == "0 ballots"
    assert count_of(1200, "person", "people") == "1,200 people"
    assert was_or_were(1, "ballot") == "1 ballot was" and was_or_were(2) == "2 were"
    assert there_are(1, "opened ballot") == "there is 1 opened ballot"


def test_the_voting_pages_say_1_ballot_and_1_project(client, sign_in, eildon):
    round_ = voting_round(eildon, ballot_params={"max_choices": 1})
    lead = lead_of(eildon)
    batch = create_paper_batch(round_, lead, "Kelso library", 1)
    db.session.commit()
    assert reconcile_ballots(round_) == ["Batch 'Kelso library' says 1 ballot but 0 were entered."]
    sign_in(lead)
    correct = client.get(f"/rounds/{round_.id}/voting/batches/{batch.id}/correct")
    assert "The batch says 1 ballot." in correct.get_data(as_text=True)
    refused = client.post(f"/rounds/{round_.id}/voting/batches/{batch.id}/correct",
                          data={"declared_count": "1", "reason": "Recounted"})
    assert "The batch already says 1 ballot" in refused.get_data(as_text=True)
    sign_in(resident("Voter", "TD1 3AB", date(1980, 1, 1)))
    page = client.get(f"/rounds/{round_.id}/vote/ballot").get_data(as_text=True)
    assert "Choose up to 1 project." in page
    vote(client, round_.id, [("project", project_ids(round_)[0])])
    sign_in(lead)
    closed = close_voting(client, round_, follow_redirects=True)
    assert "Voting is closed. 1 ballot was cast." in closed.get_data(as_text=True)
