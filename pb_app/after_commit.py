"""Work that may happen only once the change it belongs to is saved, such as writing an email to
the log or deleting a removed photo's files.

``after_commit(action, what)`` runs ``action()`` when the transaction it is called in commits.
The action is forgotten if that transaction (or the savepoint it was called in) rolls back. It
runs after the data is saved, so a failure is logged, never raised: a saved change must not
turn into an error page.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from pb_app.extensions import db

WAITING_KEY = "pb_app.after_commit"


def after_commit(action: Callable[[], None], what: str, session: Session | None = None) -> None:
    """Run ``action`` once the current transaction of ``session`` (the app's by default)
    commits; ``what`` names it in the log if it fails."""
    session = session or db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(WAITING_KEY, []).append((transaction, action, what))


@event.listens_for(Session, "after_commit")
def _run_committed(session: Session) -> None:
    """Run what waited for this commit, in the order it was asked for."""
    for _, action, what in session.info.pop(WAITING_KEY, []):
        try:
            action()
        except Exception:  # the change is saved: log the failure, never raise it
            current_app.logger.exception("Could not %s", what)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Forget what was asked for in a transaction (or savepoint) that rolled back."""
    waiting = session.info.get(WAITING_KEY)
    if waiting:
        session.info[WAITING_KEY] = [
            item for item in waiting if not _inside(item[0], previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _drop_unsaved(session: Session, transaction: SessionTransaction) -> None:
    """Forget what still waits when the whole transaction ends unsaved (a closed session); a
    commit has already run it."""
    if transaction.parent is None:
        session.info.pop(WAITING_KEY, None)


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    """True if ``transaction`` is ``outer`` or one of the savepoints within it."""
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
