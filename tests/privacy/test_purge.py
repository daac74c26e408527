"""``flask data purge``: once a round's result has been published for the retention period,
what identifies its voters goes; results, ballots and the reports' figures stay the same."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import RoundFactory, UserFactory
from results.builders import cast, make_projects, paper_batch, publish
from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.ballotbox.models import Ballot, BallotEnvelope
from pb_app.extensions import db
from pb_app.privacy.services import PURGED_PREFIX, plan_purge, purge_personal_data
from pb_app.reports.services import round_report
from pb_app.results.models import CountSnapshot, Publication
from pb_app.results.services import verify_snapshot
from pb_app.rounds.models import Round, RoundFollower
from pb_app.voting.eligibility import (
    code_key,
    identity_key,
    name_resemblance_key,
    resemblance_key,
)
from pb_app.voting.models import (
    CodeAttempt,
    Participation,
    VotingCode,
    VotingCodeBatch,
)

NOW = datetime.now(UTC)
DESK_VOTER = ("Mary O'Neil", "TD1 1AA", date(1950, 3, 27))


def _published_round(days_ago: int) -> Round:
    """A round published ``days_ago`` days ago, voted in on every channel: 3 online voters
    with accounts, 2 assisted, 2 on paper (one identified at the desk by name, postcode and
    date of birth), 2 with voting codes (of 5 made), and 2 people following it."""
    round_ = RoundFactory(to_count=True)
    lunch, bus = make_projects(round_, {"Lunch club": 300_000, "Minibus": 500_000})
    cast(round_, [lunch], times=3, age=30)
    cast(round_, [bus], times=2, channel="assisted", age=82)
    batch = paper_batch(round_, declared=2)
    cast(round_, [lunch, bus], times=2, channel="paper", batch=batch, age=19)
    cast(round_, [lunch], times=2, channel="code", age=55)
    codes_batch = VotingCodeBatch(round_id=round_.id, size=5, created_by_id=UserFactory().id)
    db.session.add(codes_batch)
    db.session.flush()
    codes = [VotingCode(batch_id=codes_batch.id, round_id=round_.id,
                        code_hash=f"{round_.id:08d}{n:056d}") for n in range(5)]
    db.session.add_all(codes)
    db.session.flush()
    in_round = select(Participation).where(Participation.round_id == round_.id)
    for participation, code in zip(db.session.scalars(
            in_round.where(Participation.channel == "code").order_by(Participation.id)), codes,
            strict=False):
        participation.user_id, participation.voting_code_id = None, code.id
        participation.person_key = code_key(code.id)
    desk = db.session.scalars(in_round.where(Participation.channel == "paper")).first()
    desk.user_id, desk.person_key = None, identity_key(*DESK_VOTER)
    name, postcode, born = DESK_VOTER
    desk.resemblance_key = resemblance_key(postcode, born)
    desk.name_resemblance_key = name_resemblance_key(name, postcode)
    db.session.add_all(RoundFollower(round_id=round_.id, user_id=UserFactory().id)
                       for _ in range(2))
    db.session.flush()
    publish(round_)
    publication = db.session.scalar(select(Publication).where(Publication.round_id == round_.id))
    publication.published_at = NOW - timedelta(days=days_ago)
    return round_


@pytest.fixture
def rounds():
    """(a round published 400 days ago, one published 30 days ago), with two failed code
    attempts (an hour old and a minute old); committed, as the command commits."""
    old, recent = _published_round(400), _published_round(30)
    db.session.add_all([
        CodeAttempt(address="203.0.113.7", attempted_at=NOW - timedelta(hours=1)),
        CodeAttempt(address="203.0.113.8", attempted_at=NOW - timedelta(minutes=1)),
    ])
    db.session.commit()
    return old, recent


def _personal(round_: Round) -> dict:
    """Everything in a round the purge may change, as plain values."""
    return {
        "participations": [
            (p.id, p.person_key, p.user_id, p.voting_code_id, p.helper_id, p.channel,
             p.age_years, p.voted_on, p.resemblance_key, p.name_resemblance_key)
            for p in db.session.scalars(select(Participation).where(
                Participation.round_id == round_.id).order_by(Participation.id))],
        "codes": sorted(db.session.scalars(
            select(VotingCode.code_hash).where(VotingCode.round_id == round_.id))),
        "followers": sorted(db.session.scalars(
            select(RoundFollower.user_id).where(RoundFollower.round_id == round_.id))),
    }


def _record(round_: Round) -> dict:
    """What must survive a purge unchanged: ballots, receipts, counts, the published files,
    and the oversight report's figures."""
    report = round_report(round_)
    figures = {field.name: getattr(report, field.name) for field in dataclasses.fields(report)
               if field.name not in ("generated_at", "ledger")}
    figures["ledger"] = [(line.allocation.id, line.spent_pence, line.returned_pence)
                         for line in report.ledger]
    snapshots = db.session.scalars(select(CountSnapshot).where(
        CountSnapshot.round_id == round_.id).order_by(CountSnapshot.id))
    return {
        "ballots": [(b.id, b.choices_json) for b in db.session.scalars(select(Ballot).where(
            Ballot.round_id == round_.id).order_by(Ballot.id))],
        "envelopes": [(e.id, e.channel, e.cast_on, e.paper_batch_id, e.receipt_hash)
                      for e in db.session.scalars(select(BallotEnvelope).where(
                          BallotEnvelope.round_id == round_.id).order_by(BallotEnvelope.id))],
        "snapshots": [(s.content_hash, s.ballots_csv, s.input_pb, s.result_json)
                      for s in snapshots],
        "published": db.session.scalar(select(Publication.ballots_pb).where(
            Publication.round_id == round_.id)),
        "report": figures,
    }


def _attempts() -> int:
    return db.session.scalar(select(func.count()).select_from(CodeAttempt))


def _purge_entries() -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "data.purged").order_by(AuditEntry.id)))


def test_the_dry_run_prints_what_would_go_and_changes_nothing(runner, rounds):
    old, recent = rounds
    before = [_personal(old), _personal(recent), _record(old), _attempts()]
    audit_entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    result = runner.invoke(args=["data", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Dry run: what a purge would remove now.")
    assert f"Round {old.id}, {old.title} (published" in result.output
    assert "  person keys (each replaced by a number): 9\n" in result.output
    assert "  unused voting codes: 3\n  used voting codes: 2\n" in result.output
    assert f"Round {recent.id}, {recent.title}: kept until" in result.output
    assert "Failed voting-code attempts older than 15 minutes: 1\n" in result.output
    assert result.output.endswith("Dry run: nothing was changed.\n")
    db.session.expire_all()
    assert [_personal(old), _personal(recent), _record(old), _attempts()] == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_entries


def test_the_purge_removes_what_it_says_and_keeps_the_record(runner, rounds):
    old, recent = rounds
    recent_before, record_before = _personal(recent), [_record(old), _record(recent)]
    helpers_before = [row[4] for row in _personal(old)["participations"]]
    result = runner.invoke(args=["data", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Removing: voters' details are kept 365 days")
    assert (
        "  person keys (each replaced by a number): 9\n"
        "  links from a vote to a resident's account: 6\n"
        "  links from a vote to a voting code: 2\n"
        "  unused voting codes: 3\n"
        "  used voting codes: 2\n"
        "  people following the round: 2\n"
    ) in result.output
    db.session.expire_all()

    after = _personal(old)
    assert [row[1] for row in after["participations"]] == [
        f"{PURGED_PREFIX}{row[0]}" for row in after["participations"]]
    assert all(row[2] is None and row[3] is None for row in after["participations"])
    assert all(row[8] is None and row[9] is None for row in after["participations"])
    assert any(row[9] for row in recent_before["participations"])  # the desk voter's keys
    assert [row[4] for row in after["participations"]] == helpers_before  # staff, not voters
    assert after["codes"] == [] and after["followers"] == []
    desk_key = identity_key(*DESK_VOTER)
    assert db.session.scalar(select(Participation.round_id).where(
        Participation.person_key == desk_key)) == recent.id
    assert _attempts() == 1  # the attempt a minute old still throttles guessing

    assert _personal(recent) == recent_before  # not yet past its retention period
    assert [_record(old), _record(recent)] == record_before
    verify_snapshot(db.session.scalar(select(CountSnapshot).where(
        CountSnapshot.round_id == old.id)))

    entries = _purge_entries()
    assert [(entry.round_id, json.loads(entry.after_json)) for entry in entries] == [
        (old.id, {"person_keys": 9, "account_links": 6, "code_links": 2, "unused_codes": 3,
                  "used_codes": 2, "followers": 2}),
        (None, {"code_attempts": 1}),
    ]


def test_a_second_purge_removes_nothing_more(runner, rounds):
    old, recent = rounds
    assert runner.invoke(args=["data", "purge"]).exit_code == 0
    db.session.expire_all()
    state, entries = [_personal(old), _personal(recent), _attempts()], len(_purge_entries())
    again = runner.invoke(args=["data", "purge"])
    assert again.exit_code == 0, again.output
    assert f"Round {old.id}, {old.title} (published" in again.output
    assert "nothing left to remove." in again.output
    assert "person keys" not in again.output
    assert "Failed voting-code attempts older than 15 minutes: 0\n" in again.output
    db.session.expire_all()
    assert [_personal(old), _personal(recent), _attempts()] == state
    assert len(_purge_entries()) == entries


def test_a_round_is_purged_only_once_its_retention_period_has_passed(rounds):
    _, recent = rounds
    published = db.session.scalar(
        select(Publication.published_at).where(Publication.round_id == recent.id))
    retained = [item.round_id for item in plan_purge(published + timedelta(days=30)
                                                     - timedelta(seconds=1), 30).retained]
    assert recent.id in retained
    due = [item.round_id for item in plan_purge(published + timedelta(days=30), 30).due]
    assert recent.id in due
    before = _personal(recent)
    purge_personal_data(published + timedelta(days=29), 30)
    assert _personal(recent) == before


def test_a_round_not_yet_published_is_never_purged(runner):
    round_ = RoundFactory(to_count=True)
    (lunch,) = make_projects(round_, {"Lunch club": 300_000})
    cast(round_, [lunch], times=2)
    db.session.commit()
    before = _personal(round_)
    result = runner.invoke(args=["data", "purge"])
    assert result.exit_code == 0, result.output
    assert f"Round {round_.id}" not in result.output
    db.session.expire_all()
    assert _personal(round_) == before


@pytest.mark.parametrize("setting", ["a year", -1, 1.5, True, None])
def test_a_bad_retention_period_is_refused_with_exit_2(app, runner, rounds, monkeypatch, setting):
    old, _ = rounds
    before = _personal(old)
    monkeypatch.setitem(app.config, "DATA_RETENTION_DAYS", setting)
    for args in (["data", "purge"], ["data", "purge", "--dry-run"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2, result.output
        assert "DATA_RETENTION_DAYS must be a whole number of days, 0 or more" in result.output
        assert "Traceback" not in result.output
    db.session.expire_all()
    assert _personal(old) == before and _purge_entries() == []


def test_an_unknown_option_is_a_usage_error(runner):
    result = runner.invoke(args=["data", "purge", "--everything"])
    assert result.exit_code == 2 and "No such option" in result.output


def test_a_retention_period_given_as_digits_is_read(app, runner, rounds, monkeypatch):
    old, recent = rounds
    monkeypatch.setitem(app.config, "DATA_RETENTION_DAYS", "20")
    result = runner.invoke(args=["data", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "kept 20 days" in result.output
    assert f"Round {recent.id}, {recent.title} (published" in result.output
