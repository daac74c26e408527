"""The tally's errors and warnings, and the largest numbers it accepts.

Every input the tally refuses raises :class:`TallyError` (or its subclass ``PabulibError`` for a
file), with a plain message; nothing else escapes for bad input.
"""

from __future__ import annotations

# A budget, a cost or a number of points above this is refused rather than counted: it is far
# beyond any real budget (the largest shared election's is Budapest's 10^9 forints), and it
# keeps every float of the equal-shares screen, and every sum, well inside exact range.
MAX_AMOUNT = 10**15

# Sums of points are NumPy int64: every one must stay below this to be exact.
INT64_LIMIT = 2**63


class TallyError(ValueError):
    """The election or the rule cannot be counted as given (unknown rule, wrong ballot type...)."""


class PabulibError(TallyError):
    """A ``.pb`` file (or an election to be written as one) that cannot be read or written.

    ``line`` is the file's line number where it is known, ``reason`` the message without it.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        self.reason = message
        super().__init__(f"line {line}: {message}" if line else message)


class PabulibWarning(UserWarning):
    """Something read leniently from a ``.pb`` file (a badly quoted name, say) at ``line``."""

    def __init__(self, message: str, line: int) -> None:
        self.line = line
        self.reason = message
        super().__init__(f"line {line}: {message}")
