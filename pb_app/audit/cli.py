"""``flask audit verify`` and ``flask audit checkpoint``: hold the audit trail to account.

``verify`` exits 0 when the chain is intact, 1 when it has been tampered with (naming the
first problem), and 2 for bad input (naming the offending argument).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from pb_app.audit.services import (
    parse_checkpoint,
    parse_checkpoint_lines,
    record_checkpoint,
    verify_chain,
)
from pb_app.extensions import db

audit_cli = AppGroup("audit", help="The hash-chained audit trail.")


def _checkpoint_option(context: click.Context, parameter: click.Parameter,
                       values: tuple[str, ...]) -> list:
    """Read each ``--checkpoint`` value; a bad one is a usage error (exit 2) that names it."""
    try:
        return [parse_checkpoint(value) for value in values]
    except ValueError as error:
        raise click.BadParameter(str(error), context, parameter) from None


@audit_cli.command("verify")
@click.option("--checkpoint", "checkpoints", multiple=True, metavar="SEQUENCE:HASH",
              callback=_checkpoint_option,
              help="A published checkpoint to check the chain against (repeatable).")
@click.option("--checkpoint-file", "files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of checkpoints, one SEQUENCE:HASH a line (repeatable).")
def verify_command(checkpoints: list, files: tuple[Path, ...]) -> None:
    """Recompute every hash and MAC, and compare with every stored and given checkpoint.

    Exit 0 when intact, 1 naming the first problem, 2 for a bad argument.
    """
    for path in files:
        try:
            with path.open(encoding="utf-8") as lines:
                checkpoints += parse_checkpoint_lines(lines, str(path))
        except (ValueError, UnicodeDecodeError) as error:
            raise click.BadParameter(str(error), param_hint="'--checkpoint-file'") from None
    report = verify_chain(checkpoints)
    click.echo(report.describe())
    if not report.is_intact:
        raise SystemExit(1)
    if report.end is not None:
        click.echo(f"Checkpoint now: {report.end}")


@audit_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Store the chain's end as a checkpoint and print it as SEQUENCE:HASH.

    Keep what it prints somewhere the database's writers cannot reach (another host, a
    signed email), and give it to ``verify --checkpoint-file`` later.
    """
    checkpoint = record_checkpoint("command line")
    db.session.commit()
    click.echo(checkpoint.text)
