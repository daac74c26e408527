"""Receipt codes: shown once to the voter, kept only as a hash on the anonymous ballot."""

from __future__ import annotations

from pb_app.voting.codes import RECEIPT_GROUPS, hash_code, is_well_formed, new_code


def new_receipt() -> tuple[str, str]:
    """A fresh receipt code and the hash to store on the ballot."""
    code = new_code(RECEIPT_GROUPS)
    return code, hash_code(code)


def receipt_hash(typed: str) -> str | None:
    """The hash to look a ballot up by, or None if ``typed`` cannot be a receipt code."""
    if not is_well_formed(typed, RECEIPT_GROUPS):
        return None
    return hash_code(typed)
