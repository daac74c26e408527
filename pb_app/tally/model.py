"""Plain data in and out of the tally: frozen dataclasses, integers for money.

Money is always an integer number of the smallest currency unit (pence, grosz, cents).
Project ids are strings, exactly as in the pabulib file or the app's database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ALGORITHM_VERSION = "pb_app-tally/1.0"


class VoteType(StrEnum):
    """The ballot types of pabulib and of the app's rounds."""

    APPROVAL = "approval"
    CUMULATIVE = "cumulative"
    SCORING = "scoring"
    ORDINAL = "ordinal"
    CHOOSE_1 = "choose-1"


@dataclass(frozen=True)
class Project:
    """A project on the ballot: its id, its cost and (for display) its name."""

    id: str
    cost: int
    name: str = ""


@dataclass(frozen=True)
class Ballot:
    """One voter's choices, or ``weight`` voters who made exactly the same choices.

    - approval and choose-1: ``projects`` approved, ``points`` empty;
    - cumulative and scoring: ``points[i]`` given to ``projects[i]``;
    - ordinal: ``projects`` in rank order, most preferred first, ``points`` empty.
    """

    projects: tuple[str, ...]
    points: tuple[int, ...] = ()
    weight: int = 1


@dataclass(frozen=True)
class Election:
    """Everything a tally reads: projects, ballots, budget and the ballot type.

    ``meta`` keeps the pabulib META pairs (and ``project_meta`` the extra project columns)
    so that an election read from a file can be written back without loss.
    """

    projects: tuple[Project, ...]
    ballots: tuple[Ballot, ...]
    budget: int
    vote_type: VoteType
    meta: tuple[tuple[str, str], ...] = ()
    project_meta: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()


@dataclass(frozen=True)
class TieBreak:
    """How a tie between projects is settled, declared before voting opens.

    ``criteria`` are applied in order (``support``: more first, ``cost``: lower first);
    what is still tied is settled by ``order``: ``lexico`` (project ids compared as
    strings, the reference implementation's default), ``lottery`` (a permutation drawn
    from ``seed``) or ``declared`` (the order listed in ``declared``).
    """

    criteria: tuple[str, ...] = ("support", "cost")
    order: str = "lexico"
    seed: str | None = None
    declared: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    """The fully specified rule: every option that can change a result is explicit.

    - ``rule``: ``greedy``, ``greedy-no-skip``, ``greedy-threshold``, ``mes``, ``phragmen``;
    - ``threshold``: minimum support for ``greedy-threshold`` and ``greedy-no-skip``;
      ``threshold_percent``: minimum share of the voters, in percent, for the same rules;
    - ``reserve_percent``: ``greedy-no-skip`` only: when not 0, the first project that does
      not fit is still funded (from reserve funds) if the money left covers this share of it;
    - ``conflicts``: groups of project ids of which at most one is funded (greedy rules);
    - ``withdrawn``: project ids withdrawn after the vote: never funded, by any rule;
    - MES completion: ``completion`` is None, ``add1`` or ``add1-greedy``; ``increment`` is
      the per-voter raise in currency units; ``integral_start`` starts from floor(B/n);
      ``exhaustive_stop`` also stops add1 at the first exhaustive outcome; ``comparison``
      keeps the greedy outcome if more voters prefer it;
    - ``ordinal_scheme``: how ranked ballots become points (see the rules module);
    - ``min_share_divisor``: when not 0, first exclude each project chosen by a share of the
      voters below its cost / (divisor x budget) (see the prefilter module).
    """

    rule: str
    completion: str | None = None
    increment: int = 1
    integral_start: bool = False
    exhaustive_stop: bool = False
    comparison: bool = False
    threshold: int = 0
    threshold_percent: int = 0
    reserve_percent: int = 0
    conflicts: tuple[tuple[str, ...], ...] = ()
    withdrawn: tuple[str, ...] = ()
    ordinal_scheme: str = "borda"
    min_share_divisor: int = 0
    tie_break: TieBreak = field(default_factory=TieBreak)


@dataclass(frozen=True)
class Step:
    """One numbered step of the explanation: plain words plus the figures behind them."""

    number: int
    kind: str
    text: str
    project_id: str | None = None
    data: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Tie:
    """A tie actually met: which projects were tied, which won, and by which criterion."""

    step: int
    projects: tuple[str, ...]
    winner: str
    decided_by: str


@dataclass(frozen=True)
class Result:
    """The outcome of a tally: winners in selection order, money, explanation, provenance.

    ``support`` gives every project on the ballot, in the election's order, the support the
    rule counted: voters on approval and choose-1 ballots, points on cumulative and scoring
    ballots, points of the ordinal scheme on ranked ballots. A project set aside before the
    count (withdrawn, or by the pre-filter) has the support its ballots gave it.
    """

    algorithm_version: str
    rule: RuleSpec
    input_fingerprint: str
    budget: int
    selected: tuple[str, ...]
    allocation: tuple[tuple[str, int], ...]
    spent: int
    unspent: int
    steps: tuple[Step, ...]
    ties: tuple[Tie, ...] = ()
    support: tuple[tuple[str, int], ...] = ()
