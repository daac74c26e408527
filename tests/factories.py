"""factory_boy factories bound to the test session; each flushes, the test rolls back."""

from __future__ import annotations

import factory
from argon2 import PasswordHasher, profiles
from factory.alchemy import SQLAlchemyModelFactory

from pb_app.accounts.models import ADMINISTRATOR, FINANCE_OFFICER, GROUP_LEAD, RoleGrant, User
from pb_app.extensions import db
from pb_app.localities.models import Locality, PostcodeArea
from pb_app.localities.services import slugify

DEFAULT_PASSWORD = "correct horse battery"
# Hashed once: every factory user can sign in with DEFAULT_PASSWORD.
DEFAULT_PASSWORD_HASH = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(DEFAULT_PASSWORD)


def current_session():
    """The session of the running test (the fixture swaps ``db.session`` per test)."""
    return db.session


class BaseFactory(SQLAlchemyModelFactory):
    """Adds to the test's session and flushes, so ids exist and the rollback undoes it."""

    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"


class LocalityFactory(BaseFactory):
    """A locality with a unique name."""

    class Meta:
        model = Locality

    name = factory.Sequence(lambda n: f"Locality {n}")
    slug = factory.LazyAttribute(lambda obj: slugify(obj.name))
    population = 20000


class PostcodeAreaFactory(BaseFactory):
    """A postcode district in a new locality."""

    class Meta:
        model = PostcodeArea

    prefix = factory.Sequence(lambda n: f"ZZ{n % 100}")
    locality = factory.SubFactory(LocalityFactory)


class UserFactory(BaseFactory):
    """A resident with no postcode yet; the password is DEFAULT_PASSWORD."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password_hash = DEFAULT_PASSWORD_HASH


class RoleGrantFactory(BaseFactory):
    """A staff role for a user (pass ``locality`` for a group lead)."""

    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = FINANCE_OFFICER
    locality = None


def group_lead(locality: Locality, **kwargs) -> User:
    """A new user who is group lead of ``locality``."""
    return RoleGrantFactory(role=GROUP_LEAD, locality=locality, **kwargs).user


def finance_officer(**kwargs) -> User:
    """A new user who is a finance officer."""
    return RoleGrantFactory(role=FINANCE_OFFICER, **kwargs).user


def administrator(**kwargs) -> User:
    """A new user who is an administrator."""
    return RoleGrantFactory(role=ADMINISTRATOR, **kwargs).user
