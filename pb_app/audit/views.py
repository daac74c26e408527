"""The audit trail page for finance officers and administrators."""

from __future__ import annotations

from flask import Blueprint, request

from pb_app.accounts.decorators import role_required
from pb_app.accounts.models import ADMINISTRATOR, FINANCE_OFFICER
from pb_app.accounts.services import full_names
from pb_app.audit.forms import VerifyForm
from pb_app.audit.services import (
    checkpoint_of,
    current_checkpoint,
    entries_page,
    page_boundaries,
    verify_chain,
)
from pb_app.web.layout import add_navigation_link, database_id, form_page

bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/audit")
bp.add_app_template_global(checkpoint_of, "audit_checkpoint_of")
add_navigation_link(bp, "Audit trail", "audit.index", role=FINANCE_OFFICER)


def _page(form: VerifyForm, report=None):
    """The filtered page of entries, the chain's current end, and the verdict if asked for."""
    round_id = request.args.get("round", type=database_id)
    actor_id = request.args.get("actor", type=database_id)
    before, after = page_boundaries(request.args.get("before"), request.args.get("after"))
    found = entries_page(round_id=round_id, actor_id=actor_id, before=before, after=after)
    filters = {key: value for key, value in (("round", round_id), ("actor", actor_id)) if value}
    return form_page("audit/index.html", form, found=found, filters=filters, round_id=round_id,
                     actor_id=actor_id, names=full_names(entry.actor_id for entry in found.entries),
                     end=current_checkpoint(), report=report)


@bp.get("/")
@role_required(FINANCE_OFFICER, ADMINISTRATOR)
def index():
    """The newest audit entries, a page at a time, filtered by round and actor."""
    return _page(VerifyForm())


@bp.post("/verify")
@role_required(FINANCE_OFFICER, ADMINISTRATOR)
def verify():
    """Recompute the whole chain now and show the verdict above the entries."""
    form = VerifyForm()
    if not form.validate_on_submit():
        return _page(form)
    return _page(form, verify_chain(form.parsed))
