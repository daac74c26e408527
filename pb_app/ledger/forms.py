"""Forms of the ledger's pages: its filter, a spend line or return, a project's delivery status
and a public delivery update. Every POST carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovSelect, GovSubmitInput
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from pb_app.ledger.models import ENTRY_KINDS, MAX_NOTE, Delivery


class LedgerFilterForm(FlaskForm):
    """The ledger's financial year and locality (a GET form, so no CSRF token)."""

    class Meta:
        csrf = False

    year = SelectField("Financial year", widget=GovSelect())
    locality = SelectField("Locality", widget=GovSelect())

    def offer(self, years: list[tuple[int, str]], localities: list[tuple[int, str]]) -> None:
        """Fill the lists: every year and locality that has allocations, after "All"."""
        everything = SelectChoice("", "All")
        self.year.choices = [everything] + [SelectChoice(str(v), text) for v, text in years]
        self.locality.choices = [everything] + [
            SelectChoice(str(v), text) for v, text in localities
        ]


class EntryForm(FlaskForm):
    """A spend line or funds returned against an allocation."""

    kind = RadioField(
        "What is this?",
        choices=[SelectChoice(k, v) for k, v in ENTRY_KINDS.items()],
        validators=[DataRequired("Choose spend or funds returned")],
    )
    description = StringField("What was it for?", validators=[Optional(), Length(max=200)])
    amount = StringField("Amount in pounds", validators=[Optional()])
    entry_on = DateField("Date", validators=[DataRequired("Enter the date as YYYY-MM-DD")])
    submit = SubmitField("Add to the ledger")


class DeliveryForm(FlaskForm):
    """A funded project's delivery status."""

    status = RadioField(
        "Delivery status",
        choices=[SelectChoice(d.value, d.label) for d in Delivery],
        validators=[DataRequired("Choose a delivery status")],
    )
    submit = SubmitField("Save delivery status")


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
