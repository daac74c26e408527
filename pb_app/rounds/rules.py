"""The catalogue of how votes reach a round: the ways voters are verified, and the channels a
vote comes by, each with the words people read. Every domain that stores or shows them names
them from here, never as string literals."""

from __future__ import annotations

from enum import StrEnum


class Verification(StrEnum):
    """How a round checks that a voter lives in the locality and is old enough."""

    SELF_DECLARED = "self-declared"
    VOTING_CODE = "voting-code"
    IN_PERSON = "in-person"


VOTER_VERIFICATIONS = {
    Verification.SELF_DECLARED: "Self-declared: the voter confirms their address and age",
    Verification.VOTING_CODE: "Voting code: a code posted to the voter's address",
    Verification.IN_PERSON: "In person: checked by staff at a community event",
}


class Channel(StrEnum):
    """How one vote came: stored on each participation and each sealed envelope."""

    ONLINE = "online"
    CODE = "code"
    PAPER = "paper"
    ASSISTED = "assisted"


CHANNELS = {
    Channel.ONLINE: "Online",
    Channel.CODE: "Online with a voting code",
    Channel.PAPER: "On paper, at a community event",
    Channel.ASSISTED: "With help from staff",
}
# The database's own check on a channel column.
CHANNEL_CHECK = "channel IN ({})".format(", ".join(f"'{channel}'" for channel in Channel))
