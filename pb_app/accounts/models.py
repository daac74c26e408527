"""Users, their role grants, second factors, account settings and failed sign-ins."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb_app.extensions import UTCDateTime, db, login_manager
from pb_app.localities.models import Locality

RESIDENT = "resident"
GROUP_LEAD = "group_lead"
FINANCE_OFFICER = "finance_officer"
ADMINISTRATOR = "administrator"

# Every registered user is a resident; the other roles are granted and stored.
GRANTABLE_ROLES = {
    GROUP_LEAD: "Group lead",
    FINANCE_OFFICER: "Finance officer",
    ADMINISTRATOR: "Administrator",
}
ROLE_NAMES = {RESIDENT: "Resident", **GRANTABLE_ROLES}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class User(UserMixin, db.Model):
    """A person with an account: every user is a resident, some hold staff roles."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(8))
    date_of_birth: Mapped[date | None]
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reset_mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of every session's id: raising it ends every session the person has open.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # When a link mailed to the address was followed (registration or reset); the link that
    # finishes registering signs in only while this is empty.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The TOTP second factor: a secret is kept from set-up, and is in force once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None]  # the last time step used, so a code works only once

    locality: Mapped[Locality | None] = relationship()
    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleGrant.id"
    )

    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    def get_id(self) -> str:
        """Flask-Login's session id: the user id and the session generation, ``"12:3"``."""
        return f"{self.id}:{self.session_generation}"

    @property
    def has_second_factor(self) -> bool:
        """True once a TOTP second factor has been set up and confirmed."""
        return self.totp_secret is not None and self.totp_confirmed_at is not None

    @property
    def is_staff(self) -> bool:
        """True if the user holds any staff role (group lead, finance officer, administrator)."""
        return bool(self.role_grants)

    def has_role(self, role: str, locality: Locality | None = None) -> bool:
        """True if the user holds ``role``; with ``locality``, a group lead must lead that one.

        Roles without a locality (finance officer, administrator) hold everywhere.
        """
        if role == RESIDENT:
            return True
        return any(
            grant.role == role
            and (locality is None or grant.locality_id in (None, locality.id))
            for grant in self.role_grants
        )

    @property
    def led_localities(self) -> list[Locality]:
        """The localities this user is a group lead of, by name."""
        led = [grant.locality for grant in self.role_grants if grant.role == GROUP_LEAD]
        return sorted(led, key=lambda locality: locality.name)

    @property
    def role_names(self) -> list[str]:
        """Plain-words names of the user's roles, resident first."""
        return [ROLE_NAMES[RESIDENT]] + [grant.name for grant in self.role_grants]

    def age_on(self, day: date) -> int | None:
        """Age in whole years on ``day``, or None if no date of birth is recorded."""
        born = self.date_of_birth
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class RoleGrant(db.Model):
    """One staff role held by one user; group leads hold it for one locality."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("locality.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_grants")
    locality: Mapped[Locality | None] = relationship()

    @property
    def name(self) -> str:
        """The role in plain words, with its locality: ``Group lead (Eildon)``."""
        suffix = f" ({self.locality.name})" if self.locality else ""
        return ROLE_NAMES[self.role] + suffix

    __table_args__ = (
        UniqueConstraint("user_id", "role", "locality_id"),
        # NULLs are distinct in a unique constraint, so roles without a locality need their own.
        Index(
            "uq_role_grant_user_id_role_unscoped", "user_id", "role", unique=True,
            sqlite_where=db.text("locality_id IS NULL"),
            postgresql_where=db.text("locality_id IS NULL"),
        ),
        CheckConstraint(
            "role IN ('group_lead', 'finance_officer', 'administrator')", name="known_role"
        ),
        CheckConstraint(
            "(role = 'group_lead') = (locality_id IS NOT NULL)", name="locality_iff_group_lead"
        ),
    )


class SignInFailure(db.Model):
    """One failed sign-in, kept for a while to throttle guessing across all workers.

    ``device`` is the id of the browser's device cookie for this account, if it had a valid one.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    device: Mapped[str | None] = mapped_column(String(32), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the second factor when the phone is lost."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccountSetting(db.Model):
    """A setting of the accounts domain that an administrator changes (audited)."""

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the user whose session id this is, while that session is live.

    A session id is ``"<user id>:<session generation>"``; once the generation moves on (sign
    out, a password reset, a role removed) the old id loads nobody. An id of the older form,
    the bare user id, counts as generation 0, so it too ends at the person's next sign-out.
    """
    user_id, _, generation = session_id.partition(":")
    generation = generation or "0"
    if not (user_id.isascii() and user_id.isdigit() and generation.isascii()
            and generation.isdigit()) or int(user_id) > 2**31 - 1:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_generation != int(generation):
        return None
    return user


login_manager.login_view = "accounts.sign_in"
login_manager.login_message = "Sign in to see this page."
login_manager.login_message_category = "info"
