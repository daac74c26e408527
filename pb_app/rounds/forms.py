"""The round settings form and its conversion to plain settings for the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

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
from wtforms.validators import InputRequired, Optional

from pb_app.accounts.forms import PlainDateField
from pb_app.errors import InvalidInput
from pb_app.moments import UK
from pb_app.money import parse_pounds, pounds_input
from pb_app.rounds.models import IJB_PRIORITIES, Round
from pb_app.rounds.rules import (
    BALLOT_TYPES,
    LOTTERY_TIE_BREAK,
    MES_COMPARISONS,
    MES_COMPLETIONS,
    TALLY_RULES,
    TIE_BREAKS,
    VOTER_VERIFICATIONS,
    Verification,
)
from pb_app.rounds.services import DATE_NAMES, RoundSettings

# The choices of the first step in plain words, as the catalogue (rounds.rules) gives them:
# value -> (label, hint).
BALLOT_WORDS = {kind: (ballot.label, ballot.hint) for kind, ballot in BALLOT_TYPES.items()}
RULE_WORDS = {kind: (rule.label, rule.hint) for kind, rule in TALLY_RULES.items()}
# A setting's name (as the services name it) -> its field, where the two differ.
FIELD_OF_SETTING = {"budget_pence": "budget", "min_project_cost_pence": "min_cost",
                    "max_project_cost_pence": "max_cost", "completion": "mes_completion",
                    "comparison": "mes_comparison"}


# How a round's page names each ballot's setting, after the ballot's own words.
BALLOT_SETTING_WORDS = {ballot.setting.name: ballot.setting.in_words
                        for ballot in BALLOT_TYPES.values()}


def _plain(words: dict[str, tuple[str, str]], value: str | None) -> str:
    """A choice's label without "(recommended)", or the stored value if it has none."""
    return words.get(value, (value or "",))[0].removesuffix(" (recommended)")


def rules_in_plain_words(round_: Round) -> dict[str, str]:
    """The round's ballot and counting rule as its page tells residents, settings included."""
    ballot = [_plain(BALLOT_WORDS, round_.ballot_type)] + [
        BALLOT_SETTING_WORDS[name].format(value)
        for name, value in sorted(round_.ballot_params.items())
        if name in BALLOT_SETTING_WORDS and (value or name != "min_share_percent")]
    params = round_.tally_params
    count = [_plain(RULE_WORDS, round_.tally_rule)]
    if params.get("threshold_percent") is not None:
        count.append(f"at least {params['threshold_percent']}% of voters")
    if params.get("threshold_votes"):
        count.append(f"at least {params['threshold_votes']} votes")
    if params.get("stop_at_first"):
        count.append("stopping at the first project that does not fit")
    for group in params.get("conflicts") or ():
        count.append("only one of projects " + ", ".join(group) + " can be funded")
    if params.get("completion"):
        count.append("when money is left unspent: "
                     + _plain(MES_COMPLETIONS, params["completion"]).lower())
    if params.get("comparison"):
        count.append("then: " + _plain(MES_COMPARISONS, params["comparison"]).lower())
    return {"ballot": "; ".join(ballot), "count": "; ".join(count)}


class HintedRadios(GovRadioInput):
    """GOV.UK radios with a hint under each choice (``hints`` maps a value to its hint)."""

    def __init__(self, hints: dict[str, str]):
        super().__init__()
        self.hints = hints

    def map_gov_params(self, field, **kwargs):
        """The radios' parameters, each item with its hint."""
        params = super().map_gov_params(field, **kwargs)
        for item in params["items"]:
            if item["value"] in self.hints:
                item["hint"] = {"text": self.hints[item["value"]]}
        return params


def _radios(label: str, words: dict[str, tuple[str, str]], **options) -> RadioField:
    """Radios whose choices are ``words`` (value -> (label, hint)), each with its hint."""
    return RadioField(label, choices=[SelectChoice(value, text) for value, (text, _)
                                      in words.items()],
                      widget=HintedRadios({value: hint for value, (_, hint) in words.items()}),
                      **options)


def _count(label: str, description: str = "") -> IntegerField:
    return IntegerField(label, description=description, widget=GovTextInput(),
                        invalid_value_message="Enter a whole number",
                        validators=[Optional()])


def _date(label: str) -> PlainDateField:
    return PlainDateField(label, description="Midnight at the start of this day, UK time."
                          " For example, 27 3 2026", format="%d %m %Y", widget=GovDateInput(),
                          validators=[Optional()])


class RulesForm(FlaskForm):
    """The first step: the ballot voters fill in and how the votes are counted (a GET form,
    so no CSRF token: it changes nothing, and leads to the second step)."""

    class Meta:
        csrf = False

    ballot_type = _radios("What do voters do on the ballot?", BALLOT_WORDS,
                          validators=[InputRequired("Choose what voters do on the ballot")])
    tally_rule = _radios("How are the votes counted?", RULE_WORDS,
                         validators=[InputRequired("Choose how the votes are counted")])


def chosen_rules_data(ballot_type: str, tally_rule: str) -> dict:
    """The second step's starting values for a ballot type and counting rule: their choice
    and the default of each of their settings."""
    tally_defaults = rule.defaults if (rule := TALLY_RULES.get(tally_rule)) else {}
    return {"ballot_type": ballot_type, "tally_rule": tally_rule,
            **({ballot.setting.name: ballot.setting.default}
               if (ballot := BALLOT_TYPES.get(ballot_type)) else {}),
            **{FIELD_OF_SETTING.get(name, name): value for name, value in tally_defaults.items()}}


class RoundForm(FlaskForm):
    """The second step: budget, who takes part, the settings of the chosen ballot and rule,
    and the dates. The ballot type and rule chosen in the first step come back hidden."""

    locality = SelectField("Locality", coerce=int, widget=GovSelect())
    title = StringField("Title", widget=GovTextInput())
    description = TextAreaField("Description", widget=GovTextArea())
    budget = StringField("Budget, in pounds", widget=GovTextInput())
    min_cost = StringField("Smallest project cost, in pounds", default="0", widget=GovTextInput())
    max_cost = StringField("Largest project cost, in pounds", widget=GovTextInput())
    priorities = SelectMultipleField("Priorities the round serves", widget=GovCheckboxesInput(),
                                     choices=[SelectChoice(p, p) for p in IJB_PRIORITIES])
    other_priorities = TextAreaField("Other priorities, one a line", widget=GovTextArea())
    allow_groups = BooleanField("Community groups may propose, as well as residents",
                                widget=GovCheckboxInput())
    minimum_voting_age = IntegerField("Minimum voting age", default=16, widget=GovTextInput(),
                                      description="In years. Young people often vote from 12"
                                                  " or 16.",
                                      invalid_value_message="Enter the minimum voting age "
                                                            "as a whole number of years",
                                      validators=[Optional()])
    voter_verification = RadioField("How voters are verified",
                                    default=Verification.SELF_DECLARED.value,
                                    choices=[SelectChoice(*item)
                                             for item in VOTER_VERIFICATIONS.items()],
                                    widget=GovRadioInput())
    ballot_type = HiddenField()
    tally_rule = HiddenField()
    max_choices = _count("How many projects may a voter choose?",
                         "For example, 3. A voter may choose fewer.")
    min_share_percent = _count("What share of the budget must a voter's choices add up to,"
                               " at least?", "In percent. 0 lets a voter choose as few"
                                             " projects as they like.")
    points = _count("How many points does each voter share out?", "For example, 10.")
    max_score = _count("What is the highest score?",
                       "For example, 5: voters score each project from 0 to 5.")
    top_k = _count("How many projects does each voter put in order?", "For example, 3.")
    fixed_order = BooleanField("Show the projects in the same order to every voter (otherwise "
                               "each voter sees them in an order of their own, so that no "
                               "project gains from coming first)", widget=GovCheckboxInput())
    threshold_percent = _count("Minimum support, in percent of voters",
                               "A project backed by fewer voters than this is not funded."
                               " For example, 10.")
    threshold_votes = _count("Minimum support, as a number of votes",
                             "Optional. A project with fewer votes (or points) than this is"
                             " not funded either.")
    stop_at_first = BooleanField("Stop at the first project that does not fit in the money"
                                 " left (otherwise it is skipped and the count goes on)",
                                 widget=GovCheckboxInput())
    conflicts = TextAreaField("Projects that cannot both be funded",
                              description="For example, two plans for the same site. Write"
                                          " each group on a line of its own, as project"
                                          " numbers separated by commas, such as 12, 15."
                                          " Leave this empty if there are none.",
                              widget=GovTextArea())
    # Shown only for equal shares: the services check the choice, as for every rule's setting.
    mes_completion = _radios("When equal shares leaves money unspent", MES_COMPLETIONS,
                             validate_choice=False)
    mes_comparison = _radios("Checking the result", MES_COMPARISONS, validate_choice=False)
    tie_break = RadioField("How ties are broken", default=LOTTERY_TIE_BREAK,
                           widget=GovRadioInput(),
                           choices=[SelectChoice(*item) for item in TIE_BREAKS.items()])
    proposals_open_at = _date("Proposals open")
    proposals_close_at = _date("Proposals close")
    voting_open_at = _date("Voting opens")
    voting_close_at = _date("Voting closes")
    submit = SubmitField("Save the round", widget=GovSubmitInput())

    def chosen_fields(self) -> tuple[list[str], list[str]]:
        """The names of the fields the chosen ballot type and counting rule need."""
        ballot = BALLOT_TYPES.get(self.ballot_type.data)
        return ([ballot.setting.name] if ballot else [],
                list(rule.fields) if (rule := TALLY_RULES.get(self.tally_rule.data)) else [])

    def chosen_words(self) -> tuple[str, str]:
        """The chosen ballot type and counting rule in words."""
        return (BALLOT_WORDS.get(self.ballot_type.data, ("Not chosen",))[0],
                RULE_WORDS.get(self.tally_rule.data, ("Not chosen",))[0])

    def show_problems(self, problems: dict[str, str]) -> None:
        """Put each of the services' ``problems`` on its field, unless the field already has
        one (a number that is not a number says so, not that it is out of range)."""
        for name, message in problems.items():
            field = getattr(self, FIELD_OF_SETTING.get(name, name), None)
            if field is None:
                self.form_errors.append(message)
            elif not field.errors:
                field.errors = [message]


def _to_utc(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), UK).astimezone(UTC)


def _to_day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return moment.astimezone(UK).date()


def _pence(text: str | None, label: str, field: str, problems: dict[str, str]) -> int | None:
    """The amount typed, in pence, or None (with the problem under ``field``)."""
    try:
        return parse_pounds(text, label)
    except InvalidInput as error:
        problems[field] = error.message
        return None


def settings_from_form(form: RoundForm) -> tuple[RoundSettings, dict[str, str]]:
    """Read the form into plain settings, with the amounts that are not money as problems
    (keyed by setting name); such an amount is None in the settings."""
    problems: dict[str, str] = {}
    others = [line.strip() for line in (form.other_priorities.data or "").splitlines()]
    settings = RoundSettings(
        title=form.title.data or "", description=form.description.data or "",
        budget_pence=_pence(form.budget.data, "the budget", "budget_pence", problems),
        min_project_cost_pence=_pence(form.min_cost.data or "0", "the smallest cost",
                                      "min_project_cost_pence", problems),
        max_project_cost_pence=_pence(form.max_cost.data, "the largest project cost",
                                      "max_project_cost_pence", problems),
        priorities=tuple(form.priorities.data or ()) + tuple(p for p in others if p),
        is_group_proposals_allowed=bool(form.allow_groups.data),
        minimum_voting_age=form.minimum_voting_age.data,
        voter_verification=form.voter_verification.data, ballot_type=form.ballot_type.data,
        ballot_params={ballot.setting.name: getattr(form, ballot.setting.name).data
                       for ballot in BALLOT_TYPES.values()},
        is_ballot_order_fixed=bool(form.fixed_order.data),
        tally_rule=form.tally_rule.data, tie_break=form.tie_break.data,
        tally_params={"threshold_percent": form.threshold_percent.data,
                      "threshold_votes": form.threshold_votes.data,
                      "stop_at_first": bool(form.stop_at_first.data),
                      "conflicts": conflicts_from_text(form.conflicts.data),
                      "completion": form.mes_completion.data,
                      "comparison": form.mes_comparison.data},
        **{name: _to_utc(getattr(form, name).data) for name in DATE_NAMES},
    )
    return settings, problems


def conflicts_from_text(text: str | None) -> list[list[str]]:
    """Conflict groups typed one a line, numbers separated by commas (or spaces); blank
    lines are dropped. The services check what the pieces are."""
    lines = (line.replace(",", " ").split() for line in (text or "").splitlines())
    return [pieces for pieces in lines if pieces]


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
        "threshold_votes": round_.tally_params.get("threshold_votes"),
        "stop_at_first": round_.tally_params.get("stop_at_first", False),
        "conflicts": "\n".join(", ".join(group)
                               for group in round_.tally_params.get("conflicts") or ()),
        **round_.ballot_params,
        **{name: _to_day(getattr(round_, name)) for name in DATE_NAMES},
    }


class AdvanceForm(FlaskForm):
    """A button that moves a round to the phase named in ``target``; ``confirmed_for`` holds
    the advertised moment a lead agreed to move ahead of (see ``rounds.early``)."""

    target = HiddenField()
    confirmed_for = HiddenField()
    submit = SubmitField("Move on", widget=GovSubmitInput())


class FollowForm(FlaskForm):
    """A button to be emailed when voting opens."""

    submit = SubmitField("Email me when voting opens", widget=GovSubmitInput())
