"""The catalogue of ballot types, verification modes and channels (``rounds/rules.py``): every
domain's use of them agrees with it."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.rounds.forms import RoundForm, RulesForm, chosen_rules_data
from pb_app.rounds.rules import (
    BALLOT_TYPES,
    CHANNEL_CHECK,
    CHANNELS,
    GREEDY_RULES,
    TALLY_RULES,
    VOTER_VERIFICATIONS,
    BallotKind,
    Channel,
    RuleKind,
    Verification,
)
from pb_app.tally.model import VoteType
from pb_app.voting.ballots import BallotRules, read_choices


def test_every_kind_has_its_entry_and_words():
    assert set(BALLOT_TYPES) == set(BallotKind)
    assert set(TALLY_RULES) == set(RuleKind)
    assert set(CHANNELS) == set(Channel)
    assert set(VOTER_VERIFICATIONS) == set(Verification)
    assert all(words for words in (*CHANNELS.values(), *VOTER_VERIFICATIONS.values()))


@pytest.mark.parametrize("kind", list(BallotKind))
def test_a_ballot_type_is_whole(kind):
    ballot = BALLOT_TYPES[kind]
    setting = ballot.setting
    assert ballot.kind is kind
    assert setting.low <= setting.default <= setting.high
    assert "{}" in setting.in_words
    assert VoteType(ballot.tally_vote_type)
    assert ballot.support in ("votes", "points", "ranking points")


@pytest.mark.parametrize("kind", list(BallotKind))
def test_the_round_form_offers_each_ballot_type_with_its_setting(app, kind):
    with app.test_request_context():
        offered = {value: label for value, label, *_ in RulesForm().ballot_type.choices}
        form = RoundForm(data=chosen_rules_data(kind, "greedy"))
    assert offered[kind] == BALLOT_TYPES[kind].label
    assert form.chosen_fields()[0] == [BALLOT_TYPES[kind].setting.name]
    assert getattr(form, BALLOT_TYPES[kind].setting.name).data == BALLOT_TYPES[kind].setting.default


@pytest.mark.parametrize("kind", list(RuleKind))
def test_the_round_form_offers_each_rule_with_its_fields_and_defaults(app, kind):
    rule = TALLY_RULES[kind]
    with app.test_request_context():
        offered = {value: label for value, label, *_ in RulesForm().tally_rule.choices}
        form = RoundForm(data=chosen_rules_data(BallotKind.APPROVAL, kind))
    assert offered[kind] == rule.label
    assert form.chosen_fields()[1] == list(rule.fields)
    assert all(hasattr(form, name) for name in rule.fields)
    assert ("conflicts" in rule.fields) is (kind in GREEDY_RULES) is rule.is_greedy


def test_the_recommended_rule_comes_first():
    assert next(iter(TALLY_RULES.values())).label.endswith("(recommended)")


@pytest.mark.parametrize("kind", list(BallotKind))
def test_every_ballot_type_is_read(kind):
    """An empty ballot is refused for what it lacks, never as a type nobody reads."""
    setting = BALLOT_TYPES[kind].setting
    rules = BallotRules(ballot_type=kind, costs={"1": 100, "2": 200}, budget_pence=300,
                        **{setting.name: setting.default})
    try:
        read_choices(rules, MultiDict())
    except InvalidInput as refused:
        assert "unknown ballot type" not in refused.message


def test_the_database_checks_channels_against_the_catalogue():
    checks = {constraint.sqltext.text for table in ("participation", "ballot_envelope")
              for constraint in db.metadata.tables[table].constraints
              if str(getattr(constraint, "name", "")).endswith("known_channel")}
    assert checks == {CHANNEL_CHECK}
    assert all(f"'{channel}'" in CHANNEL_CHECK for channel in Channel)
