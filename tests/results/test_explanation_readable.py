"""The count explained for people: titles, pounds and sentences instead of the tally's log;
why each project was funded or not; spending against the budget; nothing internal on the
count and results pages, and the log itself only as a download."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest
from factories import RoundFactory, UserFactory

from pb_app.extensions import db
from pb_app.results.explanation import (
    Figures,
    StoredCount,
    count_in_sentences,
    project_reasons,
)
from pb_app.results.presentation import explain
from pb_app.results.services import count_round, publish_result, sign_off
from pb_app.results.spending import BAR_LENGTH
from pb_app.tally.engine import run_tally
from pb_app.tally.explain import result_to_dict
from pb_app.tally.model import Ballot, Election, Project, RuleSpec, TieBreak, VoteType
from pb_app.web.charts import BAR_COLOUR
from results.builders import cast, make_projects, staff

# The tally's log writes money in pence and its own workings; none of it belongs on a page.
INTERNALS = ("1,000,000", "400,000", "500,000", "600,000", "900,000", "raises checked",
             "Funded (2)", "Budget 1", "<pre", "add1", "endowment", "load becomes")


def _round(rule: str = "greedy", **params):
    """Budget £10,000; lunch club £4,000 (5 votes), transport £5,000 (4), walks £2,000 (3)."""
    round_ = RoundFactory(to_count=True, budget_pence=1_000_000, tally_rule=rule,
                          tally_params=params)
    lunch, transport, walks = make_projects(
        round_, {"Lunch club": 400_000, "Community transport": 500_000, "Walking group": 200_000}
    )
    cast(round_, [lunch, transport], times=3)
    cast(round_, [lunch, walks], times=2)
    cast(round_, [transport, walks], times=1)
    return round_


def _why(snapshot) -> dict[str, tuple[str, str]]:
    return {o.title: (o.why, o.detail) for o in explain(snapshot).outcomes}


def _page_text(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_count_page_tells_the_count_in_titles_pounds_and_sentences(client, sign_in):
    round_ = _round()
    lead, officer, _ = staff(round_)
    snapshot = count_round(round_, lead)
    sign_in(officer)
    html = client.get(f"/results/round/{round_.id}/count").get_data(as_text=True)
    text = _page_text(html)
    for sentence in (
        "There was £10,000 to spend, 6 ballots were counted and 3 projects were on the ballot. "
        "Projects with the most votes are funded first. A project that does not fit in the "
        "money left is skipped. Ties are settled by more votes, then lower cost, then a "
        "lottery drawn before voting opened.",
        "Lunch club had 5 votes and cost £4,000: funded, leaving £6,000.",
        "Community transport had 4 votes and cost £5,000: funded, leaving £1,000.",
        "Walking group had 3 votes and cost £2,000: not funded, as only £1,000 was left "
        "(£1,000 short).",
        "In all, £9,000 was spent and £1,000 of the £10,000 budget was left unspent.",
    ):
        assert sentence in text, sentence
    assert re.findall(r'<li value="(\d+)" id="step-\d+">', html) == ["1", "2", "3", "4", "5"]
    for internal in INTERNALS:
        assert internal not in html, internal
    log = f"/results/snapshot/{snapshot.id}/technical-log.txt"
    assert log in html
    download = client.get(log)
    assert download.status_code == 200 and download.get_data(as_text=True) == snapshot.explanation
    assert download.headers["Cache-Control"] == "no-store"


def test_the_technical_log_of_a_count_is_for_staff_only(client, sign_in):
    round_ = _round()
    snapshot = count_round(round_, staff(round_)[0])
    resident = UserFactory()
    db.session.commit()  # a refusal rolls the session back to the last commit
    log = f"/results/snapshot/{snapshot.id}/technical-log.txt"
    assert client.get(log).status_code == 302  # to sign in
    sign_in(resident)
    assert client.get(log).status_code == 403


def test_why_each_project_was_funded_or_not_under_greedy():
    round_ = _round()
    why = _why(count_round(round_, staff(round_)[0]))
    assert why["Lunch club"] == (
        "It had 5 votes and cost £4,000. It was funded, leaving £6,000 in the budget.",
        "Funded at step 2 of the count, with 5 supporters.",
    )
    assert why["Walking group"] == (
        "It had 3 votes and cost £2,000. Not funded: when its turn came only £1,000 was left.",
        "It was £1,000 short at step 4. With 4 votes (1 more) it would have come before "
        "Community transport and been funded.",
    )


@pytest.mark.parametrize(("walks_cost", "needed"), [
    (200_000, 4),  # cheaper than the transport: it wins their tie at 4 votes
    (600_000, 5),  # dearer: at 4 votes the transport still comes first
])
def test_the_votes_a_project_would_have_needed_are_enough_and_one_fewer_is_not(
        walks_cost, needed):
    """Checked against the count itself: the walks given the votes the sentence names are
    funded on a recount, and given one fewer they are not."""
    round_ = RoundFactory(to_count=True, budget_pence=1_000_000, tally_rule="greedy")
    lunch, transport, walks = make_projects(
        round_, {"Lunch club": 400_000, "Community transport": 500_000,
                 "Walking group": walks_cost})
    cast(round_, [lunch, transport], times=3)
    cast(round_, [lunch, walks], times=2)
    cast(round_, [transport, walks], times=1)
    lead = staff(round_)[0]
    _, detail = _why(count_round(round_, lead))["Walking group"]
    assert f"With {needed} votes ({needed - 3} more) it would have come before" in detail
    cast(round_, [walks], times=needed - 4)
    assert "Walking group" not in _funded(count_round(round_, lead))
    cast(round_, [walks], times=1)
    assert "Walking group" in _funded(count_round(round_, lead))


def _funded(snapshot) -> set[str]:
    return {o.title for o in explain(snapshot).outcomes if o.is_funded}


def test_why_under_greedy_stopping_at_the_first_that_does_not_fit_and_with_a_minimum():
    no_skip = _round("greedy-no-skip")
    why = _why(count_round(no_skip, staff(no_skip)[0]))
    assert why["Walking group"] == (
        "It had 3 votes and cost £2,000. Not funded: when its turn came only £1,000 was left, "
        "and this rule stops at the first project that does not fit.",
        "It was £1,000 short at step 4. With 4 votes (1 more) it would have come before "
        "Community transport and been funded.",
    )
    minimum = _round("greedy-threshold", threshold_percent=60)  # the walks: 3 of 6 voters
    why = _why(count_round(minimum, staff(minimum)[0]))
    assert why["Walking group"] == (
        "It had 3 votes and cost £2,000. Not funded: it did not have the round's minimum "
        "support.",
        "It needed the support of at least 60% of the voters to be considered (step 4).",
    )


def test_why_under_equal_shares_gives_the_exact_shortfall():
    round_ = _round("mes", completion="add1", comparison="exhaustive")
    explained = explain(count_round(round_, staff(round_)[0]))
    why = {o.title: (o.why, o.detail) for o in explained.outcomes}
    # Each of 6 voters has £1,666.67; transport's 3 lunch-club backers keep £866.67 each after
    # paying £800, its walking backer £1,000 after £666.67: £3,600 for a £5,000 project.
    assert why["Community transport"] == (
        "Not funded: its supporters had only £3,600 left of their shares, less than its cost "
        "of £5,000.",
        "It was £1,400 short when it was last considered (step 5).",
    )
    assert why["Walking group"][1] == "Funded at step 4 of the count, with 3 supporters."
    assert [s.text for s in explained.steps][1:6] == [
        "The budget was shared equally among the 6 voters: each had £1,666.67 to spend on the "
        "projects they voted for.",
        "Lunch club was funded for £4,000: 5 of its supporters paid £800 each. "
        "Spent so far: £4,000.",
        "Walking group was funded for £2,000: 3 of its supporters paid £666.67 each. "
        "Spent so far: £6,000.",
        "Community transport was not funded: it cost £5,000 and its supporters had only "
        "£3,600 left between them, £1,400 short.",
        "To use more of the budget, each voter's share was raised step by step from £1,666.67. "
        "The count kept shares of £1,666.67, as used above, because no other project could "
        "fit in the money left.",
    ]


def test_when_the_comparison_keeps_the_simple_count_its_projects_are_explained_by_it():
    round_ = _round("mes", completion="add1", comparison="satisfaction")
    explained = explain(count_round(round_, staff(round_)[0]))
    why = {o.title: (o.is_funded, o.why, o.detail) for o in explained.outcomes}
    kept = "More voters were better off with the simple count by most votes, so its result " \
           "was kept (step 7)."
    assert why["Community transport"] == (
        True,
        "It had 4 votes and cost £5,000. It was funded, leaving £1,000 in the budget.",
        kept,
    )
    assert why["Walking group"] == (
        False,
        "It had 3 votes and cost £2,000. Not funded: when its turn came only £1,000 was left.",
        f"{kept} In the simple count it was £1,000 short.",
    )
    comparison = explained.steps[6]
    assert comparison.text == (
        "The equal-shares result was compared with a simple count by most votes: 2 voters were "
        "better off with equal shares, 3 with the simple count, and 1 equally well off either "
        "way. So the simple count's result was kept: it went like this."
    )
    assert [d.text for d in comparison.details][2] == (
        "Walking group had 3 votes and cost £2,000: not funded, as only £1,000 was left "
        "(£1,000 short)."
    )


def test_equal_shares_with_greedy_completion_and_phragmen_are_told_in_pounds():
    completed = _round("mes", completion="add1-greedy", comparison="exhaustive")
    explained = explain(count_round(completed, staff(completed)[0]))
    assert [s.text for s in explained.steps][6:8] == [
        "Money was still left, so the projects not yet funded were taken in order of votes, "
        "most first, and funded if they fitted in the money left.",
        "Community transport had 4 votes and cost £5,000: not funded, as only £4,000 was left "
        "(£1,000 short).",
    ]
    phragmen = _round("phragmen")
    explained = explain(count_round(phragmen, staff(phragmen)[0]))
    assert [s.text for s in explained.steps][1:4] == [
        "Walking group was funded for £2,000: its 3 supporters were the next able to pay for a "
        "project together, each having then spent £666.67 in all. £8,000 was left.",
        "Lunch club was funded for £4,000: its 5 supporters were the next able to pay for a "
        "project together, each having then spent £1,066.67 in all. £4,000 was left.",
        "Community transport would have been next, but it cost £5,000 and only £4,000 was "
        "left, so the count stopped.",
    ]
    why = {o.title: (o.why, o.detail) for o in explained.outcomes}
    assert why["Community transport"] == (
        "Not funded: it was next in line, but it cost £5,000 and only £4,000 was left, so the "
        "count stopped.",
        "It was £1,000 short at step 4.",
    )


def test_ties_the_pre_filter_free_projects_and_points_ballots_are_told_in_words():
    """Straight from the tally core: a pre-filter, a free project, a tie and points."""
    projects = (Project("1", 0), Project("2", 300_000), Project("3", 300_000),
                Project("4", 900_000))
    ballots = (Ballot(("1", "2"), (1, 4), weight=2), Ballot(("3",), (4,), weight=2),
               Ballot(("4",), (5,), weight=1))
    election = Election(projects, ballots, 1_000_000, VoteType.CUMULATIVE)
    result = result_to_dict(run_tally(election, RuleSpec(
        "mes", min_share_divisor=3, tie_break=TieBreak(criteria=(), order="lexico"))))
    figures = Figures({"1": "Free leaflets", "2": "Bench", "3": "Planters", "4": "Hall roof"},
                      {p.id: p.cost for p in projects}, {"1": 2, "2": 2, "3": 2, "4": 1},
                      1_000_000, 5, "points", result["rule"])
    count = StoredCount(result["steps"], result["ties"], result["allocation"])
    texts = [s.text for s in count_in_sentences(figures, count)]
    assert texts[1] == (
        "Before the count, each project had to be chosen by a share of the 5 voters of at least "
        "its share of the budget divided by 3. Set aside: Hall roof (chosen by 1)."
    )
    assert "Free leaflets cost nothing and had support, so it was funded first." in texts
    assert any("for each point" in text for text in texts)
    assert any("Bench and Planters were tied; Bench went first, by project number." in text
               for text in texts)
    # 1 of 5 voters chose the £9,000 roof; it needed cost / (3 x budget) = 30% of them: 2.
    assert project_reasons(figures, count)["4"].detail == (
        "It was chosen by 1 of the 5 voters; a project of its cost needed 2 (step 2)."
    )


def test_the_spending_chart_draws_the_snapshots_own_figures():
    round_ = _round()
    snapshot = count_round(round_, staff(round_)[0])
    explained = explain(snapshot)
    allocation = json.loads(snapshot.allocation_json)
    rows = [(r.project_id, r.cost_pence, r.spent_pence, r.left_pence) for r in explained.spending]
    lunch, transport = allocation
    assert rows == [
        (lunch[0], lunch[1], lunch[1], snapshot.budget_pence - lunch[1]),
        (transport[0], transport[1], snapshot.spent_pence,
         snapshot.budget_pence - snapshot.spent_pence),
    ]
    svg = explained.spending_chart
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert labels == ["Budget £10,000", "1. Lunch club", "£4,000", "2. Community transport",
                      "£9,000", "Left unspent: £1,000"]
    own_bars = [Fraction(w) for w in re.findall(rf'width="([\d.]+)" height="14" '
                                                rf'fill="{BAR_COLOUR}"', svg)]
    assert own_bars == [Fraction(BAR_LENGTH * cost, snapshot.budget_pence).limit_denominator(10)
                        for _, cost in allocation]
    assert "style=" not in svg and "<script" not in svg
    assert explained.spending_summary == (
        "The 2 funded projects used £9,000 of the £10,000 budget, leaving £1,000.")


@pytest.mark.parametrize(("rule", "params"), [
    ("greedy", {}),
    ("greedy-no-skip", {}),
    ("greedy-threshold", {"threshold_percent": 60}),
    ("mes", {"completion": "add1", "comparison": "satisfaction"}),
    ("mes", {"completion": "add1-greedy", "comparison": "exhaustive"}),
    ("phragmen", {}),
])
def test_every_rule_reads_without_internals_on_the_public_page(client, rule, params):
    round_ = _round(rule, **params)
    lead, _, officer = staff(round_)
    snapshot = count_round(round_, lead)
    sign_off(snapshot, officer)
    publish_result(round_, lead)
    html = client.get(f"/results/round/{round_.id}").get_data(as_text=True)
    for internal in INTERNALS:
        assert internal not in html, internal
    steps = json.loads(snapshot.result_json)["steps"]
    assert re.findall(r'<li value="(\d+)"', html) == [str(s["number"]) for s in steps]
    assert len(re.findall(r'<tr class="govuk-table__row" id="project-\d+">', html)) == 3
    assert "Spending against the budget" in html and 'class="app-spending-chart"' in html
    log = client.get(f"/results/round/{round_.id}/technical-log.txt")
    assert log.status_code == 200 and log.get_data(as_text=True) == snapshot.explanation
