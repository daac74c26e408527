"""The form of a delivery update on a funded project's ledger page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovSubmitInput
from wtforms import DateField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from pb_app.results.delivery import MAX_NOTE


class DeliveryUpdateForm(FlaskForm):
    """A dated public note: what has happened with the project."""

    noted_on = DateField("Date of the update",
                         description="As YYYY-MM-DD, for example 2026-11-30.",
                         validators=[DataRequired("Enter the date as YYYY-MM-DD")])
    note = TextAreaField(
        "Update for the public", widget=GovCharacterCount(),
        description="Everyone can read this on the round's results page. Say what has happened,"
        " in plain words, for example: \u201cThe lunch club opened in May and 30 people now come"
        " each week.\u201d Do not name residents.")
    submit = SubmitField("Add the update", widget=GovSubmitInput())

    max_note = MAX_NOTE
