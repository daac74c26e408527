"""The greedy rules' settings in the round form: a minimum support as a share of voters and as
a number of votes, stopping at the first project that does not fit, and projects that cannot
both be funded; stored with the round, counted by the tally and explained in sentences."""

from __future__ import annotations

import pytest
from factories import ProposalFactory, RoundFactory
from results.builders import cast, make_projects, staff

from pb_app.extensions import db
from pb_app.results.explanation import (
    Figures,
    StoredCount,
    count_in_sentences,
    project_reasons,
)
from pb_app.results.presentation import explain
from pb_app.results.services import count_round
from pb_app.rounds.models import Phase, Round
from pb_app.tally.engine import run_tally
from pb_app.tally.explain import result_to_dict
from pb_app.tally.model import Ballot, Election, Project, RuleSpec, VoteType
from rounds.fixtures import live_round, round_form

NEW_FIELDS = ("threshold_votes", "stop_at_first", "conflicts")


@pytest.mark.parametrize(("rule", "shown"), [
    ("greedy", {"conflicts"}),
    ("greedy-no-skip", {"conflicts"}),
    ("greedy-threshold", {"threshold_votes", "stop_at_first", "conflicts"}),
    ("mes", set()),
    ("phragmen", set()),
])
def test_the_second_step_offers_the_greedy_settings_only_to_greedy_rules(
        client, sign_in, eildon, lead, rule, shown):
    sign_in(lead)
    page = client.get(f"/rounds/new?ballot_type=approval&tally_rule={rule}").text
    assert {name for name in NEW_FIELDS if f'name="{name}"' in page} == shown


def _edit(client, round_: Round, **changes):
    form = round_form(round_.locality_id, tally_rule="greedy-threshold",
                      threshold_percent="10", **changes)
    del form["locality"]
    return client.post(f"/rounds/{round_.id}/edit", data=form)


@pytest.fixture
def draft(eildon, lead):
    """A draft round with three proposals: the lunch club, the garden at the hall and the
    garden's other plan (a car park on the same site)."""
    round_ = live_round(eildon, Phase.DRAFT)
    projects = [ProposalFactory(round=round_, proposer=lead, title=title)
                for title in ("Lunch club", "Hall garden", "Hall car park")]
    db.session.commit()
    return round_, [str(p.id) for p in projects]


def test_a_lead_sets_a_minimum_in_votes_no_skip_and_conflicts(client, sign_in, lead, draft):
    round_, (_, garden, car_park) = draft
    sign_in(lead)
    response = _edit(client, round_, threshold_votes="25", stop_at_first="y",
                     conflicts=f"{garden}, {car_park}\n\n")
    assert response.status_code == 302, response.text
    db.session.refresh(round_)
    assert round_.tally_params == {"threshold_percent": 10, "threshold_votes": 25,
                                   "stop_at_first": True, "conflicts": [[garden, car_park]]}
    page = client.get(f"/rounds/{round_.id}").text
    assert "at least 25 votes" in page
    assert "stopping at the first project that does not fit" in page
    assert f"only one of projects {garden}, {car_park} can be funded" in page
    again = client.get(f"/rounds/{round_.id}/edit").text
    assert f"{garden}, {car_park}</textarea>" in again
    assert 'name="stop_at_first" type="checkbox" value="y" checked' in again


def test_settings_left_empty_store_nothing_new(client, sign_in, lead, draft):
    round_, _ = draft
    sign_in(lead)
    assert _edit(client, round_, threshold_votes="", conflicts=" \n").status_code == 302
    db.session.refresh(round_)
    assert round_.tally_params == {"threshold_percent": 10}


@pytest.mark.parametrize(("typed", "message"), [
    ("12, park", "project numbers separated by commas"),
    ("{garden}", "needs two or more projects"),
    ("{garden}, {garden}", "needs two or more projects"),
    ("{garden}, 999999", "This round has no project number 999999"),
])
def test_conflicts_that_cannot_apply_are_refused_and_change_nothing(
        client, sign_in, lead, draft, typed, message):
    round_, (_, garden, _) = draft
    sign_in(lead)
    response = _edit(client, round_, conflicts=typed.format(garden=garden))
    assert response.status_code == 422
    assert message in response.text and '<a href="#conflicts">' in response.text
    db.session.refresh(round_)
    assert round_.tally_rule == "greedy" and round_.tally_params == {}


def test_a_minimum_in_votes_must_be_a_whole_number(client, sign_in, lead, draft):
    round_, _ = draft
    sign_in(lead)
    response = _edit(client, round_, threshold_votes="-3")
    assert response.status_code == 422
    assert "The minimum number of votes must be a whole number" in response.text


def test_a_new_round_cannot_name_projects_that_cannot_both_be_funded(
        client, sign_in, eildon, lead):
    db.session.commit()  # a refused round undoes everything since the last commit
    sign_in(lead)
    form = round_form(eildon.id, tally_rule="greedy", conflicts="1, 2")
    response = client.post("/rounds/new", data=form)
    assert response.status_code == 422
    assert "A new round has no projects yet" in response.text
    assert db.session.query(Round).count() == 0


def _counted(rule: str, **params):
    """Budget £10,000; lunch club £4,000 (5 votes), transport £5,000 (4), walks £2,000 (3)."""
    round_ = RoundFactory(to_count=True, budget_pence=1_000_000, tally_rule=rule,
                          tally_params=params)
    lunch, transport, walks = make_projects(
        round_, {"Lunch club": 400_000, "Community transport": 500_000, "Walking group": 200_000})
    cast(round_, [lunch, transport], times=3)
    cast(round_, [lunch, walks], times=2)
    cast(round_, [transport, walks], times=1)
    return round_, [str(p.id) for p in (lunch, transport, walks)]


def test_a_conflict_is_counted_and_explained():
    round_, (lunch, transport, _) = _counted("greedy")
    round_.tally_params = {"conflicts": [[lunch, transport]]}
    snapshot = count_round(round_, staff(round_)[0])
    explained = explain(snapshot)
    funded = {o.title for o in explained.outcomes if o.is_funded}
    assert funded == {"Lunch club", "Walking group"}
    why = {o.title: o.why for o in explained.outcomes}
    assert "cannot be funded together with Lunch club" in why["Community transport"]
    words = " ".join(s.text for s in explained.steps)
    assert "Some projects cannot both be funded" in words
    assert "not funded, as it cannot be funded together with Lunch club" in words


def test_a_minimum_in_votes_and_stopping_at_the_first_are_counted_and_explained():
    # The walks (3 votes, half the voters) meet the 10% share but not the 4 votes: passed over.
    round_, _ = _counted("greedy-threshold", threshold_percent=10, threshold_votes=4,
                         stop_at_first=True)
    explained = explain(count_round(round_, staff(round_)[0]))
    assert {o.title for o in explained.outcomes if o.is_funded} == {"Lunch club",
                                                                 "Community transport"}
    words = " ".join(s.text for s in explained.steps)
    assert ("Walking group had 3 votes and cost £2,000: not considered, as it needed at least 4 "
            "votes and the support of at least 10% of the voters") in words
    assert "The count stops at the first project that does not fit" in words


def _told(result, titles: dict[str, str]) -> tuple[list[str], dict]:
    """The sentences and reasons the results pages give for a tally result (money in pence)."""
    data = result_to_dict(result)
    figures = Figures(titles=titles, costs=dict(COSTS),
                      supporters=dict.fromkeys(titles, 0), budget_pence=result.budget,
                      voters=5, unit="votes", rule=data["rule"])
    count = StoredCount(data["steps"], data["ties"], data["allocation"])
    sentences = [s.text for s in count_in_sentences(figures, count)]
    return sentences, project_reasons(figures, count)


# a: 5 votes, b: 4, c: 3 (the voters approve a prefix of the list); budget £1,000.
COSTS = {"a": 50_000, "b": 40_000, "c": 30_000}
LADDER = Election(tuple(Project(p, c) for p, c in COSTS.items()),
                  tuple(Ballot(tuple("abc"[:n])) for n in (3, 3, 3, 2, 1)), 100_000,
                  VoteType.APPROVAL)
TITLES = {"a": "Lunch club", "b": "Walking group", "c": "Hall garden"}


def test_reserve_funding_is_told_in_sentences():
    result = run_tally(LADDER, RuleSpec("greedy-no-skip", reserve_percent=30))
    sentences, reasons = _told(result, TITLES)
    assert ("funded, from reserve funds, if the money left covers at least 30% of its cost"
            in sentences[0])
    assert ("Hall garden had 3 votes and cost £300: it did not fit in the £100 left, but that "
            "covered at least 30% of its cost, so it was funded with £200 from reserve funds. "
            "The count stopped here.") in sentences
    assert sentences[-1] == ("In all, £1,200 was spent: the whole £1,000 budget and £200 from "
                             "reserve funds.")
    assert "reserve funds paid the other £200" in reasons["c"].summary


def test_a_withdrawn_project_is_told_in_sentences():
    result = run_tally(LADDER, RuleSpec("mes", withdrawn=("a",)))
    sentences, reasons = _told(result, TITLES)
    assert "Projects withdrawn after the vote cannot be funded" in sentences[0]
    assert sentences[1] == ("Lunch club was withdrawn after the vote, so it could not be "
                            "funded; its votes were set aside.")
    assert reasons["a"].summary == "Not funded: it was withdrawn after the vote."


def test_a_share_of_voters_as_the_minimum_is_told_in_sentences():
    result = run_tally(LADDER, RuleSpec("greedy-threshold", threshold_percent=70))
    sentences, reasons = _told(result, TITLES)
    assert "the support of at least 70% of the voters to be considered" in sentences[0]
    assert ("Hall garden had 3 votes and cost £300: not considered, as it needed the support "
            "of at least 70% of the voters.") in sentences
    assert "It needed the support of at least 70% of the voters" in reasons["c"].detail
