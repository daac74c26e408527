"""The rules of accounts: registration, sign-in and its throttle, sessions, the second factor,
profiles, resets and roles."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pyotp
import segno
from argon2 import Parameters, PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from pb_app.accounts.models import (
    ADMINISTRATOR,
    FINANCE_OFFICER,
    GRANTABLE_ROLES,
    GROUP_LEAD,
    AccountSetting,
    RecoveryCode,
    RoleGrant,
    SignInFailure,
    User,
    utcnow,
)
from pb_app.accounts.tokens import (
    device_for,
    make_registration_token,
    make_reset_token,
    read_registration_token,
    read_reset_token,
)
from pb_app.audit.services import record_event
from pb_app.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from pb_app.extensions import db
from pb_app.links import external_url
from pb_app.localities.models import Locality
from pb_app.localities.services import (
    find_locality,
    locality_id_in,
    locality_ids_by_prefix,
    normalise_postcode,
)
from pb_app.mail import send_mail

MIN_PASSWORD_LENGTH = 10
OLDEST_AGE = 120

# Sign-in throttle. Failures count over a sliding window. A browser that has signed in to the
# account before carries a device cookie, and is held only to its own few tries: no one else's
# failures can lock it out. Other browsers: one person at one address gets a few tries; an
# account gets more in total (guessing from many addresses); an address gets far more, so a
# library or school behind one address is not locked out by a few mistakes.
THROTTLE_WINDOW = timedelta(minutes=15)
RESET_MAIL_INTERVAL = timedelta(minutes=5)
FAILURES_PER_DEVICE = 5
FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
FAILURES_PER_ACCOUNT = 20
FAILURES_PER_ADDRESS = 300

# The second factor: RFC 6238 codes of 6 digits every 30 seconds, one step of clock drift
# either way, and ten one-time recovery codes of 80 bits each.
TOTP_ISSUER = "Community Participatory Budgeting"
TOTP_DRIFT_STEPS = 1
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 letters: no 0, O, 1 or I
SECOND_FACTOR_REQUIRED = "second_factor_required_for_staff"


class TooManySignInAttempts(DomainError):
    """Sign-in refused for a while after too many failures."""

    status = 429
    title = "Too many attempts to sign in"


class SignInFailed(InvalidInput):
    """A wrong email, password or code; the failure is recorded, and kept, for the throttle."""

    recorded = True


SIGN_IN_FAILED = ("Enter the email address and password of your account. If you have just "
                  "created it, open the link we emailed you first; if that link has expired, "
                  "choose a new password, which confirms your address too.")


# OWASP's Password Storage Cheat Sheet, its first Argon2id setting: 19 MiB, 2 passes, 1 lane
# (about 25 ms a hash on one core, against 0.13 s for RFC 9106's low-memory profile used
# before). A hash made with other settings is made again when its owner next signs in.
PASSWORD_HASHING = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32,
                              time_cost=2, memory_cost=19 * 1024, parallelism=1)


def _hasher() -> PasswordHasher:
    fast = current_app.config.get("ARGON2_FAST")
    return PasswordHasher.from_parameters(profiles.CHEAPEST if fast else PASSWORD_HASHING)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _hasher().hash(password)


def check_password_strength(password: str) -> None:
    """Raise InvalidInput unless ``password`` is long enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Your password must be at least {MIN_PASSWORD_LENGTH} characters long")


def password_matches(user: User, password: str) -> bool:
    """True if ``password`` is the user's; upgrades the stored hash when its parameters aged."""
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def normalise_email(email: str) -> str:
    """The email address as stored: trimmed and lower-case."""
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The user with this email address (any case), or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(email: str, password: str, full_name: str, now: datetime | None = None,
                  return_to: str | None = None, browser: str = "") -> User | None:
    """Start a resident's account, and email the address either way; the page says the same.

    A new address gets an account waiting for its email to be confirmed, and a link that
    confirms it. An address that already has an account gets no second one: its owner is told
    by email that someone tried, with a link to reset the password. Returns the new user, or
    None when the address was taken. Raises InvalidInput for a weak password or a missing name.
    ``return_to``, a page of this site, rides on the link, so that confirming brings the person
    back to it from any browser; so does ``browser``, the registering browser's mark, so that
    the link confirms without the password only there.
    """
    now = now or utcnow()
    check_password_strength(password)
    if not full_name.strip():
        raise InvalidInput("Enter your full name")
    password_hash = hash_password(password)  # hashed either way, so timing reveals nothing
    owner = find_user_by_email(email)
    if owner is None:
        user = User(email=normalise_email(email), password_hash=password_hash,
                    full_name=full_name.strip())
        try:
            with db.session.begin_nested():
                db.session.add(user)
        except IntegrityError:  # registered by a concurrent request since the check above
            owner = find_user_by_email(email)
        else:
            _mail_registration_link(user, now, return_to, browser)
            return user
    _mail_registration_attempt(owner, now)
    return None


def _mail_registration_link(user: User, now: datetime, return_to: str | None,
                            browser: str) -> None:
    link = external_url("accounts.finish_registration",
                        token=make_registration_token(user, now, browser), next=return_to)
    send_mail(user.email, "Confirm your email address", (
        f"Dear {user.full_name},\n\nTo finish creating your account for "
        f"{current_app.config['SERVICE_NAME']}, open this link within two days:\n\n{link}\n\n"
        "If you did not create an account, you can ignore this email."
    ))


def _mail_registration_attempt(user: User, now: datetime) -> None:
    """Tell an account's owner that someone tried to register their address again (at most
    once per ``RESET_MAIL_INTERVAL``, shared with reset links, so no one can flood them)."""
    if user.reset_mailed_at and user.reset_mailed_at > now - RESET_MAIL_INTERVAL:
        return
    user.reset_mailed_at = now
    link = external_url("accounts.reset_password", token=make_reset_token(user, now))
    send_mail(user.email, "Someone tried to create an account with your email address", (
        f"Dear {user.full_name},\n\nSomeone, perhaps you, tried to create an account for "
        f"{current_app.config['SERVICE_NAME']} with this email address. You already have one,"
        " so nothing was created.\n\n"
        f"Sign in at {external_url('accounts.sign_in')}\n\n"
        "If you have forgotten your password, choose a new one with this link within "
        f"{current_app.config['PASSWORD_RESET_TTL_SECONDS'] // 3600} hour(s):\n\n{link}\n\n"
        "If it was not you, you need do nothing: your account has not changed."
    ))


def finish_registration(token: str, now: datetime | None = None) -> tuple[User, bool]:
    """Confirm the email address a registration link was mailed to.

    Returns the user and whether this link confirmed it just now (False when it was already
    confirmed: a link signs in only once). Raises InvalidInput for a bad or expired link.
    """
    user = read_registration_token(token)
    if user.email_confirmed_at is not None:
        return user, False
    user.email_confirmed_at = now or utcnow()
    db.session.flush()
    return user, True


def authenticate(email: str, password: str, address: str, now: datetime | None = None,
                 device_cookie: str | None = None, *, confirming: bool = False) -> User:
    """Return the user whose email and password these are, counting failures.

    A browser whose ``device_cookie`` names this account is held to its own failure limit
    only; other browsers to the limits per account and address, per account and per address.
    Raises TooManySignInAttempts while throttled, and SignInFailed for a wrong email or
    password, or an account whose address is not confirmed yet (the failure is recorded, and
    kept): otherwise registering an address and signing in with it would tell whether it had
    an account. ``confirming`` lets the password confirm an address from its registration link
    instead. The failures are forgotten at once unless a second factor is still to come (see
    ``check_second_factor``).
    """
    now = now or utcnow()
    email = normalise_email(email)
    address = _storable(address)
    user = find_user_by_email(email)
    device = device_for(device_cookie, user)
    _check_throttle(email, address, now, device)
    if user is None:
        _spend_a_hash(password)  # as slow as a real check, so timing does not reveal accounts
    if user is None or not password_matches(user, password) or not (
            confirming or user.email_confirmed_at is not None):
        _record_failure(email, address, now, device)
        raise SignInFailed(SIGN_IN_FAILED)
    if not user.has_second_factor:
        _forget_failures(user, address, device)
    return user


def _storable(address: str) -> str:
    # A proxy passes on whatever X-Forwarded-For held: keep what the column can store.
    return address[:SignInFailure.address.type.length]


def _forget_failures(user: User, address: str, device: str | None) -> None:
    """After a complete sign-in: forget the failures from this address, or this device."""
    here = SignInFailure.address == address
    if device is not None:
        here = or_(here, SignInFailure.device == device)
    db.session.execute(delete(SignInFailure).where(SignInFailure.email == user.email, here))


def end_sessions(user: User) -> None:
    """End every session ``user`` has open, on every browser (sign-out, a new password, a role
    removed): their session ids stop loading anyone."""
    user.session_generation = (user.session_generation or 0) + 1
    db.session.flush()


def _spend_a_hash(password: str) -> None:
    try:
        _hasher().verify(_decoy_hash(bool(current_app.config.get("ARGON2_FAST"))), password)
    except VerificationError:
        pass


@cache
def _decoy_hash(fast: bool) -> str:
    """A hash made with the current profile (``fast`` keys the cache), matching no password."""
    return _hasher().hash("decoy password that no account has")


def _check_throttle(email: str, address: str, now: datetime, device: str | None) -> None:
    since = now - THROTTLE_WINDOW
    recent = select(func.count()).select_from(SignInFailure).where(SignInFailure.failed_at > since)
    if device is not None:  # a browser this account signed in from: only its own failures
        limits = [(recent.where(SignInFailure.email == email, SignInFailure.device == device),
                   FAILURES_PER_DEVICE)]
    else:
        limits = [
            (recent.where(SignInFailure.email == email, SignInFailure.address == address),
             FAILURES_PER_ACCOUNT_AND_ADDRESS),
            (recent.where(SignInFailure.email == email), FAILURES_PER_ACCOUNT),
            (recent.where(SignInFailure.address == address), FAILURES_PER_ADDRESS),
        ]
    if any(db.session.scalar(query) >= limit for query, limit in limits):
        minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
        raise TooManySignInAttempts(
            f"There have been too many failed attempts to sign in. Wait {minutes} minutes and "
            "try again. If you cannot wait, reset your password: the link we email you lets "
            "you sign in at once, even while someone else keeps getting it wrong."
        )


def _record_failure(email: str, address: str, now: datetime, device: str | None) -> None:
    expired = SignInFailure.failed_at <= now - THROTTLE_WINDOW
    db.session.execute(delete(SignInFailure).where(expired))
    db.session.add(SignInFailure(email=email, address=address, device=device, failed_at=now))
    db.session.flush()


def check_date_of_birth(born: date, today: date) -> None:
    """Raise InvalidInput for a date of birth in the future or too long ago to be real."""
    if born > today:
        raise InvalidInput("Your date of birth must be in the past")
    if born.year < today.year - OLDEST_AGE:
        raise InvalidInput(f"Your date of birth must be after {today.year - OLDEST_AGE}")


def update_profile(user: User, postcode: str, date_of_birth: date, today: date) -> None:
    """Record a resident's postcode and date of birth; the postcode decides the locality.

    Raises InvalidInput for a malformed or unknown postcode or an impossible date of birth.
    """
    check_date_of_birth(date_of_birth, today)
    locality = find_locality(postcode)
    user.postcode = normalise_postcode(postcode)
    user.date_of_birth = date_of_birth
    user.locality = locality
    db.session.flush()


def relocate_residents() -> int:
    """Derive every user's locality again from their postcode, after the postcode list changed.

    A user whose postcode no longer lies in any locality is left with none. Returns how many
    users changed locality; the change is audited as one entry.
    """
    lookup = locality_ids_by_prefix()
    moved = []
    with_postcode = select(User).where(User.postcode.is_not(None)).order_by(User.id)
    for user in db.session.scalars(with_postcode):
        locality_id = locality_id_in(lookup, user.postcode)
        if locality_id != user.locality_id:
            moved.append({"user_id": user.id, "from": user.locality_id, "to": locality_id})
            user.locality_id = locality_id
    db.session.flush()
    if moved:
        record_event("residents.relocated", after={"moved": moved})
    return len(moved)


def request_password_reset(email: str, link_for: Callable[[str], str] | None = None,
                           now: datetime | None = None) -> None:
    """Email a reset link to the account with this address; say nothing if there is none.

    At most one link is mailed per account every ``RESET_MAIL_INTERVAL``, so that nobody can
    flood someone's inbox; the answer on screen is the same either way.
    """
    now = now or utcnow()
    user = find_user_by_email(email)
    if user is None or (user.reset_mailed_at and user.reset_mailed_at > now - RESET_MAIL_INTERVAL):
        return
    user.reset_mailed_at = now
    token = make_reset_token(user)
    link = link_for(token) if link_for else external_url("accounts.reset_password", token=token)
    hours = current_app.config["PASSWORD_RESET_TTL_SECONDS"] // 3600
    send_mail(user.email, "Reset your password", (
        f"Dear {user.full_name},\n\nTo set a new password for "
        f"{current_app.config['SERVICE_NAME']}, open this link within {hours} hour(s):\n\n"
        f"{link}\n\nIf you did not ask to reset your password, you can ignore this email."
    ))


def reset_password(token: str, new_password: str) -> User:
    """Set a new password for the user a valid reset token names; the token then stops working.

    Raises InvalidInput for an expired, altered or used token, or a weak password. Failed
    sign-ins to the account are forgotten, so the owner can sign in at once; every session
    the account had open ends; and the address is confirmed, since the link reached it.
    """
    user = read_reset_token(token)
    check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.execute(delete(SignInFailure).where(SignInFailure.email == user.email))
    end_sessions(user)
    return user


def is_administrator(user: User) -> bool:
    """True if the user is signed in and an administrator."""
    return user.is_authenticated and user.has_role(ADMINISTRATOR)


def check_is_administrator(user: User) -> None:
    """Raise PermissionDenied unless the user is an administrator."""
    if not is_administrator(user):
        raise PermissionDenied("Only an administrator can do this")


def can_manage_locality(user: User, locality: Locality) -> bool:
    """True if the user is an administrator or a group lead of ``locality``."""
    return is_administrator(user) or bool(user.is_authenticated
                                          and user.has_role(GROUP_LEAD, locality))


def oversees_locality(user: User, locality: Locality) -> bool:
    """True if the user may see and keep ``locality``'s counts, ballot boxes and money: a
    finance officer, an administrator or a group lead of ``locality``."""
    return bool(user.is_authenticated and user.has_role(FINANCE_OFFICER)) or \
        can_manage_locality(user, locality)


def manageable_localities(user: User) -> list[Locality]:
    """The localities whose rounds the user may run, by name: all for an administrator."""
    if is_administrator(user):
        return list(db.session.scalars(select(Locality).order_by(Locality.name)))
    return user.led_localities if user.is_authenticated else []


def check_can_manage_locality(user: User, locality: Locality) -> None:
    """Raise PermissionDenied unless the user is an administrator or leads ``locality``."""
    if can_manage_locality(user, locality):
        return
    raise PermissionDenied(
        f"Only the group lead of {locality.name} or an administrator can do this"
    )


USERS_PER_PAGE = 50


def list_users(search: str = "", page: int = 1, per_page: int = USERS_PER_PAGE):
    """One page of users, by name then email, whose name or email contains ``search`` (any
    case; ``%`` and ``_`` are plain characters). A page past the last shows the last."""
    query = select(User).options(selectinload(User.locality), selectinload(User.role_grants))
    search = search.strip().lower()
    if search:
        query = query.where(or_(func.lower(User.full_name).contains(search, autoescape=True),
                                func.lower(User.email).contains(search, autoescape=True)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    last_page = max(1, -(-total // per_page))
    query = query.order_by(User.full_name, User.email, User.id)
    return db.paginate(query, page=min(max(page, 1), last_page), per_page=per_page,
                       error_out=False)


def full_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    """The full names of the users with these ids (None, an entry with no person, is left
    out), by id, in one query."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def get_user(user_id: int) -> User:
    """The user with this id; raises NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user")
    return user


def _grant_snapshot(grant: RoleGrant) -> dict:
    return {"user_id": grant.user_id, "role": grant.role,
            "locality": grant.locality.slug if grant.locality else None}


def grant_role(actor: User, user: User, role: str, locality: Locality | None = None) -> RoleGrant:
    """Give ``user`` a staff role (group leads: of ``locality``) and audit it.

    Raises PermissionDenied unless ``actor`` is an administrator, InvalidInput for an unknown
    role or a locality given or missing wrongly, and Conflict if the user already holds it.
    """
    check_is_administrator(actor)
    if role not in GRANTABLE_ROLES:
        raise InvalidInput("Choose a role")
    if (role == GROUP_LEAD) != (locality is not None):
        raise InvalidInput("Choose a locality for a group lead, and only for a group lead")
    already = Conflict(f"{user.full_name} is already {_role_label(role, locality)}")
    if user.has_role(role, locality):
        raise already
    grant = RoleGrant(role=role, locality=locality)
    try:
        with db.session.begin_nested():
            user.role_grants.append(grant)
    except IntegrityError:  # granted by a concurrent request (a double click) since the check
        raise already from None
    record_event("role.granted", actor=actor, subject=user, after=_grant_snapshot(grant))
    return grant


def remove_role(actor: User, grant: RoleGrant) -> None:
    """Take a staff role away and audit it.

    Raises PermissionDenied unless ``actor`` is an administrator, and Conflict when it would
    leave no administrator.
    """
    check_is_administrator(actor)
    if grant.role == ADMINISTRATOR and _administrator_count() <= 1:
        raise Conflict("This is the last administrator. Make someone else an administrator first.")
    before = _grant_snapshot(grant)
    user = grant.user
    user.role_grants.remove(grant)
    end_sessions(user)  # a page open with the old role must not keep it
    record_event("role.removed", actor=actor, subject=user, before=before)


def get_grant(user: User, grant_id: int) -> RoleGrant:
    """The user's role grant with this id; raises NotFound."""
    for grant in user.role_grants:
        if grant.id == grant_id:
            return grant
    raise NotFound("That user does not hold that role")


def _administrator_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(RoleGrant).where(RoleGrant.role == ADMINISTRATOR)
    )


def _role_label(role: str, locality: Locality | None) -> str:
    label = GRANTABLE_ROLES[role].lower()
    article = "an" if label[0] in "aeiou" else "a"
    return f"{article} {label} of {locality.name}" if locality else f"{article} {label}"


def today() -> date:
    """Today's date in Scotland."""
    return datetime.now(ZoneInfo("Europe/London")).date()


def make_first_administrator(user: User) -> RoleGrant:
    """Make ``user`` an administrator from the command line, with no actor; audited.

    Raises Conflict if the user already is one.
    """
    if user.has_role(ADMINISTRATOR):
        raise Conflict(f"{user.email} is already an administrator")
    grant = RoleGrant(user=user, role=ADMINISTRATOR)
    db.session.add(grant)
    db.session.flush()
    record_event("role.granted", subject=user, after=_grant_snapshot(grant))
    return grant


# The second factor (TOTP) ---------------------------------------------------------------------


def may_use_second_factor(user: User) -> bool:
    """True if the user holds a role that can change a result, so a second factor is offered."""
    return user.is_staff


def start_second_factor(user: User) -> str:
    """Give the user a new TOTP secret to set up in an authenticator app, not yet in force.

    Raises PermissionDenied for a user without a staff role, and Conflict when a second
    factor is already in force (turn it off first).
    """
    if not may_use_second_factor(user):
        raise PermissionDenied("A second factor is for staff who can change a result")
    if user.has_second_factor:
        raise Conflict("You already have a second factor. Turn it off first to set up another.")
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.flush()
    return user.totp_secret


def second_factor_uri(user: User) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email,
                                                         issuer_name=TOTP_ISSUER)


def second_factor_qr_svg(user: User) -> str:
    """The set-up QR code as an inline SVG element (no image file, no script)."""
    return segno.make(second_factor_uri(user), error="m").svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", title="QR code to set up your second factor")


def confirm_second_factor(user: User, code: str, now: datetime | None = None) -> list[str]:
    """Put the secret being set up in force once the user proves their app shows its codes.

    Returns the new recovery codes, in plain text (shown once: only their hashes are kept).
    Raises Conflict when no set-up was started, InvalidInput for a wrong code. Audited.
    """
    now = now or utcnow()
    if user.totp_secret is None or user.has_second_factor:
        raise Conflict("Start setting up a second factor from your account page first")
    step = _matching_step(user, code, now)
    if step is None:
        raise InvalidInput("Enter the 6-digit code your authenticator app shows now")
    user.totp_confirmed_at, user.totp_last_step = now, step
    codes = _new_recovery_codes(user)
    record_event("account.second_factor_on", actor=user, subject=user)
    return codes


def turn_off_second_factor(user: User, code: str, now: datetime | None = None) -> None:
    """Remove the user's second factor and recovery codes, given a current code; audited.

    Raises Conflict when staff must have one, and InvalidInput for a wrong code.
    """
    if is_second_factor_required() and user.is_staff:
        raise Conflict("Staff must have a second factor. Set up a new one instead of none.")
    if not user.has_second_factor:
        raise Conflict("You have no second factor to turn off")
    if not _use_code(user, code, now or utcnow()):
        raise InvalidInput("Enter a code from your authenticator app, or a recovery code")
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record_event("account.second_factor_off", actor=user, subject=user)


def check_second_factor(user: User, code: str, address: str, now: datetime | None = None,
                        device_cookie: str | None = None) -> None:
    """Finish a sign-in with a code from the authenticator app or a recovery code.

    Wrong codes count as failed sign-ins, under the same throttle as passwords. A code works
    once: a code seen again, or one from an earlier time step, is refused. Raises
    TooManySignInAttempts while throttled and SignInFailed for a wrong code (the failure
    is recorded, and kept).
    """
    now = now or utcnow()
    address = _storable(address)
    device = device_for(device_cookie, user)
    _check_throttle(user.email, address, now, device)
    if not _use_code(user, code, now):
        _record_failure(user.email, address, now, device)
        raise SignInFailed("Enter the 6-digit code your authenticator app shows now, "
                           "or one of your recovery codes")
    _forget_failures(user, address, device)


def _use_code(user: User, code: str, now: datetime) -> bool:
    """True if ``code`` is the user's current TOTP code or an unused recovery code; uses it."""
    step = _matching_step(user, code, now)
    if step is not None:
        user.totp_last_step = step
        db.session.flush()
        return True
    digest = _recovery_hash(code)
    recovery = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest,
        RecoveryCode.used_at.is_(None)))
    if recovery is None:
        return False
    recovery.used_at = now
    db.session.flush()
    return True


def _matching_step(user: User, code: str, now: datetime) -> int | None:
    """The time step whose code ``code`` is, if it is later than the last one used."""
    code = "".join((code or "").split())
    if not (len(code) == 6 and code.isascii() and code.isdigit()) or not user.totp_secret:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue  # used already: a code seen once (shoulder-surfed, phished) is dead
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(code: str) -> str:
    letters = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hashlib.sha256(letters.encode("ascii", "replace")).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        letters = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(letters[i:i + 4] for i in range(0, 16, 4)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(letters)))
    db.session.flush()
    return codes


def unused_recovery_codes(user: User) -> int:
    """How many of the user's recovery codes are still unused."""
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def is_second_factor_required() -> bool:
    """True if an administrator has made a second factor compulsory for staff."""
    setting = db.session.get(AccountSetting, SECOND_FACTOR_REQUIRED)
    return setting is not None and setting.value == "yes"


def set_second_factor_required(actor: User, required: bool) -> None:
    """Make a second factor compulsory for staff, or optional again; audited.

    Raises PermissionDenied unless ``actor`` is an administrator, and Conflict when an
    administrator without a second factor would require one (they would shut themselves out).
    """
    check_is_administrator(actor)
    if required and not actor.has_second_factor:
        raise Conflict("Set up your own second factor first, from your account page")
    before = is_second_factor_required()
    setting = db.session.get(AccountSetting, SECOND_FACTOR_REQUIRED) or AccountSetting(
        name=SECOND_FACTOR_REQUIRED)
    setting.value, setting.changed_at = ("yes" if required else "no"), utcnow()
    db.session.add(setting)
    db.session.flush()
    record_event("account.second_factor_required", actor=actor,
                 before={"required": before}, after={"required": required})


def needs_second_factor_setup(user: User) -> bool:
    """True if the user is staff without a second factor while one is compulsory."""
    return bool(user.is_authenticated and user.is_staff and not user.has_second_factor
                and is_second_factor_required())
