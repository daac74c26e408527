"""``flask audit verify``: recompute the audit chain from the database."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from pb_app.audit.services import verify_chain

audit_cli = AppGroup("audit", help="The hash-chained audit trail.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Recompute every hash; exit 0 when the chain is intact, 1 naming the first broken entry."""
    report = verify_chain()
    click.echo(report.describe())
    if not report.is_intact:
        raise SystemExit(1)
