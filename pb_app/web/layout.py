"""The shared page layout: GOV.UK Frontend macros, navigation links and error wording.

``init_layout(app)`` lets every template import the GOV.UK Frontend Jinja macros
(``govuk_frontend_jinja/...``) and WTForms widgets (``govuk_frontend_wtf/...``), and gives
``base.html`` the helpers it needs without naming endpoints that may not exist. Every
template, whichever blueprint renders it, can show dates (``long_date``) and money
(``pounds``, from ``pb_app.money``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.gov_form_base import GovFormBase
from govuk_frontend_wtf.main import WTFormsHelpers, wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from markupsafe import Markup
from werkzeug.http import HTTP_STATUS_CODES
from wtforms import SubmitField

from pb_app.errors import DomainError, settle_refusal
from pb_app.moments import when
from pb_app.money import init_money

NAVIGATION_KEY = "pb_navigation"

# The largest value of an INTEGER id on PostgreSQL; a larger number in an address names no
# row, and sending it to the database would raise an error (a 500) instead of a 404.
MAX_DATABASE_ID = 2**31 - 1

# GOV.UK wording for the pages behind plain HTTP errors; a domain error's own title and
# message are more specific and are shown as they are.
STANDARD_ERROR_PAGES = {
    403: ("You do not have permission to see this page",
          "If you think you should have access, contact the person who runs your group."),
    404: ("Page not found",
          "If you typed the web address, check it is correct. "
          "If you pasted the web address, check you copied the entire address."),
    405: ("This page cannot be opened directly",
          "It is a step that a form sends you to. Go back to the form and send it again."),
}


@dataclass(frozen=True)
class NavigationLink:
    """A link in the service navigation, shown to holders of ``role`` (everyone if None)."""

    text: str
    endpoint: str
    role: str | None = None


def init_layout(app: Flask) -> None:
    """Add the GOV.UK Frontend template loaders and the layout helpers to ``app``."""
    app.jinja_loader = ChoiceLoader([
        app.jinja_loader,
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    WTFormsHelpers(app)
    GovFormBase.render = render_widget
    app.add_template_filter(long_date)
    app.add_template_filter(when)
    init_money(app)
    app.extensions.setdefault(NAVIGATION_KEY, [])
    app.context_processor(layout_context)
    guard_input(app)


def render_widget(widget: GovFormBase, params: dict[str, Any]) -> Markup:
    """Render a GOV.UK form widget's macro with its parameters, which are all it reads.

    Replaces the widgets' own ``render``, which goes through Flask's ``render_template`` and so
    runs every context processor and template signal once for each field on a page.
    """
    return Markup(current_app.jinja_env.get_template(widget.template).render(params=params))


def long_date(value: date | str | None) -> str:
    """A day as people write it, "6 December 2026", from a date or an ISO date string (as
    stored in JSON); empty for None."""
    if value is None:
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def add_navigation_link(blueprint: Blueprint, text: str, endpoint: str,
                        role: str | None = None) -> None:
    """Show a link to ``endpoint`` in the service navigation of any app ``blueprint`` joins.

    With ``role``, only signed-in users for whom ``user.has_role(role)`` is true see it.
    """
    link = NavigationLink(text, endpoint, role)

    def register(state: BlueprintSetupState) -> None:
        state.app.extensions.setdefault(NAVIGATION_KEY, []).append(link)

    blueprint.record_once(register)


def form_page(template: str, form: Any, status: int | None = None, **context: Any):
    """Render a page with ``form``: 422 when the form has errors, unless ``status`` is given."""
    return render_template(template, form=form, **context), status or (
        422 if form.errors else 200)


@dataclass
class Attempt:
    """A change a view asked for: ``refusal`` is the service's refusal, or None if it was made."""

    refusal: DomainError | None = None


@contextmanager
def attempt(*shown: type[DomainError]) -> Iterator[Attempt]:
    """Ask a service for a change in the ``with`` block, catching the refusal to show.

    If a service refuses with one of ``shown`` (any DomainError when none is given), what the
    block changed is undone (a refusal the service recorded in the audit trail is kept), and
    the refusal is left on the Attempt for the view to show on its form. Any other error goes
    on to the app's error pages, which settle the session the same way. The view commits when
    the change is made, as every view that writes does.
    """
    outcome, shown = Attempt(), shown or (DomainError,)
    try:
        yield outcome
    except shown as refusal:
        settle_refusal(refusal)
        outcome.refusal = refusal


def refused_form_page(template: str, form: Any, error: DomainError, field: Any = None,
                      **context: Any):
    """Show a service's refusal on ``form`` with the error's status.

    The message goes on ``field`` when the refusal is about it, else on the whole form.
    """
    (form.form_errors if field is None else field.errors).append(error.message)
    return form_page(template, form, error.status, **context)


def pagination_links(found: Any, endpoint: str, **query: Any) -> dict[str, Any]:
    """The parameters of GOV.UK's pagination component for a Flask-SQLAlchemy page:
    previous and next links, the first and last pages, and those around the current one."""

    def link(number: int) -> dict[str, str]:
        return {"href": url_for(endpoint, page=number, **query)}

    items = [
        {"number": number, "current": number == found.page, **link(number)}
        if number else {"ellipsis": True}
        for number in found.iter_pages(left_edge=1, left_current=1, right_current=2,
                                       right_edge=1)
    ]
    return {"previous": link(found.prev_num) if found.has_prev else None,
            "next": link(found.next_num) if found.has_next else None,
            "items": items}


class ButtonForm(FlaskForm):
    """A bare button (submit, count, close voting...), so that every POST carries a CSRF token."""

    submit = SubmitField("Continue", widget=GovSubmitInput())


def download(body: str | bytes, mimetype: str, filename: str, *, private: bool = False) -> Response:
    """A response the browser saves as ``filename``; a ``private`` one is never cached."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response


def database_id(text: str) -> int:
    """Read a row id typed in a query string; raises ValueError unless it could be one.

    For ``request.args.get(name, type=database_id)``, which gives None for a bad value.
    """
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_DATABASE_ID:
        raise ValueError(f"not a row id: {text!r}")
    return int(text)


def guard_input(app: Flask) -> None:
    """Refuse, before any view runs, input the database cannot take.

    An id in the address too large for an INTEGER column gets a 404; a NUL character in the
    query or form gets a 400 (no one types it, and PostgreSQL cannot store it in text).
    """
    app.url_value_preprocessor(_refuse_ids_out_of_range)
    app.before_request(_refuse_nul_characters)


def _refuse_ids_out_of_range(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if any(isinstance(value, int) and value > MAX_DATABASE_ID for value in (values or {}).values()):
        abort(404)


def _refuse_nul_characters() -> None:
    if any("\x00" in value for _, values in request.values.lists() for value in values):
        abort(400, description="What was sent holds a character that cannot be stored."
                               " Remove it and try again.")


def has_endpoint(endpoint: str) -> bool:
    """True if the running app has a view for ``endpoint`` (so ``url_for`` will work)."""
    return endpoint in current_app.view_functions


def accepts_get(endpoint: str) -> bool:
    """True if ``endpoint`` answers GET, so a plain link can reach it (else it needs a form)."""
    return any("GET" in (rule.methods or ()) for rule in current_app.url_map.iter_rules(endpoint))


def navigation_items() -> list[dict[str, Any]]:
    """The service navigation for the current user: links whose endpoint exists and role fits."""
    items = []
    for link in current_app.extensions.get(NAVIGATION_KEY, []):
        if not has_endpoint(link.endpoint) or not _may_see(link):
            continue
        href = url_for(link.endpoint)
        items.append({
            "text": link.text,
            "href": href,
            "current": request.path == href,
            "active": request.path.startswith(href.rstrip("/") + "/"),
        })
    return items


def _may_see(link: NavigationLink) -> bool:
    if link.role is None:
        return True
    return bool(current_user.is_authenticated and current_user.has_role(link.role))


def error_page(status: int, title: str, message: str) -> tuple[str, str]:
    """The heading and text of an error page: GOV.UK wording for a plain HTTP error."""
    if title != HTTP_STATUS_CODES.get(status):
        return title, message
    if status in STANDARD_ERROR_PAGES:
        return STANDARD_ERROR_PAGES[status]
    if status == 400:
        return "There is a problem with what was sent", message
    return title, message


def error_summary(form: Any, leaves_focus: bool = False) -> dict[str, Any]:
    """The error summary of a form: each field's error links to its field.

    An error about the whole form (a service's refusal, in ``form.form_errors``) names no
    field, so it is listed as text rather than as a link that goes nowhere. ``leaves_focus``:
    the summary does not take the focus, for a page whose field keeps it (keying paper).
    """
    field_errors = [item for item in wtforms_errors(form)["errorList"] if item["href"] != "#"]
    return {"titleText": "There is a problem", "disableAutoFocus": leaves_focus,
            "errorList": [{"text": message} for message in form.form_errors] + field_errors}


def layout_context() -> dict[str, Any]:
    """Template helpers for ``base.html`` and the error page."""
    return {
        "has_endpoint": has_endpoint,
        "accepts_get": accepts_get,
        "navigation_items": navigation_items,
        "error_page": error_page,
        "error_summary": error_summary,
    }
