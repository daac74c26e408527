"""The audit page's form: verify the chain on demand, against checkpoints if given."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, ValidationError

from pb_app.audit.services import parse_checkpoint_lines


class VerifyForm(FlaskForm):
    """Verify the whole chain now; optional checkpoints, one ``SEQUENCE:HASH`` a line."""

    checkpoints = TextAreaField(
        "Checkpoints to compare with (optional)",
        description="One a line, as printed on a sign-off, a published result or a report,"
                    " for example 1234:9f86d081884c7d65... with the hash in full.",
        validators=[Length(max=20_000)],
        widget=GovTextArea(),
    )
    submit = SubmitField("Verify the audit trail", widget=GovSubmitInput())
    parsed: tuple = ()

    def validate_checkpoints(self, field: TextAreaField) -> None:
        """Every line must be a checkpoint."""
        try:
            self.parsed = parse_checkpoint_lines((field.data or "").splitlines(), "the form")
        except ValueError as error:
            raise ValidationError(str(error)) from None
