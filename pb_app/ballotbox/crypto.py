"""The cryptography of the ballot box, in plain functions over bytes (libsodium via PyNaCl).

- A round's ballots are sealed (X25519 sealed boxes) to the round's public key.
- The round's private key is split into shares (Shamir's scheme over a prime field), any
  ``threshold`` of which rebuild it; each share is sealed to one key holder's public key.
- A key holder's own private key is kept encrypted (XSalsa20-Poly1305 secret box) under a key
  derived from their passphrase with Argon2id, so the database alone opens nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox

# A Mersenne prime larger than any 32-byte key: shares are points of a polynomial mod PRIME.
PRIME = 2**521 - 1
SHARE_BYTES = 66
KEY_BYTES = 32


class WrongPassphrase(Exception):
    """The passphrase does not open this key holder's key."""


class DamagedBox(Exception):
    """A sealed ballot or a share does not open with the key that should open it."""


@dataclass(frozen=True)
class KdfCost:
    """How hard Argon2id works to turn a passphrase into a key (libsodium's limits)."""

    opslimit: int
    memlimit: int


# Libsodium's "moderate" cost (about half a second and 256 MiB); the minimum for tests.
MODERATE = KdfCost(nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE)
FAST = KdfCost(nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)


def new_key_pair() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair as (public key, private key) bytes."""
    private = PrivateKey.generate()
    return bytes(private.public_key), bytes(private)


def public_key_of(private_key: bytes) -> bytes:
    """The public key that belongs to ``private_key``."""
    return bytes(PrivateKey(private_key).public_key)


# Ballots and equalities answers are padded to a multiple of this many bytes before they are
# sealed, so that a ciphertext's length does not tell how many projects were chosen (about a
# hundred fit in one block) or which answers were given.
PADDING_BLOCK = 1024
PADDING_MARK, PADDING_BYTE = b"\x80", b"\x00"


def seal_padded(public_key: bytes, message: bytes) -> bytes:
    """``seal`` ``message`` padded to a multiple of ``PADDING_BLOCK`` (ISO/IEC 7816-4: one
    0x80 byte, then zeros)."""
    padded = message + PADDING_MARK
    padded += PADDING_BYTE * (-len(padded) % PADDING_BLOCK)
    return seal(public_key, padded)


def padded_unsealer(private_key: bytes) -> Callable[[bytes], bytes]:
    """``unsealer`` for messages sealed by ``seal_padded``: each comes back without its
    padding. A message that ends in neither padding byte was sealed before padding existed
    (ballots in boxes sealed by an earlier version), and comes back as it is. Raises
    DamagedBox for padding that is not well formed."""
    unseal = unsealer(private_key)

    def unseal_one(sealed: bytes) -> bytes:
        message = unseal(sealed)
        if not message.endswith((PADDING_MARK, PADDING_BYTE)):
            return message
        message = message.rstrip(PADDING_BYTE)
        if not message.endswith(PADDING_MARK):
            raise DamagedBox("a sealed item's padding is not well formed")
        return message[:-len(PADDING_MARK)]

    return unseal_one


def seal(public_key: bytes, message: bytes) -> bytes:
    """Encrypt ``message`` so that only the holder of the matching private key can read it."""
    return SealedBox(PublicKey(public_key)).encrypt(message)


def unseal(private_key: bytes, sealed: bytes) -> bytes:
    """Decrypt a sealed message; raises DamagedBox if it was not sealed to this key or altered."""
    return unsealer(private_key)(sealed)


def unsealer(private_key: bytes) -> Callable[[bytes], bytes]:
    """``unseal`` for many messages sealed to one key: the key is read once, not once for each
    message (a third of the work of opening a ballot)."""
    box = SealedBox(PrivateKey(private_key))

    def unseal_one(sealed: bytes) -> bytes:
        try:
            return box.decrypt(sealed)
        except nacl.exceptions.CryptoError:
            raise DamagedBox("a sealed item does not open with its key") from None

    return unseal_one


def wrap_private_key(private_key: bytes, passphrase: str, cost: KdfCost) -> tuple[bytes, bytes]:
    """Encrypt ``private_key`` under ``passphrase``; returns (salt, wrapped key)."""
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_passphrase_key(passphrase, salt, cost))
    return salt, bytes(box.encrypt(private_key))


def unwrap_private_key(wrapped: bytes, passphrase: str, salt: bytes, cost: KdfCost) -> bytes:
    """The private key ``wrap_private_key`` encrypted; raises WrongPassphrase."""
    box = nacl.secret.SecretBox(_passphrase_key(passphrase, salt, cost))
    try:
        return box.decrypt(wrapped)
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase("the passphrase does not open this key") from None


def _passphrase_key(passphrase: str, salt: bytes, cost: KdfCost) -> bytes:
    return nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"),
                                    salt, opslimit=cost.opslimit, memlimit=cost.memlimit)


def split_secret(secret: bytes, threshold: int, count: int) -> list[bytes]:
    """``count`` shares of ``secret``, any ``threshold`` of which rebuild it and fewer tell
    nothing about it. Each share is its x coordinate (one byte) then its y value."""
    if not 1 <= threshold <= count <= 255:
        raise ValueError("need 1 <= threshold <= count <= 255")
    coefficients = [int.from_bytes(secret, "big")]
    coefficients += [secrets.randbelow(PRIME) for _ in range(threshold - 1)]
    shares = []
    for x in range(1, count + 1):
        y = 0
        for coefficient in reversed(coefficients):
            y = (y * x + coefficient) % PRIME
        shares.append(bytes([x]) + y.to_bytes(SHARE_BYTES, "big"))
    return shares


def join_shares(shares: list[bytes]) -> bytes:
    """The secret behind ``shares`` (a threshold's worth of distinct shares), by Lagrange
    interpolation at zero."""
    points = {share[0]: int.from_bytes(share[1:], "big") for share in shares}
    secret = 0
    for x, y in points.items():
        numerator, denominator = 1, 1
        for other in points:
            if other != x:
                numerator = numerator * -other % PRIME
                denominator = denominator * (x - other) % PRIME
        secret = (secret + y * numerator * pow(denominator, -1, PRIME)) % PRIME
    if secret >= 2 ** (8 * KEY_BYTES):
        raise DamagedBox("the shares do not belong together")
    return secret.to_bytes(KEY_BYTES, "big")
