"""Round pages: the public list and page of each round, and the group lead's screens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from pb_app.accounts.decorators import role_required
from pb_app.accounts.models import ADMINISTRATOR, GROUP_LEAD
from pb_app.accounts.services import check_can_manage_locality, manageable_localities
from pb_app.errors import Conflict, DomainError, InvalidInput, NotFound
from pb_app.extensions import db
from pb_app.rounds import forms, services
from pb_app.rounds.cli import advance_command
from pb_app.rounds.early import PLACES, needs_confirming, question_address, question_page
from pb_app.rounds.models import Phase, utcnow
from pb_app.rounds.rules import BallotKind, RuleKind
from pb_app.web.layout import add_navigation_link, attempt, form_page

bp = Blueprint("rounds", __name__, template_folder="templates", url_prefix="/rounds",
               cli_group="rounds")
bp.cli.add_command(advance_command)
add_navigation_link(bp, "Funding rounds", "rounds.index")


@bp.get("/")
def index():
    """Every round the visitor may see, newest first."""
    rounds = services.list_rounds(current_user)
    db.session.commit()  # rounds may have moved on at their dates
    return render_template("rounds/index.html", rounds=rounds)


# The first step's choice for a new round: equal shares is recommended (see rules.html).
DEFAULT_RULES = {"ballot_type": BallotKind.APPROVAL, "tally_rule": RuleKind.MES}


def _first_step(defaults: dict, *, start_here: bool) -> tuple[forms.RulesForm, bool]:
    """The first step's form, read from the address, and whether it is the page to show: when
    asked for, when a choice came and is not valid (with its errors), or with no choice at
    all if ``start_here`` (a new round; an existing one has its own choice)."""
    rules = forms.RulesForm(request.args, data=defaults)
    if request.args.get("step") == "rules":
        return rules, True
    if "ballot_type" in request.args or "tally_rule" in request.args:
        return rules, not rules.validate()
    return rules, start_here


def _checked_settings(form: forms.RoundForm) -> services.RoundSettings | None:
    """The form's settings if they break no rule; else None, with every problem at once on
    its field: the fields' own checks (numbers, dates) and the round's rules together."""
    form.validate()
    settings, problems = forms.settings_from_form(form)
    try:
        services.validate_settings(settings)
    except services.InvalidSettings as error:
        problems = {**error.problems, **problems}  # an amount that is not money says so
    form.show_problems(problems)
    return None if form.errors else settings


def _settings_page(form: forms.RoundForm, round_, refusal: DomainError | None = None):
    """The second step: the settings, with links back to the first step, and a service's
    ``refusal`` on the fields it names, or else at the head of the form."""
    if isinstance(refusal, services.InvalidSettings):
        form.show_problems(refusal.problems)
    elif refusal:
        form.form_errors.append(refusal.message)
    ballot_type, tally_rule = form.ballot_type.data, form.tally_rule.data
    endpoint, ids = ("rounds.edit", {"round_id": round_.id}) if round_ else ("rounds.create", {})
    change_url = url_for(endpoint, step="rules", ballot_type=ballot_type, tally_rule=tally_rule,
                         **ids)
    return form_page("rounds/edit.html", form, refusal and refusal.status, round_=round_,
                     change_url=change_url)


@bp.route("/new", methods=["GET", "POST"])
@role_required(GROUP_LEAD, ADMINISTRATOR)
def create():
    """Set up a new draft round: first its ballot and counting rule, then the rest."""
    localities = {loc.id: loc for loc in manageable_localities(current_user)}
    if request.method == "GET":
        rules, first = _first_step(DEFAULT_RULES, start_here=True)
        if first:
            return form_page("rounds/rules.html", rules, round_=None)
        form = forms.RoundForm(data=forms.chosen_rules_data(rules.ballot_type.data,
                                                            rules.tally_rule.data))
    else:
        form = forms.RoundForm()
    form.locality.choices = [SelectChoice(loc.id, loc.name) for loc in localities.values()]
    if request.method == "POST" and (settings := _checked_settings(form)):
        with attempt() as creating:
            round_ = services.create_round(localities[form.locality.data], current_user, settings)
        if creating.refusal:
            return _settings_page(form, None, creating.refusal)
        db.session.commit()
        flash(f"{round_.title} has been created as a draft.", "success")
        return redirect(url_for("rounds.show", round_id=round_.id))
    return _settings_page(form, None)


def _managed_round(round_id: int):
    round_ = services.get_visible_round(round_id, current_user)
    check_can_manage_locality(current_user, round_.locality)
    return round_


def _edit_data(round_, rules: forms.RulesForm) -> dict:
    """The second step's starting values: the round's own, with the ballot type and rule of
    the first step (and their defaults for settings the round has none of)."""
    data = forms.form_data(round_)
    chosen = forms.chosen_rules_data(rules.ballot_type.data, rules.tally_rule.data)
    data.update({name: value for name, value in chosen.items()
                 if name in ("ballot_type", "tally_rule") or data.get(name) is None})
    return data


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit(round_id: int):
    """Change a round's budget, rules and dates until voting opens."""
    round_ = _managed_round(round_id)
    rules, first = _first_step({"ballot_type": round_.ballot_type,
                                "tally_rule": round_.tally_rule}, start_here=False)
    if request.method == "GET" and first:
        return form_page("rounds/rules.html", rules, round_=round_)
    form = forms.RoundForm(data=_edit_data(round_, rules))
    del form.locality
    if request.method == "POST" and (settings := _checked_settings(form)):
        with attempt() as updating:
            services.update_round(round_, current_user, settings)
        if updating.refusal:
            return _settings_page(form, round_, updating.refusal)
        db.session.commit()
        flash("The round's settings have been saved.", "success")
        return redirect(url_for("rounds.show", round_id=round_.id))
    return _settings_page(form, round_)


def _round_page(round_, refusal: DomainError | None = None):
    """A round's page; with ``refusal``, headed by what stops it moving on, each problem
    linked to the page where it is put right."""
    next_phase = round_.current_phase.next
    page = render_template(
        "rounds/show.html", round_=round_, Phase=Phase,
        plain_rules=forms.rules_in_plain_words(round_),
        can_manage=services.can_manage(current_user, round_),
        advance_form=forms.AdvanceForm(target=next_phase and next_phase.value),
        follow_form=forms.FollowForm(),
        refusal=refusal and [{"text": text, **({"href": href} if href else {})}
                             for text, href in _refusal_links(round_, refusal)])
    return page, refusal.status if refusal else 200


def _refusal_links(round_, refusal: DomainError) -> list[tuple[str, str | None]]:
    """Each problem of a refused phase move, with the address where it is put right."""
    if not isinstance(refusal, services.RoundNotReady):
        return [(refusal.message, None)]
    places = {
        "setting": lambda name: url_for("rounds.edit", round_id=round_.id,
                                        _anchor=forms.FIELD_OF_SETTING.get(name, name)),
        "proposals": lambda _: url_for("proposals.review_list", round_id=round_.id),
        "paper-batch": lambda batch_id: url_for("voting.correct_batch", round_id=round_.id,
                                                batch_id=batch_id),
        "voting": lambda _: url_for("voting.manage", round_id=round_.id),
        "count": lambda _: url_for("results.count_page", round_id=round_.id),
    }
    return [(text, places[place](ref)) for text, place, ref in refusal.problems]


@bp.get("/<int:round_id>")
def show(round_id: int):
    """A round's page: its phase, dates, rules and, for its leads, what to do next."""
    round_ = services.get_visible_round(round_id, current_user)
    db.session.commit()  # the round may have moved on at its dates
    return _round_page(round_)


@bp.post("/<int:round_id>/advance")
@login_required
def advance(round_id: int):
    """Move a round on to its next phase; a refusal is shown on the round's page, with
    what to put right and where."""
    round_ = services.get_visible_round(round_id, current_user)
    form = forms.AdvanceForm()
    if not form.validate_on_submit() or form.target.data not in {p.value for p in Phase}:
        raise NotFound("There is no such phase")
    target, now = Phase(form.target.data), utcnow()
    if round_.current_phase is target:  # a second press, from a page opened before the move
        check_can_manage_locality(current_user, round_.locality)
        flash(f"{round_.title} is already: {target.label.lower()}.")
        return redirect(url_for("rounds.show", round_id=round_.id))
    early = needs_confirming(round_, target, form.confirmed_for.data, now)
    with attempt(Conflict, InvalidInput) as moving:  # not ready, or moved on meanwhile
        if early:  # what stops the move is said before the lead is asked to confirm it
            services.check_move(round_, current_user, target, now)
        else:
            services.move_round(round_, current_user, target, now=now)
    if moving.refusal:
        return _round_page(round_, moving.refusal)
    if early:
        return redirect(question_address(round_, target, "round"), 303)
    db.session.commit()
    flash(f"{round_.title} is now: {round_.current_phase.label.lower()}.", "success")
    return redirect(url_for("rounds.show", round_id=round_.id))


@bp.get("/<int:round_id>/early/<target>")
@login_required
def confirm_early(round_id: int, target: str):
    """Ask a lead to confirm moving a round on before its advertised date (see
    ``rounds.early``); once that no longer needs asking, back to the page they came from."""
    round_ = services.get_visible_round(round_id, current_user)
    check_can_manage_locality(current_user, round_.locality)
    place = request.args.get("place", "round")
    if target not in {p.value for p in Phase} or place not in PLACES:
        raise NotFound("There is no such page")
    page = question_page(round_, Phase(target), place, utcnow())
    if page is None:
        flash(f"{round_.title} is now: {round_.current_phase.label.lower()}.")
        return redirect(url_for(PLACES[place][0], round_id=round_.id))
    return page


@bp.post("/<int:round_id>/follow")
@login_required
def follow(round_id: int):
    """Ask to be emailed when voting opens in this round."""
    round_ = services.get_visible_round(round_id, current_user)
    if forms.FollowForm().validate_on_submit():
        services.follow_round(round_, current_user)
        db.session.commit()
        flash("We will email you when voting opens.", "success")
    return redirect(url_for("rounds.show", round_id=round_.id))
