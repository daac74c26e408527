"""Forms for keying paper batches: the keying rule, one sheet, a file of sheets."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms.fields import HiddenField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from pb_app.paper.models import KEYING_RULES


class KeyingRuleForm(FlaskForm):
    """How the batch is keyed: once, or twice by two people."""

    rule = RadioField("How will this batch be keyed?", widget=GovRadioInput(),
                      choices=[SelectChoice(rule, label) for rule, label in KEYING_RULES.items()],
                      validators=[InputRequired("Choose single or double keying")])
    submit = SubmitField("Save the keying rule", widget=GovSubmitInput())


class SheetForm(FlaskForm):
    """One sheet: its number (carried) and the project numbers marked on it."""

    sheet = HiddenField()
    projects = StringField("Project numbers marked on this sheet", widget=GovTextInput())
    submit = SubmitField("Save and next sheet", widget=GovSubmitInput())


class SheetsFileForm(FlaskForm):
    """A CSV file of a whole batch for one keying."""

    sheets = FileField("CSV file of every sheet", widget=GovFileInput(),
                       description="Columns sheet,projects with that header line, one row a "
                                   "sheet: for example 12,\"3 7 9\".",
                       validators=[FileRequired("Choose a CSV file")])
    submit = SubmitField("Upload the sheets", widget=GovSubmitInput())
