"""A funding round of one locality, its phases, rules and followers."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb_app.extensions import UTCDateTime, db
from pb_app.localities.models import Locality
from pb_app.rounds.rules import (
    BALLOT_TYPES,
    LOTTERY_TIE_BREAK,
    TALLY_RULES,
    TIE_BREAKS,
    VOTER_VERIFICATIONS,
    BallotKind,
    RuleKind,
    Verification,
)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_ballot_version() -> str:
    """A fresh ``Round.ballot_version``: random, so that no two states of any ballot, even
    in a database restored from a backup, share one."""
    return secrets.token_hex(8)


class Phase(StrEnum):
    """The phases of a round, in the only order a round moves through them."""

    DRAFT = "draft"
    PROPOSALS_OPEN = "proposals-open"
    REVIEW = "review"
    VOTING = "voting"
    CLOSED = "closed"
    COUNTED = "counted"
    PUBLISHED = "published"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        """The phase in plain words."""
        return PHASE_LABELS[self]

    @property
    def next(self) -> Phase | None:
        """The phase after this one, or None for the last."""
        order = list(Phase)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


PHASE_LABELS = {
    Phase.DRAFT: "Draft",
    Phase.PROPOSALS_OPEN: "Taking proposals",
    Phase.REVIEW: "Reviewing proposals",
    Phase.VOTING: "Voting open",
    Phase.CLOSED: "Voting closed",
    Phase.COUNTED: "Counted",
    Phase.PUBLISHED: "Results published",
    Phase.ARCHIVED: "Archived",
}

# Phases from which the budget, rules and ballot list can no longer change.
FROZEN_PHASES = frozenset(
    {Phase.VOTING, Phase.CLOSED, Phase.COUNTED, Phase.PUBLISHED, Phase.ARCHIVED}
)

# The IJB's priorities (May 2023); a round picks from these and may add its own.
IJB_PRIORITIES = (
    "Early intervention and prevention",
    "Reducing poverty and inequalities in the locality",
    "More seamless, collaborative local services",
    "Engaging local communities on an ongoing basis",
)


class Round(db.Model):
    """One funding round of one locality: budget, rules, phase and dates."""

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    budget_pence: Mapped[int]
    min_project_cost_pence: Mapped[int] = mapped_column(default=0)
    max_project_cost_pence: Mapped[int]
    priorities: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_group_proposals_allowed: Mapped[bool] = mapped_column(default=False)
    is_ballot_order_fixed: Mapped[bool] = mapped_column(default=False)
    minimum_voting_age: Mapped[int] = mapped_column(default=16)
    voter_verification: Mapped[str] = mapped_column(String(32),
                                                    default=Verification.SELF_DECLARED.value)
    ballot_type: Mapped[str] = mapped_column(String(32), default=BallotKind.APPROVAL.value)
    ballot_params: Mapped[dict] = mapped_column(JSON, default=dict)
    tally_rule: Mapped[str] = mapped_column(String(32), default=RuleKind.GREEDY.value)
    tally_params: Mapped[dict] = mapped_column(JSON, default=dict)
    tie_break: Mapped[str] = mapped_column(String(32), default=LOTTERY_TIE_BREAK)
    lottery_seed: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(20), default=Phase.DRAFT.value, index=True)
    proposals_open_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    proposals_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voting_open_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voting_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ballot_fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Drawn afresh each time a proposal or photo of the fixed ballot changes: the ballot pages
    # keep its projects between requests until it does (``pb_app.voting.projects``).
    ballot_version: Mapped[str] = mapped_column(String(16), default=new_ballot_version)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    locality: Mapped[Locality] = relationship()

    __table_args__ = (
        CheckConstraint("budget_pence >= 0", name="budget_not_negative"),
        CheckConstraint("min_project_cost_pence >= 0", name="min_cost_not_negative"),
        CheckConstraint(
            "max_project_cost_pence >= min_project_cost_pence", name="cost_limits_ordered"
        ),
        CheckConstraint("minimum_voting_age BETWEEN 0 AND 120", name="voting_age_range"),
    )

    @property
    def current_phase(self) -> Phase:
        """The phase as a ``Phase``."""
        return Phase(self.phase)

    @property
    def is_frozen(self) -> bool:
        """True once voting has opened: budget, rules and ballot list may not change."""
        return self.current_phase in FROZEN_PHASES

    @property
    def rules_in_words(self) -> dict[str, str]:
        """Verification, ballot, tally rule and tie-break in plain words, for the round's page.

        A parameter is shown after its rule's words: ``Approve up to k projects (max choices: 3)``.
        """
        def with_params(words: str, params: dict) -> str:
            shown = ", ".join(f"{name.replace('_', ' ')}: {value}" for name, value
                              in sorted(params.items()))
            return f"{words} ({shown})" if shown else words

        return {
            "verification": VOTER_VERIFICATIONS.get(self.voter_verification,
                                                    self.voter_verification),
            "ballot": with_params(ballot.summary if (ballot := BALLOT_TYPES.get(
                self.ballot_type)) else self.ballot_type, self.ballot_params),
            "tally": with_params(rule.summary if (rule := TALLY_RULES.get(
                self.tally_rule)) else self.tally_rule, self.tally_params),
            "tie_break": TIE_BREAKS.get(self.tie_break, self.tie_break),
        }

    @property
    def withdrawn_after_vote(self) -> dict[str, str]:
        """Projects withdrawn from the count after the vote: project id -> the reason given."""
        return dict((self.tally_params or {}).get("withdrawn") or {})

    def greedy_options(self, project_ids: set[str]) -> dict:
        """The tally rule and options of a greedy round: its minimum support (a number of votes
        or points, and a share of the voters, both to be met), whether the count stops at the
        first project that does not fit, and the conflict groups (keeping only projects in
        ``project_ids``, and groups still of two or more)."""
        params = self.tally_params or {}
        groups = ([pid for pid in group if pid in project_ids]
                  for group in params.get("conflicts") or ())
        options = {"rule": self.tally_rule,
                   "conflicts": tuple(tuple(g) for g in groups if len(set(g)) > 1)}
        if self.tally_rule == RuleKind.GREEDY_THRESHOLD:
            options["threshold"] = int(params.get("threshold_votes") or 0)
            options["threshold_percent"] = int(params.get("threshold_percent") or 0)
            if params.get("stop_at_first"):
                options["rule"] = RuleKind.GREEDY_NO_SKIP.value
        return options

    @property
    def lottery_seed_sha256(self) -> str | None:
        """SHA-256 of the tie-break lottery seed, published once voting opens."""
        if self.tie_break != LOTTERY_TIE_BREAK or not self.is_frozen:
            return None
        return hashlib.sha256(self.lottery_seed.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.phase}>"


class RoundFollower(db.Model):
    """A person who asked to be told by email when the round's voting opens."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("round_id", "user_id"),)
