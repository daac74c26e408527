"""The greedy rules' settings in the round form: a minimum support as a share of voters and as
a number of votes, stopping at the first project that does not fit, and projects that cannot
both be funded; stored with the round, counted by the tally and explained in sentences."""

from __future__ import annotations

import pytest
from results.builders import cast, make_projects, staff
from results.builders import make_round as make_closed_round

from pb_app.extensions import db
from pb_app.results.presentation import explain
from pb_app.results.services import count_round
from pb_app.rounds.models import Phase, Round
from rounds.fixtures import live_round, make_proposal, round_form

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
    projects = [make_proposal(round_, lead, title=title)
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
    sign_in(lead)
    form = round_form(eildon.id, tally_rule="greedy", conflicts="1, 2")
    response = client.post("/rounds/new", data=form)
    assert response.status_code == 422
    assert "A new round has no projects yet" in response.text
    assert db.session.query(Round).count() == 0


def _counted(rule: str, **params):
    """Budget £10,000; lunch club £4,000 (5 votes), transport £5,000 (4), walks £2,000 (3)."""
    round_ = make_closed_round(budget_pence=1_000_000, tally_rule=rule, tally_params=params)
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
    # 10% of 6 voters is 1 vote; 4 votes is the larger minimum: the walks (3) are passed over.
    round_, _ = _counted("greedy-threshold", threshold_percent=10, threshold_votes=4,
                         stop_at_first=True)
    explained = explain(count_round(round_, staff(round_)[0]))
    assert {o.title for o in explained.outcomes if o.is_funded} == {"Lunch club",
                                                                 "Community transport"}
    words = " ".join(s.text for s in explained.steps)
    assert "fewer than the minimum of 4 votes" in words
    assert "The count stops at the first project that does not fit" in words
