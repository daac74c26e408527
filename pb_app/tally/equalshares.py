"""The MES rule as cities run it: MES, then add1, greedy completion, comparison step.

Order of the stages: MES at B/n (or the add1 search), then the greedy completion over the
money left (``add1-greedy``), then the comparison step: the plain greedy outcome is kept
instead when more voters prefer it, a voter preferring the outcome that gives them more
satisfaction (approved projects funded, or points given to funded projects).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from pb_app.tally.add1 import Add1Outcome, search_add1, start_endowment
from pb_app.tally.explain import StepLog, approx, money
from pb_app.tally.greedy import greedy_decisions, run_greedy
from pb_app.tally.mes import MesData, Run, prepare, run_mes
from pb_app.tally.model import RuleSpec
from pb_app.tally.support import Profile
from pb_app.tally.tiebreak import TieOrder


def run_equal_shares(profile: Profile, spec: RuleSpec, order: TieOrder, log: StepLog) -> list[int]:
    """Run the MES rule with its declared completion and return the funded indices in order."""
    data = prepare(profile, order)
    if spec.completion is None:
        run = run_mes(data, order, Fraction(profile.budget, max(profile.n_voters, 1)))
        _explain_run(data, run, log)
    else:
        start = start_endowment(profile.budget, max(profile.n_voters, 1), spec.integral_start)
        outcome = search_add1(data, order, start, spec.increment, spec.exhaustive_stop)
        run = outcome.kept
        _explain_run(data, run, log)
        _explain_add1(data, outcome, start, spec, log)
    funded = list(run.sequence)
    if spec.completion == "add1-greedy":
        log.add("stage", "Greedy completion: the projects not yet funded, by support, while "
                "they fit the money left.")
        funded += run_greedy(profile, order, log, start=tuple(funded))
    if spec.comparison:
        funded = _comparison(profile, order, funded, log)
    return funded


def _explain_run(data: MesData, run: Run, log: StepLog) -> None:
    profile = data.profile
    unit = "supporter" if profile.is_approval else "point"
    log.add("stage", f"Method of Equal Shares: each of the {money(profile.n_voters)} voters "
            f"gets {approx(run.endowment)} to spend on projects they back.",
            endowment=run.endowment)
    for j in run.free:
        log.add("mes-free", f"{profile.ids[j]} costs nothing and has support: funded first.",
                profile.ids[j])
    spent = 0
    for r in run.rounds:
        j = r.project
        spent += profile.costs[j]
        price = r.alpha * profile.costs[j] if profile.is_approval else r.alpha
        if r.tied:
            log.tie([profile.ids[k] for k in r.tied], profile.ids[j], r.decided_by)
        capped = (f"; {money(r.capped_payers)} voters paid all they had left "
                  f"({approx(r.capped_paid)} in all)" if r.capped_payers else "")
        log.add("mes", f"{profile.ids[j]} funded (cost {money(profile.costs[j])}): price "
                f"{approx(price)} per {unit}; {money(r.full_payers)} voters paid the full "
                f"share{capped}. Spent so far {money(spent)}.", profile.ids[j],
                cost=profile.costs[j], price=approx(price), full_payers=r.full_payers,
                capped_payers=r.capped_payers, capped_paid=approx(r.capped_paid))
    for j, left in sorted(run.left_for.items()):
        log.add("mes-unfunded", f"{profile.ids[j]} not funded: its supporters had only "
                f"{approx(left)} left, less than its cost {money(profile.costs[j])}.",
                profile.ids[j], cost=profile.costs[j], supporters_left=approx(left))


def _explain_add1(data: MesData, outcome: Add1Outcome, start: Fraction, spec: RuleSpec,
                  log: StepLog) -> None:
    why = {
        "overspend": "the next endowment's outcome would cost {cost}, more than the budget",
        "exhaustive": "no further project fits the money left (exhaustive stop)",
        "complete": "every supported project is funded, so nothing can change",
    }[outcome.reason]
    cost = sum(data.profile.costs[j] for j in outcome.stopper.sequence) if outcome.stopper else 0
    log.add("add1", f"add1 completion: endowment raised from {approx(start)} by "
            f"{spec.increment} at a time; kept the outcome at {approx(outcome.kept.endowment)} "
            f"because {why.format(cost=money(cost))}. {outcome.steps} raises checked.",
            start=start, kept=outcome.kept.endowment, raises=outcome.steps,
            reason=outcome.reason)


def _comparison(profile: Profile, order: TieOrder, funded: list[int], log: StepLog) -> list[int]:
    decisions, ties = greedy_decisions(profile, order)
    greedy = [d.project for d in decisions if d.outcome == "funded"]
    mes_sat, greedy_sat = _satisfaction(profile, funded), _satisfaction(profile, greedy)
    w = profile.weights
    prefer_mes = int(w[mes_sat > greedy_sat].sum())
    prefer_greedy = int(w[greedy_sat > mes_sat].sum())
    indifferent = profile.n_voters - prefer_mes - prefer_greedy
    keep = greedy if prefer_greedy > prefer_mes else funded
    verdict = "greedy outcome kept" if keep is greedy else "equal-shares outcome kept"
    for tied in ties if keep is greedy else ():
        winner, decided_by = order.pick(tied)
        log.tie([profile.ids[j] for j in tied], profile.ids[winner], decided_by)
    log.add("comparison", f"Comparison step: {money(prefer_mes)} voters prefer the equal-shares "
            f"outcome, {money(prefer_greedy)} the greedy outcome, {money(indifferent)} are "
            f"indifferent: {verdict}.", prefer_mes=prefer_mes, prefer_greedy=prefer_greedy,
            indifferent=indifferent, kept="greedy" if keep is greedy else "mes")
    return keep


def _satisfaction(profile: Profile, funded: list[int]) -> np.ndarray:
    sat = np.zeros(len(profile.groups), dtype=np.int64)
    for j in funded:
        sat[profile.supporters[j]] += profile.points[j]
    return sat
