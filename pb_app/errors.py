"""The app's errors (settings it cannot start with, and domain errors), and the one mapping of
domain errors to HTML pages and JSON bodies."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from pb_app.extensions import db


class ConfigurationError(RuntimeError):
    """The app was asked to start with settings that are unsafe or incomplete."""


class DomainError(Exception):
    """A rule of the domain refused an action; ``status`` is its HTTP status."""

    status = 400
    title = "There is a problem"
    # True when the service recorded the refused attempt (an audit entry, a failed sign-in, a
    # wrong voting code): that record is kept when the refusal is shown.
    recorded = False

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """Input that is well-formed HTTP but breaks a domain rule (bad postcode, bad cost)."""

    status = 422


class NotEligible(DomainError):
    """The person may not do this (wrong locality, too young, not a member)."""

    status = 403
    title = "You cannot do this"


class PermissionDenied(DomainError):
    """The signed-in user lacks the role or scope for this object."""

    status = 403
    title = "You do not have permission"


class NotFound(DomainError):
    """The object does not exist or is not visible to this user."""

    status = 404
    title = "Page not found"


class Conflict(DomainError):
    """The object's state forbids the change (frozen rules, round closed, already voted)."""

    status = 409
    title = "This cannot be changed now"


def settle_refusal(error: DomainError) -> None:
    """End the request's changes after a refusal: undo them, or keep them when the refusal
    itself was recorded (``DomainError.recorded``)."""
    if error.recorded:
        db.session.commit()
    else:
        db.session.rollback()


def wants_json() -> bool:
    """True when the client asked for JSON (the API, or an Accept header preferring it)."""
    if request.path.startswith("/api/"):
        return True
    accepted = request.accept_mimetypes
    return accepted["application/json"] > accepted["text/html"]


def _respond(status: int, title: str, message: str):
    if wants_json():
        return jsonify(error=title, message=message, status=status), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Map domain errors and HTTP errors to accessible pages or JSON bodies."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        settle_refusal(error)
        return _respond(error.status, error.title, error.message)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        return _respond(400, "Your form has expired",
                        "The page was open for too long, or the form came from another site. "
                        "Go back, reload the page and try again. Nothing was saved.")

    @app.errorhandler(413)
    def handle_too_large(error):
        return _respond(413, "What you sent is too large",
                        "The form or file is larger than this service accepts. Nothing was "
                        "saved.")

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        return _respond(error.code or 500, error.name, error.description or "")

    @app.errorhandler(500)
    def handle_server_error(error):
        db.session.rollback()
        return _respond(500, "Sorry, there is a problem with the service",
                        "Try again later. Nothing you entered has been saved.")
