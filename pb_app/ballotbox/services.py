"""The rules of the sealed ballot box: key holders, sealing a round's box, sealing ballots,
and opening the box for the count.

- Voting opens only with enough key holders: the round's key is split so that ``threshold``
  of them open the box, and at least one more exists, so one lost passphrase loses nothing.
- Every ballot, on every channel, is sealed to the round's public key as it is cast, and so
  are the equalities answers given after it (``seal_for_box``).
- Opening needs the passphrases of ``threshold`` holders. It decrypts every envelope's
  choices, writes them as anonymous ballots (choices only) with new random ids in one
  transaction, lets the equalities answers be opened in the same way (``box_opened``),
  empties the envelopes and destroys the key's shares.

Services flush and never commit. They raise PermissionDenied, Conflict (the box's state
forbids it), InvalidInput (a bad passphrase or label) and NotFound.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import date, datetime
from itertools import islice

from flask import current_app
from flask.signals import Namespace
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from pb_app.accounts.models import ADMINISTRATOR, FINANCE_OFFICER, User
from pb_app.accounts.services import oversees_locality
from pb_app.audit.models import AuditEntry
from pb_app.audit.services import audit_key, record_event
from pb_app.ballotbox import crypto
from pb_app.ballotbox.models import (
    Ballot,
    BallotBox,
    BallotEnvelope,
    KeyHolder,
    KeyShare,
    new_ballot_id,
)
from pb_app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pb_app.extensions import db
from pb_app.rounds.models import Phase, Round
from pb_app.rounds.services import round_moved

MIN_PASSPHRASE_LENGTH = 12
# Sent as a box is opened, inside its transaction, with ``unseal``: the one moment anything
# else sealed to the round's key (the equalities answers) can be opened. A receiver may
# return figures (a dict) for the opening's audit entry.
box_opened = Namespace().signal("ballot-box-opened")
RECOVERY_CODE_BYTES = 20  # 160 bits, written as 32 base32 characters in 8 groups of 4


class WrongPassphrase(InvalidInput):
    """A key holder's passphrase did not open their key; names the holder."""

    def __init__(self, holder: KeyHolder):
        super().__init__(f"That is not the {holder.secret_name} of {holder.name_in_sentence}")
        self.holder_id = holder.id


def kdf_cost() -> crypto.KdfCost:
    """The passphrase hashing cost for new keys: minimal in the test suite, else moderate."""
    return crypto.FAST if current_app.config.get("ARGON2_FAST") else crypto.MODERATE


def threshold() -> int:
    """How many key holders it takes to open a round's box (``BALLOT_KEY_THRESHOLD``)."""
    return max(1, int(current_app.config.get("BALLOT_KEY_THRESHOLD", 1)))


def check_can_hold_keys(user: User) -> None:
    """Raise PermissionDenied unless ``user`` is a finance officer or an administrator."""
    if not (user.is_authenticated and (user.has_role(FINANCE_OFFICER)
                                       or user.has_role(ADMINISTRATOR))):
        raise PermissionDenied("Only finance officers and administrators manage ballot box keys")


def active_key_holders() -> list[KeyHolder]:
    """The key holders who are not retired, oldest first."""
    query = select(KeyHolder).where(KeyHolder.retired_at.is_(None)).order_by(KeyHolder.id)
    return list(db.session.scalars(query))


def held_key(user: User) -> KeyHolder | None:
    """The active key ``user`` holds, if any."""
    return db.session.scalar(select(KeyHolder).where(KeyHolder.user_id == user.id,
                                                     KeyHolder.retired_at.is_(None)))


def get_key_holder(holder_id: int) -> KeyHolder:
    """The key holder with this id; raises NotFound."""
    holder = db.session.get(KeyHolder, holder_id)
    if holder is None:
        raise NotFound("There is no such key holder")
    return holder


def _new_holder(label: str, passphrase: str, user: User | None, actor: User) -> KeyHolder:
    public_key, private_key = crypto.new_key_pair()
    cost = kdf_cost()
    salt, wrapped = crypto.wrap_private_key(private_key, passphrase, cost)
    holder = KeyHolder(user_id=user.id if user else None, label=label, public_key=public_key,
                       public_key_mac=_public_key_mac("holder", label, public_key),
                       wrapped_private_key=wrapped, kdf_salt=salt, kdf_opslimit=cost.opslimit,
                       kdf_memlimit=cost.memlimit, created_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(holder)
    except IntegrityError:  # the same person's key, set up by a concurrent request
        raise Conflict(_ALREADY_HOLDS_A_KEY) from None
    record_event("ballot_box.key_holder_added", actor=actor, subject=holder,
                 after={"label": label, "recovery_key": user is None})
    return holder


def add_key_holder(actor: User, passphrase: str, confirmation: str) -> KeyHolder:
    """Make ``actor`` a key holder with a key of their own under ``passphrase``.

    Raises PermissionDenied (not finance or administrator), Conflict (they hold a key already:
    one person with two keys could open a box that needs two people), InvalidInput (a short
    passphrase, or one that does not match its confirmation). Rounds already in voting keep
    their holders.
    """
    check_can_hold_keys(actor)
    if held_key(actor) is not None:
        raise Conflict(_ALREADY_HOLDS_A_KEY)
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise InvalidInput(f"Your passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters")
    if passphrase != confirmation:
        raise InvalidInput("The two passphrases are different: type the same one twice")
    return _new_holder(actor.full_name, passphrase, actor, actor)


_ALREADY_HOLDS_A_KEY = ("You already hold a key. To choose a new passphrase, retire your key "
                        "first: boxes sealed before keep their share of it.")


def make_recovery_key(actor: User, today: date) -> str:
    """Make a printed recovery key holder; returns its code, the only time it exists in
    plain text. Raises PermissionDenied, and Conflict while another recovery key is in use
    (whoever made several could open a box alone)."""
    check_can_hold_keys(actor)
    if any(holder.is_recovery_key for holder in active_key_holders()):
        raise Conflict("There is already a recovery key. Retire it before you make another.")
    raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode("ascii")
    code = "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    _new_holder(f"Recovery key made by {actor.full_name} on {today:%-d %B %Y}", code, None, actor)
    return code


def retire_key_holder(actor: User, holder: KeyHolder, now: datetime) -> None:
    """Stop using ``holder`` for boxes sealed from now on (boxes sealed before keep their
    share). Raises PermissionDenied, Conflict when already retired."""
    check_can_hold_keys(actor)
    if holder.retired_at is not None:
        raise Conflict(f"{holder.label} is already retired")
    holder.retired_at = now
    record_event("ballot_box.key_holder_retired", actor=actor, subject=holder,
                 after={"label": holder.label})


def get_box(round_: Round, *, share_lock: bool = False) -> BallotBox | None:
    """The round's ballot box, or None before voting has opened. With ``share_lock``, its row
    is read afresh and locked for share until the transaction ends: an opening (which locks
    it for update) then waits for this transaction, or this one sees the box opened."""
    query = select(BallotBox).where(BallotBox.round_id == round_.id)
    if share_lock:
        query = query.with_for_update(read=True).execution_options(populate_existing=True)
    return db.session.scalar(query)


def seal_box(round_: Round) -> BallotBox:
    """Give the round a key pair as voting opens; the private key is split among the key
    holders and then forgotten.

    Raises Conflict when there are fewer than ``threshold + 1`` active key holders (one
    spare, so that a lost passphrase cannot lose the round), or when a holder's public key is
    not the one they set up, or two holders share one key (changed in the database, to
    receive a share, or two).
    """
    holders, needed = active_key_holders(), threshold()
    for holder in holders:
        expected = _public_key_mac("holder", holder.label, holder.public_key)
        if not hmac.compare_digest(holder.public_key_mac, expected):
            raise Conflict(f"Voting cannot open: the key of {holder.name_in_sentence} is not the "
                           "one they set up. The database may have been tampered with.")
    if len({holder.public_key for holder in holders}) < len(holders):
        raise Conflict("Voting cannot open: two key holders have the same key, so one person "
                       "would hold two shares. The database may have been tampered with.")
    if len(holders) < needed + 1:
        raise Conflict(
            f"Voting cannot open: the ballot box needs at least {needed + 1} key holders "
            f"({needed} to open it, and one spare), and there are {len(holders)}. A finance "
            "officer sets them up on the page 'Ballot box keys'.")
    public_key, private_key = crypto.new_key_pair()
    box = BallotBox(round_id=round_.id, public_key=public_key, threshold=needed,
                    public_key_mac=_public_key_mac("box", str(round_.id), public_key))
    shares = crypto.split_secret(private_key, needed, len(holders))
    box.shares = [KeyShare(holder_id=holder.id, sealed_share=crypto.seal(holder.public_key, share))
                  for holder, share in zip(holders, shares, strict=True)]
    db.session.add(box)
    db.session.flush()
    record_event("ballot_box.sealed", subject=box, round_id=round_.id,
                 after={"threshold": needed, "holders": [h.id for h in holders],
                        "public_key": public_key.hex()})
    return box


def taking_box(round_: Round, *, share_lock: bool = False) -> BallotBox:
    """The round's box while it takes ballots: sealed, not yet opened, its key the one it was
    sealed with (``share_lock`` as for ``get_box``). Raises Conflict with the reason
    otherwise."""
    box = get_box(round_, share_lock=share_lock)
    if box is None or box.is_open:
        raise Conflict(BOX_NOT_TAKING_BALLOTS)
    expected = _public_key_mac("box", str(round_.id), box.public_key)
    if not hmac.compare_digest(box.public_key_mac, expected):
        raise Conflict("This round's ballot box key is not the one it was sealed with, so no "
                       "ballot can be taken. Tell the finance officer: the database may have "
                       "been tampered with.")
    return box


def seal_ballot(round_: Round, *, choices_json: str, receipt_hash: str, channel: str,
                day: date, batch_id: int | None) -> None:
    """Put one ballot in the round's box, sealed; raises Conflict when the box is not taking
    ballots.

    The box's key is read and checked once per process (``taking_box``), then kept: each
    envelope is written by one statement that inserts it only if the round's box still holds
    that key and is unopened. When it does not, the box is read again, which says why."""
    envelope = {"round_id": round_.id, "channel": channel, "cast_on": day,
                "paper_batch_id": batch_id, "receipt_hash": receipt_hash}
    message = choices_json.encode("utf-8")
    if _insert_envelope(envelope, message, _kept_box_key(round_)):
        return
    _box_keys().pop(round_.id, None)
    if not _insert_envelope(envelope, message, _kept_box_key(round_)):
        raise Conflict(BOX_NOT_TAKING_BALLOTS)


BOX_NOT_TAKING_BALLOTS = "This round's ballot box is not taking ballots."


def _box_keys() -> dict[int, bytes]:
    """The public keys of the boxes this process has checked, by round id."""
    return current_app.extensions.setdefault("ballot_box_keys", {})


def _kept_box_key(round_: Round) -> bytes:
    """The round's box key as this process checked it, read and checked now if it has not."""
    keys = _box_keys()
    if round_.id not in keys:
        keys[round_.id] = taking_box(round_).public_key
    return keys[round_.id]


def _insert_envelope(envelope: dict, message: bytes, public_key: bytes) -> bool:
    """Write the envelope with ``message`` sealed to ``public_key`` if the round's box holds that
    key and is unopened; True if it was written."""
    sealed = crypto.seal_padded(public_key, message)
    return db.session.scalar(_ENVELOPE_INTO_UNOPENED_BOX, {
        "id": new_ballot_id(), **envelope, "sealed_choices": sealed, "public_key": public_key,
    }) is not None


def _envelope_into_unopened_box():
    """INSERT ... SELECT of one envelope, its columns bound by name, that writes it only where
    the round's box is unopened and holds the key bound as ``public_key``; returns its id.
    Built once (see ``rounds.services.round_reading``)."""
    columns = ("id", "round_id", "channel", "cast_on", "paper_batch_id", "receipt_hash",
               "sealed_choices")
    table = BallotEnvelope.__table__  # the table, not the class: a row written, not an object
    values = [bindparam(name, type_=table.c[name].type).label(name) for name in columns]
    unopened = select(*values).where(BallotBox.round_id == bindparam("round_id"),
                                     BallotBox.opened_at.is_(None),
                                     BallotBox.public_key == bindparam("public_key"))
    return insert(table).from_select(columns, unopened).returning(table.c.id)


_ENVELOPE_INTO_UNOPENED_BOX = _envelope_into_unopened_box()


def seal_for_box(round_: Round, message: bytes, *, share_lock: bool = False) -> bytes:
    """``message`` sealed to the round's box key, so that it can be read only when key holders
    open the box, and padded, so that its length says nothing of it (``share_lock`` as for
    ``get_box``). Raises Conflict when the box is not taking ballots."""
    return crypto.seal_padded(taking_box(round_, share_lock=share_lock).public_key, message)


def _sealed(round_: Round):
    return (BallotEnvelope.round_id == round_.id) & BallotEnvelope.sealed_choices.is_not(None)


def _public_key_mac(kind: str, owner: str, public_key: bytes) -> str:
    """The HMAC, under the audit key, that vouches for a box's or a key holder's public key."""
    message = f"ballot-box {kind}:{owner}:".encode() + public_key
    return hmac.new(audit_key(), message, hashlib.sha256).hexdigest()


def sealed_count(round_: Round) -> int:
    """How many ballots wait sealed in the round's box."""
    return db.session.scalar(select(func.count()).select_from(BallotEnvelope)
                             .where(_sealed(round_)))


def check_box_opened(round_: Round) -> None:
    """Raise Conflict while sealed ballots wait: the box must be opened before the count."""
    waiting = sealed_count(round_)
    if waiting:
        raise Conflict(f"The ballot box still holds {waiting} sealed ballots. Key holders must "
                       "open it before the round can be counted.")


def _round_key(box: BallotBox, passphrases: dict[int, str]) -> tuple[bytes, list[int]]:
    """The round's private key from the holders' passphrases, and which holders gave it.

    Raises InvalidInput for a wrong passphrase or too few of them, Conflict for shares that
    do not rebuild the box's key.
    """
    shares, used = [], []
    for share in box.shares:
        passphrase = passphrases.get(share.holder_id, "")
        if not passphrase:
            continue
        holder = share.holder
        cost = crypto.KdfCost(holder.kdf_opslimit, holder.kdf_memlimit)
        try:
            private = crypto.unwrap_private_key(holder.wrapped_private_key, passphrase,
                                                holder.kdf_salt, cost)
        except crypto.WrongPassphrase:
            raise WrongPassphrase(holder) from None
        shares.append(crypto.unseal(private, share.sealed_share))
        used.append(holder.id)
    if len(shares) < box.threshold:
        raise InvalidInput(f"Enter the passphrases of {box.threshold} key holders to open the box")
    try:
        key = crypto.join_shares(shares[:box.threshold])
    except crypto.DamagedBox:
        key = b""
    if not key or crypto.public_key_of(key) != box.public_key:
        raise Conflict("The key shares do not rebuild this round's key: the box may have "
                       "been tampered with. Nothing was opened.")
    return key, used


def open_box(round_: Round, actor: User, passphrases: dict[int, str], now: datetime) -> int:
    """Open the round's box for the count; returns how many ballots came out.

    The choices are decrypted and written as anonymous ballots with new random ids, in the
    order of those ids; the envelopes are emptied and the key shares deleted. Whatever else
    was sealed to the round's key is opened too (``box_opened``). The database work is
    set-based: the ballots bulk-loaded, the envelopes emptied by one UPDATE.
    Raises Conflict (voting not closed, already opened, damaged ciphertext: nothing written),
    InvalidInput (passphrases), PermissionDenied (staff only).
    """
    check_can_open(actor, round_)
    box = get_box(round_)
    if box is None:
        raise NotFound("This round has no ballot box")
    if round_.current_phase not in (Phase.CLOSED, Phase.COUNTED):
        raise Conflict("The ballot box can be opened only once voting has closed.")
    db.session.refresh(box, with_for_update=True)  # two openings at once: one waits, then sees
    if box.is_open:
        raise Conflict("The ballot box has already been opened.")
    key, holders = _round_key(box, passphrases)
    unseal = crypto.padded_unsealer(key)
    ballots = _decrypt_all(round_, unseal)
    _write_ballots(round_, ballots)
    opened_too = {key: value for _, figures in box_opened.send(round_, unseal=unseal)
                  for key, value in (figures or {}).items()}
    db.session.execute(update(BallotEnvelope).where(_sealed(round_)).values(sealed_choices=None))
    box.shares = []
    box.opened_at, box.opened_by_id = now, actor.id
    db.session.flush()
    record_event("ballot_box.opened", actor=actor, subject=box, round_id=round_.id,
                 after={"ballots": len(ballots), "holders": holders, **opened_too})
    return len(ballots)


def opening_figures(box: BallotBox) -> dict:
    """What the opening of ``box`` recorded in the audit trail (ballots, holders, and the
    figures of what else it opened); empty before it is opened."""
    after = db.session.scalar(
        select(AuditEntry.after_json).where(AuditEntry.action == "ballot_box.opened",
                                            AuditEntry.object_type == "BallotBox",
                                            AuditEntry.object_id == str(box.id))
        .order_by(AuditEntry.sequence.desc()).limit(1))
    return json.loads(after) if after else {}


# Envelopes are read this many at a time (and ballots written this many a statement where there
# is no COPY): memory holds the opened choices, never every sealed row or every row's parameters.
BATCH = 2_000


def _decrypt_all(round_: Round, unseal: Callable[[bytes], bytes]) -> list[tuple[str, str]]:
    """Every sealed envelope of the round opened, as (new random ballot id, choices JSON),
    sorted by that id: the order they are written in, which so says nothing of the envelopes'.

    The envelopes are streamed ``BATCH`` at a time. Raises Conflict if any ciphertext does not
    open (altered or not sealed to this box).
    """
    query = (select(BallotEnvelope.sealed_choices).where(_sealed(round_))
             .execution_options(yield_per=BATCH))
    ballots = []
    for sealed in db.session.scalars(query):
        try:
            choices_json = unseal(sealed).decode("utf-8")
        except crypto.DamagedBox:
            raise Conflict("A sealed ballot does not open with this round's key: the box may "
                           "have been tampered with. Nothing was opened.") from None
        ballots.append((new_ballot_id(), choices_json))
    ballots.sort()
    return ballots


def _write_ballots(round_: Round, ballots: list[tuple[str, str]]) -> None:
    """Insert the opened ballots, in their order: on PostgreSQL by one COPY (its bulk load,
    several times faster than inserts), elsewhere ``BATCH`` rows a statement."""
    table, columns = Ballot.__table__, ("id", "round_id", "choices_json")
    rows = ((ballot_id, round_.id, choices_json) for ballot_id, choices_json in ballots)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    while batch := list(islice(rows, BATCH)):
        connection.execute(table.insert(), [dict(zip(columns, row, strict=True))
                                            for row in batch])


def check_can_open(user: User, round_: Round) -> None:
    """Raise PermissionDenied unless ``user`` is staff who may open this round's box: a
    finance officer, an administrator or a lead of its locality (the passphrases decide)."""
    if oversees_locality(user, round_.locality):
        return
    raise PermissionDenied("Only finance officers, administrators and the round's group lead "
                           "can open its ballot box")



@round_moved.connect
def _seal_when_voting_opens(round_: Round, target: Phase) -> None:
    """However voting opens (by a lead, or at its date), the round's box is sealed first."""
    if target is Phase.VOTING:
        seal_box(round_)
