"""Round pages: the public list and page of each round, and the group lead's screens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from pb_app.accounts.decorators import role_required
from pb_app.accounts.models import ADMINISTRATOR, GROUP_LEAD
from pb_app.accounts.services import check_can_manage_locality, manageable_localities
from pb_app.errors import DomainError, NotFound
from pb_app.extensions import db
from pb_app.layout import add_navigation_link, form_page, refused_form_page
from pb_app.rounds import forms, services
from pb_app.rounds.cli import advance_command
from pb_app.rounds.models import Phase
from pb_app.rounds.money import format_pounds

bp = Blueprint("rounds", __name__, template_folder="templates", url_prefix="/rounds",
               cli_group="rounds")
bp.cli.add_command(advance_command)
bp.add_app_template_filter(format_pounds, "pounds")
add_navigation_link(bp, "Funding rounds", "rounds.index")


@contextmanager
def keeping_refusals() -> Iterator[None]:
    """Commit the audit entry of a change refused because the rules are frozen, then re-raise."""
    try:
        yield
    except services.RulesFrozen:
        db.session.commit()
        raise


@bp.get("/")
def index():
    """Every round the visitor may see, newest first."""
    rounds = services.list_rounds(current_user)
    db.session.commit()  # rounds may have moved on at their dates
    return render_template("rounds/index.html", rounds=rounds)


@bp.route("/new", methods=["GET", "POST"])
@role_required(GROUP_LEAD, ADMINISTRATOR)
def create():
    """Set up a new draft round for a locality the lead runs."""
    localities = {loc.id: loc for loc in manageable_localities(current_user)}
    form = forms.RoundForm()
    form.locality.choices = [SelectChoice(loc.id, loc.name) for loc in localities.values()]
    if form.validate_on_submit():
        locality = localities[form.locality.data]
        try:
            round_ = services.create_round(locality, current_user, forms.settings_from_form(form))
        except DomainError as error:
            return refused_form_page("rounds/edit.html", form, error, round_=None)
        db.session.commit()
        flash(f"{round_.title} has been created as a draft.", "success")
        return redirect(url_for("rounds.show", round_id=round_.id))
    return form_page("rounds/edit.html", form, round_=None)


def _managed_round(round_id: int):
    round_ = services.get_visible_round(round_id, current_user)
    check_can_manage_locality(current_user, round_.locality)
    return round_


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit(round_id: int):
    """Change a round's budget, rules and dates until voting opens."""
    round_ = _managed_round(round_id)
    form = forms.RoundForm(data=forms.form_data(round_))
    del form.locality
    if form.validate_on_submit():
        try:
            with keeping_refusals():
                services.update_round(round_, current_user, forms.settings_from_form(form))
        except DomainError as error:
            db.session.rollback()
            return refused_form_page("rounds/edit.html", form, error, round_=round_)
        db.session.commit()
        flash("The round's settings have been saved.", "success")
        return redirect(url_for("rounds.show", round_id=round_.id))
    return form_page("rounds/edit.html", form, round_=round_)


@bp.get("/<int:round_id>")
def show(round_id: int):
    """A round's page: its phase, dates, rules and, for its leads, what to do next."""
    round_ = services.get_visible_round(round_id, current_user)
    db.session.commit()  # the round may have moved on at its dates
    next_phase = round_.current_phase.next
    return render_template("rounds/show.html", round_=round_, Phase=Phase,
                           can_manage=services.can_manage(current_user, round_),
                           advance_form=forms.AdvanceForm(target=next_phase and next_phase.value),
                           follow_form=forms.FollowForm())


@bp.post("/<int:round_id>/advance")
@login_required
def advance(round_id: int):
    """Move a round on to its next phase, if its guards allow."""
    round_ = services.get_visible_round(round_id, current_user)
    form = forms.AdvanceForm()
    if not form.validate_on_submit() or form.target.data not in {p.value for p in Phase}:
        raise NotFound("There is no such phase")
    services.move_round(round_, current_user, Phase(form.target.data))
    db.session.commit()
    flash(f"{round_.title} is now: {round_.current_phase.label.lower()}.", "success")
    return redirect(url_for("rounds.show", round_id=round_.id))


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
