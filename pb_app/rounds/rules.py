"""The catalogue of how a round takes and counts votes: its ballot types, its counting rules
and their options, the ways voters are verified, and the channels a vote comes by, each with
the words people read. Every domain that stores,
checks or shows them names them from here, never as string literals. Adding a ballot type
means adding it here, to the ballot pages' template (``voting/_ballot_fields.html``), to the
reading of its form (``voting.ballots``) and to their tests."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BallotKind(StrEnum):
    """What voters do on the ballot, as stored on the round."""

    APPROVAL = "approval"
    KNAPSACK = "knapsack"
    CUMULATIVE = "cumulative"
    SCORING = "scoring"
    ORDINAL = "ordinal"


@dataclass(frozen=True)
class BallotSetting:
    """The one number a ballot type needs: its name in ``ballot_params``, its default, the
    whole numbers it may take, what it is called in an error, and how a round's page says it
    (``{}`` is the value)."""

    name: str
    default: int
    low: int
    high: int
    called: str
    in_words: str


@dataclass(frozen=True)
class BallotType:
    """A ballot type: its summary in a round's settings, its label and hint where a lead
    chooses it, its setting, how the tally core and pabulib files write its votes, and what
    its support is counted in."""

    kind: BallotKind
    summary: str
    label: str
    hint: str
    setting: BallotSetting
    tally_vote_type: str
    support: str


BALLOT_TYPES = {ballot.kind: ballot for ballot in (
    BallotType(
        BallotKind.APPROVAL, "Approve up to k projects", "Choose projects",
        "Each voter ticks the projects they support, up to a number you set.",
        BallotSetting("max_choices", 3, 1, 100, "The number of projects a voter may choose",
                      "each voter may choose up to {}"),
        tally_vote_type="approval", support="votes"),
    BallotType(
        BallotKind.KNAPSACK, "Choose projects within the budget",
        "Choose projects that fit the budget",
        "Each voter picks projects whose costs add up to no more than the budget.",
        BallotSetting("min_share_percent", 0, 0, 100, "The smallest share of the budget",
                      "each voter's choices must add up to at least {}% of the budget"),
        tally_vote_type="approval", support="votes"),
    BallotType(
        BallotKind.CUMULATIVE, "Share N points among projects", "Share out points",
        "Each voter shares out a number of points among the projects they support.",
        BallotSetting("points", 10, 1, 1000, "The number of points", "{} points for each voter"),
        tally_vote_type="cumulative", support="points"),
    BallotType(
        BallotKind.SCORING, "Score each project from 0 to S", "Give each project a score",
        "Each voter gives every project a score, from 0 up to a highest score you set.",
        BallotSetting("max_score", 5, 1, 100, "The highest score", "scores from 0 to {}"),
        tally_vote_type="scoring", support="points"),
    BallotType(
        BallotKind.ORDINAL, "Rank your top k projects", "Put favourite projects in order",
        "Each voter ranks their favourite projects, up to a number you set.",
        BallotSetting("top_k", 3, 1, 100, "The number of projects a voter ranks",
                      "each voter puts up to {} in order"),
        tally_vote_type="ordinal", support="ranking points"),
)}


class RuleKind(StrEnum):
    """How the votes are counted, as stored on the round."""

    MES = "mes"
    GREEDY = "greedy"
    GREEDY_NO_SKIP = "greedy-no-skip"
    GREEDY_THRESHOLD = "greedy-threshold"
    PHRAGMEN = "phragmen"


@dataclass(frozen=True)
class TallyRule:
    """A counting rule: its summary in a round's settings, its label and hint where a lead
    chooses it, the defaults of its options (as the tally core names them), the fields of the
    round form its options need, and whether it is one of the greedy rules (which also take a
    minimum number of votes and groups of projects that cannot both be funded)."""

    kind: RuleKind
    summary: str
    label: str
    hint: str
    defaults: dict
    fields: tuple[str, ...]
    is_greedy: bool = False


# In the order the round form offers them, the recommended rule first.
TALLY_RULES = {rule.kind: rule for rule in (
    TallyRule(
        RuleKind.MES, "Method of Equal Shares", "Equal shares (recommended)",
        "Every voter gets an equal share of the budget to spend on the projects they support."
        " A project is funded when its supporters' shares cover its cost.",
        {"completion": "add1", "comparison": "satisfaction"},
        ("mes_completion", "mes_comparison")),
    TallyRule(
        RuleKind.GREEDY, "Greedy by votes, skipping projects that do not fit",
        "Most votes first",
        "Projects are funded in order of votes, skipping any that no longer fit in the money"
        " left.", {}, ("conflicts",), is_greedy=True),
    TallyRule(
        RuleKind.GREEDY_NO_SKIP, "Greedy by votes, stopping at the first that does not fit",
        "Most votes first, stopping at the first that does not fit",
        "Projects are funded in order of votes until one does not fit in the money left. No"
        " project after it is funded.", {}, ("conflicts",), is_greedy=True),
    TallyRule(
        RuleKind.GREEDY_THRESHOLD, "Greedy by votes, above a minimum support",
        "Most votes first, for projects with enough support",
        "As most votes first, but a project needs the support of at least a share of voters"
        " that you set, a number of votes, or both. The count can also stop at the first"
        " project that does not fit.", {"threshold_percent": 10},
        ("threshold_percent", "threshold_votes", "stop_at_first", "conflicts"), is_greedy=True),
    TallyRule(
        RuleKind.PHRAGMEN, "Sequential Phragmen", "Evenly shared cost (Phragmén's method)",
        "Projects are chosen one at a time, so that their cost is spread as evenly as possible"
        " over the voters who support them.", {}, ()),
)}
GREEDY_RULES = frozenset(kind for kind, rule in TALLY_RULES.items() if rule.is_greedy)

# Equal shares' options: value -> (label, hint).
MES_COMPLETIONS = {
    "add1": ("Give every voter a little more, until no more money can be used (recommended)",
             "Equal shares alone often leaves money unspent. Each voter's share is raised step"
             " by step, and the last result that stays within the budget is kept."),
    "add1-greedy": ("As above, then fund the projects that still fit, by votes",
                    "Spends more of the budget, but the extra projects are chosen by votes"
                    " alone."),
}
MES_COMPARISONS = {
    "satisfaction": ("Compare with most votes first, and keep the result more voters prefer"
                     " (recommended)",
                     "Most voters must have as many of their projects funded as they would by"
                     " most votes first, or that result is used instead."),
    "exhaustive": ("Stop raising shares as soon as no other project fits",
                   "No comparison is made."),
}

LOTTERY_TIE_BREAK = "support-cost-lottery"
TIE_BREAKS = {
    LOTTERY_TIE_BREAK: "More support first, then lower cost, then a lottery from a seed",
    "lexico": "More support first, then lower cost, then by project number",
}


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
