"""Signing in returns only to a page of this site: no open redirect (issue 14, breach 8)."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest
from factories import DEFAULT_PASSWORD, UserFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.sent_mail import links
from pb_app.accounts.views import safe_next

SITE = "https://pb.example.org/sign-in"
HOME = "/"


def lands_on(target: str) -> str:
    """The host a browser goes to for ``Location: target``, read as WHATWG URL parsing does:
    tabs and newlines dropped, backslashes taken as slashes, leading control characters and
    spaces trimmed."""
    cleaned = "".join(ch for ch in target if ch not in "\t\n\r").replace("\\", "/")
    cleaned = cleaned.lstrip("".join(map(chr, range(0x21))))
    return urlsplit(urljoin(SITE, cleaned)).hostname or ""


ATTACKS = ["////evil.example", "//evil.example/", "///evil.example", "/\\evil.example",
           "\\/evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example",
           "https://evil.example/", "https:evil.example", "javascript:alert(1)",
           "/%2F/evil.example\t", "\x00//evil.example", "/\x7f/evil.example",
           "//evil.example@pb.example.org", "http:/\\evil.example", "\u3000//evil.example"]


@pytest.mark.parametrize("target", ATTACKS)
def test_a_next_that_leaves_the_site_is_replaced(target):
    assert safe_next(target, HOME) == HOME


@pytest.mark.parametrize("target", ["/profile", "/rounds/3/vote?x=1#y", "/a//b", "/a/\u00e9"])
def test_a_page_of_this_site_is_kept(target):
    assert safe_next(target, HOME) == target


def test_a_next_too_long_to_carry_is_replaced(client, mail_log):
    long_page = "/rounds/7/vote?" + "x" * 4000
    assert safe_next(long_page, HOME) == HOME
    client.post(f"/register?next={long_page}", data={
        "full_name": "Morag Scott", "email": "morag@example.org",
        "password": "a long password", "confirm": "a long password"})
    [link] = links(mail_log, "/register/")
    assert "next" not in link


@settings(max_examples=3000, deadline=None)
@given(st.one_of(
    st.text(max_size=12),
    st.text(alphabet="/\\:@.?#% \t\n\x00\x7fabevil", max_size=16),
    st.builds(lambda a, b: a + "evil.example" + b,
              st.text(alphabet="/\\:\t\n \x0b", max_size=5), st.text(max_size=3)),
))
def test_fuzzed_next_values_never_leave_the_site(target):
    result = safe_next(target, HOME)
    assert lands_on(result) == "pb.example.org", (target, result)


def test_over_http_sign_in_never_redirects_off_site(client):
    UserFactory(email="jean@example.org")
    data = {"email": "jean@example.org", "password": DEFAULT_PASSWORD}
    for target in ATTACKS:
        response = client.post(f"/sign-in?next={quote(target, safe='')}", data=data)
        if "\x00" in target:  # refused before any view runs
            assert response.status_code == 400
            continue
        assert response.status_code == 302
        assert lands_on(response.location) == "pb.example.org", (target, response.location)
        assert response.location == HOME
        client.post("/sign-out", data={})
    assert client.post("/sign-in?next=/profile", data=data).location == "/profile"
