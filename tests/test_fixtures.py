"""The shared fixtures behave as the tests rely on."""

from __future__ import annotations

from factories import UserFactory


def test_signing_in_after_a_request_is_seen_by_the_next_request(client, sign_in):
    assert client.get("/profile").status_code == 302  # anonymous: sent to sign in
    sign_in(UserFactory())
    assert client.get("/profile").status_code == 200
