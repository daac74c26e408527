"""Demo key holders: the finance officer (and, where two must open a box, the administrator)
with one passphrase, and a printed recovery key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from pb_app.accounts.models import User
from pb_app.ballotbox.models import KeyHolder
from pb_app.ballotbox.services import add_key_holder, make_recovery_key, threshold
from pb_app.extensions import db

DEMO_HOLDER_EMAILS = ("finance@example.org", "admin@example.org")
DEMO_PASSPHRASE = "demo-key-passphrase"


def load_demo(echo: Callable[[str], None]) -> None:
    """Make as many demo staff key holders as it takes to open a box, and a recovery key,
    before voting opens."""
    emails = DEMO_HOLDER_EMAILS[:threshold()]
    staff = [db.session.scalar(select(User).where(User.email == email)) for email in emails]
    for person in staff:
        add_key_holder(person, DEMO_PASSPHRASE, DEMO_PASSPHRASE)
    code = make_recovery_key(staff[0], datetime.now(UTC).date())
    echo(f"Ballot box key holders: {', '.join(emails)} (passphrase {DEMO_PASSPHRASE}) "
         f"and a recovery key ({code})")


def demo_passphrases() -> dict[int, str]:
    """The demo staff key holders' passphrases, by key holder id: enough to open a box."""
    holders = db.session.scalars(select(KeyHolder).join(User, KeyHolder.user_id == User.id)
                                 .where(User.email.in_(DEMO_HOLDER_EMAILS)))
    return {holder.id: DEMO_PASSPHRASE for holder in holders}
