"""The audit trail page for finance officers and administrators."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from pb_app.accounts.decorators import role_required
from pb_app.accounts.models import ADMINISTRATOR, FINANCE_OFFICER
from pb_app.audit.services import actor_names, list_entries, verify_chain
from pb_app.layout import add_navigation_link, database_id

bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/audit")
add_navigation_link(bp, "Audit trail", "audit.index", role=FINANCE_OFFICER)


@bp.get("/")
@role_required(FINANCE_OFFICER, ADMINISTRATOR)
def index():
    """The newest audit entries, filtered by round and actor, with the chain's verdict."""
    round_id = request.args.get("round", type=database_id)
    actor_id = request.args.get("actor", type=database_id)
    entries = list_entries(round_id=round_id, actor_id=actor_id)
    return render_template("audit/index.html", entries=entries, round_id=round_id,
                           actor_id=actor_id, names=actor_names(entries), report=verify_chain())
