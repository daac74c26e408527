"""pb_app: participatory budgeting for Community Integration Groups."""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS
from pb_app.errors import ConfigurationError


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, error pages.

    It never migrates, downloads, prompts or writes files. Configuration comes from
    ``config.py`` (class chosen by ``PB_ENV``), ``instance/config.py``, ``PB_*`` variables
    and finally ``test_config``.
    """
    app = Flask(__name__, instance_relative_config=True)
    environment = (test_config or {}).get("ENV_NAME") or os.environ.get("PB_ENV", "development")
    if environment not in CONFIGS:
        raise ConfigurationError(f"PB_ENV must be one of {', '.join(CONFIGS)}, not {environment!r}")
    app.config.from_object(CONFIGS[environment])
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("PB")
    if test_config:
        app.config.update(test_config)
    app.config["ENV_NAME"] = environment
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app)
    check_production_settings(app)
    from pb_app.mail.services import check_mail_settings

    check_mail_settings(app.config)
    trust_proxies(app)

    init_extensions(app)
    register_blueprints(app)
    register_commands(app)
    return app


def database_uri(app: Flask) -> str:
    """Return the SQLAlchemy URL: ``DATABASE_URL`` or the SQLite file in ``instance/``.

    Plain ``postgresql://`` URLs are pointed at the psycopg 3 driver the project installs.
    """
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(app.instance_path, "pb_app.sqlite")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def check_production_settings(app: Flask) -> None:
    """Refuse to run production without a real secret key, or with debug on."""
    if app.config["ENV_NAME"] != "production":
        return
    secret = app.config.get("SECRET_KEY")
    if not secret or len(secret) < 32 or "dev" in secret.lower():
        raise ConfigurationError("Production needs PB_SECRET_KEY: a random string, 32+ characters")
    if app.debug:
        raise ConfigurationError("Production must not run with debug on")
    from pb_app.links import check_base_url

    problem = check_base_url(app.config.get("BASE_URL"), require_https=True)
    if problem:
        raise ConfigurationError(problem)


def trust_proxies(app: Flask) -> None:
    """Read the client address from ``X-Forwarded-*`` set by ``TRUSTED_PROXY_COUNT`` proxies.

    Sign-in throttling keys on the client address, which behind a reverse proxy is otherwise
    the proxy's own. ``X-Forwarded-Host`` is never trusted: links that leave the site are
    built from ``BASE_URL`` (``pb_app.links``), and a forged host must not reach any of them.
    """
    count = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0)


def init_extensions(app: Flask) -> None:
    """Bind the unbound extensions of ``pb_app.extensions`` to this app."""
    from pb_app.errors import register_error_handlers
    from pb_app.extensions import csrf, db, lock_sqlite_for_writes, login_manager, migrate
    from pb_app.web.layout import init_layout
    from pb_app.web.security_headers import init_security_headers

    app.before_request(lock_sqlite_for_writes)
    db.init_app(app)
    import_models()
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    register_error_handlers(app)
    init_layout(app)
    init_security_headers(app)


def import_models() -> None:
    """Import every domain's ``models`` module, so the metadata (for migrations and tests)
    holds every table even when no blueprint has imported it yet."""
    for package in pkgutil.iter_modules(__path__):
        if package.ispkg and importlib.util.find_spec(f"{__name__}.{package.name}.models"):
            importlib.import_module(f"{__name__}.{package.name}.models")


def register_blueprints(app: Flask) -> None:
    """Register each domain's blueprint, one line each."""
    from pb_app.accounts.views import bp as accounts_bp
    from pb_app.audit.views import bp as audit_bp
    from pb_app.ballotbox.views import bp as ballotbox_bp
    from pb_app.ledger.views import bp as ledger_bp
    from pb_app.localities.views import bp as localities_bp
    from pb_app.monitoring.views import bp as monitoring_bp
    from pb_app.paper.views import bp as paper_bp
    from pb_app.pictures.views import bp as pictures_bp
    from pb_app.privacy.views import bp as privacy_bp
    from pb_app.proposals.views import bp as proposals_bp
    from pb_app.reports.views import bp as reports_bp
    from pb_app.results.views import bp as results_bp
    from pb_app.rounds.views import bp as rounds_bp
    from pb_app.voting.views import bp as voting_bp

    app.register_blueprint(localities_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(ballotbox_bp)
    app.register_blueprint(voting_bp)
    app.register_blueprint(paper_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(monitoring_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(pictures_bp)


def register_commands(app: Flask) -> None:
    """Add the command-line groups that are not attached to a blueprint."""
    from pb_app.audit.cli import audit_cli
    from pb_app.demo import demo_cli
    from pb_app.mail.cli import mail_cli
    from pb_app.tally.cli import tally_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(tally_cli)
    app.cli.add_command(mail_cli)
