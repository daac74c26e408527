"""Emailed links are built from BASE_URL, never from the Host or X-Forwarded-Host a request
sends (issue 14, breach 4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import UserFactory

from accounts.sent_mail import emails, links
from pb_app import create_app, trust_proxies
from pb_app.errors import ConfigurationError
from pb_app.extensions import db
from pb_app.links import external_url

BASE_URL = "https://pb.example.org"
ROOT = Path(__file__).resolve().parents[2]
FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example",
          "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}


@pytest.fixture
def behind_a_proxy(app, monkeypatch):
    """The app as the README deploys it: one trusted proxy, and a public BASE_URL."""
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_COUNT", 1)
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # put back after the test
    trust_proxies(app)
    return app


@pytest.fixture
def jean():
    user = UserFactory(email="jean@example.org", full_name="Jean Hogg")
    db.session.commit()
    return user


def test_a_reset_link_asked_for_with_a_forged_host_points_at_base_url(
        client, behind_a_proxy, jean, mail_log):
    response = client.post("/reset-password", data={"email": "jean@example.org"}, headers=FORGED)
    assert response.status_code == 200
    [email] = emails(mail_log)
    assert "evil.example" not in email
    [link] = links(mail_log, "/reset-password/")
    assert link.startswith(f"{BASE_URL}/reset-password/")
    # and the link works
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/reset-password/{token}").status_code == 200


def test_registration_emails_use_base_url_whatever_the_host(client, behind_a_proxy, jean,
                                                            mail_log):
    new = {"full_name": "Morag Scott", "email": "morag@example.org",
           "password": "a long password", "confirm": "a long password"}
    taken = {**new, "email": "jean@example.org"}
    for data in (new, taken):
        assert client.post("/register", data=data, headers=FORGED).status_code == 200
    sent = emails(mail_log)
    assert len(sent) == 2 and not any("evil.example" in email for email in sent)
    assert links(mail_log, "/register/")[0].startswith(f"{BASE_URL}/register/")
    assert links(mail_log, "/reset-password/")[0].startswith(f"{BASE_URL}/reset-password/")


def test_x_forwarded_host_is_not_trusted_even_behind_a_proxy(client, behind_a_proxy):
    response = client.get("/sign-in", headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 200
    assert "evil.example" not in response.get_data(as_text=True)


def test_external_url_works_without_a_request_and_keeps_a_path_prefix(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://nhs.example.org/pb/")
    assert external_url("accounts.reset_password", token="abc") == (
        "https://nhs.example.org/pb/reset-password/abc")
    assert external_url("accounts.sign_in", next="/profile") == (
        "https://nhs.example.org/pb/sign-in?next=/profile")


STRONG_KEY = "k" * 48


@pytest.mark.parametrize("base_url", [None, "", "pb.example.org", "http://pb.example.org",
                                      "https://", "javascript:alert(1)"])
def test_production_refuses_to_start_without_a_good_base_url(base_url):
    with pytest.raises(ConfigurationError, match="PB_BASE_URL"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": STRONG_KEY, "BASE_URL": base_url})


def test_production_starts_with_an_https_base_url():
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": STRONG_KEY,
                      "BASE_URL": "https://pb.example.org"})
    assert app.config["BASE_URL"] == "https://pb.example.org"


@pytest.mark.parametrize(("port", "expected"), [(None, "http://127.0.0.1:5000"),
                                                ("5011", "http://127.0.0.1:5011")])
def test_in_development_links_point_at_the_port_flask_run_serves(port, expected):
    environment = {key: value for key, value in os.environ.items() if key != "FLASK_RUN_PORT"}
    if port:
        environment["FLASK_RUN_PORT"] = port
    printed = subprocess.run([sys.executable, "-c", "import config; "
                              "print(config.DevelopmentConfig.BASE_URL)"],
                             env=environment, cwd=ROOT, capture_output=True, text=True, check=True)
    assert printed.stdout.strip() == expected
