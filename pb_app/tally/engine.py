"""The one entry point: ``run_tally(election, spec) -> Result``.

Checks the rule against the ballot type, runs it, and assembles the frozen result with the
allocation, the money left, the algorithm version, the input fingerprint (SHA-256 of the
canonical pabulib export) and the numbered explanation.
"""

from __future__ import annotations

from pb_app.tally.equalshares import run_equal_shares
from pb_app.tally.errors import TallyError
from pb_app.tally.explain import StepLog, describe_rule, money
from pb_app.tally.greedy import greedy_options, run_greedy
from pb_app.tally.model import ALGORITHM_VERSION, Election, Result, RuleSpec
from pb_app.tally.pabulib import fingerprint
from pb_app.tally.phragmen import run_phragmen
from pb_app.tally.prefilter import exclude_low_share, exclude_withdrawn
from pb_app.tally.support import APPROVAL_TYPES, Profile, build_profile
from pb_app.tally.tiebreak import build_tie_order

__all__ = ["TallyError", "run_tally", "validate_spec"]

RULES = ("greedy", "greedy-no-skip", "greedy-threshold", "mes", "phragmen")
GREEDY_RULES = ("greedy", "greedy-no-skip", "greedy-threshold")
THRESHOLD_RULES = ("greedy-no-skip", "greedy-threshold")
COMPLETIONS = (None, "add1", "add1-greedy")


def validate_spec(election: Election, spec: RuleSpec) -> None:
    """Raise TallyError when the rule is unknown, an option does not apply to it, or the rule
    does not fit the ballot type (sequential Phragmén needs approval or choose-1 ballots)."""
    if spec.rule not in RULES:
        raise TallyError(f"unknown rule {spec.rule!r}; known rules: {', '.join(RULES)}")
    if spec.rule == "phragmen" and election.vote_type not in APPROVAL_TYPES:
        raise TallyError("sequential Phragmén counts approval ballots only, "
                         f"not {election.vote_type.value} ballots")
    if spec.rule != "mes" and (spec.completion or spec.comparison):
        raise TallyError("completion and comparison options apply to the mes rule only")
    if spec.completion not in COMPLETIONS:
        raise TallyError(f"unknown completion {spec.completion!r}; use add1 or add1-greedy")
    if spec.completion is None and (spec.integral_start or spec.exhaustive_stop):
        raise TallyError("integral start and exhaustive stop need the add1 completion")
    if not isinstance(spec.increment, int) or spec.increment < 1:
        raise TallyError("the add1 increment must be a whole number of at least 1")
    if (spec.threshold or spec.threshold_percent) and spec.rule not in THRESHOLD_RULES:
        raise TallyError("a support threshold applies to greedy-no-skip and greedy-threshold only")
    if spec.threshold < 0:
        raise TallyError("the support threshold must not be negative")
    _validate_greedy_options(election, spec)
    if not isinstance(spec.min_share_divisor, int) or spec.min_share_divisor < 0:
        raise TallyError("the pre-filter divisor must be a whole number, 0 for no pre-filter")


def _validate_greedy_options(election: Election, spec: RuleSpec) -> None:
    """Raise TallyError for a share, reserve, conflict group or withdrawal that cannot apply."""
    ids = {project.id for project in election.projects}
    if not 0 <= spec.threshold_percent <= 100:
        raise TallyError("the share of voters must be between 0 and 100 percent")
    if not 0 <= spec.reserve_percent <= 100:
        raise TallyError("the reserve share must be between 0 and 100 percent")
    if spec.reserve_percent and spec.rule != "greedy-no-skip":
        raise TallyError("reserve funding applies to greedy-no-skip only")
    if spec.conflicts and spec.rule not in GREEDY_RULES:
        raise TallyError("conflict groups apply to the greedy rules only")
    for group in spec.conflicts:
        if len(set(group)) < 2:
            raise TallyError("a conflict group needs at least two different projects")
        if unknown := sorted(set(group) - ids):
            raise TallyError(f"conflict group names unknown project {unknown[0]!r}")
    if unknown := sorted(set(spec.withdrawn) - ids):
        raise TallyError(f"withdrawn project {unknown[0]!r} is not in the election")


def _log_result(log: StepLog, count: int, spent: int, budget: int) -> None:
    """The last step: what was funded, and the money left or taken from reserve funds."""
    if spent <= budget:
        log.add("result", f"Funded {count} projects for {money(spent)}; "
                f"{money(budget - spent)} of {money(budget)} unspent.",
                spent=spent, unspent=budget - spent)
        return
    log.add("result", f"Funded {count} projects for {money(spent)}: the whole budget of "
            f"{money(budget)} and {money(spent - budget)} from reserve funds.",
            spent=spent, unspent=0, reserve=spent - budget)


def run_tally(election: Election, spec: RuleSpec) -> Result:
    """Count the election by the rule and return the result with its explanation.

    Raises TallyError for an unknown rule or option, a rule that does not fit the ballot
    type, an invalid tie-break declaration, or ballots that do not match the election.
    """
    validate_spec(election, spec)
    log = StepLog()
    voters = sum(ballot.weight for ballot in election.ballots)
    log.add("rule", f"Rule: {describe_rule(spec)}. Budget {money(election.budget)}, "
            f"{money(voters)} voters, {len(election.projects)} projects.")
    counted = election
    if spec.withdrawn:
        counted = exclude_withdrawn(counted, spec.withdrawn, log)
    if spec.min_share_divisor:
        counted = exclude_low_share(counted, spec.min_share_divisor, log)
    profile = build_profile(counted, spec.ordinal_scheme)
    order = build_tie_order(profile, spec.tie_break)
    if spec.rule == "mes":
        funded = run_equal_shares(profile, spec, order, log)
    elif spec.rule == "phragmen":
        funded = run_phragmen(profile, order, log)
    else:
        funded = run_greedy(profile, order, log, greedy_options(spec, profile))
    selected = tuple(profile.ids[j] for j in funded)
    allocation = tuple((profile.ids[j], profile.costs[j]) for j in funded)
    spent = sum(cost for _, cost in allocation)
    _log_result(log, len(selected), spent, election.budget)
    return Result(
        algorithm_version=ALGORITHM_VERSION,
        rule=spec,
        input_fingerprint=fingerprint(election),
        budget=election.budget,
        selected=selected,
        allocation=allocation,
        spent=spent,
        unspent=max(election.budget - spent, 0),
        steps=log.steps,
        ties=log.ties,
        support=_support(election, counted, profile, spec.ordinal_scheme),
    )


def _support(election: Election, counted: Election, profile: Profile,
             ordinal_scheme: str) -> tuple[tuple[str, int], ...]:
    """Every project's support as counted (see ``Result``), in the election's order; the
    ballots are read again only when projects were set aside before the count."""
    as_counted = dict(zip(profile.ids, profile.support, strict=True))
    whole = profile if counted is election else build_profile(election, ordinal_scheme)
    return tuple((pid, as_counted.get(pid, support))
                 for pid, support in zip(whole.ids, whole.support, strict=True))

