"""The count told in sentences, for a finance officer and for the public: project titles,
money in pounds, no internals. Built from the snapshot's stored steps (the figures the tally
core recorded) and the round's proposal titles; the core's own text stays the technical log.

Each step of the stored explanation becomes a sentence, and each project gets its "why":
the step that funded it, or the money it lacked when it was last considered and, for the
greedy rules and the pre-filter, the votes (or points) that would have changed its fate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from pb_app.money import format_pounds
from pb_app.rounds.rules import BALLOT_TYPES, BallotKind
from pb_app.tally.engine import run_tally
from pb_app.tally.explain import result_to_dict, spec_from_dict
from pb_app.tally.model import RuleSpec
from pb_app.tally.pabulib import read_pb
from pb_app.tally.tiebreak import wins_tie_at_equal_support

DECIDED_BY = {
    "support": "as it had more {unit}",
    "cost": "as it cost less",
    "lottery": "by the lottery drawn before voting opened",
    "lexico": "by project number",
    "declared": "by the order declared before voting opened",
}
ADD1_REASONS = {
    "overspend": "raising them any further would have spent more than the budget",
    "exhaustive": "no other project could fit in the money left",
    "complete": "every project with support was already funded",
}


@dataclass(frozen=True)
class Figures:
    """What the sentences need besides the steps: names, costs, support and the rule.

    ``supporters`` is each project's support as stored with the count, ``unit`` what the
    ballot counts (see ``ballot_unit``) and ``support_unit`` what the stored support counts,
    when that differs (see ``support_unit``).
    """

    titles: dict[str, str]
    costs: dict[str, int]
    supporters: dict[str, int]
    budget_pence: int
    voters: int
    unit: str
    rule: dict
    support_unit: str = ""

    def title(self, project_id: str) -> str:
        """The project's title (its number if the round no longer has it)."""
        return self.titles.get(project_id, f"Project {project_id}")


@dataclass(frozen=True)
class Sentence:
    """One step of the count in words; ``project_id`` links it to that project's row."""

    number: int | None
    text: str
    project_id: str | None = None
    details: tuple[Sentence, ...] = ()


@dataclass(frozen=True)
class Why:
    """Why one project was funded or not: the headline, and the step, shortfall and votes."""

    summary: str
    detail: str = ""
    step: int | None = None


@dataclass
class StoredCount:
    """The stored result read once: its steps, ties and allocation (in the order chosen), and
    the greedy pass the comparison step kept, if it kept one."""

    steps: list[dict]
    ties: list[dict]
    allocation: list[tuple[str, int]]
    kept_greedy: list[dict] = field(default_factory=list)
    comparison_step: int | None = None


def pence(value: int | str) -> int:
    """An amount the core wrote as pence, a 'p/q' fraction or a decimal string, to pence."""
    if isinstance(value, int):
        return value
    text = str(value).replace(",", "")
    return round(Fraction(text) if "/" in text else Fraction(Decimal(text)))


def _plural(count: int, word: str) -> str:
    """``count`` and the word, singular for one: (1, "voter") -> "1 voter"."""
    return f"{count:,} {word if count == 1 else word + 's'}"


def support_text(count: int, unit: str) -> str:
    """A number of votes or points (``unit`` is the plural): (1, "votes") -> "1 vote"."""
    return _plural(count, unit.removesuffix("s"))


def ballot_unit(ballot_type: str, rule: dict) -> str:
    """What the tally counts as support, as a plural word: "votes" on approval and knapsack
    ballots, "points" on cumulative and score ballots, "ranking points" on ranked ballots (the
    Borda count: points by place), or "votes" if each ranked project counts once."""
    if ballot_type == BallotKind.ORDINAL and rule.get("ordinal_scheme") == "approval":
        return "votes"
    return ballot.support if (ballot := BALLOT_TYPES.get(ballot_type)) else "points"


def support_unit(snapshot) -> str:
    """What the snapshot's stored support counts: the ballot's unit, except in a count stored
    before results carried the tally's support, which stored the voters who chose each
    project; on a ballot of points that is "voters", and such a count is shown as stored."""
    unit = ballot_unit(snapshot.round.ballot_type, json.loads(snapshot.rule_json))
    if unit == "votes" or "support" in json.loads(snapshot.result_json):
        return unit
    return "voters"


# --- Reading the snapshot -------------------------------------------------------------------


def read_count(snapshot, titles: dict[str, tuple[str, int]]) -> tuple[Figures, StoredCount]:
    """The figures and the stored steps of ``snapshot``; ``titles`` maps id -> (title, cost).

    When the comparison step kept the plain greedy outcome, that pass is recounted by the
    tally core from the stored input, since the stored steps record only the verdict.
    """
    result = json.loads(snapshot.result_json)
    figures = Figures(
        titles={pid: title for pid, (title, _) in titles.items()},
        costs={pid: cost for pid, (_, cost) in titles.items()},
        supporters={pid: int(n) for pid, n in json.loads(snapshot.support_json).items()},
        budget_pence=snapshot.budget_pence,
        voters=snapshot.ballot_count,
        unit=ballot_unit(snapshot.round.ballot_type, json.loads(snapshot.rule_json)),
        rule=result.get("rule", json.loads(snapshot.rule_json)),
        support_unit=support_unit(snapshot),
    )
    count = StoredCount(
        list(result.get("steps", [])),
        list(result.get("ties", [])),
        [(pid, amount) for pid, amount in result.get("allocation", [])],
    )
    comparison = next((s for s in count.steps if s["kind"] == "comparison"), None)
    if comparison and comparison["data"]["kept"] == "greedy":
        count.comparison_step = comparison["number"]
        count.kept_greedy = _greedy_pass(snapshot.input_pb, figures.rule)
    return figures, count


def _greedy_pass(input_pb: str, rule: dict) -> list[dict]:
    """The plain greedy count the comparison step weighed, step by step."""
    spec = spec_from_dict(rule)
    greedy = RuleSpec(rule="greedy", ordinal_scheme=spec.ordinal_scheme,
                      min_share_divisor=spec.min_share_divisor, tie_break=spec.tie_break)
    steps = result_to_dict(run_tally(read_pb(input_pb), greedy))["steps"]
    return [step for step in steps if step["kind"] == "greedy"]


# --- The count in sentences -------------------------------------------------------------------


def rule_in_sentences(figures: Figures) -> str:
    """How the rule works, in a few plain sentences."""
    rule, unit = figures.rule, figures.unit
    name = rule["rule"]
    if name == "mes":
        text = ("The Method of Equal Shares: the budget is shared equally among the voters, and a "
                "project is funded when its supporters can pay for it together from their shares.")
        if rule.get("completion"):
            text += (" If money is left, the shares are raised step by step while the result "
                     "stays within the budget.")
        if rule.get("exhaustive_stop"):
            text += " They stop rising as soon as no other project could fit in the money left."
        if rule.get("completion") == "add1-greedy":
            text += (f" Money still left goes to the other projects with the most {unit}, "
                     "while they fit.")
        if rule.get("comparison"):
            text += (f" Finally the result is compared with a simple count by most {unit}, "
                     "and the one that more voters are better off with is kept.")
    elif name == "phragmen":
        text = ("Sequential Phragmén: projects are funded one at a time, each as soon as its "
                "supporters, given money at the same steady rate, can pay for it together. The "
                "count stops at the first project that does not fit in the money left.")
    else:
        text = f"Projects with the most {unit} are funded first."
        text += {
            "greedy": " A project that does not fit in the money left is skipped.",
            "greedy-no-skip": " The count stops at the first project that does not fit.",
            "greedy-threshold": (f" A project needs at least {rule.get('threshold', 0):,} {unit} "
                                 "to be considered, and one that does not fit is skipped."),
        }.get(name, "")
        text += _greedy_options_in_sentences(rule, unit)
    if rule.get("withdrawn"):
        text += (" Projects withdrawn after the vote cannot be funded, and their votes are set "
                 "aside.")
    if unit == "ranking points":
        text += (" On a ranked ballot, a first choice gets as many ranking points as the longest "
                 "ballot has places, and each later choice 1 fewer.")
    return text + " " + _tie_rule(figures)


def _greedy_options_in_sentences(rule: dict, unit: str) -> str:
    """The threshold, reserve funding and conflicts of a greedy count, in sentences."""
    text = ""
    if rule["rule"] == "greedy-no-skip" and rule.get("threshold"):
        text += (f" A project needs at least {rule['threshold']:,} {unit} to be considered; "
                 "one with fewer is passed over and does not stop the count.")
    if rule.get("threshold_percent"):
        text += (f" A project needs the support of at least {rule['threshold_percent']}% of "
                 "the voters to be considered.")
    if rule.get("reserve_percent"):
        text += (" The project that does not fit is still funded, from reserve funds, if the "
                 f"money left covers at least {rule['reserve_percent']}% of its cost.")
    if rule.get("conflicts"):
        text += (" Some projects cannot both be funded (for example, two plans for one site): "
                 "once one of them is funded, the others are passed over.")
    return text


def _tie_rule(figures: Figures) -> str:
    tie_break = figures.rule.get("tie_break", {})
    words = {"support": f"more {figures.unit}", "cost": "lower cost"}
    order = {"lottery": "a lottery drawn before voting opened", "lexico": "project number",
             "declared": "an order declared before voting opened"}
    steps = [words.get(c, c) for c in tie_break.get("criteria", [])]
    steps.append(order.get(tie_break.get("order", "lexico"), "project number"))
    return "Ties are settled by " + ", then ".join(steps) + "."


def count_in_sentences(figures: Figures, count: StoredCount) -> list[Sentence]:
    """Every stored step of the count as a sentence, ties included, in the count's order."""
    narrator = _Narrator(figures)
    sentences = []
    for step in count.steps:
        text = narrator.say(step)
        text += "".join(" " + _tie_text(tie, figures) for tie in count.ties
                        if tie["step"] == step["number"])
        details = ()
        if step["kind"] == "comparison" and count.kept_greedy:
            greedy = _Narrator(figures)
            details = tuple(Sentence(None, greedy.say(s), s["project_id"])
                            for s in count.kept_greedy)
        sentences.append(Sentence(step["number"], text, step.get("project_id"), details))
    return sentences


def _tie_text(tie: dict, figures: Figures) -> str:
    names = [figures.title(pid) for pid in tie["projects"]]
    tied = ", ".join(names[:-1]) + " and " + names[-1]
    how = DECIDED_BY.get(tie["decided_by"], "by the declared tie-break").format(unit=figures.unit)
    return f"{tied} were tied; {figures.title(tie['winner'])} went first, {how}."


class _Narrator:
    """Turns the stored steps into sentences, keeping track of the money spent so far."""

    def __init__(self, figures: Figures) -> None:
        self.f = figures
        self.spent = 0

    def say(self, step: dict) -> str:
        """The step in words."""
        return getattr(self, "_" + step["kind"].replace("-", "_"))(step["data"],
                                                                   step.get("project_id"))

    def _rule(self, data: dict, pid: None) -> str:
        f = self.f
        return (f"There was {format_pounds(f.budget_pence)} to spend, "
                f"{_plural(f.voters, 'ballot')} {'was' if f.voters == 1 else 'were'} "
                f"counted and {_plural(len(f.supporters), 'project')} "
                f"{'was' if len(f.supporters) == 1 else 'were'} on the ballot. "
                + rule_in_sentences(f))

    def _prefilter(self, data: dict, pid: None) -> str:
        head = (f"Before the count, each project had to be chosen by a share of the "
                f"{data['voters']:,} voters of at least its share of the budget divided by "
                f"{data['divisor']}.")
        if not data["excluded"]:
            return head + " No project was set aside."
        names = "; ".join(f"{self.f.title(p)} (chosen by {n:,})"
                          for p, n in zip(data["excluded"], data["chosen_by"], strict=True))
        return f"{head} Set aside: {names}."

    def _withdrawn(self, data: dict, pid: str) -> str:
        return (f"{self.f.title(pid)} was withdrawn after the vote, so it could not be funded; "
                "its votes were set aside.")

    def _stage(self, data: dict, pid: None) -> str:
        if "endowment" not in data:
            return (f"Money was still left, so the projects not yet funded were taken in order of "
                    f"{self.f.unit}, most first, and funded if they fitted in the money left.")
        return (f"The budget was shared equally among the {self.f.voters:,} voters: each had "
                f"{format_pounds(pence(data['endowment']))} to spend on the projects they voted "
                "for.")

    def _mes_free(self, data: dict, pid: str) -> str:
        return f"{self.f.title(pid)} cost nothing and had support, so it was funded first."

    def _mes(self, data: dict, pid: str) -> str:
        self.spent += data["cost"]
        price = format_pounds(pence(data["price"]))
        if self.f.unit == "votes":
            paid = f"{data['full_payers']:,} of its supporters paid {price} each"
        else:
            paid = f"{data['full_payers']:,} of its supporters paid {price} for each point"
        if data["capped_payers"]:
            paid += (f", and {data['capped_payers']:,} more paid all they had left "
                     f"({format_pounds(pence(data['capped_paid']))} in all)")
        return (f"{self.f.title(pid)} was funded for {format_pounds(data['cost'])}: {paid}. "
                f"Spent so far: {format_pounds(self.spent)}.")

    def _mes_unfunded(self, data: dict, pid: str) -> str:
        left = pence(data["supporters_left"])
        return (f"{self.f.title(pid)} was not funded: it cost {format_pounds(data['cost'])} "
                f"and its supporters had only {format_pounds(left)} left between them, "
                f"{format_pounds(data['cost'] - left)} short.")

    def _add1(self, data: dict, pid: None) -> str:
        return (f"To use more of the budget, each voter's share was raised step by step from "
                f"{format_pounds(pence(data['start']))}. The count kept shares of "
                f"{format_pounds(pence(data['kept']))}, as used above, because "
                f"{ADD1_REASONS.get(data['reason'], 'the result could not improve')}.")

    def _greedy(self, data: dict, pid: str) -> str:
        head = (f"{self.f.title(pid)} had {support_text(data['support'], self.f.unit)} and cost "
                f"{format_pounds(data['cost'])}:")
        left = format_pounds(data["left"])
        if data["outcome"] == "funded":
            self.spent = self.f.budget_pence - data["left"]
            return f"{head} funded, leaving {left}."
        if data["outcome"] == "funded from reserve":
            self.spent = self.f.budget_pence + data["reserve"]
            return (f"{head} it did not fit in the {left} left, but that covered at least "
                    f"{data['reserve_percent']}% of its cost, so it was funded with "
                    f"{format_pounds(data['reserve'])} from reserve funds. The count stopped here.")
        if data["outcome"] == "conflict":
            return (f"{head} not funded, as it cannot be funded together with "
                    f"{self.f.title(data['rival'])}, which was already funded.")
        if data["outcome"] == "does not fit":
            short = format_pounds(data["cost"] - data["left"])
            return f"{head} not funded, as only {left} was left ({short} short)."
        if data["outcome"] == "stopped":
            return f"{head} not funded, as the count had stopped at a project that did not fit."
        if self.f.rule.get("threshold_percent"):
            return f"{head} not considered, as it needed {_minimum_words(self.f)}."
        return (f"{head} not considered, as it had fewer than the minimum of "
                f"{self.f.rule.get('threshold', 0):,} {self.f.unit}.")

    def _phragmen(self, data: dict, pid: str) -> str:
        self.spent = self.f.budget_pence - data["left"]
        supporters = self.f.supporters.get(pid, 0)
        return (f"{self.f.title(pid)} was funded for {format_pounds(data['cost'])}: its "
                f"{supporters:,} supporters were the next able to pay for a project together, "
                f"each having then spent {format_pounds(pence(data['load']))} in all. "
                f"{format_pounds(data['left'])} was left.")

    def _phragmen_stop(self, data: dict, pid: str) -> str:
        cost = self.f.costs.get(pid, 0)
        left = self.f.budget_pence - self.spent
        return (f"{self.f.title(pid)} would have been next, but it cost {format_pounds(cost)} and "
                f"only {format_pounds(left)} was left, so the count stopped.")

    def _comparison(self, data: dict, pid: None) -> str:
        kept = "simple count's" if data["kept"] == "greedy" else "equal-shares"
        return (f"The equal-shares result was compared with a simple count by most "
                f"{self.f.unit}: {_plural(data['prefer_mes'], 'voter')} "
                f"{'was' if data['prefer_mes'] == 1 else 'were'} better off with "
                f"equal shares, {data['prefer_greedy']:,} with the simple count, and "
                f"{data['indifferent']:,} equally well off either way. So the {kept} result "
                "was kept" + (": it went like this." if data["kept"] == "greedy" else "."))

    def _result(self, data: dict, pid: None) -> str:
        if data.get("reserve"):
            return (f"In all, {format_pounds(data['spent'])} was spent: the whole "
                    f"{format_pounds(self.f.budget_pence)} budget and "
                    f"{format_pounds(data['reserve'])} from reserve funds.")
        return (f"In all, {format_pounds(data['spent'])} was spent and "
                f"{format_pounds(data['unspent'])} of the {format_pounds(self.f.budget_pence)} "
                "budget was left unspent.")


# --- Why each project was funded, or not ------------------------------------------------------


def project_reasons(figures: Figures, count: StoredCount) -> dict[str, Why]:
    """Why each project on the ballot was funded or not, from the last step that names it."""
    steps = count.kept_greedy or count.steps
    last = {step["project_id"]: step for step in steps if step.get("project_id")}
    reasons = {}
    for pid in figures.supporters:
        step = last.get(pid)
        if step is None:
            reasons[pid] = _why_unstepped(figures, count, pid)
        elif count.kept_greedy:
            reasons[pid] = _why_kept_greedy(figures, count, step)
        elif step["kind"] == "greedy":
            reasons[pid] = _why_greedy(figures, [s for s in steps if s["kind"] == "greedy"], step)
        else:
            reasons[pid] = _why_other(figures, step, steps)
    return reasons


def _why_greedy(figures: Figures, greedy_steps: list[dict], step: dict) -> Why:
    """A project a greedy pass decided: its support, cost, and the money left at its turn."""
    data, number, unit = step["data"], step["number"], figures.unit
    cost, left, outcome = data["cost"], data["left"], data["outcome"]
    head = f"It had {support_text(data['support'], unit)} and cost {format_pounds(cost)}."
    if outcome == "funded":
        return Why(f"{head} It was funded, leaving {format_pounds(left)} in the budget.",
                   _chosen(figures, step), number)
    if outcome == "funded from reserve":
        return Why(f"{head} It was funded: the {format_pounds(left)} left covered enough of its "
                   f"cost, and reserve funds paid the other {format_pounds(data['reserve'])}.",
                   _chosen(figures, step), number)
    if outcome == "conflict":
        return Why(f"{head} Not funded: it cannot be funded together with "
                   f"{figures.title(data['rival'])}, which was funded first.",
                   f"Passed over at step {number}.", number)
    if outcome == "below threshold":
        return Why(f"{head} Not funded: it did not have the round's minimum support.",
                   f"It needed {_minimum_words(figures)} to be considered (step {number}).",
                   number)
    short = cost - left
    if outcome == "does not fit":
        summary = f"{head} Not funded: when its turn came only {format_pounds(left)} was left."
    elif short > 0:
        summary = (f"{head} Not funded: when its turn came only {format_pounds(left)} was left, "
                   "and this rule stops at the first project that does not fit.")
    else:
        summary = (f"{head} Not funded: the count had already stopped at an earlier project "
                   "that did not fit.")
    detail = f"It was {format_pounds(short)} short at step {number}." if short > 0 else ""
    if figures.rule["rule"].startswith("greedy"):  # under other rules more votes change more
        detail = f"{detail} {_votes_sentence(figures, greedy_steps, step)}".strip()
    return Why(summary, detail, number)


def _chosen(figures: Figures, step: dict) -> str:
    """The step that funded a project, and its support as the Support column shows it."""
    support = figures.supporters.get(step["project_id"], 0)
    unit = figures.support_unit or figures.unit
    backing = (_plural(support, "supporter") if unit in ("votes", "voters")
               else support_text(support, unit))
    return f"Funded at step {step['number']} of the count, with {backing}."


def _votes_sentence(figures: Figures, greedy_steps: list[dict], target: dict) -> str:
    """The support that would have brought the project to its turn with money enough for it.

    Moving up the queue changes nothing before the project's new place, so it is funded if it
    comes before the first project after which the money left is less than its cost: with as
    much support as that project when it wins their tie, with one more when it does not.
    """
    cost, best = target["data"]["cost"], None
    for step in greedy_steps:
        data = step["data"]
        if step is target:
            break
        if data["outcome"] in ("below threshold", "conflict"):
            continue
        if data["left"] + (data["cost"] if data["outcome"] == "funded" else 0) < cost:
            break
        best = step
        if data["outcome"] == "stopped":
            break
    if best is None:
        return f"No number of {figures.unit} would have been enough: it cost more than the budget."
    costs = {step["project_id"]: step["data"]["cost"] for step in (target, best)}
    ties_won = wins_tie_at_equal_support(spec_from_dict(figures.rule).tie_break, costs,
                                         target["project_id"], best["project_id"])
    need = max(best["data"]["support"] + (0 if ties_won else 1),
               figures.rule.get("threshold", 0))
    more = need - target["data"]["support"]
    return (f"With {need:,} {figures.unit} ({more:,} more) it would have come before "
            f"{figures.title(best['project_id'])} and been funded.")


def _why_kept_greedy(figures: Figures, count: StoredCount, step: dict) -> Why:
    """A project decided by the simple count the comparison step kept."""
    why = _why_greedy(figures, count.kept_greedy, step)
    detail = (f"More voters were better off with the simple count by most {figures.unit}, so "
              f"its result was kept (step {count.comparison_step}).")
    short = step["data"]["cost"] - step["data"]["left"]
    if step["data"]["outcome"] != "funded" and short > 0:
        detail += f" In the simple count it was {format_pounds(short)} short."
    return Why(why.summary, detail, count.comparison_step)


def _why_other(figures: Figures, step: dict, steps: list[dict]) -> Why:
    """A project an equal-shares or Phragmén step decided."""
    kind, data, number, pid = step["kind"], step["data"], step["number"], step["project_id"]
    if kind == "withdrawn":
        return Why("Not funded: it was withdrawn after the vote.",
                   f"Its votes were set aside before the count (step {number}).", number)
    chosen = _chosen(figures, step)
    if kind == "mes":
        return Why(f"Funded by equal shares: {data['full_payers'] + data['capped_payers']:,} of "
                   f"its supporters together paid its cost of {format_pounds(data['cost'])} from "
                   "their shares of the budget.", chosen, number)
    if kind == "mes-free":
        return Why("Funded: it cost nothing and had support.", chosen, number)
    if kind == "mes-unfunded":
        left = pence(data["supporters_left"])
        return Why(f"Not funded: its supporters had only {format_pounds(left)} left of their "
                   f"shares, less than its cost of {format_pounds(data['cost'])}.",
                   f"It was {format_pounds(data['cost'] - left)} short when it was last "
                   f"considered (step {number}).", number)
    if kind == "phragmen":
        return Why(f"Funded: its {figures.supporters.get(pid, 0):,} supporters could pay its "
                   f"cost of {format_pounds(data['cost'])} together.", chosen, number)
    bought = [s for s in steps if s["kind"] == "phragmen" and s["number"] < number]
    left = bought[-1]["data"]["left"] if bought else figures.budget_pence
    cost = figures.costs.get(pid, 0)
    return Why(f"Not funded: it was next in line, but it cost {format_pounds(cost)} and only "
               f"{format_pounds(left)} was left, so the count stopped.",
               f"It was {format_pounds(cost - left)} short at step {number}.", number)


def _why_unstepped(figures: Figures, count: StoredCount, pid: str) -> Why:
    """A project no step names: set aside by the pre-filter, too dear, unsupported, or never
    reached because the count stopped."""
    cost = figures.costs.get(pid, 0)
    prefilter = next((s for s in count.steps if s["kind"] == "prefilter"), None)
    if prefilter and pid in prefilter["data"]["excluded"]:
        data = prefilter["data"]
        chosen = data["chosen_by"][data["excluded"].index(pid)]
        need = math.ceil(cost * data["voters"] / (data["divisor"] * figures.budget_pence))
        return Why("Not counted: too few voters chose it for its cost.",
                   f"It was chosen by {chosen:,} of the {data['voters']:,} voters; a project of "
                   f"its cost needed {need:,} (step {prefilter['number']}).", prefilter["number"])
    if cost > figures.budget_pence:
        return Why("Not funded: it cost more than the whole budget.")
    if not figures.supporters.get(pid):
        return Why("Not funded: nobody voted for it.")
    if figures.rule["rule"] == "phragmen":
        return Why("Not funded: the count stopped before its turn came.")
    return Why("Not funded: its supporters' shares of the budget could not cover its cost.")


def _minimum_words(figures: Figures) -> str:
    """The minimum support a project needed: a number, a share of the voters, or both."""
    rule, unit = figures.rule, figures.unit
    parts = []
    if rule.get("threshold") or not rule.get("threshold_percent"):
        parts.append(f"at least {rule.get('threshold', 0):,} {unit}")
    if rule.get("threshold_percent"):
        parts.append(f"the support of at least {rule['threshold_percent']}% of the voters")
    return " and ".join(parts)
