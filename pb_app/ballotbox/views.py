"""Pages for key holders: set up a key or a recovery key, and open a round's box for the count."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from pb_app.accounts.decorators import role_required
from pb_app.accounts.models import ADMINISTRATOR, FINANCE_OFFICER
from pb_app.accounts.services import today
from pb_app.ballotbox import services
from pb_app.ballotbox.cli import ballot_box_cli
from pb_app.ballotbox.forms import KeyHolderForm, open_box_form
from pb_app.extensions import db
from pb_app.rounds.services import get_visible_round
from pb_app.web.layout import ButtonForm, add_navigation_link, attempt, form_page, refused_form_page

bp = Blueprint("ballotbox", __name__, template_folder="templates", cli_group=None)
bp.cli.add_command(ballot_box_cli)
add_navigation_link(bp, "Ballot box keys", "ballotbox.keys", role=FINANCE_OFFICER)


def _keys_context() -> dict:
    return {"holders": services.active_key_holders(), "threshold": services.threshold(),
            "button": ButtonForm(), "own_key": services.held_key(current_user)}


@bp.route("/ballot-box/keys", methods=["GET", "POST"])
@role_required(FINANCE_OFFICER, ADMINISTRATOR)
def keys():
    """The key holders, and the form to become one."""
    form = KeyHolderForm()
    if form.validate_on_submit():
        with attempt() as adding:
            services.add_key_holder(current_user, form.passphrase.data, form.confirmation.data)
        if adding.refusal:
            return refused_form_page("ballotbox/keys.html", form, adding.refusal,
                                     form.passphrase, **_keys_context())
        db.session.commit()
        flash("Your key is set up. Keep your passphrase safe: nobody can reset it.", "success")
        return redirect(url_for("ballotbox.keys"))
    return form_page("ballotbox/keys.html", form, **_keys_context())


@bp.post("/ballot-box/recovery-key")
@role_required(FINANCE_OFFICER, ADMINISTRATOR)
def recovery_key():
    """Make a printed recovery key and show its code, once."""
    with attempt() as making:
        code = services.make_recovery_key(current_user, today())
    if making.refusal:  # the page's own form carries the refusal to its summary
        return refused_form_page("ballotbox/keys.html", KeyHolderForm(formdata=None),
                                 making.refusal, **_keys_context())
    db.session.commit()
    response = render_template("ballotbox/recovery_key.html", code=code)
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/ballot-box/keys/<int:holder_id>/retire", methods=["GET", "POST"])
@role_required(FINANCE_OFFICER, ADMINISTRATOR)
def retire(holder_id: int):
    """Confirm, then stop using a key holder for ballot boxes sealed from now on."""
    holder = services.get_key_holder(holder_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        return form_page("ballotbox/retire.html", form, holder=holder,
                         holders=services.active_key_holders(), threshold=services.threshold())
    services.retire_key_holder(current_user, holder, datetime.now(UTC))
    db.session.commit()
    flash(f"{holder.label} will not be given shares of new ballot boxes.", "success")
    return redirect(url_for("ballotbox.keys"))


@bp.route("/rounds/<int:round_id>/ballot-box", methods=["GET", "POST"])
@login_required
def open_box(round_id: int):
    """The round's ballot box: sealed or opened; key holders open it once voting has closed."""
    round_ = get_visible_round(round_id, current_user)
    services.check_can_open(current_user, round_)
    box = services.get_box(round_)
    holders = [share.holder for share in box.shares] if box else []
    form = open_box_form(holders)
    page = {"round": round_, "box": box, "sealed": services.sealed_count(round_),
            "opening": services.opening_figures(box) if box and box.is_open else {}}
    if form.validate_on_submit():
        with attempt() as opening:
            opened = services.open_box(round_, current_user, form.passphrases(),
                                       datetime.now(UTC))
        if refusal := opening.refusal:  # a wrong passphrase goes on its own field
            field = getattr(form, f"holder_{getattr(refusal, 'holder_id', '')}", None)
            return refused_form_page("ballotbox/open.html", form, refusal, field, **page)
        db.session.commit()
        flash(f"The ballot box is open: {opened} ballots are ready to count.", "success")
        return redirect(url_for("results.count_page", round_id=round_.id))
    return form_page("ballotbox/open.html", form, **page)
