"""A resident's own data: what is held, a JSON download, and closing the account."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from pb_app.accounts.tokens import DEVICE_COOKIE
from pb_app.extensions import db
from pb_app.privacy import forms, services
from pb_app.privacy.cli import purge_command
from pb_app.web.layout import attempt, download, form_page, refused_form_page

bp = Blueprint("privacy", __name__, url_prefix="/account", template_folder="templates",
               cli_group="data")
bp.cli.add_command(purge_command)


def _now() -> datetime:
    return datetime.now(UTC)


@bp.get("/data")
@login_required
def your_data():
    """What the service holds about the signed-in resident, with the download and closing links."""
    return render_template("privacy/your_data.html",
                           data=services.personal_data(current_user, _now()))


@bp.get("/data/download")
@login_required
def download_data():
    """The signed-in resident's data as a JSON file (never cached)."""
    data = services.personal_data(current_user, _now())
    body = json.dumps(data, indent=2, ensure_ascii=False)
    return download(body, "application/json", "your-data.json", private=True)


@bp.route("/close", methods=["GET", "POST"])
@login_required
def close():
    """Close the account after the password is confirmed, then sign out."""
    form = forms.CloseAccountForm()
    if form.validate_on_submit():
        with attempt() as closing:  # a wrong password is kept, to throttle guessing
            # The user itself, not the proxy: the audit entry records the subject's type.
            services.close_account(current_user._get_current_object(), form.password.data,
                                   request.remote_addr or "unknown", _now(),
                                   device_cookie=request.cookies.get(DEVICE_COOKIE))
        if closing.refusal:
            return refused_form_page("privacy/close.html", form, closing.refusal, form.password)
        db.session.commit()
        logout_user()
        flash("Your account is closed and you have been signed out.", "success")
        return redirect(url_for("localities.index"))
    return form_page("privacy/close.html", form)
