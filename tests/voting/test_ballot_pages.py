"""Every ballot type through the pages: hypothesis generates valid ballots, which are stored
exactly, and ballots with one defect, which are refused with a message and store nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from ballotbox.builders import peek
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from pb_app.extensions import db
from pb_app.rounds.rules import BallotKind
from pb_app.voting.ballots import Choices
from voting.builders import project_ids, resident, voting_round
from voting.helpers import counts, vote
from voting.strategies import PROJECTS, ROUND_PARAMS, RULES, defect, valid_ballot

FIXTURES_PER_TEST = settings(max_examples=15, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


def translate(fields: MultiDict, ids: dict[str, str]) -> MultiDict:
    """The form with the strategies' project ids ("11".."15") replaced by the round's."""
    def swap(text: str) -> str:
        return ids.get(text, text)
    return MultiDict([(f"points-{swap(k[7:])}" if k.startswith("points-") else k, swap(v))
                      for k, v in fields.items(multi=True)])


def stored_as(choices: Choices, ballot_type: str):
    """Choices compared without regard to the order of ids that sort differently as strings."""
    if ballot_type == BallotKind.ORDINAL:
        return choices.projects
    return dict(zip(choices.projects, choices.points or [1] * len(choices.projects),
                    strict=True))


@pytest.mark.parametrize("ballot_type", list(RULES))
@FIXTURES_PER_TEST
@given(data=st.data())
def test_every_ballot_type_accepts_valid_and_refuses_defective_ballots(
        client, sign_in, eildon, ballot_type, data):
    round_ = voting_round(eildon, ballot_type=ballot_type, ballot_params=ROUND_PARAMS[ballot_type])
    ids = dict(zip(PROJECTS, project_ids(round_), strict=True))
    fields, expected = data.draw(valid_ballot(ballot_type))
    broken = data.draw(defect(ballot_type))(fields)
    sign_in(resident("Voter", "TD1 3AB", date(1980, 1, 1)))
    before = counts(round_.id)
    refused = client.post(f"/rounds/{round_.id}/vote/review", data=translate(broken, ids))
    assert refused.status_code == 422, refused.get_data(as_text=True)[-800:]
    assert "There is a problem" in refused.get_data(as_text=True)
    assert client.post(f"/rounds/{round_.id}/vote/confirm").status_code == 422
    assert counts(round_.id) == before
    accepted = vote(client, round_.id, list(translate(fields, ids).items(multi=True)))
    assert accepted.status_code == 200
    assert counts(round_.id) == (before[0] + 1, before[1] + 1)
    translated = Choices(tuple(ids[p] for p in expected.projects), expected.points)
    assert stored_as(translated, ballot_type) in [
        stored_as(choices, ballot_type) for _, choices in peek(round_)]


EXAMPLES = {
    "approval": [("project", "11"), ("project", "12")],
    "knapsack": [("project", "11"), ("project", "12")],
    "cumulative": [("points-11", "4"), ("points-13", "6")],
    "scoring": [("points-12", "5"), ("points-15", "1")],
    "ordinal": [("rank-1", "14"), ("rank-2", "11")],
}
WIDGETS = {"approval": 'type="checkbox"', "knapsack": 'type="checkbox"',
           "cumulative": 'name="points-', "scoring": 'name="points-', "ordinal": 'name="rank-3"'}


@pytest.mark.parametrize("ballot_type", list(RULES))
def test_each_ballot_type_is_shown_reviewed_and_can_be_changed(client, sign_in, eildon,
                                                                ballot_type):
    round_ = voting_round(eildon, ballot_type=ballot_type, ballot_params=ROUND_PARAMS[ballot_type])
    ids = dict(zip(PROJECTS, project_ids(round_), strict=True))
    sign_in(resident("Voter", "TD1 3AB", date(1980, 1, 1)))
    page = client.get(f"/rounds/{round_.id}/vote/ballot").get_data(as_text=True)
    assert WIDGETS[ballot_type] in page
    assert page.count("Project ") >= 5
    fields = translate(MultiDict(EXAMPLES[ballot_type]), ids)
    review = client.post(f"/rounds/{round_.id}/vote/review", data=fields).get_data(as_text=True)
    assert "Check your choices" in review
    for name, value in fields.items(multi=True):
        assert f'name="{name}" value="{value}"' in review
    back = client.post(f"/rounds/{round_.id}/vote/ballot", data=fields).get_data(as_text=True)
    kept = {"approval": " checked>", "knapsack": " checked>", "ordinal": " selected>"}
    if ballot_type in kept:
        assert back.count(kept[ballot_type]) == 2
    else:
        for name, value in fields.items(multi=True):
            assert f'name="{name}" type="text" inputmode="numeric" value="{value}"' in back
    assert counts(round_.id) == (0, 0)


def order_seen(client, round_id: int) -> list[str]:
    """The project titles in the order the ballot page shows them."""
    page = client.get(f"/rounds/{round_id}/vote/ballot").get_data(as_text=True)
    return re.findall(r'for="project-\d+">(Project \d)', page)


def test_each_voter_sees_their_own_random_order_unless_the_round_fixes_it(client, sign_in,
                                                                          approval_round):
    orders = []
    for number in range(4):
        sign_in(resident(f"Reader {number}", "TD1 3AB", date(1980, 1, 1)))
        first = order_seen(client, approval_round.id)
        assert order_seen(client, approval_round.id) == first
        assert sorted(first) == [f"Project {n}" for n in range(1, 6)]
        orders.append(tuple(first))
    assert len(set(orders)) > 1
    approval_round.is_ballot_order_fixed = True
    db.session.commit()
    assert order_seen(client, approval_round.id) == [f"Project {n}" for n in range(1, 6)]
