"""Public pages about localities."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from pb_app.errors import InvalidInput
from pb_app.localities.cli import import_command
from pb_app.localities.services import find_locality, get_locality_by_slug, list_localities
from pb_app.rounds.models import Phase
from pb_app.rounds.services import list_rounds
from pb_app.web.layout import attempt

bp = Blueprint("localities", __name__, template_folder="templates", cli_group="localities")
bp.cli.add_command(import_command)

# What a resident can do in a round, by its phase, in the order the locality page shows them.
ROUNDS_NOW = {
    "voting": (Phase.VOTING,),
    "proposing": (Phase.PROPOSALS_OPEN,),
    "results": (Phase.PUBLISHED, Phase.ARCHIVED),
}


@bp.get("/")
def index():
    """The home page: what the service is and the localities it serves."""
    return render_template("localities/index.html", localities=list_localities())


@bp.get("/localities/find")
def find():
    """Go to the locality a postcode lies in, or back to the home page saying what is wrong."""
    postcode = request.args.get("postcode", "")
    with attempt(InvalidInput) as finding:
        locality = find_locality(postcode)
    if finding.refusal:
        return render_template("localities/index.html", localities=list_localities(),
                               postcode=postcode, postcode_error=finding.refusal.message), 422
    return redirect(url_for("localities.show", slug=locality.slug))


@bp.get("/localities/<slug>")
def show(slug: str):
    """A locality's page: its rounds taking votes or ideas now, its results, and every round."""
    locality = get_locality_by_slug(slug)
    rounds = [r for r in list_rounds(current_user) if r.locality_id == locality.id]
    by_use = {use: [r for r in rounds if r.current_phase in phases]
              for use, phases in ROUNDS_NOW.items()}
    return render_template("localities/show.html", locality=locality, rounds=rounds, **by_use)
