"""The equalities questionnaire form: every question optional, each with "prefer not to say"."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import Length, Optional

from pb_app.monitoring.questions import PREFER_NOT_TO_SAY, QUESTIONS, age_band_reaches


class QuestionnaireForm(FlaskForm):
    """The questionnaire; a field per question is added below from ``QUESTIONS``."""

    postcode = StringField(
        "Your postcode (optional: used only to tell urban from rural, then discarded)",
        validators=[Optional(), Length(max=10)],
    )
    send = SubmitField("Send my answers")
    skip = SubmitField("Skip the questionnaire")

    def offer_ages_from(self, minimum_age: int) -> None:
        """Offer only the age bands that reach the round's minimum voting age."""
        field = self["age_band"]
        field.choices = [choice for choice in field.choices
                         if age_band_reaches(choice.value, minimum_age)]

    def answers(self) -> dict[str, str | None]:
        """The chosen answer (or None) for each question."""
        return {item.key: self[item.key].data for item in QUESTIONS}


for _question in QUESTIONS:
    setattr(
        QuestionnaireForm,
        _question.key,
        RadioField(
            _question.label,
            choices=[
                SelectChoice(value, label)
                for value, label in (*_question.options, (PREFER_NOT_TO_SAY, "Prefer not to say"))
            ],
            validators=[Optional()],
            validate_choice=False,  # the service checks the answer and says which question is wrong
        ),
    )
