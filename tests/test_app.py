"""The application factory: configuration sources and the safety checks on production."""

from __future__ import annotations

import pytest
from flask import request

from pb_app import create_app
from pb_app.errors import ConfigurationError

STRONG_KEY = "k" * 12 + "9f2c1e7a5b3d4f6e8a0c2b4d6f8e0a1c"


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigurationError, match="PB_SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": None})


def test_production_refuses_a_short_or_development_secret_key():
    for key in ("short", "dev-only-insecure-key-never-use-this-in-production"):
        with pytest.raises(ConfigurationError, match="PB_SECRET_KEY"):
            create_app({"ENV_NAME": "production", "SECRET_KEY": key})


def test_production_refuses_debug_mode():
    with pytest.raises(ConfigurationError, match="debug"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": STRONG_KEY, "DEBUG": True})


def test_production_starts_with_a_strong_key():
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": STRONG_KEY,
                      "BASE_URL": "https://pb.example.org"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_an_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("PB_ENV", "staging")
    with pytest.raises(ConfigurationError, match="PB_ENV"):
        create_app()


def test_prefixed_environment_variables_override_the_config_classes(monkeypatch, tmp_path):
    monkeypatch.setenv("PB_DATABASE_URL", f"sqlite:///{tmp_path}/chosen.sqlite")
    monkeypatch.setenv("PB_PARTNERSHIP_NAME", "Renfrewshire HSCP")
    app = create_app({"ENV_NAME": "testing"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/chosen.sqlite"
    assert app.config["PARTNERSHIP_NAME"] == "Renfrewshire HSCP"


def test_postgresql_urls_use_the_installed_psycopg_driver():
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": "postgresql://pb@db:5432/pb"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://pb@db:5432/pb"


def test_without_a_database_url_the_sqlite_file_lives_in_instance():
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:///" + app.instance_path + "/pb_app.sqlite"
    )


@pytest.mark.parametrize(("proxies", "seen"), [(0, "10.0.0.5"), (1, "203.0.113.7")])
def test_the_client_address_is_taken_from_trusted_proxies_only(proxies, seen):
    app = create_app({"ENV_NAME": "testing", "TRUSTED_PROXY_COUNT": proxies})

    @app.get("/whoami")
    def whoami():
        return request.remote_addr

    response = app.test_client().get(
        "/whoami",
        headers={"X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    assert response.text == seen


HUGE_ID = 2**63


@pytest.mark.parametrize("path", [
    f"/results/round/{HUGE_ID}",
    f"/results/round/{HUGE_ID}/ballots.pb",
    f"/reports/round/{HUGE_ID}",
    f"/rounds/{HUGE_ID}",
    f"/admin/users/{HUGE_ID}",
    f"/rounds/{HUGE_ID}/vote",
])
def test_ids_too_large_for_the_database_get_a_404_on_every_page(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/results/?q=a%00b", "/rounds/?q=a%00b", "/?x=%00"])
def test_a_nul_character_gets_a_400_on_every_page(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "There is a problem with what was sent" in response.text


def test_a_body_larger_than_the_service_accepts_gets_a_413_with_a_reason(client):
    """A 4 MB form is refused before it is read; a photo may be larger on its own page."""
    body = "email=" + "x" * (4 * 1024 * 1024)
    refused = client.post("/sign-in", data=body,
                          content_type="application/x-www-form-urlencoded")
    assert refused.status_code == 413
    assert "What you sent is too large" in refused.text and "Nothing was saved" in refused.text
