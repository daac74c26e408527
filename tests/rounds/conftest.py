"""Fixtures for the round and proposal tests."""


from rounds.fixtures import (  # noqa: F401
    admin,
    box_keys,
    eildon,
    finance,
    lead,
    other_lead,
    outbox,
    resident,
    tweeddale,
)
