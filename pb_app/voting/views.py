"""Voting pages: how to vote, voting codes, choose -> review -> confirm, the staff desk for
paper and assisted ballots, and the lead's voting page (batches, codes, closing)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, user_logged_out
from werkzeug.datastructures import MultiDict

from pb_app.accounts.models import User
from pb_app.errors import Conflict, InvalidInput, NotEligible, NotFound
from pb_app.extensions import db
from pb_app.links import external_url
from pb_app.moments import when
from pb_app.monitoring.services import issue_ticket
from pb_app.rounds.early import needs_confirming, question_address
from pb_app.rounds.forms import AdvanceForm
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.rules import CHANNELS, BallotKind, Channel, Verification
from pb_app.rounds.services import check_move, get_visible_round, round_reading
from pb_app.voting import forms, services
from pb_app.voting.ballots import (
    NOT_ON_BALLOT,
    BallotRules,
    Choices,
    draft_fields,
    read_choices,
    total_of,
)
from pb_app.voting.cli import voting_cli
from pb_app.voting.eligibility import (
    Eligibility,
    Voter,
    check_eligibility,
    code_key,
    require_eligible,
    voting_closes_on,
)
from pb_app.voting.letters import render_letters
from pb_app.voting.projects import BallotProject, ballot_projects
from pb_app.voting.wording import count_of, was_or_were
from pb_app.web.layout import ButtonForm, attempt, download, form_page, refused_form_page

bp = Blueprint("voting", __name__, template_folder="templates", cli_group=None)
bp.cli.add_command(voting_cli)
bp.add_app_template_global(CHANNELS, "channels_in_words")
bp.add_app_template_global(Verification, "Verification")
bp.add_app_template_global(BallotKind, "BallotKind")

DESK_FIELDS = ("desk_full_name", "desk_postcode", "desk_date_of_birth")
# The session key of the choices kept while a voter reads about a project. Choices are secret,
# so they travel in the (signed, HTTP-only) session cookie or a POST, never in an address,
# which servers and proxies log.
BALLOT_DRAFT = "ballot_draft"
# The session key of the choices shown on the review page: confirming casts exactly those.
REVIEWED_BALLOT = "reviewed_ballot"


@bp.context_processor
def voting_helpers() -> dict:
    """Template helpers for the voting pages."""
    return {"count_of": count_of}


@bp.app_template_global()
def voting_now() -> list[Round]:
    """For any page: the rounds taking ballots now, in the signed-in resident's own locality
    when it is known, else everywhere."""
    locality_id = current_user.locality_id if current_user.is_authenticated else None
    return services.rounds_in_voting(_now(), locality_id)


@bp.record_once
def _on_sign_out(state) -> None:
    user_logged_out.connect(forget_ballot_draft, state.app, weak=False)


def forget_ballot_draft(_app, user=None) -> None:
    """On signing out, drop any choices kept in the session cookie: the next person at a
    shared computer must not find them there."""
    session.pop(BALLOT_DRAFT, None)
    session.pop(REVIEWED_BALLOT, None)


@bp.app_template_global()
def ballot_to_return_to(round_id: int) -> str | None:
    """For a proposal's page: the address of the ballot of ``round_id`` that the reader left
    to read about the proposal, whose choices the session keeps; None if there is none."""
    draft = _kept_draft(round_id)
    return url_for("voting.choose", round_id=round_id, desk=draft["desk"]) if draft else None


def _kept_draft(round_id: int) -> dict | None:
    """The ballot draft the session keeps for the round, if it is this person's."""
    draft = session.get(BALLOT_DRAFT)
    if not draft or draft["round_id"] != round_id:
        return None
    owner = _draft_owner(round_id, draft["desk"])
    return draft if owner and draft["owner"] == owner else None


def _draft_owner(round_id: int, desk: bool) -> str:
    """Whose ballot draft this request may see: the staff member at the desk, the holder of a
    voting code, or the signed-in resident, so that no one sees another person's choices on a
    shared computer; "" for nobody."""
    held = session.get("code_voter")
    if not desk and held and held["round_id"] == round_id:
        return code_key(held["code_id"])
    if not current_user.is_authenticated:
        return ""
    return f"{'desk' if desk else 'user'}:{current_user.id}"


def _draft_values(round_id: int, desk: bool) -> MultiDict:
    """The fields of this person's kept ballot draft for the round and channel, or none."""
    draft = _kept_draft(round_id)
    if draft and draft["desk"] == desk:
        return MultiDict([tuple(field) for field in draft["fields"]])
    return MultiDict()


@bp.app_template_global()
def my_vote(round_: Round):
    """For any page: the signed-in user's participation in ``round_``, or None."""
    return services.participation_of(round_, current_user)


def _now() -> datetime:
    return datetime.now(UTC)


def _round_to_vote_in(round_id: int) -> Round:
    """The round as the pages of a vote read it: the columns they use, without its locality,
    which they never show (eligibility reads it only to refuse)."""
    return get_visible_round(round_id, current_user, reading=VOTE_READING)


# What the pages of a vote read of the round: about half its columns (the rest are read only if
# something touches them).
VOTE_READING = round_reading(
    Round.title, Round.locality_id, Round.phase, Round.voting_open_at, Round.voting_close_at,
    Round.voter_verification, Round.minimum_voting_age, Round.ballot_type, Round.ballot_params,
    Round.budget_pence, Round.is_ballot_order_fixed, Round.ballot_fixed_at, Round.ballot_version)


@dataclass
class Casting:
    """Who is casting through this request: the voter, the channel and any staff member."""

    voter: Voter
    channel: str
    helper: User | None = None
    carried: dict[str, str] = field(default_factory=dict)
    eligibility: Eligibility | None = None

    @property
    def is_desk(self) -> bool:
        """True when staff are entering the ballot for someone."""
        return self.helper is not None


def _online_casting(round_: Round) -> Casting:
    held = session.get("code_voter")
    if held and held["round_id"] == round_.id:
        voter = Voter(person_key=code_key(held["code_id"]), postcode=held["postcode"],
                      date_of_birth=date.fromisoformat(held["date_of_birth"]),
                      voting_code_id=held["code_id"])
        checked = Eligibility(reasons=(), age=held["age"]) if "age" in held else None
        return Casting(voter, Channel.CODE, eligibility=checked)  # checked as the code was entered
    if not current_user.is_authenticated:
        raise NotEligible(
            "Sign in to vote, or use the voting code from your letter if you have one.")
    return Casting(services.voter_for_user(round_, current_user), Channel.ONLINE)


def _desk_casting(round_: Round, carried: dict[str, str]) -> Casting:
    """The voter whose ballot staff enter with them at the desk (a paper ballot is keyed with
    its batch instead), from the fields the desk carries."""
    services.check_can_run_voting(current_user, round_)
    try:
        born = date.fromisoformat(carried["desk_date_of_birth"])
    except ValueError:
        raise InvalidInput("The voter's date of birth is missing: start again.") from None
    voter = services.voter_at_desk(carried["desk_full_name"], carried["desk_postcode"], born)
    return Casting(voter, Channel.ASSISTED, helper=current_user, carried=carried)


def _casting(round_: Round, desk: bool, fields: MultiDict | None = None) -> Casting:
    """Who casts: at the desk, the voter the desk fields of ``fields`` (by default the posted
    form) name; online, the code holder or the signed-in resident."""
    if desk:
        fields = request.form if fields is None else fields
        return _desk_casting(round_, {name: fields.get(name, "") for name in DESK_FIELDS})
    return _online_casting(round_)


def _choose_page(round_: Round, casting: Casting, values, error: str = "", status: int = 200,
                 *, resembling: services.Resemblance | None = None):
    """The ballot page; at the desk with the earlier participation the voter resembles
    (``resembling``, looked up here unless the caller has it)."""
    projects = ballot_projects(round_)
    if casting.is_desk and resembling is None:
        resembling = services.resembling_participation(round_, casting.voter)
    page = render_template("voting/choose.html", round=round_, casting=casting, values=values,
                           error=error, form=forms.BallotForm(), channels=CHANNELS,
                           resembling=resembling,
                           **_ballot(round_, projects, None if casting.is_desk
                                     else casting.voter.person_key))
    return page, status


def _ballot(round_: Round, projects: Sequence[BallotProject], person: str | None) -> dict:
    """What a page that shows the ballot needs: its rules, and its projects in the order of
    this browser and ``person`` (the order by id at the desk, where ``person`` is None)."""
    if person is not None:
        seed = session.setdefault("ballot_seed", secrets.token_hex(8))
        projects = services.display_order(round_, projects, f"{seed}:{person}")
    return {"proposals": projects, "rules": services.ballot_rules(round_, projects)}


@bp.route("/rounds/<int:round_id>/vote")
def start(round_id: int):
    """How to vote in this round and, for a signed-in resident, whether they may."""
    round_ = get_visible_round(round_id, current_user)
    state, problem, eligibility = services.voting_state(round_, _now()), "", None
    signed_in = current_user.is_authenticated
    if not state and signed_in and round_.voter_verification == Verification.SELF_DECLARED:
        with attempt() as checking:
            eligibility = check_eligibility(round_, services.voter_for_user(round_, current_user))
        problem = checking.refusal.message if checking.refusal else ""
    closes_on = round_.voting_close_at and voting_closes_on(round_)
    return render_template(
        "voting/start.html", round=round_, state=state, problem=problem, eligibility=eligibility,
        form=ButtonForm(), closes_on=closes_on,
        needs_email=signed_in and not services.is_email_confirmed(current_user))


@bp.post("/rounds/<int:round_id>/vote/confirm-email")
@login_required
def send_email_link(round_id: int):
    """Send the signed-in resident a link that confirms their email address."""
    round_ = get_visible_round(round_id, current_user)
    if ButtonForm().validate_on_submit():
        services.request_email_confirmation(
            current_user, round_,
            lambda token: external_url("voting.confirm_email", token=token), _now())
        db.session.commit()  # the email goes out with the commit
        flash(f"We have sent a link to {current_user.email}. Open it to confirm your address.")
    return redirect(url_for("voting.start", round_id=round_.id))


@bp.route("/vote/confirm-email/<token>", methods=["GET", "POST"])
@login_required
def confirm_email(token: str):
    """Confirm the signed-in resident's email address with the link we sent, then go back to
    the vote. The link shows a button, so that a mail scanner opening it confirms nothing, and
    works only for the account it was sent to: opened elsewhere, it asks to sign in first."""
    form = ButtonForm()
    if form.validate_on_submit():
        round_id = services.confirm_email_token(token, current_user)
        db.session.commit()
        flash("Thank you: your email address is confirmed.", "success")
        return redirect(url_for("voting.start", round_id=round_id))
    services.read_email_token(token, current_user)  # a dead or misdirected link: refused now
    return form_page("voting/confirm_email.html", form)


@bp.route("/rounds/<int:round_id>/vote/code", methods=["GET", "POST"])
def enter_code(round_id: int):
    """The voting code, its postcode and date of birth, and the ballot, on one page (no account
    needed): a valid code with valid choices goes straight to the review step."""
    round_ = _round_to_vote_in(round_id)
    services.check_voting_open(round_, _now())  # a letter's link after the close: say so first
    form = forms.CodeForm()
    projects = ballot_projects(round_)
    ballot = _ballot(round_, projects, CODE_PAGE_ORDER)
    if not form.is_submitted():
        return _code_page(round_, form, ballot, MultiDict())
    try:
        choices, error = read_choices(ballot["rules"], request.form), ""
    except InvalidInput as refused:
        choices, error = None, refused.message
    casting = _code_casting(round_, form) if form.validate() else None
    if casting is None or choices is None:
        return _code_page(round_, form, ballot, request.form, error, 422)
    return _review_page(round_, casting, projects, ballot["rules"], choices)


# Whose order the code page shows the projects in, before the code says who is voting.
CODE_PAGE_ORDER = "code-page"


def _code_casting(round_: Round, form: forms.CodeForm) -> Casting | None:
    """The code's holder, checked against the round's rules and kept in the session for the
    rest of the vote; None (with the reason on the form) for a code that is not recognised."""
    with attempt(InvalidInput) as finding:  # a wrong code's record is kept, for the rate limit
        voter = services.voter_for_code(round_, form.code.data, form.postcode.data,
                                        form.date_of_birth.data, request.remote_addr or "unknown",
                                        _now())
    if finding.refusal:
        form.code.errors.append(finding.refusal.message)
        return None
    eligibility = require_eligible(round_, voter)
    session["code_voter"] = {"round_id": round_.id, "code_id": voter.voting_code_id,
                             "postcode": voter.postcode, "age": eligibility.age,
                             "date_of_birth": voter.date_of_birth.isoformat()}
    return Casting(voter, Channel.CODE, eligibility=eligibility)


def _code_page(round_: Round, form: forms.CodeForm, ballot: dict, values, error: str = "",
               status: int = 200):
    """The code page, with what was typed and chosen kept, and every problem at once."""
    return render_template("voting/code.html", round=round_, form=form, values=values,
                           error=error, **ballot), status


@bp.route("/rounds/<int:round_id>/vote/ballot", methods=["GET", "POST"], defaults={"desk": False})
@bp.route("/rounds/<int:round_id>/desk/ballot", methods=["GET", "POST"], defaults={"desk": True})
def choose(round_id: int, desk: bool):
    """Step 1: choose (a POST comes back from the review page with the choices to change, a
    GET shows the choices kept while the voter read about a project)."""
    round_ = _round_to_vote_in(round_id)
    values = request.form if request.method == "POST" else _draft_values(round_id, desk)
    casting = _casting(round_, desk, values)
    services.check_voting_open(round_, _now())
    require_eligible(round_, casting.voter)
    return _choose_page(round_, casting, values)


@bp.post("/rounds/<int:round_id>/vote/about/<int:proposal_id>", defaults={"desk": False})
@bp.post("/rounds/<int:round_id>/desk/about/<int:proposal_id>", defaults={"desk": True})
def read_more(round_id: int, proposal_id: int, desk: bool):
    """Keep the choices made so far in the session and show a project's own page, whose
    "Back to your ballot" link brings them back."""
    round_ = get_visible_round(round_id, current_user)
    casting = _casting(round_, desk)
    rules = services.ballot_rules(round_)
    if str(proposal_id) not in rules.costs:
        raise NotFound(NOT_ON_BALLOT)
    session[BALLOT_DRAFT] = {
        "round_id": round_.id, "desk": desk, "owner": _draft_owner(round_.id, desk),
        "fields": list(casting.carried.items()) + draft_fields(rules, request.form)}
    return redirect(url_for("proposals.show", proposal_id=proposal_id))


@bp.post("/rounds/<int:round_id>/vote/review", defaults={"desk": False})
@bp.post("/rounds/<int:round_id>/desk/review", defaults={"desk": True})
def review(round_id: int, desk: bool):
    """Step 2: check the choices against the rules and show them back before confirming."""
    round_ = _round_to_vote_in(round_id)
    casting = _casting(round_, desk)
    projects = ballot_projects(round_)
    rules = services.ballot_rules(round_, projects)
    try:
        choices = read_choices(rules, request.form)
    except InvalidInput as error:
        return _choose_page(round_, casting, request.form, error.message, 422)
    return _review_page(round_, casting, projects, rules, choices)


def _review_page(round_: Round, casting: Casting, projects: Sequence[BallotProject],
                 rules: BallotRules, choices: Choices) -> str:
    """The review step: the choices shown back, and kept in the session as the ones that
    confirming casts."""
    session[REVIEWED_BALLOT] = {"round_id": round_.id, "voter": _reviewer(round_, casting),
                                "choices": choices.to_json()}
    titles = {str(project.id): project.title for project in projects}
    return render_template("voting/review.html", round=round_, casting=casting, rules=rules,
                           choices=choices, rows=_review_rows(titles, rules, choices),
                           carried=choices.as_form(rules.ballot_type),
                           total=total_of(rules, choices), form=forms.ConfirmForm())


def _reviewer(round_: Round, casting: Casting) -> str:
    """Who reviewed a ballot: the person at the screen and the voter, so that confirming
    casts only the choices this voter's review showed."""
    return f"{_draft_owner(round_.id, casting.is_desk)}|{casting.voter.person_key}"


def _reviewed_choices(round_: Round, casting: Casting) -> Choices:
    """The choices the review page showed this voter; raises InvalidInput when there are none
    (the review was skipped, or it was another voter's)."""
    reviewed = session.get(REVIEWED_BALLOT)
    if not reviewed or reviewed["round_id"] != round_.id \
            or reviewed["voter"] != _reviewer(round_, casting):
        raise InvalidInput("Your choices were not found. Choose again, check them and then "
                           "confirm them.")
    return Choices.from_json(reviewed["choices"])


def _review_rows(titles: dict[str, str], rules: BallotRules,
                 choices: Choices) -> list[tuple[str, str]]:
    numbers = choices.points or tuple(range(1, len(choices.projects) + 1))
    numbered = bool(choices.points) or rules.ballot_type == BallotKind.ORDINAL
    return [(titles[project], str(number) if numbered else "")
            for project, number in zip(choices.projects, numbers, strict=True)]


@bp.post("/rounds/<int:round_id>/vote/confirm", defaults={"desk": False})
@bp.post("/rounds/<int:round_id>/desk/confirm", defaults={"desk": True})
def confirm(round_id: int, desk: bool):
    """Step 3: cast the reviewed ballot (final) and show its receipt code, once."""
    round_ = _round_to_vote_in(round_id)
    casting = _casting(round_, desk)
    form = forms.ConfirmForm()
    services.check_voting_open(round_, _now())
    eligibility = casting.eligibility or require_eligible(round_, casting.voter)
    receipt = services.cast_ballot(round_, casting.voter, _reviewed_choices(round_, casting),
                                   channel=casting.channel, now=_now(), helper=casting.helper,
                                   eligibility=eligibility)
    if form.email_receipt.data and casting.channel == Channel.ONLINE:
        services.send_receipt(current_user.email, round_, receipt)
    questionnaire = None if casting.is_desk else url_for(
        "monitoring.questionnaire", token=issue_ticket(round_))
    # Rendered before the commit, which expires the round: reading it back costs a query.
    response = make_response(render_template("voting/receipt.html", round=round_,
                                             receipt=receipt, casting=casting,
                                             questionnaire=questionnaire))
    db.session.commit()  # the ballot, and the receipt email with it
    for key in ("code_voter", BALLOT_DRAFT, REVIEWED_BALLOT):
        session.pop(key, None)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/rounds/<int:round_id>/desk", methods=["GET", "POST"])
@login_required
def desk(round_id: int):
    """Staff at an event: check a person's name, postcode and age, then either give them a
    ballot paper (keyed later with its batch) or enter their ballot with them."""
    round_ = get_visible_round(round_id, current_user)
    services.check_can_run_voting(current_user, round_)
    form = forms.DeskVoterForm()
    if not form.validate_on_submit():
        return form_page("voting/desk.html", form, round=round_)
    session.pop(BALLOT_DRAFT, None)  # a new voter: the last one's choices go
    session.pop(REVIEWED_BALLOT, None)
    with attempt() as checking:  # the person or the round: staff keep the form
        casting = _desk_casting(round_, _desk_fields(form))
        if form.channel.data == Channel.PAPER:
            return _hand_out(round_, casting.voter)
        services.check_voting_open(round_, _now())
        require_eligible(round_, casting.voter)
    if checking.refusal:
        return refused_form_page("voting/desk.html", form, checking.refusal, round=round_)
    resembling = services.warn_of_resemblance(round_, casting.voter, current_user)
    if resembling is not None:
        db.session.commit()
    return _choose_page(round_, casting, MultiDict(), resembling=resembling)


def _hand_out(round_: Round, voter: Voter):
    """Record the ballot paper given to ``voter`` and go back to the desk for the next one,
    naming anyone else who gave the same postcode and date of birth, or name and postcode."""
    resembling = services.warn_of_resemblance(round_, voter, current_user)
    services.hand_out_paper_ballot(round_, voter, current_user, _now())
    db.session.commit()
    flash("Recorded: give the person a ballot paper. It is counted when its batch is keyed.",
          "success")
    if resembling is not None:
        flash(f"Someone with this {resembling.shared} had already voted "
              f"({CHANNELS[resembling.channel].lower()}, {resembling.voted_on:%-d %B}): both are "
              "listed as suspected duplicates on the voting page.")
    return redirect(url_for("voting.desk", round_id=round_.id))


def _desk_fields(form: forms.DeskVoterForm) -> dict[str, str]:
    return {"desk_full_name": form.full_name.data, "desk_postcode": form.postcode.data,
            "desk_date_of_birth": form.date_of_birth.data.isoformat()}


@bp.route("/rounds/<int:round_id>/voting")
@login_required
def manage(round_id: int):
    """The lead's voting page: turnout, paper batches and their reconciliation, codes, closing."""
    return _manage_page(get_visible_round(round_id, current_user))


def _manage_page(round_: Round, batch_form=None, codes_form=None, status: int = 200):
    """The lead's voting page (only for those who run the round's voting, whatever the form
    sent); a form passed back with errors also heads the page's summary."""
    services.check_can_run_voting(current_user, round_)
    return render_template(
        "voting/manage.html", round=round_, state=services.voting_state(round_, _now()),
        form=batch_form or codes_form,
        turnout=services.turnout_by_channel(round_), channels=CHANNELS,
        batches=services.paper_batches(round_), problems=services.reconcile_ballots(round_),
        duplicates=services.suspected_duplicates(round_),
        batch_form=batch_form or forms.PaperBatchForm(), codes_form=codes_form or
        forms.VotingCodesForm(), close_form=AdvanceForm(),
    ), status


@bp.post("/rounds/<int:round_id>/voting/batches")
@login_required
def add_batch(round_id: int):
    """Open a batch of paper ballots with its declared count."""
    round_ = get_visible_round(round_id, current_user)
    form = forms.PaperBatchForm()
    if not form.validate_on_submit():
        return _manage_page(round_, batch_form=form, status=422)
    with attempt(InvalidInput, Conflict) as adding:  # a bad label, or voting has closed
        services.create_paper_batch(round_, current_user, form.label.data,
                                    form.declared_count.data)
    if refusal := adding.refusal:
        (form.label.errors if isinstance(refusal, InvalidInput) else form.form_errors).append(
            refusal.message)
        return _manage_page(round_, batch_form=form, status=refusal.status)
    db.session.commit()
    flash(f"Batch {form.label.data!r} added.", "success")
    return redirect(url_for("voting.manage", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/voting/batches/<int:batch_id>/correct",
          methods=["GET", "POST"])
@login_required
def correct_batch(round_id: int, batch_id: int):
    """Correct the count written on a paper batch after a recount, with the reason."""
    round_ = get_visible_round(round_id, current_user)
    services.check_can_run_voting(current_user, round_)
    batch = services.get_paper_batch(round_, batch_id)
    form = forms.BatchCorrectionForm()
    page = {"round": round_, "batch": batch}
    if not form.validate_on_submit():
        return form_page("voting/correct_batch.html", form, **page)
    with attempt(InvalidInput, Conflict) as correcting:
        services.correct_paper_batch_count(round_, batch, current_user,
                                           form.declared_count.data, form.reason.data)
    if correcting.refusal:
        return refused_form_page("voting/correct_batch.html", form, correcting.refusal, **page)
    db.session.commit()
    flash(f"The count of batch {batch.label!r} is now {batch.declared_count}.", "success")
    return redirect(url_for("voting.manage", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/voting/codes")
@login_required
def make_codes(round_id: int):
    """Make voting codes and download their letters as a PDF (the only copy of the codes)."""
    round_ = get_visible_round(round_id, current_user)
    form = forms.VotingCodesForm()
    if not form.validate_on_submit():
        return _manage_page(round_, codes_form=form, status=422)
    codes = services.generate_voting_codes(round_, current_user, form.count.data)
    pdf = render_letters(
        partnership=current_app.config["PARTNERSHIP_NAME"],
        locality=round_.locality.name, round_title=round_.title,
        closes=when(round_.voting_close_at, closing=True), codes=codes,
        vote_url=external_url("voting.enter_code", round_id=round_.id))
    db.session.commit()
    return download(pdf, "application/pdf", f"voting-codes-round-{round_.id}.pdf", private=True)


@bp.post("/rounds/<int:round_id>/voting/close")
@login_required
def close(round_id: int):
    """Close voting now: no ballot is accepted afterwards, on any channel."""
    round_ = get_visible_round(round_id, current_user)
    form = AdvanceForm()
    if form.validate_on_submit():
        return _close_once(round_, form.confirmed_for.data)
    return redirect(url_for("voting.manage", round_id=round_.id))


def _close_once(round_: Round, confirmed_for: str | None):
    """Close voting and say so, once a lead has confirmed closing before the advertised date;
    a round no longer in voting (a second click, or closed at its date) is left as it is,
    with the reason."""
    services.check_can_run_voting(current_user, round_)
    back = url_for("voting.manage", round_id=round_.id)
    if round_.current_phase is not Phase.VOTING:
        flash(services.voting_state(round_, _now()))
        return redirect(back)
    if needs_confirming(round_, Phase.CLOSED, confirmed_for, _now()):
        check_move(round_, current_user, Phase.CLOSED, _now())
        return redirect(question_address(round_, Phase.CLOSED, "voting"), 303)
    count = services.close_voting(round_, current_user, _now())
    db.session.commit()
    flash(f"Voting is closed. {was_or_were(count, 'ballot')} cast. They stay sealed until "
          "key holders open the ballot box for the count.", "success")
    return redirect(back)


@bp.route("/rounds/<int:round_id>/receipt", methods=["GET", "POST"])
def check_receipt(round_id: int):
    """Check that the ballot a receipt code names is in the box, or was counted (a POST keeps
    the code out of logs). It never shows how anyone voted."""
    round_ = get_visible_round(round_id, current_user)
    form = forms.ReceiptForm()
    status = None
    if form.validate_on_submit():
        status = services.receipt_status(round_, form.receipt.data)
        if status is None:
            form.receipt.errors.append("No ballot in this round has that receipt code. "
                                       "Check it against the one you wrote down.")
    return render_template("voting/check_receipt.html", round=round_, form=form,
                           status=status), 422 if form.errors else 200
