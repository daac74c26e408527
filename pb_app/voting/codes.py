"""Random codes people type: single-use voting codes and ballot receipt codes.

The alphabet leaves out characters that are easy to confuse on paper or on screen
(0 and O, 1, I and L), so each character carries log2(31) = 4.95 bits. Codes are shown
in groups of five and read back in any case, with or without spaces and dashes.
"""

from __future__ import annotations

import hashlib
import math
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUP_SIZE = 5
VOTING_CODE_GROUPS = 3  # 15 characters: 74 bits
RECEIPT_GROUPS = 4  # 20 characters: 99 bits


def entropy_bits(groups: int) -> float:
    """How many bits of randomness a code of ``groups`` groups carries."""
    return groups * GROUP_SIZE * math.log2(len(ALPHABET))


def new_code(groups: int) -> str:
    """A fresh random code of ``groups`` groups of five characters, joined by dashes."""
    characters = "".join(secrets.choice(ALPHABET) for _ in range(groups * GROUP_SIZE))
    return "-".join(
        characters[start:start + GROUP_SIZE] for start in range(0, len(characters), GROUP_SIZE)
    )


def normalise_code(typed: str) -> str:
    """The code as stored for hashing: upper case, without spaces or dashes."""
    return "".join(typed.split()).replace("-", "").upper()


def is_well_formed(typed: str, groups: int) -> bool:
    """True if ``typed`` has the right length and only characters of the alphabet."""
    code = normalise_code(typed)
    return len(code) == groups * GROUP_SIZE and all(character in ALPHABET for character in code)


def hash_code(typed: str) -> str:
    """The SHA-256 hex digest of the normalised code: the only form the database keeps.

    A plain hash is enough: with 74 bits or more of randomness there is nothing to guess.
    """
    return hashlib.sha256(normalise_code(typed).encode("ascii")).hexdigest()
