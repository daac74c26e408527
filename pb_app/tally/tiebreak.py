"""Tie-breaking as declared before voting opens: criteria first, then a fixed order.

Criteria: ``support`` (more support first) and ``cost`` (lower cost first). What is still
tied is settled by the order: ``lexico`` (project ids compared as strings, "p10" before
"p9", the reference implementation's default), ``lottery`` (projects sorted by the SHA-256
of ``seed + ":" + project id``, so the order is fixed by the seed whose hash was published
when voting opened) or ``declared`` (the order listed in the rule).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pb_app.tally.errors import TallyError
from pb_app.tally.model import TieBreak
from pb_app.tally.support import Profile

CRITERIA = ("support", "cost")
ORDERS = ("lexico", "lottery", "declared")


@dataclass(frozen=True)
class TieOrder:
    """Every project's tie-break key: a smaller key wins a tie."""

    keys: tuple[tuple[int, ...], ...]
    names: tuple[str, ...]

    def pick(self, tied: list[int]) -> tuple[int, str]:
        """Return the winner among tied project indices and the criterion that decided."""
        ranked = sorted(tied, key=self.keys.__getitem__)
        first, second = self.keys[ranked[0]], self.keys[ranked[1]]
        level = next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
        return ranked[0], self.names[level]


def build_tie_order(profile: Profile, tie_break: TieBreak) -> TieOrder:
    """Build the declared tie order for the profile's projects.

    Raises TallyError for an unknown criterion or order, a lottery without a seed, or a
    declared order that does not list every project exactly once.
    """
    unknown = [c for c in tie_break.criteria if c not in CRITERIA]
    if unknown:
        raise TallyError(f"unknown tie-break criterion {unknown[0]!r}")
    position = _order_position(profile.ids, tie_break)
    keys = tuple(
        tuple(_criterion_value(profile, c, j) for c in tie_break.criteria) + (position[j],)
        for j in range(len(profile.ids))
    )
    return TieOrder(keys=keys, names=tuple(tie_break.criteria) + (tie_break.order,))


def _criterion_value(profile: Profile, criterion: str, j: int) -> int:
    return -profile.support[j] if criterion == "support" else profile.costs[j]


def _order_position(ids: tuple[str, ...], tie_break: TieBreak) -> list[int]:
    if tie_break.order == "lottery" and not tie_break.seed:
        raise TallyError("a lottery tie-break needs the seed drawn before voting opened")
    if tie_break.order == "declared" and (sorted(tie_break.declared) != sorted(ids)
                                          or len(set(ids)) != len(ids)):
        raise TallyError("the declared tie-break order must list every project exactly once")
    if tie_break.order not in ORDERS:
        raise TallyError(f"unknown tie-break order {tie_break.order!r}")
    ranked = sorted(range(len(ids)), key=lambda j: _order_key(tie_break, ids[j]))
    position = [0] * len(ids)
    for pos, j in enumerate(ranked):
        position[j] = pos
    return position


def _order_key(tie_break: TieBreak, project_id: str) -> tuple:
    """Where the declared order puts a project (checked by ``_order_position``)."""
    if tie_break.order == "lottery":
        return (_lot(tie_break.seed or "", project_id), project_id)
    if tie_break.order == "declared":
        return (tie_break.declared.index(project_id),)
    return (project_id,)


def wins_tie_at_equal_support(tie_break: TieBreak, costs: dict[str, int], first: str,
                              second: str) -> bool:
    """True if project ``first`` comes before ``second`` when both have the same support: by
    the declared criteria (support being equal, only cost can differ), then the order."""
    if "cost" in tie_break.criteria and costs[first] != costs[second]:
        return costs[first] < costs[second]
    return _order_key(tie_break, first) < _order_key(tie_break, second)


def _lot(seed: str, project_id: str) -> str:
    return hashlib.sha256(f"{seed}:{project_id}".encode()).hexdigest()
