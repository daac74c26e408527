"""Forms of the results pages: every POST, even a bare button, carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea
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

from pb_app.results.models import ENTRY_KINDS, Delivery


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


class ReturnForm(FlaskForm):
    """Return a count to the group lead with a reason."""

    reason = TextAreaField(
        "Why are you returning this result?",
        validators=[DataRequired("Enter the reason for returning this result"), Length(max=2000)],
    )
    submit = SubmitField("Return to the group lead")


class WithdrawForm(FlaskForm):
    """A lead withdraws a project on the ballot from the count, after the vote, with why."""

    project = SelectField("Project", widget=GovSelect(), validate_choice=False,
                          validators=[DataRequired("Choose the project to withdraw")])
    reason = TextAreaField(
        "Why is it withdrawn?",
        description="For example: the hall it needed has closed. Everyone who reads the result "
                    "sees this.",
        widget=GovTextArea(),
        validators=[DataRequired("Say why the project is withdrawn"), Length(max=500)],
    )
    submit = SubmitField("Withdraw from the count", widget=GovSubmitInput())


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
