"""Forms for accounts, rendered with the GOV.UK Frontend widgets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms.fields import (
    DateField,
    EmailField,
    Field,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from pb_app.accounts import services
from pb_app.accounts.models import GRANTABLE_ROLES
from pb_app.errors import InvalidInput
from pb_app.localities.services import find_locality

EMAIL_HINT = "We use this to sign you in and to send you a link if you forget your password."


def strip_spaces(value: str | None) -> str | None:
    """Drop spaces around a typed value (pasted addresses often carry them)."""
    return value.strip() if value else value


def domain_check(check: Callable[[Any], object]) -> Callable:
    """A WTForms validator that runs a service's check, so each rule is written once."""

    def validate(form: FlaskForm, field: Field) -> None:
        if field.data is None:  # unparsable input: the field has said so already
            return
        try:
            check(field.data)
        except InvalidInput as error:
            raise ValidationError(error.message) from None

    return validate


def _check_date_of_birth(born: date) -> None:
    services.check_date_of_birth(born, services.today())


def _email_field(description: str = "") -> EmailField:
    return EmailField(
        "Email address", description=description, widget=GovTextInput(), filters=[strip_spaces],
        validators=[InputRequired("Enter your email address"),
                    Email("Enter an email address in the correct format, like name@example.com",
                          check_deliverability=False)],
    )


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(label, description="At least 10 characters.", widget=GovPasswordInput(),
                         validators=[InputRequired("Enter a password"),
                                     domain_check(services.check_password_strength)])


def _confirm_field() -> PasswordField:
    return PasswordField("Confirm password", widget=GovPasswordInput(), validators=[
        InputRequired("Enter the password again"),
        EqualTo("password", "The passwords do not match"),
    ])


class PlainDateField(DateField):
    """A day, month and year date field whose parsing error is in plain words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the three boxes; a date that does not exist gets a clear message."""
        if not valuelist:
            # Not sent at all: three empty boxes, which the widget can show again and a
            # required date's validator refuses with its own message.
            self.raw_data = ["", "", ""]
            return
        if len(valuelist) != 3:
            # Not sent by the page, which has day, month and year boxes: lay what came out in
            # three boxes again (the widget needs three), keeping it so no validator mistakes
            # it for an empty, optional date.
            self.raw_data = (list(valuelist) + ["", ""])[:3]
            raise ValueError(f"Enter {self.label.text.lower()} as a day, a month and a year")
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"{self.label.text} must be a real date, like 27 3 1958") from None


class RegisterForm(FlaskForm):
    """Create an account."""

    full_name = StringField("Full name", widget=GovTextInput(), validators=[
        InputRequired("Enter your full name"),
        Length(max=200, message="Use 200 characters or fewer"),
    ])
    email = _email_field(EMAIL_HINT)
    password = _new_password_field("Password")
    confirm = _confirm_field()
    submit = SubmitField("Create account", widget=GovSubmitInput())


class SignInForm(FlaskForm):
    """Sign in with email and password."""

    email = _email_field()
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class RegistrationPasswordForm(FlaskForm):
    """Confirm an email address from a browser other than the one that registered it."""

    password = PasswordField("Password", description="The password you chose when you created "
                             "your account.", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password")])
    submit = SubmitField("Confirm and continue", widget=GovSubmitInput())


class ProfileForm(FlaskForm):
    """Record where a resident lives and when they were born."""

    postcode = StringField(
        "Postcode", description="Your home postcode decides which locality you take part in.",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your postcode"), domain_check(find_locality)],
    )
    date_of_birth = PlainDateField(
        "Date of birth", description="For example, 27 3 1958. Some rounds have a minimum age.",
        format="%d %m %Y", widget=GovDateInput(),
        validators=[InputRequired("Enter your date of birth"), domain_check(_check_date_of_birth)],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class RequestResetForm(FlaskForm):
    """Ask for a password reset link."""

    email = _email_field()
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    """Choose a new password."""

    password = _new_password_field("New password")
    confirm = _confirm_field()
    submit = SubmitField("Set the new password", widget=GovSubmitInput())


class SecondFactorCodeForm(FlaskForm):
    """A code from the authenticator app (or a recovery code), to sign in or confirm."""

    code = StringField("Code", description="The 6-digit code your authenticator app shows now, "
                                           "or one of your recovery codes.",
                       widget=GovTextInput(), filters=[strip_spaces],
                       validators=[InputRequired("Enter the code"),
                                   Length(max=40, message="Codes are shorter than that")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SecondFactorRequirementForm(FlaskForm):
    """An administrator makes a second factor compulsory for staff, or optional."""

    required = SelectField("Second factor for staff", widget=GovSelect(), choices=[
        SelectChoice("no", "Optional: staff may set one up"),
        SelectChoice("yes", "Compulsory: staff must set one up before any staff page works"),
    ], validators=[InputRequired("Choose whether staff must have a second factor")])
    submit = SubmitField("Save", widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    """A bare button, so that signing out is a POST with a CSRF token."""

    submit = SubmitField("Sign out", widget=GovSubmitInput())


class GrantRoleForm(FlaskForm):
    """An administrator gives a user a staff role."""

    role = SelectField("Role", widget=GovSelect(),
                       choices=[SelectChoice("", "Choose a role"),
                                *(SelectChoice(*item) for item in GRANTABLE_ROLES.items())],
                       validators=[InputRequired("Choose a role")])
    locality = SelectField("Locality (group leads only)", widget=GovSelect(), choices=[],
                           validate_choice=True)
    submit = SubmitField("Grant role", widget=GovSubmitInput())


class RemoveRoleForm(FlaskForm):
    """A bare button to take a role away."""

    submit = SubmitField("Remove", widget=GovSubmitInput())
