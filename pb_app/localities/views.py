"""Public pages about localities."""

from __future__ import annotations

from flask import Blueprint, render_template

from pb_app.localities.cli import import_command
from pb_app.localities.services import list_localities

bp = Blueprint("localities", __name__, template_folder="templates", cli_group="localities")
bp.cli.add_command(import_command)


@bp.get("/")
def index():
    """The home page: what the service is and the localities it serves."""
    return render_template("localities/index.html", localities=list_localities())
