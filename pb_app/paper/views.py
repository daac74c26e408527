"""Keying pages: a batch's keying page (rule, progress, differences, files, acceptance) and
the keyboard-first page that keys one sheet after another."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from pb_app.errors import Conflict, InvalidInput, NotFound
from pb_app.extensions import db
from pb_app.paper import forms, services
from pb_app.paper.entry import HOW_TO_SET_ASIDE, how_to_key, in_numbers, project_numbers
from pb_app.paper.models import KEYING_RULES
from pb_app.paper.sheets_file import FileRefused, key_sheets_file
from pb_app.rounds.models import Round
from pb_app.rounds.services import get_visible_round
from pb_app.voting.models import PaperBatch
from pb_app.voting.projects import ballot_projects
from pb_app.voting.services import (
    ballot_rules,
    check_can_run_voting,
    get_paper_batch,
    paper_batches,
)
from pb_app.voting.wording import count_of
from pb_app.web.layout import ButtonForm, attempt, form_page, refused_form_page

bp = Blueprint("paper", __name__, template_folder="templates")

BATCH = "/rounds/<int:round_id>/voting/batches/<int:batch_id>/keying"


@bp.context_processor
def paper_helpers() -> dict:
    """Template helpers for the keying pages."""
    return {"count_of": count_of}


def _batch_of(round_id: int, batch_id: int) -> tuple[Round, PaperBatch]:
    """The round and its batch, for someone who runs the round's voting (else 403/404)."""
    round_ = get_visible_round(round_id, current_user)
    check_can_run_voting(current_user, round_)
    return round_, get_paper_batch(round_, batch_id)


@bp.get(BATCH)
@login_required
def batch(round_id: int, batch_id: int):
    """A batch's keying page: its rule, each keying's progress, differences, acceptance."""
    return _batch_page(*_batch_of(round_id, batch_id))


def _batch_page(round_: Round, batch: PaperBatch, form=None, status: int = 200,
                file_problems: tuple[str, ...] = ()):
    entered = next(count for each, count in paper_batches(round_) if each.id == batch.id)
    keyings, needed = services.keyings_of(batch), services.keyings_needed(batch)
    comparison = services.compare_keyings(batch)
    return render_template(
        "paper/batch.html", round=round_, batch=batch, entered=entered, form=form,
        accepted=bool(entered or batch.set_aside_count),
        keyings=keyings, needed=needed, comparison=comparison, rules=KEYING_RULES,
        upload_number=_upload_number(keyings, needed, comparison),
        accept_form=form if isinstance(form, ButtonForm) else ButtonForm(),
        file_form=form if isinstance(form, forms.SheetsFileForm) else forms.SheetsFileForm(),
        rule_form=form if isinstance(form, forms.KeyingRuleForm) else forms.KeyingRuleForm(),
        file_problems=file_problems,
    ), status


def _upload_number(keyings: dict, needed: int, comparison: services.Comparison) -> int | None:
    """The keying the signed-in person may fill from a file: their own while it is empty,
    else the first not started; None when there is none."""
    mine = next((number for number, keying in keyings.items()
                 if keying.clerk_id == current_user.id), None)
    if mine is not None:
        return None if comparison.keyed.get(mine) else mine
    return next((number for number in range(1, needed + 1) if number not in keyings), None)


@bp.post(BATCH + "/rule")
@login_required
def choose_rule(round_id: int, batch_id: int):
    """Choose single or double keying for the batch."""
    round_, batch = _batch_of(round_id, batch_id)
    form = forms.KeyingRuleForm()
    if not form.validate_on_submit():
        return _batch_page(round_, batch, form, 422)
    services.choose_keying_rule(round_, batch, current_user, form.rule.data)
    db.session.commit()
    flash(f"{KEYING_RULES[form.rule.data]}.", "success")
    return redirect(url_for("paper.batch", round_id=round_id, batch_id=batch_id))


@bp.post(BATCH + "/<int:number>/file")
@login_required
def upload(round_id: int, batch_id: int, number: int):
    """Key a whole batch for one keying from a CSV file: every row, or none."""
    round_, batch = _batch_of(round_id, batch_id)
    form = forms.SheetsFileForm()
    if not form.validate_on_submit():
        return _batch_page(round_, batch, form, 422)
    with attempt(FileRefused) as keying:
        count = key_sheets_file(round_, batch, current_user, number, form.sheets.data.read())
    if keying.refusal:
        form.sheets.errors.append(keying.refusal.message)
        return _batch_page(round_, batch, form, keying.refusal.status,
                           file_problems=keying.refusal.problems)
    db.session.commit()
    flash(f"Keying {number}: {count} sheets keyed from the file.", "success")
    return redirect(url_for("paper.batch", round_id=round_id, batch_id=batch_id))


@bp.post(BATCH + "/accept")
@login_required
def accept(round_id: int, batch_id: int):
    """Put the batch's agreed sheets in the ballot box."""
    round_, batch = _batch_of(round_id, batch_id)
    with attempt(Conflict) as accepting:
        count = services.accept_batch(round_, batch, current_user, datetime.now(UTC).date())
    if accepting.refusal:
        form = ButtonForm()
        form.form_errors.append(accepting.refusal.message)
        return _batch_page(round_, batch, form, accepting.refusal.status)
    db.session.commit()
    set_aside = (f"; {count_of(batch.blank_count, 'blank sheet')} and "
                 f"{count_of(batch.spoilt_count, 'spoilt sheet')} set aside"
                 if batch.set_aside_count else "")
    flash(f"Batch {batch.label!r} accepted: {count_of(count, 'ballot')} in the ballot box"
          f"{set_aside}.", "success")
    return redirect(url_for("voting.manage", round_id=round_id))


@bp.route(BATCH + "/<int:number>", methods=["GET", "POST"])
@login_required
def entry(round_id: int, batch_id: int, number: int):
    """Key one sheet after another: project numbers typed, Enter saves, the next one comes."""
    round_, batch = _batch_of(round_id, batch_id)
    form = forms.SheetForm()
    if not form.is_submitted():
        form.sheet.data = _sheet_asked(batch, number)
        if form.sheet.data is None:
            flash(f"Keying {number} holds every sheet of the batch.", "success")
            return redirect(url_for("paper.batch", round_id=round_id, batch_id=batch_id))
        return _entry_page(round_, batch, number, form)
    sheet = _sheet_posted(batch, form.sheet.data)
    if not form.validate():  # the CSRF token
        return form_page("paper/entry.html", form, **_entry_context(round_, batch, number, sheet))
    with attempt(InvalidInput, NotFound, Conflict) as entering:
        choices = services.enter_sheet(round_, batch, current_user, number, sheet,
                                       form.projects.data or "")
    if entering.refusal:
        return refused_form_page("paper/entry.html", form, entering.refusal, form.projects,
                                 **_entry_context(round_, batch, number, sheet))
    db.session.commit()
    flash(f"Sheet {sheet} keyed: {in_numbers(ballot_rules(round_), choices)}", "success")
    following = services.next_sheet(batch, number, after=sheet)
    return redirect(url_for("paper.entry", round_id=round_id, batch_id=batch_id, number=number,
                            sheet=following) if following else
                    url_for("paper.batch", round_id=round_id, batch_id=batch_id))


def _sheet_asked(batch: PaperBatch, number: int) -> int | None:
    """The sheet the address asks for (?sheet=12), else the next one the keying lacks."""
    if "sheet" not in request.args:
        return services.next_sheet(batch, number)
    return _sheet_posted(batch, request.args["sheet"])


def _sheet_posted(batch: PaperBatch, typed: str | None) -> int:
    """A sheet number of the batch read from the request; raises NotFound for any other."""
    typed = (typed or "").strip()
    if not (typed.isascii() and typed.isdigit() and 1 <= int(typed[:7]) <= batch.declared_count):
        raise NotFound(f"There is no such sheet in this batch: it has sheets 1 to "
                       f"{batch.declared_count}.")
    return int(typed)


def _entry_page(round_: Round, batch: PaperBatch, number: int, form):
    return form_page("paper/entry.html", form,
                     **_entry_context(round_, batch, number, int(form.sheet.data)))


def _entry_context(round_: Round, batch: PaperBatch, number: int, sheet: int) -> dict:
    projects = ballot_projects(round_)
    rules = ballot_rules(round_, projects)
    keyed = services.keyed_numbers(batch, number)
    return {"round": round_, "batch": batch, "number": number, "sheet": sheet, "rules": rules,
            "keyed": len(keyed), "again": sheet in keyed, "how_to_key": how_to_key(rules),
            "how_to_set_aside": HOW_TO_SET_ASIDE,
            "numbered": list(zip(project_numbers(rules).values(), projects, strict=True))}
