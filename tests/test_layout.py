"""The shared page layout: header, navigation, messages, error summary, error pages, privacy."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Blueprint, abort, flash, render_template_string
from flask_login import login_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import InputRequired

from pb_app import create_app
from pb_app.accounts.models import ADMINISTRATOR, RoleGrant, User
from pb_app.errors import Conflict, InvalidInput, PermissionDenied
from pb_app.extensions import db
from pb_app.web.layout import add_navigation_link, database_id, error_page, has_endpoint

BUILD = Path(__file__).resolve().parents[1] / "pb_app" / "static" / "build"
SERVICE = "Community Participatory Budgeting"
PARTNERSHIP = "Scottish Borders Health and Social Care Partnership"
PAGE = '{% extends "base.html" %}{% block title %}Plain page{% endblock %}'


class PostcodeForm(FlaskForm):
    """A one-field form, to see the layout's error summary and inline error."""

    postcode = StringField("Postcode", widget=GovTextInput(),
                           validators=[InputRequired(message="Enter your postcode")])


def _test_views() -> Blueprint:
    bp = Blueprint("layout_test", __name__, url_prefix="/layout-test")
    add_navigation_link(bp, "Results", "layout_test.results")
    add_navigation_link(bp, "Manage roles", "layout_test.roles", role=ADMINISTRATOR)
    add_navigation_link(bp, "Reports", "reports.not_built_yet")

    @bp.get("/results")
    def results():
        return render_template_string(PAGE)

    @bp.get("/roles")
    def roles():
        return render_template_string(PAGE)

    @bp.get("/messages")
    def messages():
        flash("Your proposal has been sent", "success")
        flash("Voting closes on Friday 5 June")
        return render_template_string(PAGE)

    @bp.route("/form", methods=["GET", "POST"])
    def form():
        form = PostcodeForm()
        form.validate_on_submit()
        return render_template_string(
            '{% extends "base.html" %}{% block title %}Your postcode{% endblock %}'
            '{% block content %}<form method="post" novalidate>'
            '{{ form.postcode(params={"label": {"text": "Postcode"}}) }}</form>{% endblock %}',
            form=form,
        )

    @bp.post("/refused-form")
    def refused_form():
        form = PostcodeForm()
        form.validate_on_submit()
        form.form_errors.append("Proposals for this round have closed")
        return render_template_string(
            '{% extends "base.html" %}{% block content %}{{ form.postcode }}{% endblock %}',
            form=form)

    @bp.get("/refuse/<kind>")
    def refuse(kind: str):
        if kind == "permission":
            raise PermissionDenied("Only an administrator can grant roles.")
        if kind == "conflict":
            raise Conflict("Voting has opened, so the budget cannot change.")
        if kind == "invalid":
            raise InvalidInput("Enter a full postcode, like TD1 3AB.")
        if kind == "forbidden":
            abort(403)
        raise RuntimeError("a bug")

    return bp


@pytest.fixture(scope="module")
def layout_app(app):
    """An app on the test database with extra pages that exercise the layout."""
    layout_app = create_app({
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "PROPAGATE_EXCEPTIONS": False,  # let the 500 handler render its page
    })
    layout_app.register_blueprint(_test_views())
    return layout_app


@pytest.fixture
def layout_client(layout_app):
    """A test client of ``layout_app``."""
    return layout_app.test_client()


class _Assets(HTMLParser):
    """Collects the URLs a browser would fetch while loading the page."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in {"script", "img", "iframe", "source"} and attributes.get("src"):
            self.urls.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])


def _text(response) -> str:
    return response.get_data(as_text=True)


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def _user(*roles: str) -> User:
    user = User(email="lead@example.org", password_hash="x", full_name="Morag Lead")
    user.role_grants = [RoleGrant(role=role) for role in roles]
    return user


def test_home_page_frame(client):
    """Skip link first, then the partnership and service names; no crown, no GOV.UK."""
    html = _text(client.get("/"))

    body = html[html.index("<body"):]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'href="#main-content"' in first_link and "govuk-skip-link" in first_link
    assert '<main class="govuk-main-wrapper" id="main-content">' in html
    assert f'govuk-generic-header__homepage-link">\n        {PARTNERSHIP}' in html
    assert "govuk-service-navigation__service-name" in html and SERVICE in html
    assert _title(html).endswith(SERVICE)
    assert "govuk-phase-banner" in html and "govuk-footer" in html
    for gov_uk_only in ("GOV.UK", "govuk-logo", "govuk-header__logotype", "Crown copyright"):
        assert gov_uk_only not in html


def test_sign_in_link_for_a_visitor(client):
    """The header offers a visitor the sign-in page."""
    html = _text(client.get("/"))

    assert '<a class="govuk-service-navigation__link" href="/sign-in">Sign in</a>' in html
    assert "Sign out" not in html
    on_sign_in_page = _text(client.get("/sign-in"))
    assert 'href="/sign-in" aria-current="page">Sign in</a>' in on_sign_in_page


def test_sign_out_form_for_a_signed_in_user(client, sign_in):
    """A signed-in user gets sign-out as a CSRF-protected POST form, and no sign-in link."""
    user = _user()
    db.session.add(user)
    db.session.flush()
    sign_in(user)
    html = _text(client.get("/"))

    assert '<form method="post" action="/sign-out"' in html
    assert 'name="csrf_token"' in html
    assert 'href="/sign-in"' not in html
    account = html[html.index('<nav class="app-header__account"'):]
    account = account[:account.index("</nav>")]
    assert 'href="/profile"' in account and "Sign out" in account
    assert "govuk-service-navigation" not in account


def test_navigation_shows_links_by_role_and_skips_missing_endpoints(layout_app, layout_client):
    """Role links only for holders; a link to an endpoint that does not exist is left out."""
    anonymous = _text(layout_client.get("/layout-test/results"))
    assert 'href="/layout-test/results" aria-current="page"' in anonymous
    assert "Manage roles" not in anonymous and "Reports" not in anonymous

    with layout_app.test_request_context("/layout-test/roles"):
        login_user(_user(ADMINISTRATOR))
        admin = render_template_string(PAGE)
    assert 'href="/layout-test/roles" aria-current="page"' in admin
    assert 'href="/layout-test/results"' in admin and "Reports" not in admin


def test_flashed_messages_are_notification_banners(layout_client):
    """A success message is a success banner (an alert); others are 'Important' banners."""
    html = _text(layout_client.get("/layout-test/messages"))

    assert html.count('data-module="govuk-notification-banner"') == 2
    assert 'govuk-notification-banner--success" role="alert"' in html
    assert 'class="govuk-notification-banner" role="region"' in html
    assert "Your proposal has been sent" in html and "Voting closes on Friday 5 June" in html
    assert 'id="notification-title-1"' in html and 'id="notification-title-2"' in html


def test_form_errors_give_error_title_summary_and_inline_message(layout_client):
    """A form with errors: 'Error:' in the title, a summary linking to the field, inline text."""
    assert _title(_text(layout_client.get("/layout-test/form"))) == f"Your postcode – {SERVICE}"

    response = layout_client.post("/layout-test/form", data={"postcode": ""})
    html = _text(response)

    assert _title(html) == f"Error: Your postcode – {SERVICE}"
    assert 'class="govuk-error-summary"' in html
    assert '<a href="#postcode">Enter your postcode</a>' in html
    assert re.search(r'govuk-error-message">\s*<span class="govuk-visually-hidden">Error:</span>'
                     r" Enter your postcode", html)


def test_an_error_about_the_whole_form_is_listed_without_a_dead_link(layout_client):
    """A service's refusal names no field: the summary lists it as text, fields still link."""
    html = _text(layout_client.post("/layout-test/refused-form", data={"postcode": ""}))
    start = html.index('class="govuk-error-summary"')
    summary = html[start:html.index("</ul>", start)]
    assert re.search(r"<li>\s*Proposals for this round have closed\s*</li>", summary)
    assert '<a href="#postcode">Enter your postcode</a>' in summary
    assert 'href="#"' not in summary


@pytest.mark.parametrize(("path", "status", "heading", "text"), [
    ("/layout-test/refuse/permission", 403, "You do not have permission",
     "Only an administrator can grant roles."),
    ("/layout-test/refuse/forbidden", 403, "You do not have permission to see this page",
     "If you think you should have access, contact the person who runs your group."),
    ("/layout-test/no-such-page", 404, "Page not found",
     "If you typed the web address, check it is correct."),
    ("/layout-test/refused-form", 405, "This page cannot be opened directly",
     "Go back to the form and send it again."),
    ("/layout-test/refuse/conflict", 409, "This cannot be changed now",
     "Voting has opened, so the budget cannot change."),
    ("/layout-test/refuse/invalid", 422, "There is a problem",
     "Enter a full postcode, like TD1 3AB."),
    ("/layout-test/refuse/bug", 500, "Sorry, there is a problem with the service",
     "Try again later. Nothing you entered has been saved."),
])
def test_error_pages(layout_client, path, status, heading, text):
    """Each error status gets a full page: GOV.UK heading, explanation, title, way home."""
    response = layout_client.get(path)
    html = _text(response)

    assert response.status_code == status
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in html
    assert text in html
    assert _title(html) == f"{heading} – {SERVICE}"
    assert '<a href="/" class="govuk-link">Go to the home page</a>' in html
    assert 'class="govuk-skip-link"' in html


def test_error_page_keeps_a_domain_errors_own_words(app):
    """Only the generic HTTP wording is replaced; a domain error's title stays."""
    with app.app_context():
        assert error_page(404, "Not Found", "The requested URL was not found on the server.") == (
            "Page not found",
            "If you typed the web address, check it is correct. "
            "If you pasted the web address, check you copied the entire address.",
        )
        own_words = ("Round not found", "No round 7.")
        assert error_page(404, *own_words) == own_words
        assert error_page(400, "Bad Request", "What was sent holds a NUL character.") == (
            "There is a problem with what was sent", "What was sent holds a NUL character.")


def test_has_endpoint(app):
    """True for a registered view, false for one no blueprint provides."""
    with app.test_request_context("/"):
        assert has_endpoint("localities.index")
        assert not has_endpoint("localities.no_such_view")


def test_anonymous_home_page_sets_at_most_the_session_cookie_and_uses_only_local_assets(client):
    """Cookie-free by default, and every asset the page loads is served by the app itself."""
    response = client.get("/")

    assert response.status_code == 200
    cookie_names = {header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")}
    assert cookie_names <= {"session"}
    parser = _Assets()
    parser.feed(_text(response))
    assert len(parser.urls) == 4  # the icon, the stylesheet, the js-enabled and module scripts
    for url in parser.urls:
        assert url.startswith("/static/build/"), url
        assert not url.startswith("//")
        assert client.get(url).status_code == 200, f"{url} is missing: run npm run build"


def test_stylesheet_uses_system_fonts_and_ships_no_font_files():
    """The compiled CSS names no GDS Transport font and the build holds no font files."""
    css = (BUILD / "app.css").read_text()

    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert "font-family:system-ui," in css
    assert not [path for path in BUILD.rglob("*") if path.suffix in {".woff", ".woff2"}]
    assert not re.search(r"url\(\"?(https?:)?//", css)


@pytest.mark.parametrize("text", ["1", "12", "2147483647"])
def test_database_id_reads_what_can_be_a_row_id(text):
    assert database_id(text) == int(text)


@pytest.mark.parametrize("text", ["", "0", "-1", "+1", " 1", "1e3", "2147483648", "\u0661\u0662"])
def test_database_id_refuses_what_cannot_be_a_row_id(text):
    with pytest.raises(ValueError):
        database_id(text)
