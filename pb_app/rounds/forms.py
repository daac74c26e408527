"""The round settings form and its conversion to plain settings for the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms.fields import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from pb_app.accounts.forms import PlainDateField
from pb_app.rounds.models import (
    BALLOT_TYPES,
    IJB_PRIORITIES,
    MES_COMPARISONS,
    MES_COMPLETIONS,
    TALLY_RULES,
    TIE_BREAKS,
    VOTER_VERIFICATIONS,
    Round,
)
from pb_app.rounds.money import parse_pounds, pounds_input
from pb_app.rounds.services import DATE_NAMES, RoundSettings

UK = ZoneInfo("Europe/London")
BALLOT_PARAMS = ("max_choices", "min_share_percent", "points", "max_score", "top_k")


def _count(label: str, description: str = "") -> IntegerField:
    return IntegerField(label, description=description, widget=GovTextInput(),
                        invalid_value_message="Enter a whole number",
                        validators=[Optional()])


def _date(label: str) -> PlainDateField:
    return PlainDateField(label, description="Midnight at the start of this day, UK time."
                          " For example, 27 3 2026", format="%d %m %Y", widget=GovDateInput(),
                          validators=[Optional()])


class RoundForm(FlaskForm):
    """Everything a group lead sets on a round: budget, rules, ballot, tally and dates."""

    locality = SelectField("Locality", coerce=int, widget=GovSelect())
    title = StringField("Title", widget=GovTextInput(),
                        validators=[InputRequired("Enter a title for the round"), Length(max=200)])
    description = TextAreaField("Description", widget=GovTextArea())
    budget = StringField("Budget, in pounds", widget=GovTextInput(),
                         validators=[InputRequired("Enter the budget")])
    min_cost = StringField("Smallest project cost, in pounds", default="0", widget=GovTextInput())
    max_cost = StringField("Largest project cost, in pounds", widget=GovTextInput(),
                           validators=[InputRequired("Enter the largest project cost")])
    priorities = SelectMultipleField("Priorities the round serves", widget=GovCheckboxesInput(),
                                     choices=[SelectChoice(p, p) for p in IJB_PRIORITIES])
    other_priorities = TextAreaField("Other priorities, one a line", widget=GovTextArea())
    allow_groups = BooleanField("Community groups may propose, as well as residents",
                                widget=GovCheckboxInput())
    minimum_voting_age = IntegerField("Minimum voting age", default=16, widget=GovTextInput(),
                                      invalid_value_message="Enter the minimum voting age "
                                                            "as a whole number of years",
                                      validators=[InputRequired("Enter the minimum voting age")])
    voter_verification = RadioField("How voters are verified", default="self-declared",
                                    choices=[SelectChoice(*item)
                                             for item in VOTER_VERIFICATIONS.items()],
                                    widget=GovRadioInput())
    ballot_type = RadioField("Ballot", default="approval", widget=GovRadioInput(),
                             choices=[SelectChoice(k, v[0]) for k, v in BALLOT_TYPES.items()])
    max_choices = _count("Approval: how many projects a voter may approve (k)")
    min_share_percent = _count("Within the budget: minimum share of the budget, in percent")
    points = _count("Points: how many points each voter shares out (N)")
    max_score = _count("Scores: the highest score (S)")
    top_k = _count("Ranking: how many projects a voter ranks (k)")
    fixed_order = BooleanField("Show the projects in the same order to every voter (otherwise "
                               "each voter sees them in an order of their own, so that no "
                               "project gains from coming first)", widget=GovCheckboxInput())
    tally_rule = RadioField("How votes are counted", default="greedy", widget=GovRadioInput(),
                            choices=[SelectChoice(k, v[0]) for k, v in TALLY_RULES.items()])
    threshold_percent = _count("Minimum support, in percent of voters (greedy with threshold)")
    mes_completion = SelectField("Equal Shares: completion", widget=GovSelect(),
                                 choices=[SelectChoice(c, c) for c in MES_COMPLETIONS])
    mes_comparison = SelectField("Equal Shares: comparison", widget=GovSelect(),
                                 choices=[SelectChoice(c, c) for c in MES_COMPARISONS])
    tie_break = RadioField("How ties are broken", default="support-cost-lottery",
                           widget=GovRadioInput(),
                           choices=[SelectChoice(*item) for item in TIE_BREAKS.items()])
    proposals_open_at = _date("Proposals open")
    proposals_close_at = _date("Proposals close")
    voting_open_at = _date("Voting opens")
    voting_close_at = _date("Voting closes")
    submit = SubmitField("Save the round", widget=GovSubmitInput())


def _to_utc(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), UK).astimezone(UTC)


def _to_day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return moment.astimezone(UK).date()


def settings_from_form(form: RoundForm) -> RoundSettings:
    """Read the form into plain settings; raises InvalidInput for amounts that are not money."""
    others = [line.strip() for line in (form.other_priorities.data or "").splitlines()]
    return RoundSettings(
        title=form.title.data or "", description=form.description.data or "",
        budget_pence=parse_pounds(form.budget.data, "the budget"),
        min_project_cost_pence=parse_pounds(form.min_cost.data or "0", "the smallest cost"),
        max_project_cost_pence=parse_pounds(form.max_cost.data, "the largest project cost"),
        priorities=tuple(form.priorities.data or ()) + tuple(p for p in others if p),
        is_group_proposals_allowed=bool(form.allow_groups.data),
        minimum_voting_age=form.minimum_voting_age.data,
        voter_verification=form.voter_verification.data, ballot_type=form.ballot_type.data,
        ballot_params={name: getattr(form, name).data for name in BALLOT_PARAMS},
        is_ballot_order_fixed=bool(form.fixed_order.data),
        tally_rule=form.tally_rule.data, tie_break=form.tie_break.data,
        tally_params={"threshold_percent": form.threshold_percent.data,
                      "completion": form.mes_completion.data,
                      "comparison": form.mes_comparison.data},
        **{name: _to_utc(getattr(form, name).data) for name in DATE_NAMES},
    )


def form_data(round_: Round) -> dict:
    """The form's starting values for an existing round."""
    return {
        "title": round_.title, "description": round_.description,
        "budget": pounds_input(round_.budget_pence),
        "min_cost": pounds_input(round_.min_project_cost_pence),
        "max_cost": pounds_input(round_.max_project_cost_pence),
        "priorities": [p for p in round_.priorities if p in IJB_PRIORITIES],
        "other_priorities": "\n".join(p for p in round_.priorities if p not in IJB_PRIORITIES),
        "allow_groups": round_.is_group_proposals_allowed,
        "minimum_voting_age": round_.minimum_voting_age,
        "voter_verification": round_.voter_verification, "ballot_type": round_.ballot_type,
        "fixed_order": round_.is_ballot_order_fixed,
        "tally_rule": round_.tally_rule, "tie_break": round_.tie_break,
        "mes_completion": round_.tally_params.get("completion"),
        "mes_comparison": round_.tally_params.get("comparison"),
        "threshold_percent": round_.tally_params.get("threshold_percent"),
        **round_.ballot_params,
        **{name: _to_day(getattr(round_, name)) for name in DATE_NAMES},
    }


class AdvanceForm(FlaskForm):
    """A button that moves a round to the phase named in ``target``."""

    target = HiddenField()
    submit = SubmitField("Move on", widget=GovSubmitInput())


class FollowForm(FlaskForm):
    """A button to be emailed when voting opens."""

    submit = SubmitField("Email me when voting opens", widget=GovSubmitInput())
