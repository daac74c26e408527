"""Moving a round on before its advertised date: one more question, whichever page the lead
moves it from (the round's page, or "Close voting now" on the voting page).

Residents were told when proposals close and when voting opens and closes. A lead may move
a round on sooner, but not by one stray click: the first press leads to a page that says
what moving early means, and only a second press that names the same advertised moment
moves it. If the date changes in between, the lead is asked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template, url_for

from pb_app.moments import when
from pb_app.rounds.forms import AdvanceForm
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.services import scheduled_move


@dataclass(frozen=True)
class EarlyMove:
    """What the question says for one kind of early move."""

    heading: str
    consequence: str
    button: str


EARLY_MOVES = {
    Phase.REVIEW: EarlyMove(
        "Close proposals early?",
        "Proposals are advertised as open until {when}. If you close them now, {early}, "
        "nobody can put a proposal forward after this.",
        "Close proposals now"),
    Phase.VOTING: EarlyMove(
        "Open voting early?",
        "Voting is advertised to open from {when}. If you open it now, {early}, the ballot box "
        "is sealed, the ballot can no longer change, and everyone who asked is emailed that "
        "voting is open.",
        "Open voting now"),
    Phase.CLOSED: EarlyMove(
        "Close voting early?",
        "Voting is advertised to stay open until {when}. If you close it now, {early}, "
        "nobody can vote after this, on any channel. Closing cannot be undone.",
        "Close voting now"),
}


def stamp(moment: datetime) -> str:
    """The advertised moment as a lead's confirmation names it (seconds since the epoch)."""
    return str(int(moment.timestamp()))


# The pages a lead moves a round on from: (the page, the address its button posts to).
PLACES = {"round": ("rounds.show", "rounds.advance"), "voting": ("voting.manage", "voting.close")}


def needs_confirming(round_: Round, target: Phase, confirmed_for: str | None,
                     now: datetime) -> bool:
    """Whether moving ``round_`` on to ``target`` now must be confirmed first: it is the next
    phase, a date is advertised for it, that date is still to come, and ``confirmed_for``
    does not name it. (A move out of turn is left to ``move_round``, which refuses it.)"""
    moment = scheduled_move(round_)
    return (target in EARLY_MOVES and target is round_.current_phase.next
            and moment is not None and moment > now and confirmed_for != stamp(moment))


def question_address(round_: Round, target: Phase, place: str) -> str:
    """The address of the question about moving ``round_`` on early from ``place``: the
    first press redirects there, so the browser's Back button never re-sends a form."""
    return url_for("rounds.confirm_early", round_id=round_.id, target=target.value,
                   place=place)


def question_page(round_: Round, target: Phase, place: str, now: datetime):
    """The page asking a lead to confirm the early move, or None once it no longer needs
    confirming (it was made, or its date has come)."""
    if not needs_confirming(round_, target, None, now):
        return None
    moment = scheduled_move(round_)
    move = EARLY_MOVES[target]
    consequence = move.consequence.format(
        when=when(moment, closing=target is not Phase.VOTING), early=how_early(moment - now))
    form = AdvanceForm(formdata=None, target=target.value, confirmed_for=stamp(moment))
    back, action = (url_for(endpoint, round_id=round_.id) for endpoint in PLACES[place])
    return render_template("rounds/confirm_early.html", round_=round_, move=move,
                           consequence=consequence, form=form, action=action, back=back)


def how_early(ahead) -> str:
    """How far ahead of its date a move is, in the largest whole unit: "13 days early"."""
    minutes = int(ahead.total_seconds() // 60)
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'} early"
    return "less than a minute early"
