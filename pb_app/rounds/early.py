"""Moving a round on before its advertised date: one more question, whichever page the lead
moves it from (the round's page, or "Close voting now" on the voting page).

Residents were told when proposals close and when voting opens and closes. A lead may move
a round on sooner, but not by one stray click: the first press shows what moving early
means, and only a second press that names the same advertised moment moves it. If the date
changes in between, the lead is asked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template

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


def early_move_page(round_: Round, target: Phase, confirmed_for: str | None, now: datetime, *,
                    action: str, back: str):
    """The page that asks a lead to confirm moving ``round_`` on to ``target`` before its
    advertised date, or None when the move may go ahead: no date is advertised, it has
    passed, or the lead confirmed this very date (``confirmed_for``).

    ``action`` is the address the confirmation posts to and ``back`` the one to cancel to.
    """
    moment = scheduled_move(round_)
    move = EARLY_MOVES.get(target)
    if (move is None or target is not round_.current_phase.next or moment is None
            or moment <= now or confirmed_for == stamp(moment)):
        return None  # moving on is up to move_round, which refuses a move out of turn
    consequence = move.consequence.format(
        when=when(moment, closing=target is not Phase.VOTING), early=how_early(moment - now))
    form = AdvanceForm(formdata=None, target=target.value, confirmed_for=stamp(moment))
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
