"""Mail settings are checked when the app starts: a typo in ``MAIL_BACKEND`` or
``MAIL_SMTP_SECURITY`` stops ``create_app`` instead of the first message sent."""

from __future__ import annotations

import pytest

from pb_app import create_app
from pb_app.errors import ConfigurationError

BAD_SETTINGS = [
    ("MAIL_BACKEND", "stmp", "MAIL_BACKEND must be 'log', 'smtp' or 'none', not 'stmp'"),
    ("MAIL_BACKEND", "SMTP", "MAIL_BACKEND must be 'log', 'smtp' or 'none', not 'SMTP'"),
    ("MAIL_BACKEND", "", "MAIL_BACKEND must be 'log', 'smtp' or 'none', not ''"),
    ("MAIL_BACKEND", None, "MAIL_BACKEND must be 'log', 'smtp' or 'none', not None"),
    ("MAIL_SMTP_SECURITY", "tls",
     "MAIL_SMTP_SECURITY must be 'starttls', 'ssl' or 'none', not 'tls'"),
    ("MAIL_SMTP_SECURITY", "STARTTLS",
     "MAIL_SMTP_SECURITY must be 'starttls', 'ssl' or 'none', not 'STARTTLS'"),
    ("MAIL_SMTP_SECURITY", "ssl ",
     "MAIL_SMTP_SECURITY must be 'starttls', 'ssl' or 'none', not 'ssl '"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_SETTINGS)
def test_an_unknown_mail_setting_stops_the_app_naming_it(name, value, message):
    with pytest.raises(ConfigurationError) as refusal:
        create_app({"ENV_NAME": "testing", name: value})
    assert str(refusal.value) == message


def test_an_unknown_mail_setting_from_the_environment_stops_the_app(monkeypatch):
    monkeypatch.setenv("PB_MAIL_SMTP_SECURITY", "tls1.2")
    with pytest.raises(ConfigurationError) as refusal:
        create_app({"ENV_NAME": "testing"})
    assert str(refusal.value) == (
        "MAIL_SMTP_SECURITY must be 'starttls', 'ssl' or 'none', not 'tls1.2'")


def test_an_unknown_mail_setting_stops_production_too():
    with pytest.raises(ConfigurationError, match="^MAIL_BACKEND must be .* not 'sendmail'$"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "k" * 40,
                    "BASE_URL": "https://pb.example.org", "MAIL_BACKEND": "sendmail"})


@pytest.mark.parametrize("backend", ["log", "smtp", "none"])
@pytest.mark.parametrize("security", ["starttls", "ssl", "none"])
def test_every_known_mail_setting_starts(backend, security):
    app = create_app({"ENV_NAME": "testing", "MAIL_BACKEND": backend,
                      "MAIL_SMTP_SECURITY": security})
    assert (app.config["MAIL_BACKEND"], app.config["MAIL_SMTP_SECURITY"]) == (backend, security)


@pytest.mark.parametrize("environment", ["testing", "development"])
def test_the_default_mail_settings_start(environment):
    app = create_app({"ENV_NAME": environment})
    assert (app.config["MAIL_BACKEND"], app.config["MAIL_SMTP_SECURITY"]) == ("log", "none")


def test_the_mail_worker_refuses_an_unknown_setting_as_a_usage_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "pigeon")
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 2
    assert "MAIL_BACKEND must be 'log', 'smtp' or 'none', not 'pigeon'" in result.output
