"""The rule names of pabulib files (META ``rule``) read as the cities that used them meant them.

One table, ``RULE_NAMES``: each name, what the cities mean by it, and how our ``RuleSpec``
says the same. ``spec_for_election`` builds the spec for a file, with the figures the file
itself carries: the META ``min_project_score_threshold`` for the greedy rules that use one,
conflict groups from a project column, and projects withdrawn after the vote.

- Conflict groups: pabulib has no standard field for them; a project column
  ``exclusive_group`` (projects sharing a value cannot both be funded) declares them.
- Withdrawn projects: a project column ``withdrawn`` set to 1, or the placeholder cost
  999,999,999 that a city gave a project it withdrew after the vote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from pb_app.tally.model import Election, RuleSpec

WITHDRAWN_COST = 999_999_999
CONFLICT_COLUMN = "exclusive_group"
WITHDRAWN_COLUMN = "withdrawn"
POZNAN_RESERVE_PERCENT = 80


@dataclass(frozen=True)
class RuleName:
    """One pabulib rule name: what it means, in words, and the spec that counts it."""

    meaning: str
    spec: Callable[[dict[str, str]], RuleSpec] | None


def _threshold(meta: dict[str, str]) -> int:
    """The file's minimum number of votes or points, 0 when it declares none."""
    value = meta.get("min_project_score_threshold", "").strip()
    return int(float(value)) if value else 0


RULE_NAMES: dict[str, RuleName] = {
    "greedy": RuleName(
        "most votes first; a project that does not fit is skipped",
        lambda meta: RuleSpec("greedy")),
    "greedy-no-skip": RuleName(
        "most votes first; the count stops at the first project that does not fit, "
        "above the file's threshold when it declares one (Gdynia)",
        lambda meta: RuleSpec("greedy-no-skip", threshold=_threshold(meta))),
    "greedy-threshold": RuleName(
        "most votes first, skipping what does not fit, among the projects with at least "
        "the file's threshold",
        lambda meta: RuleSpec("greedy-threshold", threshold=_threshold(meta))),
    "greedy-custom": RuleName(
        "Poznań: most votes first, stopping at the first project that does not fit, which is "
        "still funded from reserve funds when the money left covers 80% of its cost",
        lambda meta: RuleSpec("greedy-no-skip", reserve_percent=POZNAN_RESERVE_PERCENT)),
    "greedy-exclusive": RuleName(
        "most votes first, skipping what does not fit or conflicts with a funded project",
        lambda meta: RuleSpec("greedy")),
    "equalshares": RuleName(
        "Method of Equal Shares, no completion",
        lambda meta: RuleSpec("mes")),
    "equalshares/add1": RuleName(
        "Method of Equal Shares, completed by raising every voter's share by 1",
        lambda meta: RuleSpec("mes", completion="add1")),
    "equalshares/add1-comparison": RuleName(
        "as equalshares/add1, then the greedy outcome is kept if more voters prefer it",
        lambda meta: RuleSpec("mes", completion="add1", comparison=True)),
    "unknown": RuleName(
        "the file does not say: not counted (plain greedy reproduces none of the seven shared "
        "files so marked, Budapest's district quotas among them)",
        None),
}


def spec_for_election(election: Election) -> RuleSpec | None:
    """Our spec for the rule the file's META names, or None for ``unknown`` (or no name) and
    a name not in the table; conflict groups and withdrawn projects come from the file."""
    meta = dict(election.meta)
    name = RULE_NAMES.get(meta.get("rule", "unknown").strip() or "unknown")
    if name is None or name.spec is None:
        return None
    spec = name.spec(meta)
    conflicts = conflict_groups(election)
    if conflicts and spec.rule.startswith("greedy"):
        spec = replace(spec, conflicts=conflicts)
    if withdrawn := withdrawn_projects(election):
        spec = replace(spec, withdrawn=withdrawn)
    return spec


def conflict_groups(election: Election) -> tuple[tuple[str, ...], ...]:
    """Groups of two or more projects sharing an ``exclusive_group`` value, in file order."""
    groups: dict[str, list[str]] = {}
    for project_id, columns in election.project_meta:
        value = dict(columns).get(CONFLICT_COLUMN, "").strip()
        if value:
            groups.setdefault(value, []).append(project_id)
    return tuple(tuple(ids) for ids in groups.values() if len(ids) > 1)


def withdrawn_projects(election: Election) -> tuple[str, ...]:
    """Projects marked withdrawn, or given the placeholder cost, in file order."""
    marked = {project_id for project_id, columns in election.project_meta
              if dict(columns).get(WITHDRAWN_COLUMN, "").strip() == "1"}
    return tuple(p.id for p in election.projects
                 if p.id in marked or p.cost == WITHDRAWN_COST)
