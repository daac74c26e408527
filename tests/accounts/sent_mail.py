"""Reading the emails the app sends in tests: the "log" backend writes each to the app log."""

from __future__ import annotations

import re


def emails(caplog) -> list[str]:
    """Every email written to the log so far, as text."""
    return [record.getMessage() for record in caplog.records
            if record.getMessage().startswith("Email not sent")]


def links(caplog, path: str) -> list[str]:
    """Every absolute link to ``path...`` in the emails sent so far."""
    return [link for email in emails(caplog)
            for link in re.findall(r"https?://\S+", email) if path in link]
