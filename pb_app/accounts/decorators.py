"""Role checks for views: ``@role_required(...)`` after the route decorator."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask_login import current_user, login_required

from pb_app.accounts.models import ROLE_NAMES
from pb_app.errors import PermissionDenied


def role_required(*roles: str) -> Callable:
    """Let a view run only for a signed-in user holding at least one of ``roles``.

    Anonymous users are sent to sign in; others without the role get PermissionDenied (403).
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.has_role(role) for role in roles):
                names = " or ".join(ROLE_NAMES[role].lower() for role in roles)
                raise PermissionDenied(f"This page is only for staff with the role: {names}")
            return view(*args, **kwargs)

        return wrapped

    return decorator
