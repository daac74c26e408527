"""The explanation: numbered steps in plain words, rendered as text and deterministic JSON.

JSON output has sorted keys and no floats: exact fractions are written as ``"p/q"`` strings
and approximate amounts (shown to a finance officer) as decimal strings, so the same result
always gives the same bytes. ``result_from_dict`` reads such a dictionary back.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from fractions import Fraction
from typing import Any

from pb_app.tally.model import Result, RuleSpec, Step, Tie, TieBreak


class StepLog:
    """Collects the steps and ties of one tally while a rule runs."""

    def __init__(self) -> None:
        self._steps: list[Step] = []
        self._ties: list[Tie] = []

    def add(self, kind: str, text: str, project_id: str | None = None, **data: Any) -> int:
        """Append a step and return its number."""
        number = len(self._steps) + 1
        pairs = tuple(sorted((k, _plain(v)) for k, v in data.items()))
        self._steps.append(Step(number, kind, text, project_id, pairs))
        return number

    def tie(self, projects: list[str], winner: str, decided_by: str) -> None:
        """Record a tie met at the next step (the step that reports its outcome)."""
        self._ties.append(Tie(len(self._steps) + 1, tuple(projects), winner, decided_by))

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps so far."""
        return tuple(self._steps)

    @property
    def ties(self) -> tuple[Tie, ...]:
        """The ties met so far."""
        return tuple(self._ties)


def money(amount: int) -> str:
    """Whole currency units with thousands separators: 995079 -> '995,079'."""
    return f"{amount:,}"


def approx(amount: Fraction | float) -> str:
    """An amount to two decimals for reading (exact figures travel as fractions)."""
    return f"{float(amount):,.2f}"


def fraction(value: Fraction) -> str:
    """An exact fraction as 'p/q'."""
    value = Fraction(value)
    return f"{value.numerator}/{value.denominator}"


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Fraction):
        return fraction(value)
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    raise TypeError(f"step data must be exact, not {type(value).__name__}")


def render_text(result: Result) -> str:
    """The result and its explanation as plain text for a finance officer."""
    spec = result.rule
    lines = [
        f"Rule: {describe_rule(spec)}",
        f"Budget: {money(result.budget)}; spent {money(result.spent)}; "
        f"unspent {money(result.unspent)}",
        f"Funded ({len(result.selected)}): " + ", ".join(result.selected),
        f"Algorithm: {result.algorithm_version}; input SHA-256 {result.input_fingerprint}",
        "",
        "How the result was reached:",
    ]
    lines += [f"{step.number:>4}. {step.text}" for step in result.steps]
    if result.ties:
        lines += ["", "Ties met:"]
        lines += [
            f"  step {t.step}: {', '.join(t.projects)} tied; {t.winner} first "
            f"(decided by {t.decided_by})"
            for t in result.ties
        ]
    return "\n".join(lines) + "\n"


def describe_rule(spec: RuleSpec) -> str:
    """One line naming the rule and every option that changes its result."""
    parts = [spec.rule]
    if spec.min_share_divisor:
        parts.append(f"pre-filter: share of voters at least cost / ({spec.min_share_divisor} "
                     "x budget)")
    if spec.rule == "greedy-threshold" or spec.threshold:
        parts.append(f"threshold {spec.threshold}")
    if spec.threshold_percent:
        parts.append(f"threshold {spec.threshold_percent}% of voters")
    if spec.reserve_percent:
        parts.append(f"reserve funds for the next project if {spec.reserve_percent}% of it is "
                     "covered")
    parts += [f"at most one of {', '.join(group)}" for group in spec.conflicts]
    if spec.withdrawn:
        parts.append("withdrawn: " + ", ".join(spec.withdrawn))
    if spec.rule == "mes":
        parts.append(f"completion {spec.completion or 'none'}")
        if spec.completion:
            parts.append(f"increment {spec.increment}")
            parts.append("integral start" if spec.integral_start else "start at budget/voters")
            parts.append("exhaustive stop" if spec.exhaustive_stop else "no exhaustive stop")
        parts.append("comparison step" if spec.comparison else "no comparison step")
    tb = spec.tie_break
    parts.append("ties: " + " then ".join([*tb.criteria, tb.order]))
    return "; ".join(parts)


# Rule options added after results were first recorded: written only when used, so that a
# result recorded before them still verifies byte for byte.
LATER_OPTIONS = {"threshold_percent": 0, "reserve_percent": 0, "conflicts": (), "withdrawn": ()}


def result_to_dict(result: Result, *, with_support: bool = True) -> dict:
    """The result as plain JSON-ready data (no floats; fractions as 'p/q').

    ``with_support=False`` leaves out each project's support, as results were recorded before
    they carried it, so that such a result can be compared with a recount byte for byte.
    """
    data = asdict(result)
    if not with_support:
        del data["support"]
    for name, default in LATER_OPTIONS.items():
        if data["rule"][name] == default:
            del data["rule"][name]
    data["steps"] = [
        {**asdict(s), "data": {k: _listify(v) for k, v in s.data}} for s in result.steps
    ]
    return _listify(data)


def result_to_json(result: Result, *, with_support: bool = True) -> str:
    """The result as canonical JSON: sorted keys, fixed separators, one line (for
    ``with_support`` see ``result_to_dict``)."""
    return json.dumps(result_to_dict(result, with_support=with_support), sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_listify(v) for v in value]
    return value


def spec_from_dict(data: dict) -> RuleSpec:
    """Rebuild the rule from a recorded result's ``rule`` entry so it can be rerun."""
    tb = data.get("tie_break", {})
    tie_break = TieBreak(
        criteria=tuple(tb.get("criteria", ())),
        order=tb.get("order", "lexico"),
        seed=tb.get("seed"),
        declared=tuple(tb.get("declared", ())),
    )
    fields = {k: v for k, v in data.items() if k != "tie_break"}
    if "conflicts" in fields:
        fields["conflicts"] = tuple(tuple(group) for group in fields["conflicts"])
    if "withdrawn" in fields:
        fields["withdrawn"] = tuple(fields["withdrawn"])
    return RuleSpec(**fields, tie_break=tie_break)


def result_from_dict(data: dict) -> Result:
    """Rebuild a Result from ``result_to_dict`` output (the inverse, byte for byte; a result
    recorded without support gets none)."""
    steps = tuple(
        Step(
            s["number"], s["kind"], s["text"], s["project_id"],
            tuple(sorted((k, _tuplify(v)) for k, v in s["data"].items())),
        )
        for s in data["steps"]
    )
    ties = tuple(Tie(t["step"], tuple(t["projects"]), t["winner"], t["decided_by"])
                 for t in data["ties"])
    return Result(
        algorithm_version=data["algorithm_version"],
        rule=spec_from_dict(data["rule"]),
        input_fingerprint=data["input_fingerprint"],
        budget=data["budget"],
        selected=tuple(data["selected"]),
        allocation=tuple((pid, amount) for pid, amount in data["allocation"]),
        spent=data["spent"],
        unspent=data["unspent"],
        steps=steps,
        ties=ties,
        support=tuple((pid, support) for pid, support in data.get("support", ())),
    )


def _tuplify(value: Any) -> Any:
    return tuple(_tuplify(v) for v in value) if isinstance(value, list) else value
