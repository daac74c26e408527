"""``flask accounts ...``: give the first administrator their role."""

from __future__ import annotations

import click

from pb_app.accounts import services
from pb_app.errors import DomainError
from pb_app.extensions import db


@click.command("make-admin")
@click.argument("email")
def make_admin_command(email: str) -> None:
    """Make the registered user with EMAIL an administrator (for a new installation)."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the email address {email}: register first")
    try:
        services.make_first_administrator(user)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{user.email} is now an administrator.")
