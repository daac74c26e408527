"""Postcode normalising, validation and the longest-prefix locality lookup."""

from __future__ import annotations

import pytest
from factories import LocalityFactory, PostcodeAreaFactory

from pb_app.errors import InvalidInput
from pb_app.localities.services import find_locality, normalise_postcode


@pytest.mark.parametrize(("typed", "expected"), [
    ("TD1 3HW", "TD1 3HW"),
    ("td13hw", "TD1 3HW"),
    ("  eh45   8aj ", "EH45 8AJ"),
    ("ml12\t6xx", "ML12 6XX"),
    ("W1A 0AX", "W1A 0AX"),
    ("EC1A 1BB", "EC1A 1BB"),
])
def test_postcodes_are_normalised(typed, expected):
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter a postcode"),
    ("   ", "Enter a postcode"),
    ("TD1", "Enter a full UK postcode, like TD1 3HW"),
    ("TD1 3", "Enter a full UK postcode, like TD1 3HW"),
    ("TD1 3H", "Enter a full UK postcode, like TD1 3HW"),
    ("12345", "Enter a full UK postcode, like TD1 3HW"),
    ("TD1 3CI", "Enter a full UK postcode, like TD1 3HW"),
    ("TDX 3HW", "Enter a full UK postcode, like TD1 3HW"),
    ("TD1 3HW1", "Enter a full UK postcode, like TD1 3HW"),
])
def test_malformed_postcodes_get_a_plain_message(typed, message):
    with pytest.raises(InvalidInput) as caught:
        normalise_postcode(typed)
    assert caught.value.message == message


@pytest.fixture
def split_district():
    """TD9 lies in Hawick except its sector TD9 8, which lies in Denholm."""
    hawick, denholm = LocalityFactory(name="Hawick"), LocalityFactory(name="Denholm")
    PostcodeAreaFactory(prefix="TD9", locality=hawick)
    PostcodeAreaFactory(prefix="TD9 8", locality=denholm)
    PostcodeAreaFactory(prefix="TD10", locality=denholm)
    return hawick, denholm


@pytest.mark.parametrize(("postcode", "expected"), [
    ("TD9 7AB", "Hawick"),
    ("td9 9zz", "Hawick"),
    ("TD9 8AB", "Denholm"),
    ("td98ab", "Denholm"),
    ("TD10 6XY", "Denholm"),
])
def test_the_longest_known_prefix_wins(split_district, postcode, expected):
    assert find_locality(postcode).name == expected


@pytest.mark.parametrize("postcode", ["G1 1AA", "TD11 3AB", "T9 8AB", "D9 8AB"])
def test_postcodes_outside_every_locality_are_refused(split_district, postcode):
    with pytest.raises(InvalidInput) as caught:
        find_locality(postcode)
    assert "is not in any of the localities this service covers" in caught.value.message
    assert caught.value.message.startswith(postcode.upper())


def test_a_malformed_postcode_is_refused_before_any_lookup(split_district):
    with pytest.raises(InvalidInput, match="Enter a full UK postcode"):
        find_locality("TD9")
