"""The equalities questionnaire offered after voting, and its thank-you page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.monitoring.forms import QuestionnaireForm
from pb_app.monitoring.services import (
    minimum_age,
    read_ticket,
    record_response,
    skip_questionnaire,
)
from pb_app.web.layout import attempt, form_page, refused_form_page

bp = Blueprint("monitoring", __name__, url_prefix="/equalities", template_folder="templates")
TEMPLATE = "monitoring/questionnaire.html"


@bp.route("/<token>", methods=["GET", "POST"])
def questionnaire(token: str):
    """Show the optional questionnaire; store the answers, or record that it was skipped."""
    form = QuestionnaireForm()
    form.offer_ages_from(minimum_age(read_ticket(token)))
    if not form.validate_on_submit():
        return form_page(TEMPLATE, form)
    with attempt(InvalidInput) as recording:
        if form.skip.data:
            skip_questionnaire(token)
        else:
            record_response(token, form.answers(), form.postcode.data)
    if recording.refusal:
        return refused_form_page(TEMPLATE, form, recording.refusal)
    db.session.commit()
    return redirect(url_for("monitoring.thanks"))


@bp.route("/thank-you")
def thanks():
    """Thank the person, whether they answered or skipped."""
    return render_template("monitoring/thanks.html")
