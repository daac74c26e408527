"""Moments of a round (when proposals and voting open and close) as people in the UK read
them: in UK time, the way GOV.UK writes times."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def closing_day(moment: datetime) -> date:
    """The UK day of the last minute before ``moment``: the day something that closes at
    ``moment`` closes (a close at midnight closes at the end of the day before)."""
    return (moment.astimezone(UK) - timedelta(minutes=1)).date()


def when(moment: datetime | None, *, closing: bool = False) -> str:
    """A round's moment in UK time, as GOV.UK writes times: "8pm on 17 December 2026", or
    just the day for a moment at midnight. A ``closing`` moment at midnight is the minute
    before, "11:59pm on 25 December 2026", so nobody reads "until 26 December" as including
    the 26th. Empty for None."""
    if moment is None:
        return ""
    local = moment.astimezone(UK)
    at_midnight = (local.hour, local.minute) == (0, 0)
    if at_midnight and not closing:
        return f"{local.day} {local:%B %Y}"
    if at_midnight:
        local -= timedelta(minutes=1)
    hour = f"{local.hour % 12 or 12}" + (f":{local.minute:02d}" if local.minute else "")
    return f"{hour}{'am' if local.hour < 12 else 'pm'} on {local.day} {local:%B %Y}"
