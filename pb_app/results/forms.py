"""Forms of the results pages: every POST, even a bare button, carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from pb_app.results.models import ENTRY_KINDS, Delivery


class ReturnForm(FlaskForm):
    """Return a count to the group lead with a reason."""

    reason = TextAreaField(
        "Why are you returning this result?",
        validators=[DataRequired("Enter the reason for returning this result"), Length(max=2000)],
    )
    submit = SubmitField("Return to the group lead")


class ReceiptForm(FlaskForm):
    """Check a receipt code against the published ballots."""

    code = StringField("Your receipt code", validators=[DataRequired("Enter your receipt code")])
    submit = SubmitField("Check my ballot")


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
