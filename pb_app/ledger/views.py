"""The allocation ledger's pages: every allocation with its totals (and as CSV), one funded
project's money, its delivery status and its public updates. The pages keep the addresses
under ``/results`` they have always had."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pb_app.accounts.decorators import role_required
from pb_app.accounts.models import ADMINISTRATOR, FINANCE_OFFICER, GROUP_LEAD
from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.ledger import services
from pb_app.ledger.delivery import UpdateDateRefused, add_delivery_update
from pb_app.ledger.forms import DeliveryForm, DeliveryUpdateForm, EntryForm, LedgerFilterForm
from pb_app.ledger.models import ENTRY_KINDS
from pb_app.money import parse_pounds
from pb_app.web.layout import (
    add_navigation_link,
    attempt,
    database_id,
    download,
    form_page,
    refused_form_page,
)

bp = Blueprint("ledger", __name__, url_prefix="/results", template_folder="templates")
add_navigation_link(bp, "Ledger", "ledger.ledger_page", FINANCE_OFFICER)
STAFF = (GROUP_LEAD, FINANCE_OFFICER, ADMINISTRATOR)


def _ledger_filters() -> dict:
    """The ledger's year and locality filters from the query string (empty means all).

    Raises InvalidInput for anything but a row id: other digits (such as superscripts) or a
    number too large for the database would otherwise fail in the query.
    """
    filters = {}
    for name, key in (("year", "year"), ("locality", "locality_id")):
        text = request.args.get(name, "")
        try:
            filters[key] = database_id(text) if text else None
        except ValueError:
            raise InvalidInput("Choose a year and a locality from the lists") from None
    return filters


@bp.get("/ledger")
@role_required(*STAFF)
def ledger_page():
    """Every allocation with its spend, returns, balance and flags, and the totals."""
    filters = _ledger_filters()
    form = LedgerFilterForm(formdata=request.args)
    form.offer(*services.filter_choices())
    return render_template(
        "ledger/ledger.html",
        filters=form,
        lines=services.ledger_lines(**filters),
        totals=services.ledger_totals(**filters),
        flags=services.FLAG_LABELS,
        deliveries=services.DELIVERY_LABELS,
    )


@bp.get("/ledger.csv")
@role_required(*STAFF)
def ledger_csv():
    """The ledger as CSV, safe to open in a spreadsheet."""
    body = services.ledger_csv(services.ledger_lines(**_ledger_filters()))
    return download(body, "text/csv; charset=utf-8", "allocation-ledger.csv")


def _allocation_page(allocation, form: EntryForm, refusal: InvalidInput | None = None):
    """The allocation page with ``form``; a service's refusal goes on the whole form."""
    if refusal is not None:
        form.form_errors.append(refusal.message)
    lines = services.ledger_lines(round_ids=[allocation.round_id])
    return form_page(
        "ledger/allocation.html",
        form,
        refusal.status if refusal else None,
        line=next(item for item in lines if item.allocation.id == allocation.id),
        delivery_form=DeliveryForm(status=allocation.delivery),
        can_record=services.can_record(current_user, allocation),
        flags=services.FLAG_LABELS,
        deliveries=services.DELIVERY_LABELS,
        kinds=ENTRY_KINDS,
    )


@bp.route("/allocation/<int:allocation_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def allocation(allocation_id: int):
    """One funded project's money: its spend lines and returns; add a line."""
    allocation = services.get_allocation(allocation_id)
    form = EntryForm()
    if not form.validate_on_submit():
        return _allocation_page(allocation, form)
    with attempt(InvalidInput) as adding:
        services.add_entry(
            allocation,
            current_user,
            kind=form.kind.data,
            description=form.description.data,
            amount_pence=parse_pounds(form.amount.data, "the amount"),
            entry_on=form.entry_on.data,
            today=datetime.now(UTC).date(),
        )
    if adding.refusal:
        return _allocation_page(allocation, form, adding.refusal)
    db.session.commit()
    flash("Added to the ledger.")
    return redirect(url_for("ledger.allocation", allocation_id=allocation_id))


@bp.post("/allocation/<int:allocation_id>/delivery")
@role_required(*STAFF)
def delivery(allocation_id: int):
    """Change a funded project's delivery status."""
    allocation = services.get_allocation(allocation_id)
    form = DeliveryForm()
    services.set_delivery(allocation, current_user, form.status.data if form.validate() else "")
    db.session.commit()
    flash("Delivery status saved.")
    return redirect(url_for("ledger.allocation", allocation_id=allocation_id))


@bp.route("/allocation/<int:allocation_id>/updates/new", methods=["GET", "POST"])
@role_required(*STAFF)
def delivery_update(allocation_id: int):
    """Add a dated public update on a funded project's delivery."""
    allocation = services.get_allocation(allocation_id)
    services.check_can_record(current_user, allocation)
    form = DeliveryUpdateForm()
    if not form.validate_on_submit():
        return form_page("ledger/delivery_update.html", form, allocation=allocation)
    with attempt(InvalidInput) as adding:
        add_delivery_update(allocation, current_user, note=form.note.data,
                            noted_on=form.noted_on.data, today=datetime.now(UTC).date())
    if adding.refusal:
        field = form.noted_on if isinstance(adding.refusal, UpdateDateRefused) else form.note
        return refused_form_page("ledger/delivery_update.html", form, adding.refusal, field,
                                 allocation=allocation)
    db.session.commit()
    flash("Update added. Everyone can read it on the round's results page.")
    return redirect(url_for("ledger.allocation", allocation_id=allocation_id))
