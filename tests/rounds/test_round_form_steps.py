"""The round form in two steps: first the ballot type and counting rule, then only the
settings those need (rendered by the server, so it works without JavaScript); and every
problem with a round's settings shown at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pb_app.extensions import db
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.rules import BALLOT_TYPES, MES_COMPARISONS, MES_COMPLETIONS, TALLY_RULES
from rounds.fixtures import live_round, round_form

# Each ballot type's one setting, and the settings of the counting rules that have any.
BALLOT_FIELD = {"approval": "max_choices", "knapsack": "min_share_percent", "cumulative": "points",
                "scoring": "max_score", "ordinal": "top_k"}
RULE_FIELDS = {"greedy-threshold": ("threshold_percent",),
               "mes": ("mes_completion", "mes_comparison")}
SETTING_FIELDS = {*BALLOT_FIELD.values(), "threshold_percent", "mes_completion",
                  "mes_comparison"}
JARGON = re.compile(r"\((k|N|S)\)|add1|satisfaction|exhaustive|greedy|knapsack|ordinal")


def _shown_fields(page: str) -> set[str]:
    """The names of the ballot and counting settings the page has a box or radio for."""
    return {name for name in SETTING_FIELDS if f'name="{name}"' in page}


def _words(page: str) -> str:
    """What a reader sees: the page's text without its tags and attribute values."""
    body = page[page.index("<main"):page.index("</main>")]
    return re.sub(r"<[^>]*>", " ", body)


def _round_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Round))


def test_the_first_step_asks_only_for_the_ballot_and_the_rule_and_recommends_equal_shares(
        client, sign_in, eildon, lead):
    sign_in(lead)
    page = client.get("/rounds/new")
    assert page.status_code == 200
    assert 'name="ballot_type"' in page.text and 'name="tally_rule"' in page.text
    assert _shown_fields(page.text) == set() and 'name="budget"' not in page.text
    assert re.search(r'method="get" action="/rounds/new"', page.text)
    assert re.search(r'name="tally_rule" type="radio" value="mes" checked', page.text)
    assert "We recommend equal shares" in page.text
    assert "small community" in page.text
    assert JARGON.search(_words(page.text)) is None


@pytest.mark.parametrize("ballot_type", list(BALLOT_TYPES))
@pytest.mark.parametrize("tally_rule", list(TALLY_RULES))
def test_the_second_step_shows_only_what_the_choice_needs(client, sign_in, eildon, lead,
                                                          ballot_type, tally_rule):
    sign_in(lead)
    page = client.get(f"/rounds/new?ballot_type={ballot_type}&tally_rule={tally_rule}")
    assert page.status_code == 200
    wanted = {BALLOT_FIELD[ballot_type], *RULE_FIELDS.get(tally_rule, ())}
    assert _shown_fields(page.text) == wanted
    assert f'<input type="hidden" name="ballot_type" value="{ballot_type}">' in page.text
    assert JARGON.search(_words(page.text)) is None


def test_every_equal_shares_option_can_still_be_chosen(client, sign_in, eildon, lead):
    sign_in(lead)
    page = client.get("/rounds/new?ballot_type=approval&tally_rule=mes").text
    for value in (*MES_COMPLETIONS, *MES_COMPARISONS):
        assert f'type="radio" value="{value}"' in page
    assert 'name="mes_completion" type="radio" value="add1" checked' in page
    assert 'name="mes_comparison" type="radio" value="satisfaction" checked' in page


@pytest.mark.parametrize(("ballot_type", "value", "tally_rule", "extra", "params"), [
    ("knapsack", {"min_share_percent": "20"}, "greedy-threshold",
     {"threshold_percent": "15"}, {"threshold_percent": 15}),
    ("cumulative", {"points": "12"}, "mes",
     {"mes_completion": "add1-greedy", "mes_comparison": "exhaustive"},
     {"completion": "add1-greedy", "comparison": "exhaustive"}),
    ("scoring", {"max_score": "7"}, "phragmen", {}, {}),
    ("ordinal", {"top_k": "4"}, "greedy-no-skip", {}, {}),
])
def test_the_second_step_stores_the_same_values_as_before(
        client, sign_in, eildon, lead, ballot_type, value, tally_rule, extra, params):
    sign_in(lead)
    form = round_form(eildon.id, ballot_type=ballot_type, tally_rule=tally_rule, **value,
                      **extra)
    del form["max_choices"], form["mes_completion"], form["mes_comparison"]
    form.update(extra)
    response = client.post("/rounds/new", data=form)
    assert response.status_code == 302, response.text
    round_ = db.session.scalars(select(Round)).one()
    assert (round_.ballot_type, round_.tally_rule) == (ballot_type, tally_rule)
    assert round_.ballot_params == {name: int(v) for name, v in value.items()}
    assert round_.tally_params == params


def test_a_choice_that_is_not_offered_is_asked_again(client, sign_in, eildon, lead):
    sign_in(lead)
    page = client.get("/rounds/new?ballot_type=plurality&tally_rule=mes")
    assert page.status_code == 422
    assert '<a href="#ballot_type">' in page.text and 'name="budget"' not in page.text


def test_a_lead_changes_an_existing_rounds_ballot_through_the_first_step(
        client, sign_in, eildon, lead):
    round_ = live_round(eildon, Phase.DRAFT, tally_rule="mes",
                        tally_params={"completion": "add1-greedy", "comparison": "exhaustive"})
    sign_in(lead)
    page = client.get(f"/rounds/{round_.id}/edit").text
    assert _shown_fields(page) == {"max_choices", "mes_completion", "mes_comparison"}
    assert 'name="mes_completion" type="radio" value="add1-greedy" checked' in page
    change = re.search(r'id="ballot_type" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    first = client.get(change).text
    assert re.search(r'name="ballot_type" type="radio" value="approval" checked', first)
    assert f'action="/rounds/{round_.id}/edit"' in first
    second = client.get(f"/rounds/{round_.id}/edit?ballot_type=scoring&tally_rule=mes").text
    assert _shown_fields(second) == {"max_score", "mes_completion", "mes_comparison"}
    assert 'name="max_score" type="text" value="5"' in second  # the scoring default
    assert 'value="add1-greedy" checked' in second  # the round's own kept
    assert 'name="budget" type="text" value="20000"' in second


def test_every_problem_with_a_rounds_settings_is_shown_at_once(client, sign_in, eildon, lead):
    sign_in(lead)
    form = round_form(eildon.id, title="", budget="lots", max_choices="0",
                      minimum_voting_age="three", priorities=[], other_priorities="",
                      voting_open_at=["1", "1", "2020"])
    response = client.post("/rounds/new", data=form)
    assert response.status_code == 422
    page = response.text
    summary = page[page.index("govuk-error-summary"):page.index("</main>")]
    for field, message in (
            ("title", "Enter a title for the round"),
            ("budget", "The budget must be an amount in pounds"),
            ("priorities", "Choose at least one priority"),
            ("minimum_voting_age", "Enter the minimum voting age as a whole number of years"),
            ("max_choices", "The number of projects a voter may choose must be a whole number"),
            ("voting_open_at", "The date voting opens must be after the date proposals close")):
        assert f'<a href="#{field}">{message}' in summary, field
        assert f'id="{field}-error"' in page, field
    assert "Error: " in page[:page.index("</title>")]
    assert _round_count() == 0


@pytest.mark.parametrize(("settings", "ballot", "count"), [
    ({"ballot_type": "knapsack", "ballot_params": {"min_share_percent": 0},
      "tally_rule": "greedy-threshold", "tally_params": {"threshold_percent": 10}},
     "Choose projects that fit the budget<", "Most votes first, for projects with enough"
                                             " support; at least 10% of voters<"),
    ({"ballot_type": "cumulative", "ballot_params": {"points": 12}, "tally_rule": "mes",
      "tally_params": {"completion": "add1-greedy", "comparison": "exhaustive"}},
     "Share out points; 12 points for each voter<",
     "Equal shares; when money is left unspent: as above, then fund the projects that still"
     " fit, by votes; then: stop raising shares as soon as no other project fits<"),
    ({"ballot_type": "ordinal", "ballot_params": {"top_k": 4}, "tally_rule": "phragmen"},
     "Put favourite projects in order; each voter puts up to 4 in order<",
     "Evenly shared cost (Phragmén&#39;s method)<"),
])
def test_the_round_page_names_the_ballot_and_count_in_the_same_plain_words(
        client, eildon, settings, ballot, count):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN, **settings)
    page = client.get(f"/rounds/{round_.id}").text
    assert ballot in page and count in page
    assert JARGON.search(_words(page)) is None


def test_a_round_taking_proposals_needs_every_date_and_says_which_at_the_field(
        client, sign_in, eildon, lead):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    sign_in(lead)
    form = round_form(eildon.id, voting_open_at=["", "", ""], voting_close_at=["", "", ""])
    del form["locality"]
    response = client.post(f"/rounds/{round_.id}/edit", data=form)
    assert response.status_code == 422
    summary = response.text[response.text.index("govuk-error-summary"):]
    assert '<a href="#voting_open_at">Enter the date voting opens</a>' in summary
    assert '<a href="#voting_close_at">Enter the date voting closes</a>' in summary
    assert 'id="voting_close_at-error"' in response.text
    db.session.expire_all()
    assert round_.voting_open_at is not None
