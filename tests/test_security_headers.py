"""Security headers over HTTP on public, resident and staff pages, and templates that the
Content Security Policy lets run as they are (no inline script, handler or style)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from factories import UserFactory, administrator, finance_officer

from pb_app import create_app
from pb_app.extensions import db
from pb_app.web.security_headers import CONTENT_SECURITY_POLICY

PB_APP = Path(__file__).parents[1] / "pb_app"

EVERY_RESPONSE = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin",
    "X-Content-Type-Options": "nosniff",
}


def assert_secure(response, *, stored: bool = False) -> None:
    """The headers every response carries; pages are never stored, static files may be."""
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, name
    if stored:
        assert "no-store" not in response.headers.get("Cache-Control", "")
    else:
        assert response.headers.get("Cache-Control") == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # outside production


def test_the_policy_allows_only_this_site_and_no_framing():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/", "/sign-in", "/register", "/reset-password", "/results/",
                                  "/rounds/", "/no-such-page"])
def test_public_pages_and_error_pages(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert_secure(response)


def test_a_form_post_that_fails_validation(client):
    response = client.post("/sign-in", data={"email": "", "password": ""})
    assert response.status_code in (200, 400, 422)
    assert_secure(response)


def test_static_files_may_be_cached_but_carry_the_other_headers(client):
    response = client.get("/static/build/js-enabled.js")
    assert response.status_code == 200
    assert_secure(response, stored=True)
    response.close()


@pytest.mark.parametrize("path", ["/", "/profile", "/rounds/"])
def test_a_signed_in_resident_s_pages_are_never_stored(client, sign_in, path):
    user = UserFactory()
    db.session.commit()
    sign_in(user)
    response = client.get(path)
    assert response.status_code == 200
    assert_secure(response)


@pytest.mark.parametrize(("role", "path"), [(administrator, "/admin/users"),
                                            (finance_officer, "/audit/"),
                                            (finance_officer, "/results/ledger")])
def test_staff_pages_are_never_stored(client, sign_in, role, path):
    staff = role()
    db.session.commit()
    sign_in(staff)
    response = client.get(path)
    assert response.status_code == 200
    assert_secure(response)


def test_production_adds_strict_transport_security(tmp_path):
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "k" * 48,
                      "BASE_URL": "https://pb.example.org",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite'}"})
    response = app.test_client().get("/static/build/js-enabled.js")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    response.close()


TEMPLATES = sorted(PB_APP.rglob("templates/**/*.html"))
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"<style\b|<[^>]*\sstyle\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def test_there_are_templates_to_read():
    assert len(TEMPLATES) > 30 and PB_APP / "templates" / "base.html" in TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(PB_APP)))
def test_no_template_holds_inline_script_handlers_or_styles(template):
    text = template.read_text()
    for pattern, what in [(INLINE_SCRIPT, "an inline <script>"), (HANDLER, "an on*= handler"),
                          (STYLE, "a style attribute or element"),
                          (SCRIPT_URL, "a javascript: address")]:
        found = pattern.search(text)
        assert found is None, f"{what}, which the Content Security Policy blocks: {found[0]!r}"


def test_the_checks_find_what_they_look_for():
    assert INLINE_SCRIPT.search("<script>document.body.className += ' js-enabled'</script>")
    assert not INLINE_SCRIPT.search('<script type="module" src="/static/app.mjs"></script>')
    assert HANDLER.search('<button type="button"\n  onclick="go()">')
    assert STYLE.search('<div class="x" style="color: red">')
    assert not STYLE.search('<link rel="stylesheet" href="app.css">')


def test_over_https_a_form_posted_as_browsers_send_it_under_the_policy_is_accepted():
    """Over HTTPS, CSRF protection also wants a same-origin Referer; under
    ``Referrer-Policy: strict-origin`` a browser sends the site's origin, and that passes.
    (Under ``no-referrer`` it sent none, and every form of the site was refused.)"""
    app = create_app({"ENV_NAME": "testing", "WTF_CSRF_ENABLED": True,
                      "DATABASE_URL": "sqlite://"})
    client = app.test_client()
    page = client.get("/sign-in", base_url="https://pb.example.org")
    assert page.headers["Referrer-Policy"] == "strict-origin"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": token, "email": "", "password": ""}
    with app.app_context():
        db.create_all()
        as_sent = client.post("/sign-in", base_url="https://pb.example.org", data=form,
                              headers={"Referer": "https://pb.example.org/"})
        without = client.post("/sign-in", base_url="https://pb.example.org", data=form)
    assert as_sent.status_code == 422  # the form's own errors: the CSRF check passed
    assert without.status_code == 400
