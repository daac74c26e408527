"""Forms for proposing, filtering, reviewing and merging proposals."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import Form
from wtforms.fields import (
    FieldList,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from pb_app.proposals.models import FEASIBILITY, FIT, OUTCOMES, PUBLIC_STATUSES, STATUS_LABELS
from pb_app.proposals.services import COST_BANDS, ProposalInput

COST_LINE_ROWS = 8
ANY = SelectChoice("", "Any")  # the first choice of a filter: no filtering


class CostLineForm(Form):
    """One cost line: what the money is for and how much."""

    item = StringField("Item")
    amount = StringField("Amount, in pounds")


class ProposalForm(FlaskForm):
    """A proposal: what, where, what it serves, and what it costs line by line."""

    title = StringField("Title", widget=GovTextInput())
    summary = TextAreaField("Summary", description="One or two sentences, up to 500 characters.",
                            widget=GovTextArea())
    description = TextAreaField("Full description", widget=GovTextArea())
    location = StringField("Where in the locality it happens", widget=GovTextInput())
    location_postcode = StringField("Postcode of where it happens", widget=GovTextInput())
    organisation = StringField("Your organisation or group, if any", widget=GovTextInput())
    conflict_of_interest = TextAreaField(
        "Conflict of interest", widget=GovTextArea(),
        description="Say if you, your family or your group would gain from this project.")
    outcomes = SelectMultipleField("National Health and Wellbeing Outcomes it serves",
                                   coerce=int, widget=GovCheckboxesInput(),
                                   choices=[SelectChoice(n, f"{n}. {text}")
                                            for n, text in OUTCOMES.items()])
    priorities = SelectMultipleField("Priorities of the round it serves",
                                     widget=GovCheckboxesInput())
    cost_lines = FieldList(FormField(CostLineForm), min_entries=COST_LINE_ROWS,
                           max_entries=20)
    submit = SubmitField("Save as a draft", widget=GovSubmitInput())

    def to_input(self) -> ProposalInput:
        """The form's values as plain input for the services."""
        return ProposalInput(
            title=self.title.data or "", summary=self.summary.data or "",
            description=self.description.data or "", location=self.location.data or "",
            location_postcode=self.location_postcode.data or "",
            organisation=self.organisation.data or "",
            conflict_of_interest=self.conflict_of_interest.data or "",
            outcomes=tuple(self.outcomes.data or ()), priorities=tuple(self.priorities.data or ()),
            cost_lines=tuple((line.item.data or "", line.amount.data or "")
                             for line in self.cost_lines))

    def show_problems(self, problems: dict[str, str]) -> None:
        """Put each of the services' ``problems`` on its field (see ``InvalidProposal``); a
        problem with the total cost goes on the first cost line's amount."""
        for key, message in problems.items():
            field = self._field_for(key)
            if field is None:
                self.form_errors.append(message)
            elif not field.errors:
                field.errors = [message]
        lines = [line.errors for line in self.cost_lines]
        self.cost_lines.errors = lines if any(lines) else []

    def _field_for(self, key: str):
        """The field a problem's key names, or None."""
        if key == "cost":
            return self.cost_lines[0].amount
        name, _, rest = key.partition(".")
        if name == "cost_lines" and rest:
            index, part = rest.split(".")
            return self.cost_lines[int(index)][part] if int(index) < len(self.cost_lines) else None
        return getattr(self, name, None)


class FilterForm(FlaskForm):
    """Search and filters of the public list (a GET form, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Search", widget=GovTextInput())
    status = SelectField("Status", widget=GovSelect(), choices=[ANY] + [
        SelectChoice(s.value, STATUS_LABELS[s]) for s in PUBLIC_STATUSES])
    outcome = SelectField("Outcome", widget=GovSelect(), choices=[ANY] + [
        SelectChoice(str(n), f"{n}. {text}") for n, text in OUTCOMES.items()])
    priority = SelectField("Priority", widget=GovSelect())
    cost_band = SelectField("Cost", widget=GovSelect(), choices=[ANY] + [
        SelectChoice(key, band[0]) for key, band in COST_BANDS.items()])
    submit = SubmitField("Filter", widget=GovSubmitInput())

    def to_filters(self) -> dict:
        """The search and filters as keyword arguments of ``list_public_proposals``.

        Values come straight from the address, unchecked: an outcome that is not one of the
        nine (``?outcome=99``, ``?outcome=²``) filters nothing rather than failing.
        """
        outcome = self.outcome.data or ""
        return {"search": self.q.data or "", "status": self.status.data or "",
                "outcome": int(outcome) if outcome in {str(n) for n in OUTCOMES} else None,
                "priority": self.priority.data or "", "cost_band": self.cost_band.data or ""}


class ReviewForm(FlaskForm):
    """A lead's decision with feasibility, fit and the reason the proposer sees."""

    decision = RadioField("Decision", widget=GovRadioInput(), choices=[
        SelectChoice("accept", "Accept onto the ballot"),
        SelectChoice("request-changes", "Ask for changes"), SelectChoice("reject", "Reject")],
        validators=[InputRequired("Choose a decision")])
    feasibility = RadioField("Feasibility", widget=GovRadioInput(),
                             choices=[SelectChoice(*item) for item in FEASIBILITY.items()],
                             validators=[InputRequired("Record the feasibility")])
    fit = RadioField("Fit with the round's priorities", widget=GovRadioInput(),
                     choices=[SelectChoice(*item) for item in FIT.items()],
                     validators=[InputRequired("Record the fit")])
    reason = TextAreaField("Reason, which the proposer will see", widget=GovTextArea(),
                           validators=[InputRequired("Write the reason for your decision")])
    submit = SubmitField("Record the decision", widget=GovSubmitInput())


class MergeForm(FlaskForm):
    """Merge this proposal into another of the same round."""

    target = SelectField("Merge into", coerce=int, widget=GovSelect())
    merge_reason = TextAreaField("Reason, which the proposer will see", widget=GovTextArea(),
                                 validators=[InputRequired("Write the reason for merging")])
    submit = SubmitField("Merge", widget=GovSubmitInput())


class InterestForm(FlaskForm):
    """A lead declares an interest in a proposal."""

    interest = TextAreaField("Your interest", widget=GovTextArea(),
                             validators=[InputRequired("Say what your interest is")])
    submit = SubmitField("Declare an interest", widget=GovSubmitInput())
