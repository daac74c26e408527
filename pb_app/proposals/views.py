"""Proposal pages: the public list and page, proposing, and the group lead's review."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from pb_app.accounts.models import RESIDENT
from pb_app.accounts.services import check_can_manage_locality
from pb_app.extensions import db
from pb_app.money import pounds_input
from pb_app.proposals import forms, services
from pb_app.proposals.models import FEASIBILITY, FIT, OUTCOMES, Status
from pb_app.rounds.services import get_visible_round
from pb_app.web.layout import ButtonForm, add_navigation_link, attempt, form_page, refused_form_page

bp = Blueprint("proposals", __name__, template_folder="templates")
add_navigation_link(bp, "Your proposals", "proposals.mine", role=RESIDENT)


def _proposal_form(round_, data: dict | None = None) -> forms.ProposalForm:
    form = forms.ProposalForm(data=data)
    form.priorities.choices = [SelectChoice(p, p) for p in round_.priorities]
    return form


def _save(round_, proposal=None):
    """Validate the form, call ``save_proposal``, commit; or show the form with its errors."""
    form = _proposal_form(round_, _form_data(proposal) if proposal else None)
    if not form.validate_on_submit():
        return form_page("proposals/edit.html", form, round_=round_, proposal=proposal)
    with attempt() as saving:
        proposal = services.save_proposal(round_, current_user, form.to_input(), proposal)
    if isinstance(saving.refusal, services.InvalidProposal):
        form.show_problems(saving.refusal.problems)
        return form_page("proposals/edit.html", form, round_=round_, proposal=proposal)
    if saving.refusal:
        return refused_form_page("proposals/edit.html", form, saving.refusal, round_=round_,
                                 proposal=proposal)
    db.session.commit()
    flash("Your proposal has been saved. Submit it when it is ready.", "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


def _form_data(proposal) -> dict:
    names = ("title", "summary", "description", "location", "location_postcode", "organisation",
             "conflict_of_interest", "outcomes", "priorities")
    lines = [{"item": line.item, "amount": pounds_input(line.amount_pence)}
             for line in proposal.cost_lines]
    padding = [{}] * max(0, forms.COST_LINE_ROWS - len(lines))
    return {**{name: getattr(proposal, name) for name in names}, "cost_lines": lines + padding}


@bp.get("/rounds/<int:round_id>/proposals")
def index(round_id: int):
    """A round's public proposals, with search and filters."""
    round_ = get_visible_round(round_id, current_user)
    db.session.commit()  # the round may have moved on at its dates
    form = forms.FilterForm(formdata=request.args)
    form.priority.choices = [forms.ANY] + [SelectChoice(p, p) for p in round_.priorities]
    proposals = services.list_public_proposals(round_, **form.to_filters())
    return render_template("proposals/index.html", round_=round_, form=None, filters=form,
                           proposals=proposals, outcomes=OUTCOMES)


@bp.route("/rounds/<int:round_id>/proposals/new", methods=["GET", "POST"])
@login_required
def create(round_id: int):
    """Start a proposal to a round (saved as a private draft)."""
    return _save(get_visible_round(round_id, current_user))


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    """Change one's own proposal while proposals are open (or when sent back for changes)."""
    proposal = services.get_own_proposal(proposal_id, current_user)
    return _save(proposal.round, proposal)


@bp.get("/proposals/<int:proposal_id>")
def show(proposal_id: int):
    """A proposal's page: what it is, its cost lines, checks and review decisions."""
    proposal = services.get_proposal(proposal_id, current_user)
    return form_page("proposals/show.html", ButtonForm(), **_show_context(proposal))


def _show_context(proposal) -> dict:
    """What the proposal page shows besides its button form."""
    return {"proposal": proposal, "Status": Status, "outcomes": OUTCOMES,
            "feasibility": FEASIBILITY, "fit": FIT,
            "is_proposer": services.is_proposer(proposal, current_user)}


@bp.post("/proposals/<int:proposal_id>/submit")
@login_required
def submit(proposal_id: int):
    """Run the automatic checks and send the proposal for review; failures shown at once."""
    proposal = services.get_proposal(proposal_id, current_user)
    with attempt() as submitting:
        services.submit_proposal(proposal, current_user)
    if submitting.refusal:
        return refused_form_page("proposals/show.html", ButtonForm(), submitting.refusal,
                                 **_show_context(proposal))
    db.session.commit()
    flash("Your proposal has passed its checks and been sent for review.", "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/withdraw")
@login_required
def withdraw(proposal_id: int):
    """Withdraw one's own proposal before voting opens."""
    proposal = services.get_proposal(proposal_id, current_user)
    services.withdraw_proposal(proposal, current_user)
    db.session.commit()
    flash("Your proposal has been withdrawn.", "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.get("/proposals/mine")
@login_required
def mine():
    """The signed-in person's own proposals, drafts included."""
    return render_template("proposals/mine.html",
                           proposals=services.list_own_proposals(current_user))


@bp.get("/rounds/<int:round_id>/review")
@login_required
def review_list(round_id: int):
    """Every submitted proposal of a round, for its leads to review."""
    round_ = get_visible_round(round_id, current_user)
    check_can_manage_locality(current_user, round_.locality)
    db.session.commit()
    return render_template("proposals/review_list.html", round_=round_,
                           proposals=services.list_for_review(round_))


def _review_forms(proposal) -> dict:
    merge = forms.MergeForm()
    merge.target.choices = [SelectChoice(p.id, p.title)
                            for p in services.list_for_review(proposal.round)
                            if p.id != proposal.id]
    return {"review_form": forms.ReviewForm(), "merge_form": merge,
            "interest_form": forms.InterestForm()}


def _review_context(proposal, **sent_form) -> dict:
    """The review page's three forms, the one named in ``sent_form`` as it was sent."""
    return {"proposal": proposal, "outcomes": OUTCOMES, **_review_forms(proposal), **sent_form}


def _lead_proposal(proposal_id: int):
    proposal = services.get_proposal(proposal_id, current_user)
    check_can_manage_locality(current_user, proposal.round.locality)
    return proposal


@bp.get("/proposals/<int:proposal_id>/review")
@login_required
def review(proposal_id: int):
    """The lead's review page: decision, merge and declared interests."""
    context = _review_context(_lead_proposal(proposal_id))
    return render_template("proposals/review.html", form=None, **context)


def _act(proposal, form_name: str, form, action, done: str):
    """Validate ``form``, run ``action``, commit and flash ``done``; or show the errors."""
    context = _review_context(proposal, **{form_name: form})
    if not form.validate_on_submit():
        return form_page("proposals/review.html", form, **context)
    with attempt() as acting:
        action(form)
    if acting.refusal:
        return refused_form_page("proposals/review.html", form, acting.refusal, **context)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("proposals.review_list", round_id=proposal.round_id))


@bp.post("/proposals/<int:proposal_id>/decide")
@login_required
def decide(proposal_id: int):
    """Record a lead's decision on a proposal: accept, reject or ask for changes."""
    proposal = _lead_proposal(proposal_id)
    return _act(proposal, "review_form", forms.ReviewForm(), lambda f: services.review_proposal(
        proposal, current_user, f.decision.data, f.feasibility.data, f.fit.data, f.reason.data),
        f"Your decision on \"{proposal.title}\" has been recorded and the proposer told.")


@bp.post("/proposals/<int:proposal_id>/merge")
@login_required
def merge(proposal_id: int):
    """Merge a duplicate proposal into another of the same round."""
    proposal = _lead_proposal(proposal_id)
    form = _review_forms(proposal)["merge_form"]
    return _act(proposal, "merge_form", form, lambda f: services.merge_proposals(
        proposal, services.get_proposal(f.target.data, current_user), current_user,
        f.merge_reason.data), f"\"{proposal.title}\" has been merged.")


@bp.post("/proposals/<int:proposal_id>/interest")
@login_required
def interest(proposal_id: int):
    """Declare an interest in a proposal, so that another lead reviews it."""
    proposal = _lead_proposal(proposal_id)
    return _act(proposal, "interest_form", forms.InterestForm(), lambda f:
                services.declare_interest(proposal, current_user, f.interest.data),
                "Your interest has been declared: another lead must review this proposal.")
