"""The IJB oversight report: one round, or every locality over a financial year.

The report covers rounds whose result has been published, dated by the financial year of
their sign-off (as the ledger is). Every figure is aggregated in the database, so a round
of 100,000 ballots reads a few hundred rows, not 100,000.

Two sources of figures about people, never mixed in one table:

- recorded: who voted, through which channel, and their age as checked for eligibility when
  they voted (one participation row per voter). Every voter is counted.
- self-reported: the optional equalities questionnaire offered after voting. Each of its
  tables has a row for the voters who did not fill it in, so it adds up to the voters too.

Turnout is one figure wherever it appears: voters divided by the residents old enough to vote
(the eligible population), from the locality's population by age band. A band that straddles
the round's minimum age counts pro rata by years of age (minimum 12 in the band 0 to 15: 4 of
its 16 years; the open top band counts as ages 75 to 89), rounded to whole people per round
and band, so that every eligible figure is a sum of the ones below it. Where a locality has no
population by age band, its eligible population and turnout are not known (never guessed from
the population of all ages). Voter counts under 5 are hidden as the equalities tables are;
the voters of each locality, which the report prints anyway, are never hidden.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fractions import Fraction

from sqlalchemy import func, select

from pb_app.audit.services import record_checkpoint
from pb_app.errors import NotFound
from pb_app.extensions import db
from pb_app.ledger.models import Delivery
from pb_app.ledger.services import FLAG_LABELS, LedgerLine, LedgerTotal, ledger_lines, ledger_totals
from pb_app.localities.models import AGE_BANDS, Locality
from pb_app.money import financial_year_label, financial_year_of
from pb_app.monitoring.services import AggregateTable, aggregate_responses, count_responses
from pb_app.monitoring.suppression import suppress
from pb_app.proposals.models import OUTCOMES
from pb_app.results.explanation import support_unit
from pb_app.results.models import SIGNED_OFF, CountSnapshot, Publication, SnapshotReview
from pb_app.results.presentation import sheets_set_aside
from pb_app.rounds.models import IJB_PRIORITIES, Round
from pb_app.rounds.rules import CHANNELS, Channel
from pb_app.tally.explain import describe_rule, spec_from_dict
from pb_app.voting.models import Participation
from pb_app.voting.services import ballot_proposals

OPEN_BAND_LAST_AGE = 89  # the open top band counts as 75 to 89 when split pro rata
FIRST_YEAR, LAST_YEAR = 1000, 9998  # financial years a report can be asked for
ALL_LOCALITIES = "All localities"
ALL_AGES = "All ages"
IN_PERSON_CHANNELS = frozenset({Channel.PAPER, Channel.ASSISTED})


@dataclass(frozen=True)
class RoundLine:
    """One counted round in a report: money, turnout and the verification figures."""

    round_id: int
    title: str
    locality: str
    population: int
    budget_pence: int
    allocated_pence: int
    spent_pence: int
    ballots: int
    blank_sheets: int  # paper sheets set aside as blank, not counted
    spoilt_sheets: int  # and as spoilt
    voters: int
    eligible: int | None  # residents old enough to vote; None when not known
    rule: str
    input_fingerprint: str
    snapshot_hash: str
    algorithm_version: str

    @property
    def turnout_hundredths(self) -> int | None:
        """Turnout in hundredths of a percent (see ``turnout_hundredths``)."""
        return turnout_hundredths(self.voters, self.eligible)


@dataclass(frozen=True)
class ProjectLine:
    """One project on a counted ballot: cost, support (counting ``support_unit``: votes,
    points, ...), funding, outcomes and delivery."""

    title: str
    locality: str
    round_title: str
    cost_pence: int
    support: int
    support_unit: str
    is_funded: bool
    outcomes: tuple[int, ...]
    priorities: tuple[str, ...]
    allocated_pence: int = 0
    spent_pence: int = 0
    delivery: str = ""
    flag: str = ""


@dataclass(frozen=True)
class Tally:
    """A labelled count with, optionally, an amount of money."""

    label: str
    count: int
    amount_pence: int = 0


def turnout_hundredths(voters: int | None, eligible: int | None) -> int | None:
    """Voters as a share of the eligible population, in hundredths of a percent rounded half
    up (``82`` is 0.82%); None when the voters are hidden or nobody is known to be eligible."""
    if voters is None or not eligible:
        return None
    return int(Fraction(voters * 10_000, eligible) + Fraction(1, 2))


@dataclass(frozen=True)
class AgeTurnout:
    """Voters of an age band in a locality (or all), as recorded when they voted, against the
    residents of that band old enough to vote."""

    locality: str
    age_band: str
    voters: int | None  # None when hidden
    eligible: int | None  # None when the locality has no population by age band

    @property
    def turnout_hundredths(self) -> int | None:
        """Turnout in hundredths of a percent (see ``turnout_hundredths``)."""
        return turnout_hundredths(self.voters, self.eligible)


@dataclass(frozen=True)
class OversightReport:
    """Everything the IJB report shows, as plain figures."""

    title: str
    period: str
    generated_at: datetime
    rounds: list[RoundLine]
    projects: list[ProjectLine]
    by_outcome: list[Tally]
    by_priority: list[Tally]
    by_channel: list[Tally]
    delivery: list[Tally]
    ledger_totals: list[LedgerTotal]
    equalities: list[AggregateTable]
    equalities_respondents: int
    ledger: list[LedgerLine] = field(default_factory=list)
    age_turnout: list[AgeTurnout] = field(default_factory=list)
    localities_without_age_bands: list[str] = field(default_factory=list)
    # The audit trail's checkpoint (SEQUENCE:HASH) the report carries, once it is published.
    checkpoint: str | None = None
    subject: str = ""  # names the report in its stored checkpoint: "year:2026", "round:7"

    @property
    def budget_pence(self) -> int:
        """The total budget of the rounds covered."""
        return sum(line.budget_pence for line in self.rounds)

    @property
    def allocated_pence(self) -> int:
        """The total allocated by their signed-off results."""
        return sum(line.allocated_pence for line in self.rounds)

    @property
    def spent_pence(self) -> int:
        """The total spent so far against those allocations."""
        return sum(line.spent_pence for line in self.rounds)

    @property
    def voters(self) -> int:
        """Everyone who voted in the rounds covered."""
        return sum(line.voters for line in self.rounds)

    @property
    def ballots(self) -> int:
        """The ballots counted in the rounds covered."""
        return sum(line.ballots for line in self.rounds)

    @property
    def blank_sheets(self) -> int:
        """Paper sheets set aside as blank in the rounds covered."""
        return sum(line.blank_sheets for line in self.rounds)

    @property
    def spoilt_sheets(self) -> int:
        """Paper sheets set aside as spoilt in the rounds covered."""
        return sum(line.spoilt_sheets for line in self.rounds)

    @property
    def eligible(self) -> int | None:
        """Residents old enough to vote in the rounds covered; None if any is not known."""
        if any(line.eligible is None for line in self.rounds):
            return None
        return sum(line.eligible for line in self.rounds)

    @property
    def turnout_hundredths(self) -> int | None:
        """Turnout over every round covered, in hundredths of a percent."""
        return turnout_hundredths(self.voters, self.eligible)

    @property
    def age_totals(self) -> list[AgeTurnout]:
        """The recorded age figures of all localities together, band by band."""
        return [line for line in self.age_turnout if line.locality == ALL_LOCALITIES]

    @property
    def in_person_voters(self) -> int:
        """Voters on paper or helped by staff."""
        return sum(t.count for t in self.by_channel if t.label in _IN_PERSON_LABELS)


_IN_PERSON_LABELS = frozenset(CHANNELS[channel] for channel in IN_PERSON_CHANNELS)


class NoRoundsThatYear(NotFound):
    """No round's result was signed off in the financial year asked for, or it is no year."""

    def __init__(self, year: int):
        if FIRST_YEAR <= year <= LAST_YEAR:
            message = (f"There is no oversight report for financial year "
                       f"{financial_year_label(year)}: no round's result was signed off "
                       "between April and March of that year.")
        else:
            message = (f"{year} is not a financial year. Give the year it starts in: "
                       "2026 for April 2026 to March 2027.")
        super().__init__(message)
        self.year = year


def _published(round_ids: Sequence[int] | None = None, year: int | None = None):
    """(round, snapshot, sign-off) of every published round, optionally filtered."""
    query = (
        select(Round, CountSnapshot, SnapshotReview)
        .join(Publication, Publication.round_id == Round.id)
        .join(CountSnapshot, Publication.snapshot_id == CountSnapshot.id)
        .join(
            SnapshotReview,
            (SnapshotReview.snapshot_id == CountSnapshot.id)
            & (SnapshotReview.decision == SIGNED_OFF),
        )
        .order_by(Round.id)
    )
    if round_ids is not None:
        query = query.where(Round.id.in_(round_ids))
    rows = db.session.execute(query).all()
    if year is not None:
        rows = [row for row in rows if financial_year_of(row[2].decided_at.date()) == year]
    return rows


def report_years() -> list[int]:
    """Financial years with at least one published round, newest first."""
    return sorted(
        {financial_year_of(review.decided_at.date()) for _, _, review in _published()}, reverse=True
    )


def _voters_by_round(round_ids: Sequence[int]) -> dict[int, int]:
    query = (
        select(Participation.round_id, func.count())
        .where(Participation.round_id.in_(round_ids))
        .group_by(Participation.round_id)
    )
    return dict(db.session.execute(query).all())


def _round_lines(rows, lines: list[LedgerLine]) -> list[RoundLine]:
    voters = _voters_by_round([round_.id for round_, _, _ in rows])
    spent = Counter()
    for line in lines:
        spent[line.allocation.round_id] += line.spent_pence
    return [
        RoundLine(
            round_.id,
            round_.title,
            round_.locality.name,
            round_.locality.population,
            snapshot.budget_pence,
            snapshot.spent_pence,
            spent[round_.id],
            snapshot.ballot_count,
            *sheets_set_aside(snapshot),
            voters.get(round_.id, 0),
            eligible_residents(round_),
            describe_rule(spec_from_dict(json.loads(snapshot.rule_json))),
            snapshot.input_fingerprint,
            snapshot.content_hash,
            snapshot.algorithm_version,
        )
        for round_, snapshot, _ in rows
    ]


def _project_lines(rows, lines: list[LedgerLine]) -> list[ProjectLine]:
    by_proposal = {line.allocation.proposal_id: line for line in lines}
    projects = []
    for round_, snapshot, _ in rows:
        support, unit = json.loads(snapshot.support_json), support_unit(snapshot)
        for proposal in ballot_proposals(round_):
            line = by_proposal.get(proposal.id)
            projects.append(
                ProjectLine(
                    proposal.title,
                    round_.locality.name,
                    round_.title,
                    proposal.cost_pence,
                    support.get(str(proposal.id), 0),
                    unit,
                    line is not None,
                    tuple(proposal.outcomes or ()),
                    tuple(proposal.priorities or ()),
                    allocated_pence=line.allocation.amount_pence if line else 0,
                    spent_pence=line.spent_pence if line else 0,
                    delivery=Delivery(line.allocation.delivery).label if line else "",
                    flag=FLAG_LABELS.get(line.flag, "") if line else "",
                )
            )
    return projects


def _by_outcome(projects: list[ProjectLine]) -> list[Tally]:
    funded = [p for p in projects if p.is_funded]
    return [
        Tally(
            f"{number}. {label}",
            sum(1 for p in funded if number in p.outcomes),
            sum(p.allocated_pence for p in funded if number in p.outcomes),
        )
        for number, label in OUTCOMES.items()
    ]


def _by_priority(projects: list[ProjectLine]) -> list[Tally]:
    funded = [p for p in projects if p.is_funded]
    return [
        Tally(
            label,
            sum(1 for p in funded if label in p.priorities),
            sum(p.allocated_pence for p in funded if label in p.priorities),
        )
        for label in IJB_PRIORITIES
    ]


def _by_channel(round_ids: Sequence[int]) -> list[Tally]:
    query = (
        select(Participation.channel, func.count())
        .where(Participation.round_id.in_(round_ids))
        .group_by(Participation.channel)
    )
    counts = dict(db.session.execute(query).all())
    return [Tally(label, counts.get(channel, 0)) for channel, label in CHANNELS.items()]


def eligible_share(low: int, high: int, minimum_age: int) -> Fraction:
    """The share of a band's residents old enough to vote: 1, 0, or pro rata by years."""
    last = min(high, OPEN_BAND_LAST_AGE)
    if minimum_age <= low:
        return Fraction(1)
    if minimum_age > last:
        return Fraction(0)
    return Fraction(last - minimum_age + 1, last - low + 1)


def eligible_by_band(round_: Round) -> dict[str, int | None]:
    """Residents of the round's locality old enough to vote in it, by age band label, rounded
    half up to whole people: 0 for a band too young to vote, None for one the locality has no
    figure for."""
    known = {band.age_band: band.population for band in round_.locality.age_populations}
    residents = {}
    for low, high, label in AGE_BANDS:
        share = eligible_share(low, high, round_.minimum_voting_age)
        if not share or label not in known:
            residents[label] = None if share else 0
        else:
            residents[label] = int(known[label] * share + Fraction(1, 2))
    return residents


def eligible_residents(round_: Round) -> int | None:
    """Residents of the round's locality old enough to vote in it (the denominator of every
    turnout the app shows), or None when its population by age band is not known."""
    return _sum_known(eligible_by_band(round_).values())


def _sum_known(values) -> int | None:
    """The sum of ``values``, or None when any of them is not known."""
    values = list(values)
    return None if any(value is None for value in values) else sum(values)


def _voters_by_round_and_band(round_ids: Sequence[int]) -> Counter:
    query = (
        select(Participation.round_id, Participation.age_years, func.count())
        .where(Participation.round_id.in_(round_ids))
        .group_by(Participation.round_id, Participation.age_years)
    )
    voters = Counter()
    for round_id, age, count in db.session.execute(query):
        label = next(label for low, high, label in AGE_BANDS if low <= age <= high)
        voters[round_id, label] += count
    return voters


def _age_labels(rounds: Sequence[Round], voters_by: Counter) -> list[str]:
    """The bands any round admits, and any band with a voter recorded in it (so that the rows
    always add up to the voters, even if a record broke the minimum age)."""
    return [
        label for low, high, label in AGE_BANDS
        if any(eligible_share(low, high, round_.minimum_voting_age)
               or voters_by[round_.id, label] for round_ in rounds)
    ]


def _age_turnout(rounds: Sequence[Round]) -> tuple[list[AgeTurnout], list[str]]:
    """Recorded voters by locality and age band (with totals) against the residents old enough
    to vote, and the localities lacking population figures by age band."""
    voters_by = _voters_by_round_and_band([round_.id for round_ in rounds])
    labels = _age_labels(rounds, voters_by)
    localities = sorted({round_.locality.name for round_ in rounds})
    voters, eligible = Counter(), {}
    for round_ in rounds:
        name = round_.locality.name
        for label, residents in eligible_by_band(round_).items():
            voters[name, label] += voters_by[round_.id, label]
            eligible[name, label] = _sum_known([eligible.get((name, label), 0), residents])
    missing = sorted({name for (name, _), residents in eligible.items() if residents is None})
    return _suppressed_turnout(labels, localities, voters, eligible), missing


def _suppressed_turnout(
    labels: list[str], localities: list[str], voters: Counter, eligible: dict
) -> list[AgeTurnout]:
    """Every locality's bands and total, then all localities', with small counts hidden."""
    if not labels:
        return []
    table = suppress(labels, localities, [[voters[n, b] for n in localities] for b in labels],
                     public_column_totals=True)
    lines = []
    for c, name in enumerate(localities):
        lines += [AgeTurnout(name, label, table.cells[r][c], eligible[name, label])
                  for r, label in enumerate(labels)]
        lines.append(AgeTurnout(name, ALL_AGES, table.column_totals[c],
                                _sum_known(eligible[name, label] for label in labels)))
    band_totals = [_sum_known(eligible[name, label] for name in localities) for label in labels]
    lines += [AgeTurnout(ALL_LOCALITIES, label, table.row_totals[r], band_totals[r])
              for r, label in enumerate(labels)]
    lines.append(AgeTurnout(ALL_LOCALITIES, ALL_AGES, table.grand_total,
                            _sum_known(band_totals)))
    return lines


def _delivery(lines: list[LedgerLine]) -> list[Tally]:
    counts = Counter(line.allocation.delivery for line in lines)
    amounts = Counter()
    for line in lines:
        amounts[line.allocation.delivery] += line.allocation.amount_pence
    return [Tally(status.label, counts[status.value], amounts[status.value]) for status in Delivery]


def _equalities(rows, round_lines: list[RoundLine]) -> list[AggregateTable]:
    """The questionnaire's tables by locality, each with a row for the voters who did not
    answer it, so that every table adds up to the voters."""
    voters = Counter()
    for (round_, _, _), line in zip(rows, round_lines, strict=True):
        voters[round_.locality.id] += line.voters
    localities = sorted(
        {(round_.locality.id, round_.locality.name) for round_, _, _ in rows},
        key=lambda pair: pair[1],
    )
    return aggregate_responses(
        [round_.id for round_, _, _ in rows],
        localities,
        voters,
        min((round_.minimum_voting_age for round_, _, _ in rows), default=0),
    )


def _build(title: str, period: str, rows, subject: str) -> OversightReport:
    round_ids = [round_.id for round_, _, _ in rows]
    lines = ledger_lines(round_ids=round_ids)
    age_turnout, without_bands = _age_turnout([round_ for round_, _, _ in rows])
    projects = _project_lines(rows, lines)
    round_lines = _round_lines(rows, lines)
    return OversightReport(
        title=title,
        period=period,
        generated_at=datetime.now(UTC),
        rounds=round_lines,
        projects=projects,
        by_outcome=_by_outcome(projects),
        by_priority=_by_priority(projects),
        by_channel=_by_channel(round_ids),
        delivery=_delivery(lines),
        ledger_totals=ledger_totals(round_ids=round_ids),
        equalities=_equalities(rows, round_lines),
        equalities_respondents=count_responses(round_ids),
        ledger=lines,
        age_turnout=age_turnout,
        localities_without_age_bands=without_bands,
        subject=subject,
    )


def round_report(round_: Round) -> OversightReport:
    """The oversight report for one published round; raises NotFound before publication."""
    rows = _published([round_.id])
    if not rows:
        raise NotFound("There is no report for this round until its result is published")
    return _build(f"Oversight report: {round_.title}", round_.locality.name, rows,
                  f"round:{round_.id}")


def year_report(year: int) -> OversightReport:
    """The oversight report for a financial year across all localities.

    Raises NoRoundsThatYear when no round's result was signed off in that year (or the year is
    outside FIRST_YEAR to LAST_YEAR), so that an empty report is never passed off as one.
    """
    rows = _published(year=year) if FIRST_YEAR <= year <= LAST_YEAR else []
    if not rows:
        raise NoRoundsThatYear(year)
    label = financial_year_label(year)
    return _build(
        f"Participatory budgeting oversight report {label}",
        f"Financial year {label}, all localities",
        rows,
        f"year:{year}",
    )


def publish_report(report: OversightReport) -> OversightReport:
    """The report carrying the audit trail's checkpoint now, which is stored as published;
    flushes, never commits."""
    checkpoint = record_checkpoint("report", identity=("OversightReport", report.subject))
    return replace(report, checkpoint=checkpoint.text)


def localities_without_rounds(report: OversightReport) -> list[str]:
    """Localities with no published round in a year's report (so the IJB sees the gap); none
    for the report of one round, which covers one locality by design."""
    if not report.subject.startswith("year:"):
        return []
    covered = {line.locality for line in report.rounds}
    names = db.session.scalars(select(Locality.name).order_by(Locality.name))
    return [name for name in names if name not in covered]
