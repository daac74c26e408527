"""Forms of the results pages: every POST, even a bare button, carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea
from wtforms import (
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length


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
