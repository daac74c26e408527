"""Results pages: the count and its sign-off (staff), the published result and its downloads
(everyone), and the receipt check. The allocation ledger has its own pages (``pb_app.ledger``)."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from pb_app.ballotbox.services import sealed_count
from pb_app.errors import Conflict, InvalidInput, NotFound
from pb_app.extensions import db
from pb_app.ledger.delivery import delivery_progress
from pb_app.reports.figures import percent_text
from pb_app.reports.services import eligible_residents, turnout_hundredths
from pb_app.results import presentation, services
from pb_app.results.cli import count_command, publish_command, sign_off_command
from pb_app.results.forms import ReceiptForm, ReturnForm, WithdrawForm
from pb_app.rounds.rules import CHANNELS
from pb_app.rounds.services import get_round
from pb_app.voting.services import ballot_proposals, reconcile_ballots, turnout_by_channel
from pb_app.web.layout import (
    ButtonForm,
    add_navigation_link,
    attempt,
    download,
    form_page,
    refused_form_page,
)

bp = Blueprint(
    "results", __name__, url_prefix="/results", template_folder="templates", cli_group="results"
)
for _command in (count_command, sign_off_command, publish_command):
    bp.cli.add_command(_command)
add_navigation_link(bp, "Results", "results.index")


@bp.get("/")
def index():
    """Every round with a published result, and for staff the rounds waiting for theirs."""
    return render_template(
        "results/index.html",
        publications=services.published_rounds(),
        waiting=services.rounds_awaiting_result(current_user),
    )


@bp.get("/round/<int:round_id>/count")
@login_required
def count_page(round_id: int):
    """The counts of a round, the latest one explained, and the actions open to the viewer."""
    return _count_page(get_round(round_id))


def _count_page(round_, return_form: ReturnForm | None = None, status: int = 200,
                refusal: str | None = None, withdraw_form: WithdrawForm | None = None):
    """The count page; a refused return form comes back with its errors and the summary, and a
    refused count with the reason in the summary."""
    services.check_can_see_count(current_user, round_)
    snapshot = services.latest_snapshot(round_)
    publication = services.get_publication(round_)
    explained = presentation.explain(snapshot) if snapshot else None
    return render_template(
        "results/count.html",
        round=round_,
        snapshot=snapshot,
        snapshots=services.list_snapshots(round_),
        button=ButtonForm(),
        form=return_form or withdraw_form,
        return_form=return_form or ReturnForm(),
        explained=explained,
        outcomes=explained.outcomes if explained else [],
        checks=json.loads(snapshot.checks_json) if snapshot else {},
        channels=CHANNELS,
        sealed=sealed_count(round_),
        mismatches=reconcile_ballots(round_) if not snapshot or not snapshot.is_signed_off else [],
        refusal=refusal,
        withdraw_form=withdraw_form or _withdraw_form(round_),
        withdrawn=_withdrawn_titles(round_),
        publication=publication,
        actions=services.count_actions(current_user, round_, snapshot, publication),
    ), status


@bp.get("/snapshot/<int:snapshot_id>/technical-log.txt")
@login_required
def snapshot_log(snapshot_id: int):
    """A count's step-by-step log as the tally core wrote it (figures in pence)."""
    snapshot = services.get_snapshot(snapshot_id)
    services.check_can_see_count(current_user, snapshot.round)
    name = f"round-{snapshot.round_id}-count-{snapshot.sequence}-log.txt"
    return download(snapshot.explanation, "text/plain; charset=utf-8", name, private=True)


@bp.post("/round/<int:round_id>/count")
@login_required
def count(round_id: int):
    """Run the count (a group lead of the locality)."""
    round_ = get_round(round_id)
    # Batches that do not add up, or voting not closed after all:
    with attempt(Conflict) as counting:
        snapshot = services.count_round(round_, current_user)
    if counting.refusal:
        return _count_page(round_, status=counting.refusal.status,
                           refusal=counting.refusal.message)
    db.session.commit()
    flash(f"Count {snapshot.sequence} stored. A finance officer must now sign it off.")
    return redirect(url_for("results.count_page", round_id=round_id))


@bp.post("/round/<int:round_id>/withdraw")
@login_required
def withdraw(round_id: int):
    """Withdraw a project from the count after the vote (a group lead), with the reason."""
    round_ = get_round(round_id)
    form = _withdraw_form(round_)
    if not form.validate_on_submit():
        return _count_page(round_, status=422, withdraw_form=form)
    with attempt(InvalidInput, Conflict) as withdrawing:
        services.withdraw_after_vote(round_, current_user, form.project.data, form.reason.data)
    if withdrawing.refusal:
        form.project.errors.append(withdrawing.refusal.message)
        return _count_page(round_, status=withdrawing.refusal.status, withdraw_form=form)
    db.session.commit()
    flash("The project is withdrawn from the count. Run the count again to count without it.")
    return redirect(url_for("results.count_page", round_id=round_id))


def _withdraw_form(round_) -> WithdrawForm:
    """The withdrawal form, offering the projects on the ballot still in the count."""
    form = WithdrawForm()
    withdrawn = round_.withdrawn_after_vote
    form.project.choices = [SelectChoice("", "Choose a project")] + [
        SelectChoice(str(p.id), p.title) for p in ballot_proposals(round_)
        if str(p.id) not in withdrawn]
    return form


def _withdrawn_titles(round_) -> list[tuple[str, str]]:
    """(title, reason) of each project withdrawn from the count after the vote."""
    titles = {str(p.id): p.title for p in ballot_proposals(round_)}
    return [(titles.get(pid, pid), reason) for pid, reason in round_.withdrawn_after_vote.items()]


@bp.post("/snapshot/<int:snapshot_id>/sign-off")
@login_required
def sign_off(snapshot_id: int):
    """Sign the count off (a finance officer who did not run it)."""
    snapshot = services.get_snapshot(snapshot_id)
    services.sign_off(snapshot, current_user)
    db.session.commit()
    flash("Result signed off. The group lead can now publish it.")
    return redirect(url_for("results.count_page", round_id=snapshot.round_id))


@bp.post("/snapshot/<int:snapshot_id>/return")
@login_required
def return_(snapshot_id: int):
    """Return the count to the group lead with a reason."""
    form = ReturnForm()
    snapshot = services.get_snapshot(snapshot_id)
    with attempt(InvalidInput) as returning:
        services.return_result(snapshot, current_user, form.reason.data if form.validate() else "")
    if returning.refusal:
        if not form.errors:
            form.reason.errors.append(returning.refusal.message)
        return _count_page(snapshot.round, return_form=form, status=returning.refusal.status)
    db.session.commit()
    flash("Result returned to the group lead with your reason.")
    return redirect(url_for("results.count_page", round_id=snapshot.round_id))


@bp.post("/round/<int:round_id>/publish")
@login_required
def publish(round_id: int):
    """Publish the signed-off result (a group lead of the locality)."""
    services.publish_result(get_round(round_id), current_user)
    db.session.commit()
    flash("Result published.")
    return redirect(url_for("results.show", round_id=round_id))


def _published(round_id: int):
    round_ = get_round(round_id)
    return round_, services.require_publication(round_)


@bp.get("/round/<int:round_id>")
def show(round_id: int):
    """The published result: funded and unfunded projects with the why, money, turnout."""
    round_, publication = _published(round_id)
    snapshot = publication.snapshot
    explained = presentation.explain(snapshot)
    turnout = turnout_by_channel(round_)
    return render_template(
        "results/show.html",
        round=round_,
        publication=publication,
        snapshot=snapshot,
        explained=explained,
        outcomes=explained.outcomes,
        chart=presentation.support_chart(explained.outcomes),
        rule=presentation.rule_name(snapshot),
        seed=presentation.lottery_seed(snapshot),
        set_aside=presentation.set_aside_text(*presentation.sheets_set_aside(snapshot)),
        turnout=turnout,
        withdrawn=_withdrawn_titles(round_),
        progress=delivery_progress(round_),
        **_turnout_of(round_, sum(turnout.values())),
    )


def _turnout_of(round_, voters: int) -> dict:
    """The result's turnout as the year's report gives it: voters (sheets set aside included)
    over the residents old enough to vote (``turnout_percent`` None when their number is not
    known)."""
    eligible = eligible_residents(round_)
    hundredths = turnout_hundredths(voters, eligible)
    return {"eligible": eligible,
            "turnout_percent": None if hundredths is None else percent_text(hundredths)}


@bp.get("/round/<int:round_id>/ballots.pb")
def ballots_pb(round_id: int):
    """The anonymised ballots in random order, as a pabulib file."""
    round_, publication = _published(round_id)
    return download(publication.ballots_pb, "text/plain; charset=utf-8", f"round-{round_id}.pb")


@bp.get("/round/<int:round_id>/ballots.csv")
def ballots_csv(round_id: int):
    """The anonymised ballots as CSV (vote, points): no receipt, no order of casting."""
    round_, publication = _published(round_id)
    return download(
        publication.snapshot.ballots_csv, "text/csv; charset=utf-8", f"round-{round_id}-ballots.csv"
    )


@bp.get("/round/<int:round_id>/result.json")
def result_json(round_id: int):
    """The result with its rule, fingerprint and explanation, as the tally core wrote it."""
    round_, publication = _published(round_id)
    return download(
        publication.snapshot.result_json, "application/json", f"round-{round_id}-result.json"
    )


@bp.get("/round/<int:round_id>/technical-log.txt")
def technical_log(round_id: int):
    """The published count's step-by-step log as the tally core wrote it (figures in pence)."""
    round_, publication = _published(round_id)
    return download(publication.snapshot.explanation, "text/plain; charset=utf-8",
                    f"round-{round_id}-log.txt")


@bp.get("/round/<int:round_id>/recount")
def recount(round_id: int):
    """How to recount the result yourself, and the numbers to expect."""
    round_, publication = _published(round_id)
    snapshot = publication.snapshot
    return render_template(
        "results/recount.html",
        round=round_,
        snapshot=snapshot,
        outcomes=presentation.project_outcomes(snapshot),
        options=presentation.recount_options(snapshot),
        rule=presentation.rule_in_words(snapshot),
    )


@bp.route("/round/<int:round_id>/receipt", methods=["GET", "POST"])
def receipt(round_id: int):
    """Check that the ballot a receipt code names is in the published, counted ballots."""
    round_, publication = _published(round_id)
    form, found = ReceiptForm(), False
    if form.validate_on_submit():
        with attempt(InvalidInput, NotFound) as checking:
            services.check_receipt(publication, form.code.data)
        if checking.refusal:
            return refused_form_page("results/receipt.html", form, checking.refusal, form.code,
                                     round=round_)
        found = True
    return form_page("results/receipt.html", form, found=found, round=round_)
