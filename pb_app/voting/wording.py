"""Numbers in words for the voting pages: "1 ballot was", "3 ballots were"."""

from __future__ import annotations


def count_of(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` with ``noun`` in the singular for 1 and in the plural otherwise (``noun`` + "s"
    unless ``plural`` is given): ``count_of(1, "ballot")`` is "1 ballot"."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def was_or_were(number: int, noun: str = "", plural: str | None = None) -> str:
    """``number`` (with ``noun``, if any) and the past of "to be" that agrees with it:
    "1 ballot was", "0 were"."""
    words = count_of(number, noun, plural) if noun else f"{number:,}"
    return f"{words} {'was' if number == 1 else 'were'}"


def there_are(number: int, noun: str, plural: str | None = None) -> str:
    """"there is 1 ballot" or "there are 3 ballots"."""
    return f"there {'is' if number == 1 else 'are'} {count_of(number, noun, plural)}"
