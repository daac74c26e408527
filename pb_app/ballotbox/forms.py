"""Forms for the ballot box: becoming a key holder, and the passphrases that open a box."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput
from wtforms.fields import PasswordField, SubmitField
from wtforms.validators import InputRequired

from pb_app.ballotbox.models import KeyHolder


class KeyHolderForm(FlaskForm):
    """Choose the passphrase that guards your key (typed twice)."""

    passphrase = PasswordField(
        "Passphrase", widget=GovPasswordInput(),
        description="At least 12 characters. A few unrelated words are easy to remember. "
                    "Nobody can reset it: if it is lost, the other key holders open the boxes.",
        validators=[InputRequired("Enter a passphrase")])
    confirmation = PasswordField("Type the passphrase again", widget=GovPasswordInput(),
                                 validators=[InputRequired("Type the passphrase again")])
    submit = SubmitField("Set up my key", widget=GovSubmitInput())


class OpenBoxForm(FlaskForm):
    """The passphrases of the key holders present; fields are added per holder."""

    submit = SubmitField("Open the ballot box", widget=GovSubmitInput())

    def passphrases(self) -> dict[int, str]:
        """The passphrases typed, by key holder id."""
        return {int(field.name.removeprefix("holder_")): field.data or ""
                for field in self if field.name.startswith("holder_")}


def open_box_form(holders: list[KeyHolder]) -> OpenBoxForm:
    """An OpenBoxForm with one passphrase field per key holder of the box."""

    class _Form(OpenBoxForm):
        pass

    for holder in holders:
        setattr(_Form, f"holder_{holder.id}", PasswordField(
            f"{holder.secret_name.capitalize()} of {holder.name_in_sentence}",
            widget=GovPasswordInput()))
    return _Form()
