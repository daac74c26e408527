"""The form that adds a photo: the file and its alt text (the service checks both)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovFileInput, GovSubmitInput
from wtforms import SubmitField, TextAreaField

from pb_app.pictures.images import MAX_UPLOAD_BYTES, size_text

ALT_TEXT_HINT = (
    "This is read aloud to people who cannot see the photo, and shown if it does not load."
    " Say what the photo shows that matters for your proposal, in a sentence or two, for"
    " example: \u201cVolunteers serving soup to older people at long tables in a village"
    " hall.\u201d You do not need to start with \u201cA photo of\u201d."
)


class PhotoForm(FlaskForm):
    """One photo and its description for people who cannot see it."""

    photo = FileField(
        "Photo", widget=GovFileInput(),
        description=f"A JPEG or PNG file, up to {size_text(MAX_UPLOAD_BYTES)}. Take care that"
        " people in it are happy to be shown: everyone can see the photos of a submitted"
        " proposal.")
    alt_text = TextAreaField(
        "Describe the photo (alt text)", widget=GovCharacterCount(),
        description=ALT_TEXT_HINT)
    submit = SubmitField("Add photo", widget=GovSubmitInput())

