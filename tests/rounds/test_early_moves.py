"""Moving a round on before its advertised date takes a second press that names that date,
on the round's page and on the voting page alike; a move at or after its date takes one."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from voting.builders import lead_of, place, voting_round

from pb_app.audit.models import AuditEntry
from pb_app.extensions import db
from pb_app.moments import when
from pb_app.rounds.early import how_early
from pb_app.rounds.models import Phase
from rounds.fixtures import confirmed_early, live_round


def _moves() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.like("round.phase.%")))


def _second_press(page: str) -> dict[str, str]:
    """The hidden fields the question's button sends."""
    return dict(re.findall(r'<input[^>]*name="(target|confirmed_for)"[^>]*value="([^"]*)"',
                           page))


@pytest.fixture
def in_voting():
    """A round in voting that is advertised to close at 20:00 ten days from now."""
    return voting_round(place("Teviot", "TD9"))


@pytest.mark.parametrize("button", ["voting page", "round page"])
def test_closing_voting_days_early_asks_first_and_the_first_press_moves_nothing(
        client, sign_in, in_voting, button):
    sign_in(lead_of(in_voting.locality))
    before = _moves()
    action = (f"/rounds/{in_voting.id}/voting/close" if button == "voting page"
              else f"/rounds/{in_voting.id}/advance")
    asked = client.post(action, data={"target": "closed"}, follow_redirects=True)
    page = asked.text
    # The first press leads to the question (so Back never re-sends a form).
    assert [step.status_code for step in asked.history] == [303]
    assert asked.status_code == 200
    assert '<h1 class="govuk-heading-l">Close voting early?</h1>' in page
    closes = in_voting.voting_close_at  # 8pm, ten days from now
    assert (f"Voting is advertised to stay open until {when(closes, closing=True)}. If you "
            f"close it now, {how_early(closes - datetime.now(UTC))}, nobody can vote after "
            "this, on any channel.") in page
    assert "8pm on" in page or "9pm on" in page  # 20:00 UTC, in UK time
    assert f'action="{action}"' in page
    button_html = r'<button[^>]*govuk-button--warning[^>]*>\s*Close voting now\s*</button>'
    assert re.search(button_html, page)
    back = f"/rounds/{in_voting.id}" + ("/voting" if button == "voting page" else "")
    assert f'href="{back}">Cancel: keep to the advertised date</a>' in page
    db.session.expire_all()
    assert (in_voting.phase, _moves()) == ("voting", before)
    closed = client.post(action, data=_second_press(page))
    assert closed.status_code == 302
    db.session.expire_all()
    assert (in_voting.phase, _moves()) == ("closed", before + 1)


def test_a_confirmation_for_another_date_asks_again(client, sign_in, in_voting):
    sign_in(lead_of(in_voting.locality))
    stale = confirmed_early(in_voting)
    in_voting.voting_close_at += timedelta(days=1)  # the date changed meanwhile
    db.session.commit()
    again = client.post(f"/rounds/{in_voting.id}/voting/close", data=stale,
                        follow_redirects=True)
    assert again.status_code == 200 and "Close voting early?" in again.text
    db.session.expire_all()
    assert in_voting.phase == "voting"


def test_with_no_date_advertised_one_press_closes(client, sign_in, in_voting):
    in_voting.voting_close_at = None
    db.session.commit()
    sign_in(lead_of(in_voting.locality))
    assert client.post(f"/rounds/{in_voting.id}/voting/close").status_code == 302
    db.session.expire_all()
    assert in_voting.phase == "closed"


def test_closing_proposals_and_opening_voting_early_ask_too(client, sign_in, eildon, lead,
                                                              resident, box_keys):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    sign_in(lead)
    asked = client.post(f"/rounds/{round_.id}/advance", data={"target": "review"},
                        follow_redirects=True)
    assert "Close proposals early?" in asked.text and "29 days early" in asked.text
    assert "nobody can put a proposal forward after this" in asked.text
    assert client.post(f"/rounds/{round_.id}/advance",
                       data=_second_press(asked.text)).status_code == 302
    db.session.expire_all()
    assert round_.phase == "review"
    asked = client.post(f"/rounds/{round_.id}/advance", data={"target": "voting"})
    # Not ready: what stops it is said first, on the round's page, with no question.
    assert asked.status_code == 409 and "Open voting early?" not in asked.text
    assert "cannot move on yet" in asked.text


def test_an_early_move_out_of_turn_or_by_someone_else_is_refused_not_asked(
        client, sign_in, in_voting, other_lead, resident):
    db.session.commit()  # a refusal rolls back to here
    for user, status in ((other_lead, 403), (resident, 403)):
        sign_in(user)
        assert client.post(f"/rounds/{in_voting.id}/voting/close").status_code == status
        assert client.post(f"/rounds/{in_voting.id}/advance",
                           data={"target": "closed"}).status_code == status
    sign_in(lead_of(in_voting.locality))
    wrong = client.post(f"/rounds/{in_voting.id}/advance", data={"target": "counted"})
    assert wrong.status_code == 409 and "early?" not in wrong.text
    db.session.expire_all()
    assert in_voting.phase == "voting"


@pytest.mark.parametrize(("ahead", "said"), [
    (timedelta(days=13, hours=23), "13 days early"), (timedelta(days=1), "1 day early"),
    (timedelta(hours=5, minutes=59), "5 hours early"), (timedelta(minutes=1), "1 minute early"),
    (timedelta(seconds=59), "less than a minute early"),
])
def test_how_early_is_said_in_the_largest_whole_unit(ahead, said):
    assert how_early(ahead) == said


def test_the_move_records_the_date_it_went_ahead_of_and_a_stale_second_press_says_so(
        client, sign_in, in_voting):
    sign_in(lead_of(in_voting.locality))
    advertised = in_voting.voting_close_at
    assert client.post(f"/rounds/{in_voting.id}/advance",
                       data={"target": "closed", **confirmed_early(in_voting)}).status_code == 302
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.phase.closed")).one()
    assert json.loads(entry.after_json) == {"by": "lead", "phase": "closed",
                                            "advertised": advertised.isoformat()}
    # The same button pressed again from a tab opened before the move:
    again = client.post(f"/rounds/{in_voting.id}/advance", data={"target": "closed"},
                        follow_redirects=True)
    assert again.status_code == 200
    assert f"{in_voting.title} is already: voting closed." in again.text


def test_the_question_once_answered_leads_back_and_is_only_for_the_rounds_leads(
        client, sign_in, in_voting, other_lead):
    db.session.commit()  # a refusal rolls back to here
    question = f"/rounds/{in_voting.id}/early/closed?place=voting"
    sign_in(other_lead)
    assert client.get(question).status_code == 403
    sign_in(lead_of(in_voting.locality))
    assert "Close voting early?" in client.get(question).text
    assert client.get(f"/rounds/{in_voting.id}/early/counted?place=voting").status_code == 302
    assert client.get(f"/rounds/{in_voting.id}/early/closed?place=elsewhere").status_code == 404
    client.post(f"/rounds/{in_voting.id}/voting/close", data=confirmed_early(in_voting))
    back = client.get(question)  # the Back button, after closing
    assert back.status_code == 302 and back.location == f"/rounds/{in_voting.id}/voting"
