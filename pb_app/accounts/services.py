"""The rules of accounts: registration, sign-in and its throttle, profiles, resets and roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from pb_app.accounts.models import (
    ADMINISTRATOR,
    GRANTABLE_ROLES,
    GROUP_LEAD,
    RoleGrant,
    SignInFailure,
    User,
    utcnow,
)
from pb_app.accounts.tokens import make_reset_token, read_reset_token
from pb_app.audit.services import record_event
from pb_app.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from pb_app.extensions import db
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

# Sign-in throttle. Failures count over a sliding window. One person at one address gets a
# few tries; an account gets more in total (guessing from many addresses); an address gets
# far more, so a library or school behind one address is not locked out by a few mistakes.
THROTTLE_WINDOW = timedelta(minutes=15)
RESET_MAIL_INTERVAL = timedelta(minutes=5)
FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
FAILURES_PER_ACCOUNT = 20
FAILURES_PER_ADDRESS = 300


class TooManySignInAttempts(DomainError):
    """Sign-in refused for a while after too many failures."""

    status = 429
    title = "Too many attempts to sign in"


def _hasher() -> PasswordHasher:
    fast = current_app.config.get("ARGON2_FAST")
    return PasswordHasher.from_parameters(
        profiles.CHEAPEST if fast else profiles.RFC_9106_LOW_MEMORY
    )


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


def register_user(email: str, password: str, full_name: str) -> User:
    """Create a resident's account.

    Raises InvalidInput for a weak password, a missing name or an email already registered.
    """
    check_password_strength(password)
    if not full_name.strip():
        raise InvalidInput("Enter your full name")
    if find_user_by_email(email):
        raise InvalidInput(_EMAIL_TAKEN)
    user = User(email=normalise_email(email), password_hash=hash_password(password),
                full_name=full_name.strip())
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:  # registered by a concurrent request since the check above
        raise InvalidInput(_EMAIL_TAKEN) from None
    return user


_EMAIL_TAKEN = "An account with this email address already exists. Sign in, or reset your password."


def authenticate(email: str, password: str, address: str, now: datetime | None = None) -> User:
    """Return the user whose email and password these are, counting failures by address.

    Raises TooManySignInAttempts while throttled, and InvalidInput for a wrong email or
    password (after recording the failure, which the caller must commit).
    """
    now = now or utcnow()
    email = normalise_email(email)
    # A proxy passes on whatever X-Forwarded-For held: keep what the column can store.
    address = address[:SignInFailure.address.type.length]
    _check_throttle(email, address, now)
    user = find_user_by_email(email)
    if user is None:
        _spend_a_hash(password)  # as slow as a real check, so timing does not reveal accounts
    if user is None or not password_matches(user, password):
        _record_failure(email, address, now)
        raise InvalidInput("Enter the email address and password of your account")
    db.session.execute(
        delete(SignInFailure).where(SignInFailure.email == email, SignInFailure.address == address)
    )
    return user


def _spend_a_hash(password: str) -> None:
    try:
        _hasher().verify(_decoy_hash(bool(current_app.config.get("ARGON2_FAST"))), password)
    except VerificationError:
        pass


@cache
def _decoy_hash(fast: bool) -> str:
    """A hash made with the current profile (``fast`` keys the cache), matching no password."""
    return _hasher().hash("decoy password that no account has")


def _check_throttle(email: str, address: str, now: datetime) -> None:
    since = now - THROTTLE_WINDOW
    recent = select(func.count()).select_from(SignInFailure).where(SignInFailure.failed_at > since)
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
            "try again, or reset your password."
        )


def _record_failure(email: str, address: str, now: datetime) -> None:
    expired = SignInFailure.failed_at <= now - THROTTLE_WINDOW
    db.session.execute(delete(SignInFailure).where(expired))
    db.session.add(SignInFailure(email=email, address=address, failed_at=now))
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


def request_password_reset(email: str, link_for: Callable[[str], str],
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
    link = link_for(make_reset_token(user))
    hours = current_app.config["PASSWORD_RESET_TTL_SECONDS"] // 3600
    send_mail(user.email, "Reset your password", (
        f"Dear {user.full_name},\n\nTo set a new password for "
        f"{current_app.config['SERVICE_NAME']}, open this link within {hours} hour(s):\n\n"
        f"{link}\n\nIf you did not ask to reset your password, you can ignore this email."
    ))


def reset_password(token: str, new_password: str) -> User:
    """Set a new password for the user a valid reset token names; the token then stops working.

    Raises InvalidInput for an expired, altered or used token, or a weak password. Failed
    sign-ins to the account are forgotten, so the owner can sign in at once.
    """
    user = read_reset_token(token)
    check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    db.session.execute(delete(SignInFailure).where(SignInFailure.email == user.email))
    db.session.flush()
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
    db.session.flush()
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
