"""Voting codes and receipt codes: entropy, alphabet, groups, normalisation, hashing."""

from __future__ import annotations

import re

from pb_app.voting import codes
from pb_app.voting.receipts import new_receipt, receipt_hash


def test_voting_codes_carry_at_least_60_bits_and_receipts_80():
    assert codes.entropy_bits(codes.VOTING_CODE_GROUPS) >= 60
    assert codes.entropy_bits(codes.RECEIPT_GROUPS) >= 80
    assert round(codes.entropy_bits(codes.VOTING_CODE_GROUPS), 1) == 74.3


def test_codes_are_grouped_and_use_no_ambiguous_characters():
    made = {codes.new_code(codes.VOTING_CODE_GROUPS) for _ in range(500)}
    assert len(made) == 500
    for code in made:
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", code)
    assert not set("".join(made)) & set("01OIL")


def test_a_code_is_read_back_in_any_case_with_or_without_spaces():
    code = codes.new_code(codes.VOTING_CODE_GROUPS)
    typed = " " + code.lower().replace("-", " ") + " "
    assert codes.hash_code(typed) == codes.hash_code(code)
    assert codes.is_well_formed(typed, codes.VOTING_CODE_GROUPS)
    assert not codes.is_well_formed(code[:-1], codes.VOTING_CODE_GROUPS)
    assert not codes.is_well_formed(code[:-1] + "0", codes.VOTING_CODE_GROUPS)


def test_a_receipt_is_stored_only_as_its_hash():
    receipt, hashed = new_receipt()
    assert len(receipt.replace("-", "")) == 20
    assert receipt not in hashed and len(hashed) == 64
    assert receipt_hash(receipt.lower()) == hashed
    assert receipt_hash("not a receipt") is None
