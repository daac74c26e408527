"""Passwords are hashed with OWASP's Argon2id setting, and a hash made with older settings is
made again when its owner signs in."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters, profiles
from factories import UserFactory

from pb_app.accounts.services import PASSWORD_HASHING, authenticate, hash_password
from pb_app.extensions import db

PASSWORD = "a long enough password"


def test_new_hashes_use_owasps_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "ARGON2_FAST", False)
    parameters = extract_parameters(hash_password(PASSWORD))
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        19 * 1024, 2, 1)
    assert parameters == PASSWORD_HASHING


def test_a_hash_with_the_old_setting_is_made_again_at_sign_in(app, monkeypatch):
    monkeypatch.setitem(app.config, "ARGON2_FAST", False)
    old = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash(PASSWORD)
    user = UserFactory(email="morag@example.org", password_hash=old)
    db.session.commit()
    assert authenticate("morag@example.org", PASSWORD, "192.0.2.1") is user
    assert user.password_hash != old
    assert extract_parameters(user.password_hash) == PASSWORD_HASHING
    assert authenticate("morag@example.org", PASSWORD, "192.0.2.1") is user
