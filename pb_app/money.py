"""Money as integer pence: parsing what people type, and showing it back; financial years.

``format_pounds`` is the one way an amount is shown, in Python and (as the ``pounds`` filter
and global that ``init_money`` gives every template) on every page. ``financial_year_label``
is likewise the ``financial_year`` filter.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Flask

from pb_app.errors import InvalidInput

# "1250", "1,250", "£1,250.50", "0.99": pounds with at most two decimal places.
POUNDS_RE = re.compile(r"^£?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$", re.ASCII)
# Amounts are stored in INTEGER columns, whose largest value on PostgreSQL is 2**31 - 1.
MAX_PENCE = 2**31 - 1


def parse_pounds(text: str, label: str) -> int:
    """Return the amount in pence of ``text`` (pounds, like ``£1,250.50``).

    Raises InvalidInput naming ``label`` when it is empty, negative, not a number, has
    more than two decimal places or is absurdly large.
    """
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidInput(f"Enter {label}")
    if cleaned.lstrip("£ ").startswith("-"):
        raise InvalidInput(f"{label.capitalize()} cannot be negative")
    match = POUNDS_RE.match(cleaned)
    if not match:
        raise InvalidInput(
            f"{label.capitalize()} must be an amount in pounds, like 1250 or 1250.50"
        )
    pounds, pence = match.groups()
    amount = int(pounds.replace(",", "")) * 100 + int((pence or "0").ljust(2, "0"))
    if amount > MAX_PENCE:
        raise InvalidInput(f"{label.capitalize()} is too large: the most it can be is"
                           f" {format_pounds(MAX_PENCE)}")
    return amount


def format_pounds(pence: int | None) -> str:
    """Show pence as pounds, sign first: ``125050`` -> ``£1,250.50``, ``-1250`` -> ``-£12.50``;
    whole pounds without decimals, and empty for None."""
    if pence is None:
        return ""
    pounds, rest = divmod(abs(pence), 100)
    sign = "-" if pence < 0 else ""
    return f"{sign}£{pounds:,}" if rest == 0 else f"{sign}£{pounds:,}.{rest:02d}"


def pounds_input(pence: int | None) -> str:
    """Show pence as a value for an input box: ``125050`` -> ``1250.50``."""
    if pence is None:
        return ""
    pounds, rest = divmod(pence, 100)
    return str(pounds) if rest == 0 else f"{pounds}.{rest:02d}"


def financial_year_of(day: date) -> int:
    """The financial year (April to March) a day falls in, by the year it starts."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(year: int) -> str:
    """``2026`` -> ``2026-27``."""
    return f"{year}-{(year + 1) % 100:02d}"


def init_money(app: Flask) -> None:
    """Let every template show amounts, ``{{ pence|pounds }}`` or ``{{ pounds(pence) }}``, and
    financial years, ``{{ 2026|financial_year }}``."""
    app.add_template_filter(format_pounds, "pounds")
    app.add_template_global(format_pounds, "pounds")
    app.add_template_filter(financial_year_label, "financial_year")
