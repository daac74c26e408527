"""The one error the tally raises: a plain message about the election or the rule."""

from __future__ import annotations


class TallyError(ValueError):
    """The election or the rule cannot be counted as given (unknown rule, wrong ballot type...)."""
