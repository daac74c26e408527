"""``flask tally``: count a pabulib file by a rule, and verify a published result.

A stable contract that scripts outside the project rely on::

    flask --app wsgi tally run FILE.pb --rule RULE [--completion add1|add1-greedy]
        [--comparison] [--exhaustive-stop] [--integral-start] [--increment N]
        [--threshold N] [--threshold-percent P] [--reserve-percent P]
        [--conflict ID,ID,...]... [--withdrawn ID]...
        [--ordinal-scheme borda|approval] [--min-share-divisor N]
        [--tie-break lexico|lottery|declared:ID,ID,...] [--tie-criteria support,cost|none]
        [--seed SEED] [--json]
    flask --app wsgi tally verify FILE.pb RESULT.json

Exit codes: 0 done (``verify``: the recomputed result matches byte for byte), 1 ``verify``
found a difference, 2 bad input (missing or malformed file, unknown rule or option), reported
on stderr as ``FILE:LINE: reason``. Free text read leniently (a badly quoted project name) is
reported on stderr as ``FILE:LINE: warning: ...`` and does not change the exit code.
The group is plain ``click`` so that the tally stays free of Flask.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import click

from pb_app.tally.engine import RULES, run_tally
from pb_app.tally.errors import TallyError
from pb_app.tally.explain import render_text, result_to_json, spec_from_dict
from pb_app.tally.model import Election, Result, RuleSpec, TieBreak
from pb_app.tally.pabulib import PabulibError, PabulibWarning, read_pb
from pb_app.tally.support import ORDINAL_SCHEMES
from pb_app.tally.tiebreak import CRITERIA

MISMATCH = 1


class BadInput(click.ClickException):
    """Input the tally cannot use: reported as one line, exit code 2, never a traceback."""

    exit_code = 2


@click.group("tally")
def tally_cli() -> None:
    """Count pabulib (.pb) files and verify published results."""


@tally_cli.command("run")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rule", required=True, type=click.Choice(RULES), help="The counting rule.")
@click.option("--completion", type=click.Choice(["add1", "add1-greedy"]),
              help="MES completion: add1, or add1 followed by greedy.")
@click.option("--comparison", is_flag=True, help="MES: keep greedy if more voters prefer it.")
@click.option("--exhaustive-stop", is_flag=True, help="add1: stop at the first exhaustive outcome.")
@click.option("--integral-start", is_flag=True, help="add1: start from floor(budget/voters).")
@click.option("--increment", type=click.IntRange(min=1), default=1, show_default=True,
              help="add1: the raise per voter, in currency units.")
@click.option("--threshold", type=click.IntRange(min=0), default=0, show_default=True,
              help="greedy-threshold: the minimum support.")
@click.option("--threshold-percent", type=click.IntRange(0, 100), default=0, show_default=True,
              help="greedy-threshold, greedy-no-skip: the minimum share of voters, in percent.")
@click.option("--reserve-percent", type=click.IntRange(0, 100), default=0, show_default=True,
              help="greedy-no-skip: fund the first project that does not fit from reserve "
                   "funds when the money left covers this share of its cost (Poznan: 80).")
@click.option("--conflict", "conflicts", multiple=True, metavar="ID,ID,...",
              help="Greedy rules: projects that cannot both be funded (repeatable).")
@click.option("--withdrawn", multiple=True, metavar="ID",
              help="A project withdrawn after the vote: never funded (repeatable).")
@click.option("--ordinal-scheme", type=click.Choice(ORDINAL_SCHEMES), default="borda",
              show_default=True, help="How ranked ballots become points.")
@click.option("--min-share-divisor", type=click.IntRange(min=0), default=0, show_default=True,
              help="Pre-filter: exclude a project chosen by a share of voters below "
                   "cost / (N x budget); 0 for none.")
@click.option("--tie-break", "order", default="lexico", show_default=True, metavar="ORDER",
              help="lexico, lottery (with --seed) or declared:ID,ID,...")
@click.option("--tie-criteria", default=",".join(CRITERIA), show_default=True,
              help="Criteria applied before the order (support, cost), or 'none'.")
@click.option("--seed", help="The lottery seed (revealed with the result).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def run_command(file: Path, as_json: bool, **options: Any) -> None:
    """Count FILE by the rule and print the winners, the spend and the explanation."""
    result = _tally(_read(file), _spec(**options))
    click.echo(result_to_json(result) if as_json else render_text(result), nl=as_json)


@tally_cli.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("result_file", metavar="RESULT.json",
                type=click.Path(dir_okay=False, path_type=Path))
def verify_command(file: Path, result_file: Path) -> None:
    """Recount FILE with the rule recorded in RESULT.json; exit 0 only on an exact match."""
    recorded_text, recorded = _read_result(result_file)
    try:
        spec = spec_from_dict(recorded["rule"])
    except (KeyError, TypeError, AttributeError) as error:
        raise BadInput(f"{result_file}: no usable rule in the result ({error})") from None
    # A result recorded before results carried each project's support is compared without it.
    recomputed_text = result_to_json(_tally(_read(file), spec),
                                     with_support="support" in recorded)
    if recorded_text == recomputed_text:
        click.echo(f"OK: {result_file} matches a recount of {file} byte for byte.")
        return
    click.echo(f"DIFFERENT: {result_file} does not match a recount of {file}.")
    for line in describe_differences(recorded, json.loads(recomputed_text)):
        click.echo(f"  {line}")
    raise click.exceptions.Exit(MISMATCH)


def describe_differences(recorded: dict, recomputed: dict) -> list[str]:
    """Say how a recorded result differs from the recount: input, version, first step, outcome."""
    lines = []
    for key, label in (("input_fingerprint", "input SHA-256"),
                       ("algorithm_version", "algorithm version")):
        if recorded.get(key) != recomputed.get(key):
            lines.append(f"{label}: recorded {recorded.get(key)}, recount {recomputed.get(key)}")
    lines += _first_different_step(recorded.get("steps") or [], recomputed["steps"])
    for key in ("selected", "spent", "unspent", "support"):
        if recorded.get(key) != recomputed.get(key):
            lines.append(f"{key}: recorded {recorded.get(key)}, recount {recomputed.get(key)}")
    return lines or ["same content, but not the canonical JSON bytes (was the file reformatted?)"]


def _first_different_step(recorded: list, recomputed: list) -> list[str]:
    for number, (mine, theirs) in enumerate(zip(recorded, recomputed, strict=False), start=1):
        if mine != theirs:
            text = mine.get("text") if isinstance(mine, dict) else mine
            return [f"step {number} is the first that differs:",
                    f"  recorded: {text}", f"  recount:  {theirs['text']}"]
    if len(recorded) != len(recomputed):
        return [f"the recorded result has {len(recorded)} steps, the recount "
                f"{len(recomputed)}; the first {min(len(recorded), len(recomputed))} agree"]
    return []


def _read(file: Path) -> Election:
    """The election in FILE; each lenient reading is printed to stderr as a warning.

    Raises BadInput (exit code 2) as ``FILE:LINE: reason`` for a file the tally cannot read.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PabulibWarning)
        try:
            election = read_pb(file)
        except PabulibError as error:
            raise BadInput(_located(file, error)) from None
    for warning in caught:
        if isinstance(warning.message, PabulibWarning):
            click.echo(f"{_located(file, warning.message, 'warning: ')}", err=True)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    return election


def _located(file: Path, problem: PabulibError | PabulibWarning, kind: str = "") -> str:
    """``FILE:LINE: reason`` (``FILE: reason`` when the problem has no line)."""
    where = f"{file}:{problem.line}" if problem.line else f"{file}"
    return f"{where}: {kind}{problem.reason}"


def _read_result(path: Path) -> tuple[str, dict]:
    """The result file's text (one final newline allowed, as ``run --json`` prints) and data."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read {path}: {error}") from None
    text = text.removesuffix("\n")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path} is not a tally result (a JSON object)")
    return text, data


def _tally(election: Election, spec: RuleSpec) -> Result:
    try:
        return run_tally(election, spec)
    except TallyError as error:
        raise BadInput(str(error)) from None


def _spec(
    rule: str, completion: str | None, comparison: bool, exhaustive_stop: bool,
    integral_start: bool, increment: int, threshold: int, threshold_percent: int,
    reserve_percent: int, conflicts: tuple[str, ...], withdrawn: tuple[str, ...],
    ordinal_scheme: str, min_share_divisor: int, order: str, tie_criteria: str,
    seed: str | None,
) -> RuleSpec:
    """The rule as the options declare it."""
    return RuleSpec(
        rule=rule, completion=completion, increment=increment, integral_start=integral_start,
        exhaustive_stop=exhaustive_stop, comparison=comparison, threshold=threshold,
        threshold_percent=threshold_percent, reserve_percent=reserve_percent,
        conflicts=tuple(tuple(p.strip() for p in group.split(",") if p.strip())
                        for group in conflicts),
        withdrawn=withdrawn,
        ordinal_scheme=ordinal_scheme, min_share_divisor=min_share_divisor,
        tie_break=_tie_break(order, tie_criteria, seed),
    )


def _tie_break(order: str, tie_criteria: str, seed: str | None) -> TieBreak:
    criteria = () if tie_criteria == "none" else tuple(
        c.strip() for c in tie_criteria.split(",") if c.strip())
    unknown = [c for c in criteria if c not in CRITERIA]
    if unknown:
        raise BadInput(f"unknown tie criterion {unknown[0]!r}; use {', '.join(CRITERIA)} or none")
    if order.startswith("declared:"):
        declared = tuple(p.strip() for p in order.removeprefix("declared:").split(",") if p.strip())
        return TieBreak(criteria=criteria, order="declared", declared=declared)
    if order not in ("lexico", "lottery"):
        raise BadInput(f"unknown tie-break order {order!r}; use lexico, lottery or declared:IDS")
    if order == "lottery" and not seed:
        raise BadInput("--tie-break lottery needs --seed")
    return TieBreak(criteria=criteria, order=order, seed=seed)
