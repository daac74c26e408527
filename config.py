"""Configuration classes for pb_app.

The factory loads one of these by name (``PB_ENV``: development, testing, production),
then ``instance/config.py`` if present, then ``PB_*`` environment variables.
"""

from __future__ import annotations

import os


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None means the SQLite file in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    PARTNERSHIP_NAME = "Scottish Borders Health and Social Care Partnership"
    SERVICE_NAME = "Community Participatory Budgeting"
    MAIL_BACKEND = "log"  # "log" prints messages; "smtp" sends them
    MAIL_DEFAULT_SENDER = "no-reply@pb.example.org"
    MAIL_SMTP_HOST = "localhost"
    MAIL_SMTP_PORT = 25
    MAIL_SMTP_SECURITY = "none"  # "starttls" (port 587), "ssl" (port 465) or "none"
    MAIL_SMTP_USERNAME = ""  # log in only when a username is set
    MAIL_SMTP_PASSWORD = ""
    MAIL_OUTBOX_KEY: str | None = None  # seals waiting messages; None: derived from SECRET_KEY
    MAIL_MAX_ATTEMPTS = 10  # then a message is marked failed and logged
    MAIL_RETRY_SECONDS = 60  # the first retry's delay; it doubles each time...
    MAIL_RETRY_MAX_SECONDS = 3600  # ...up to this
    MAIL_KEEP_DAYS = 30  # records of sent and failed messages are deleted after this
    PASSWORD_RESET_TTL_SECONDS = 3600
    DATA_RETENTION_DAYS = 365  # voters' details kept after a result is published: flask data purge
    BALLOT_KEY_THRESHOLD = 1  # key holders needed to open a ballot box (voting needs one more)
    TRUSTED_PROXY_COUNT = 0  # reverse proxies in front of the app that set X-Forwarded-For
    # The largest request body: a paper batch's CSV (2 MB) and its form. The photo upload
    # allows more on its own page (pictures/views.py).
    MAX_CONTENT_LENGTH = 3 * 1024 * 1024
    # The key of the audit trail's MACs; keep it out of the database and its backups. Unset,
    # it is derived from SECRET_KEY (so changing SECRET_KEY then breaks every MAC).
    AUDIT_KEY: str | None = None
    BASE_URL: str | None = None  # public address for emailed links; never read from headers
    # Proposals' photos: "disk" keeps them in PICTURES_DIR (None: instance/pictures); "s3" in
    # PICTURES_S3_BUCKET of any S3-compatible store (credentials from boto3's usual places).
    PICTURES_STORAGE = "disk"
    PICTURES_DIR: str | None = None
    PICTURES_S3_BUCKET: str | None = None
    PICTURES_S3_ENDPOINT_URL: str | None = None  # None: Amazon S3 itself
    PICTURES_S3_REGION: str | None = None
    PICTURES_S3_PREFIX = ""


class DevelopmentConfig(Config):
    """Local development: SQLite in instance/, a throwaway secret, debug tools allowed."""

    SECRET_KEY = "dev-only-insecure-key-never-use-this-in-production"
    # Emailed links point at the port `flask run` serves (FLASK_RUN_PORT, 5000 by default).
    BASE_URL = f"http://127.0.0.1:{os.environ.get('FLASK_RUN_PORT', '5000')}"


class TestingConfig(Config):
    """The test suite: fast hashing, CSRF off unless a test turns it on."""

    TESTING = True
    SECRET_KEY = "testing-only-key-long-enough-for-hs256-signatures"
    WTF_CSRF_ENABLED = False
    BASE_URL = "http://localhost"
    ARGON2_FAST = True


class ProductionConfig(Config):
    """Production: a real secret key and database must come from the environment."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = "smtp"
    MAIL_SMTP_PORT = 587
    MAIL_SMTP_SECURITY = "starttls"
    # Two key holders to open a ballot box: no one person, even one who can also read the
    # database, can read the ballots alone.
    BALLOT_KEY_THRESHOLD = 2


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
