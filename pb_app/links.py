"""Absolute links for emails and letters, built from the configured ``BASE_URL``.

A link that leaves the site (a reset link in an email, a confirmation link, the address on
a posted letter) must never be built from the request's ``Host`` or ``X-Forwarded-Host``:
whoever sends the request chooses those, and would receive the secret the link carries.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def base_url() -> str:
    """The configured ``BASE_URL`` without a trailing slash; raises RuntimeError if unset."""
    configured = (current_app.config.get("BASE_URL") or "").strip()
    if not configured:
        raise RuntimeError("BASE_URL is not set: set PB_BASE_URL to the site's public address")
    return configured.rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` on ``BASE_URL``, for emails and letters.

    Works with or without a request (command-line letters), and ignores every request
    header: the host, scheme and any path prefix come from ``BASE_URL`` alone.
    """
    app = current_app._get_current_object()
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind("localhost", script_name="/", url_scheme="https")
    path = adapter.build(endpoint, values, force_external=False)
    return base_url() + path


def check_base_url(value: str | None, require_https: bool) -> str | None:
    """A problem with ``value`` as a ``BASE_URL`` in plain words, or None if it is fine."""
    if not value:
        return "PB_BASE_URL is not set: set it to the site's public address, like https://pb.example.org"
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"PB_BASE_URL must be an address like https://pb.example.org, not {value!r}"
    if require_https and parts.scheme != "https":
        return f"PB_BASE_URL must start with https:// in production, not {value!r}"
    if parts.query or parts.fragment:
        return f"PB_BASE_URL must not carry a query or fragment: {value!r}"
    return None
