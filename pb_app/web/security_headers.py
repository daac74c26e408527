"""Security headers on every response: a strict Content Security Policy, no framing, no
referrer, no content sniffing, HSTS in production, and no caching of any page but static files.

The policy allows no inline script or style: templates carry none, and a test reads them all.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# A year, as browsers' preload lists ask; subdomains too, since the service is TLS only.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    # Reset and email confirmation links carry their token in the path, so no page's path is
    # ever sent; the origin alone is, because CSRF protection over HTTPS (Flask-WTF's
    # WTF_CSRF_SSL_STRICT) refuses a form posted without a same-origin Referer.
    "Referrer-Policy": "strict-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_security_headers(app: Flask) -> None:
    """Add the security headers to every response ``app`` sends."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Set the headers a view has not set itself; pages (everything but static files) are
    never stored by the browser or a proxy, since most show personal data or hold a form."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["ENV_NAME"] == "production":
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
