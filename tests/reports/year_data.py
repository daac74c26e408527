"""A realistic year of rounds for the oversight report tests: three localities with their
population by age band, voters of every age and channel, and the equalities answers a share of
them would give."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from factories import LocalityFactory, RoundFactory
from monitoring.builders import answered
from results.builders import cast, make_projects, paper_batch, publish

from pb_app.extensions import db
from pb_app.localities.models import AGE_BANDS, LocalityPopulation
from pb_app.monitoring.demo import demo_answers

SIGNED = datetime(2026, 6, 1, 12, tzinfo=UTC)
# Residents by age band, in the order of AGE_BANDS (the demo's Cheviot: 19,600 people).
CHEVIOT_BANDS = (3040, 1470, 1670, 1860, 2550, 3220, 3140, 2650)
EILDON_BANDS = (5900, 3400, 3700, 4100, 5200, 5600, 4800, 3300)
TEVIOT_BANDS = (2800, 1300, 1500, 1800, 2300, 2700, 2500, 1900)
# Voters by age, as recorded when they voted.
CHEVIOT_VOTERS = {17: 12, 22: 9, 30: 17, 39: 16, 48: 18, 58: 25, 67: 38, 80: 25}  # 160
EILDON_VOTERS = {19: 20, 28: 31, 37: 35, 46: 40, 57: 44, 66: 38, 79: 21}  # 229
EILDON_YOUTH_VOTERS = {12: 9, 14: 12, 17: 7}  # 28, in a second Eildon round from age 12
TEVIOT_VOTERS = {45: 2, 70: 4, 81: 2}  # 8: nearly every figure of Teviot is hidden


def make_locality(name: str, bands: tuple[int, ...]):
    """A locality with these residents by age band (in the order of AGE_BANDS)."""
    locality = LocalityFactory(name=name, population=sum(bands))
    locality.age_populations = [
        LocalityPopulation(age_band=label, min_age=low, max_age=high, population=population)
        for (low, high, label), population in zip(AGE_BANDS, bands, strict=True)
    ]
    return locality


def published_round(locality, title: str, voters: dict[int, int], rng: random.Random,
                    minimum_age: int = 16, answering: float = 0.55):
    """A published round: its voters on every channel, a share of them answering the
    questionnaire as people of their recorded age would."""
    round_ = RoundFactory(to_count=True, locality=locality, title=title,
                          minimum_voting_age=minimum_age, budget_pence=2_000_000)
    projects = make_projects(round_, {f"{title} lunch club": 630_000,
                                      f"{title} transport": 1_130_050,
                                      f"{title} respite": 620_000})
    batch = paper_batch(round_, declared=sum(n // 4 for n in voters.values()))
    for age, times in voters.items():
        paper, assisted = times // 4, times // 10
        cast(round_, projects[:2], times=paper, channel="paper", batch=batch, age=age)
        cast(round_, projects[1:], times=assisted, channel="assisted", age=age)
        cast(round_, [projects[0]], times=times - paper - assisted, age=age)
        for _ in range(round(times * answering)):
            answered(round_, demo_answers(age, rng), "TD5 7AB")
    publish(round_, SIGNED)
    return round_


def realistic_year() -> None:
    """Cheviot (one round from 16), Eildon (two rounds from 12), Teviot (8 voters); commits."""
    rng = random.Random(2026)
    published_round(make_locality("Cheviot", CHEVIOT_BANDS), "Cheviot Chest", CHEVIOT_VOTERS, rng)
    eildon = make_locality("Eildon", EILDON_BANDS)
    published_round(eildon, "Eildon Fund", EILDON_VOTERS, rng, minimum_age=12)
    published_round(eildon, "Eildon Youth Fund", EILDON_YOUTH_VOTERS, rng, minimum_age=12)
    published_round(make_locality("Teviot", TEVIOT_BANDS), "Teviot Pot", TEVIOT_VOTERS, rng)
    db.session.commit()
