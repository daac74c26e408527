"""Demo key holders: the demo finance officer, and a printed recovery key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from pb_app.accounts.models import User
from pb_app.ballotbox.services import add_key_holder, make_recovery_key
from pb_app.extensions import db

DEMO_FINANCE_EMAIL = "finance@example.org"
DEMO_PASSPHRASE = "demo-key-passphrase"


def load_demo(echo: Callable[[str], None]) -> None:
    """Make the demo finance officer a key holder, and one recovery key, before voting opens."""
    finance = db.session.scalar(select(User).where(User.email == DEMO_FINANCE_EMAIL))
    add_key_holder(finance, DEMO_PASSPHRASE, DEMO_PASSPHRASE)
    code = make_recovery_key(finance, datetime.now(UTC).date())
    echo(f"Ballot box key holders: {DEMO_FINANCE_EMAIL} (passphrase {DEMO_PASSPHRASE}) "
         f"and a recovery key ({code})")
