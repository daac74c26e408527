"""Forms for voting. Ballot choices are read from the raw form by ``ballots.read_choices``;
these forms carry the CSRF token and the voter's or staff member's plain fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms.fields import (
    BooleanField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from pb_app.accounts.forms import PlainDateField
from pb_app.rounds.rules import Channel

MAX_BATCH_SIZE = 100_000  # far above any event, and well inside an INTEGER column


def _postcode_field(description: str) -> StringField:
    return StringField("Postcode", description=description, widget=GovTextInput(),
                       validators=[InputRequired("Enter a postcode")])


def _date_of_birth_field(description: str) -> PlainDateField:
    return PlainDateField("Date of birth", description=description, format="%d %m %Y",
                          widget=GovDateInput(),
                          validators=[InputRequired("Enter a date of birth")])


class BallotForm(FlaskForm):
    """A step of the ballot (choose, review): the choices travel as raw fields beside it."""

    submit = SubmitField("Continue", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """The final step: confirm the reviewed choices, optionally asking for the receipt by email."""

    email_receipt = BooleanField("Email my receipt code to me", widget=GovCheckboxInput())
    submit = SubmitField("Confirm my vote", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    """Vote with the code from a letter, without an account."""

    code = StringField(
        "Voting code",
        description="15 letters and numbers from your letter, like ABCDE-FGHJK-MNPQR.",
        widget=GovTextInput(), validators=[InputRequired("Enter the voting code from your letter"),
                                           Length(max=40, message="Voting codes are shorter")],
    )
    postcode = _postcode_field("The postcode of the address the letter was sent to.")
    date_of_birth = _date_of_birth_field("For example, 27 3 1958. Some votes have a minimum age.")
    submit = SubmitField("Continue", widget=GovSubmitInput())


class DeskVoterForm(FlaskForm):
    """Staff at an event check a person before giving them a ballot paper or entering their
    ballot with them."""

    full_name = StringField("Full name", widget=GovTextInput(), validators=[
        InputRequired("Enter the voter's full name"), Length(max=200)])
    postcode = _postcode_field("The voter's home postcode.")
    date_of_birth = _date_of_birth_field("For example, 27 3 1958.")
    channel = RadioField("How is this person voting?", widget=GovRadioInput(),
                         choices=[
                             SelectChoice(Channel.PAPER,
                                          "On a ballot paper, keyed later with its batch"),
                             SelectChoice(Channel.ASSISTED,
                                          "On this screen, with help from staff")],
                         validators=[InputRequired("Choose how the person is voting")])
    submit = SubmitField("Check and continue", widget=GovSubmitInput())


def _batch_count_field(label: str) -> IntegerField:
    """The number of ballots in a paper batch: a whole number from 0 to MAX_BATCH_SIZE."""
    return IntegerField(
        label, widget=GovTextInput(),
        invalid_value_message="Enter the number of ballots, as a whole number",
        validators=[InputRequired("Enter the number of ballots, as a whole number"),
                    NumberRange(min=0, message="The number cannot be negative"),
                    NumberRange(max=MAX_BATCH_SIZE,
                                message=f"A batch holds at most {MAX_BATCH_SIZE:,} ballots")],
    )


class PaperBatchForm(FlaskForm):
    """Open a batch of paper ballots with the count written on it."""

    label = StringField("Batch label", description="For example, Galashiels Library, 12 March.",
                        widget=GovTextInput(), validators=[InputRequired("Enter a label"),
                                                           Length(max=120)])
    declared_count = _batch_count_field("Number of ballots in the batch")
    submit = SubmitField("Add batch", widget=GovSubmitInput())


class BatchCorrectionForm(FlaskForm):
    """Correct the count written on a batch, after recounting the ballots in it."""

    declared_count = _batch_count_field("Number of ballots in the batch, recounted")
    reason = TextAreaField(
        "Why does the count change?",
        description="For example: recounted by two staff on 14 March; the batch holds 48, "
                    "not 50. The finance officer who signs the result off sees this.",
        widget=GovTextArea(),
        validators=[InputRequired("Enter why the count changes"), Length(max=1000)],
    )
    submit = SubmitField("Correct the count", widget=GovSubmitInput())


class VotingCodesForm(FlaskForm):
    """Make a batch of voting codes and download them as letters."""

    count = IntegerField("How many codes?", widget=GovTextInput(),
                         invalid_value_message="Enter how many codes to make, as a whole number",
                         validators=[
        InputRequired("Enter how many codes to make, as a whole number"),
        NumberRange(min=1, max=5000, message="Make between 1 and 5000 codes at a time")])
    submit = SubmitField("Make codes and download letters", widget=GovSubmitInput())


class ReceiptForm(FlaskForm):
    """Check that the ballot a receipt code names is recorded."""

    receipt = StringField("Receipt code", description="20 letters and numbers, in four groups.",
                          widget=GovTextInput(), validators=[
                              InputRequired("Enter the receipt code you were given"),
                              Length(max=60, message="Receipt codes are shorter")])
    submit = SubmitField("Check", widget=GovSubmitInput())
