"""Forms for personal data, rendered with the GOV.UK Frontend widgets."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput
from wtforms.fields import PasswordField, SubmitField
from wtforms.validators import InputRequired


class CloseAccountForm(FlaskForm):
    """Close the signed-in account, confirmed with its password."""

    password = PasswordField(
        "Your password", description="Enter the password you sign in with, to confirm.",
        widget=GovPasswordInput(), validators=[InputRequired("Enter your password")])
    submit = SubmitField("Close my account", widget=GovSubmitInput())
