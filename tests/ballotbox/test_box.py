"""The ballot box: sealing as voting opens, who can open it, and what opening leaves behind."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime

import pytest
from factories import RoundFactory, finance_officer
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from voting.builders import lead_of, place, project_ids, resident, voting_round

from ballotbox.builders import PASSPHRASE, key_holders, open_sealed
from pb_app.audit.models import AuditEntry
from pb_app.ballotbox import crypto
from pb_app.ballotbox.models import Ballot, BallotBox, BallotEnvelope, KeyHolder, KeyShare
from pb_app.ballotbox.services import (
    add_key_holder,
    get_box,
    make_recovery_key,
    open_box,
    retire_key_holder,
    seal_box,
    sealed_count,
)
from pb_app.errors import Conflict, InvalidInput, PermissionDenied
from pb_app.extensions import db
from pb_app.rounds.models import Phase
from pb_app.rounds.services import move_round
from pb_app.voting.ballots import Choices
from pb_app.voting.services import cast_ballot, receipt_status, voter_at_desk

NOW = datetime.now(UTC)


def count(model) -> int:
    """Rows in ``model``'s table."""
    return db.session.scalar(select(func.count()).select_from(model))


def cast_some(round_, how_many: int = 4) -> list[str]:
    """``how_many`` people cast assisted ballots at the desk; returns their receipts."""
    lead, ids = lead_of(round_.locality), project_ids(round_)
    receipts = []
    for number in range(how_many):
        voter = voter_at_desk(f"Person {number}", "TD1 3AB", date(1970, 1, 1 + number))
        receipts.append(cast_ballot(round_, voter, Choices((ids[number % len(ids)],)),
                                    channel="assisted", now=NOW, helper=lead))
    db.session.flush()
    return receipts


def close(round_) -> None:
    """Close voting as its lead."""
    move_round(round_, lead_of(round_.locality), Phase.CLOSED, now=NOW)


@pytest.fixture
def round_in_voting():
    """An Eildon round in voting, its box sealed for two key holders (threshold 1)."""
    return voting_round(place("Eildon", "TD1"))


# The cryptography --------------------------------------------------------------------------

@pytest.mark.parametrize(("threshold", "holders"), [(1, 1), (1, 3), (2, 3), (3, 5)])
def test_any_threshold_of_shares_rebuilds_the_key_and_fewer_do_not(threshold, holders):
    public, private = crypto.new_key_pair()
    shares = crypto.split_secret(private, threshold, holders)
    for subset in itertools.combinations(shares, threshold):
        assert crypto.join_shares(list(subset)) == private
    for subset in itertools.combinations(shares, threshold - 1):
        if subset:
            try:
                rebuilt = crypto.join_shares(list(subset))
            except crypto.DamagedBox:
                continue
            assert crypto.public_key_of(rebuilt) != public


def test_a_wrapped_key_opens_only_with_its_passphrase():
    _, private = crypto.new_key_pair()
    salt, wrapped = crypto.wrap_private_key(private, "a long passphrase", crypto.FAST)
    assert crypto.unwrap_private_key(wrapped, "a long passphrase", salt, crypto.FAST) == private
    with pytest.raises(crypto.WrongPassphrase):
        crypto.unwrap_private_key(wrapped, "a long passphrasf", salt, crypto.FAST)
    assert private not in wrapped


@pytest.mark.parametrize("message", [b"", b"{}", b"x" * 1023, b"x" * 1024, b"x" * 1025,
                                     b"ends in the mark \x80", b"ends in zeros \x00\x00"])
def test_padding_gives_whole_blocks_and_comes_off_exactly(message):
    public, private = crypto.new_key_pair()
    sealed = crypto.seal_padded(public, message)
    assert (len(sealed) - 48) % crypto.PADDING_BLOCK == 0 and len(sealed) > len(message) + 48
    assert crypto.padded_unsealer(private)(sealed) == message


def test_a_message_sealed_before_padding_opens_as_it_was_and_bad_padding_does_not():
    public, private = crypto.new_key_pair()
    unseal = crypto.padded_unsealer(private)
    legacy = Choices(("1", "2")).to_json().encode()
    assert unseal(crypto.seal(public, legacy)) == legacy
    with pytest.raises(crypto.DamagedBox, match="padding"):
        unseal(crypto.seal(public, b'{"projects":["1"]}\x00\x00'))


# Sealing as voting opens --------------------------------------------------------------------

def test_a_sealed_ballots_length_says_nothing_of_how_many_projects_it_chose(round_in_voting):
    """A database reader can pair an envelope with its participation (the README says so),
    so its length must not tell how many projects that voter chose, nor which."""
    lead, ids = lead_of(round_in_voting.locality), project_ids(round_in_voting)
    for number, chosen in enumerate((ids[:1], ids[3:4], ids[:3])):
        voter = voter_at_desk(f"Person {number}", "TD1 3AB", date(1970, 1, 1 + number))
        cast_ballot(round_in_voting, voter, Choices(tuple(chosen)), channel="assisted", now=NOW,
                    helper=lead)
    lengths = [len(sealed) for sealed in db.session.scalars(select(BallotEnvelope.sealed_choices))]
    assert lengths == [crypto.PADDING_BLOCK + 48] * 3
    close(round_in_voting)
    assert open_sealed(round_in_voting) == 3
    assert sorted(db.session.scalars(select(Ballot.choices_json))) == sorted(
        Choices(tuple(chosen)).to_json() for chosen in (ids[:1], ids[3:4], ids[:3]))


def test_voting_cannot_open_without_a_spare_key_holder(app):

    round_ = RoundFactory(locality=place("Eildon", "TD1"), phase=Phase.REVIEW)
    with pytest.raises(Conflict, match="at least 2 key holders"):
        seal_box(round_)
    key_holders(1)
    with pytest.raises(Conflict, match="and there are 1"):
        seal_box(round_)
    key_holders(2)
    box = seal_box(round_)
    assert box.threshold == 1 and len(box.shares) == 2
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.sequence.desc())
                             .limit(1)) == "ballot_box.sealed"


def test_the_round_key_is_stored_nowhere_only_its_sealed_shares(round_in_voting):
    box = get_box(round_in_voting)
    stored = [getattr(row, column.key) for model in (BallotBox, KeyShare, KeyHolder)
              for row in db.session.scalars(select(model))
              for column in model.__table__.columns]
    holders = [share.holder for share in box.shares]
    holder_key = crypto.unwrap_private_key(
        holders[0].wrapped_private_key, PASSPHRASE, holders[0].kdf_salt,
        crypto.KdfCost(holders[0].kdf_opslimit, holders[0].kdf_memlimit))
    round_key = crypto.join_shares([crypto.unseal(holder_key, box.shares[0].sealed_share)])
    assert crypto.public_key_of(round_key) == box.public_key
    assert not any(isinstance(value, bytes) and round_key in value for value in stored)
    assert not any(isinstance(value, bytes) and holder_key in value for value in stored)


def test_a_threshold_of_two_takes_two_passphrases_and_any_two_of_three_will_do(app):
    app.config["BALLOT_KEY_THRESHOLD"] = 2
    try:
        key_holders(3)
        round_ = voting_round(place("Eildon", "TD1"))
        box = get_box(round_)
        assert box.threshold == 2 and len(box.shares) == 3
        cast_some(round_, 3)
        close(round_)
        first, second, third = (share.holder for share in box.shares)
        with pytest.raises(InvalidInput, match="passphrases of 2 key holders"):
            open_box(round_, first.user, {first.id: PASSPHRASE}, NOW)
        assert open_box(round_, first.user, {second.id: PASSPHRASE, third.id: PASSPHRASE},
                        NOW) == 3
    finally:
        app.config["BALLOT_KEY_THRESHOLD"] = 1


# Opening ---------------------------------------------------------------------------------------

def test_the_box_opens_only_after_voting_closes_and_only_once(round_in_voting):
    cast_some(round_in_voting)
    with pytest.raises(Conflict, match="once voting has closed"):
        open_sealed(round_in_voting)
    close(round_in_voting)
    assert open_sealed(round_in_voting) == 4
    with pytest.raises(Conflict, match="already been opened"):
        open_sealed(round_in_voting)
    assert (count(Ballot), count(BallotEnvelope), sealed_count(round_in_voting),
            count(KeyShare)) == (4, 4, 0, 0)


def test_a_wrong_passphrase_opens_nothing_and_changes_nothing(round_in_voting):
    cast_some(round_in_voting)
    close(round_in_voting)
    box = get_box(round_in_voting)
    holder = box.shares[0].holder
    with pytest.raises(InvalidInput, match=f"not the passphrase of {holder.label}"):
        open_box(round_in_voting, holder.user, {holder.id: PASSPHRASE + "!"}, NOW)
    with pytest.raises(InvalidInput, match="passphrases of 1 key holders"):
        open_box(round_in_voting, holder.user, {}, NOW)
    assert (count(Ballot), sealed_count(round_in_voting), count(KeyShare)) == (0, 4, 2)
    assert not box.is_open


def test_a_lost_passphrase_loses_nothing_the_recovery_key_opens_the_box(app):
    officer = finance_officer()
    add_key_holder(officer, PASSPHRASE, PASSPHRASE)
    code = make_recovery_key(officer, date(2026, 12, 6))
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", code)
    round_ = voting_round(place("Eildon", "TD1"))
    receipts = cast_some(round_, 3)
    close(round_)
    recovery = db.session.scalar(select(KeyHolder).where(KeyHolder.user_id.is_(None)))
    assert recovery.label.startswith("Recovery key made by")
    assert open_box(round_, officer, {recovery.id: code}, NOW) == 3  # the officer forgot theirs
    assert {receipt_status(round_, r) for r in receipts} == {"counted"}


def test_a_ballot_altered_in_the_database_stops_the_opening_and_nothing_is_written(
        round_in_voting):
    cast_some(round_in_voting)
    close(round_in_voting)
    victim = db.session.scalars(select(BallotEnvelope)).first()
    forged = bytearray(victim.sealed_choices)
    forged[-1] ^= 1
    db.session.execute(update(BallotEnvelope).where(BallotEnvelope.id == victim.id)
                       .values(sealed_choices=bytes(forged)))
    db.session.expire_all()
    with pytest.raises(Conflict, match="does not open with this round's key"):
        open_sealed(round_in_voting)
    assert (count(Ballot), sealed_count(round_in_voting)) == (0, 4)


def test_a_ballot_sealed_to_another_key_is_refused_too(round_in_voting):
    cast_some(round_in_voting, 1)
    close(round_in_voting)
    stranger, _ = crypto.new_key_pair()
    db.session.execute(update(BallotEnvelope).values(
        sealed_choices=crypto.seal(stranger, Choices(("1",)).to_json().encode())))
    db.session.expire_all()
    with pytest.raises(Conflict):
        open_sealed(round_in_voting)


def test_retired_holders_get_no_share_of_new_boxes(app):
    first, second, third = key_holders(3)
    retire_key_holder(first.user, first, NOW)
    with pytest.raises(Conflict, match="already retired"):
        retire_key_holder(first.user, first, NOW)
    round_ = voting_round(place("Eildon", "TD1"))
    assert {share.holder_id for share in get_box(round_).shares} == {second.id, third.id}


def test_only_finance_officers_and_administrators_hold_keys(app):
    place("Eildon", "TD1")
    with pytest.raises(PermissionDenied):
        add_key_holder(resident("Someone", "TD1 1AA", date(1980, 1, 1)), PASSPHRASE, PASSPHRASE)
    officer = finance_officer()
    with pytest.raises(InvalidInput, match="at least 12 characters"):
        add_key_holder(officer, "short", "short")
    with pytest.raises(InvalidInput, match="different"):
        add_key_holder(officer, PASSPHRASE, PASSPHRASE + "x")
    assert count(KeyHolder) == 0


def test_the_count_waits_for_the_box(round_in_voting):
    from pb_app.results.services import count_round

    cast_some(round_in_voting)
    close(round_in_voting)
    lead = lead_of(round_in_voting.locality)
    with pytest.raises(Conflict, match="still holds 4 sealed ballots"):
        count_round(round_in_voting, lead)
    open_sealed(round_in_voting)
    snapshot = count_round(round_in_voting, lead)
    assert snapshot.ballot_count == 4
    assert snapshot.ballots_csv.splitlines()[0] == "vote,points"
    assert len(snapshot.ballots_csv.splitlines()) == 5


# Pages and the command line ---------------------------------------------------------------

def test_key_holders_set_up_their_key_and_a_recovery_key_on_their_page(client, sign_in):
    officer = finance_officer()
    db.session.commit()  # a refusal below undoes everything since the last commit
    sign_in(officer)
    page = client.get("/ballot-box/keys")
    assert page.status_code == 200 and "no key holders yet" in page.get_data(True)
    refused = client.post("/ballot-box/keys", data={"passphrase": "short",
                                                     "confirmation": "short"})
    assert refused.status_code == 422 and "at least 12 characters" in refused.get_data(True)
    added = client.post("/ballot-box/keys", data={"passphrase": PASSPHRASE,
                                                   "confirmation": PASSPHRASE})
    assert added.status_code == 302
    shown = client.post("/ballot-box/recovery-key")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    code = re.search(r'id="recovery-code">([A-Z2-7-]+)<', shown.get_data(True)).group(1)
    listed = client.get("/ballot-box/keys").get_data(True)
    assert officer.full_name in listed and "Recovery key made by" in listed
    assert code not in listed
    assert count(KeyHolder) == 2


def test_residents_and_leads_of_other_localities_cannot_reach_keys_or_open_a_box(
        client, sign_in, round_in_voting):
    sign_in(resident("Nosy", "TD1 1AA", date(1980, 1, 1)))
    assert client.get("/ballot-box/keys").status_code == 403
    assert client.get(f"/rounds/{round_in_voting.id}/ballot-box").status_code == 403
    sign_in(lead_of(place("Tweeddale", "EH45")))
    assert client.get("/ballot-box/keys").status_code == 403
    holder = get_box(round_in_voting).shares[0].holder
    close(round_in_voting)
    refused = client.post(f"/rounds/{round_in_voting.id}/ballot-box",
                          data={f"holder_{holder.id}": PASSPHRASE})
    assert refused.status_code == 403 and not get_box(round_in_voting).is_open


def test_the_box_page_says_where_the_box_stands(client, sign_in, round_in_voting):
    cast_some(round_in_voting, 2)
    sign_in(lead_of(round_in_voting.locality))
    page = client.get(f"/rounds/{round_in_voting.id}/ballot-box").get_data(True)
    assert "The box holds 2 sealed ballots" in page and "Open the ballot box" not in page
    close(round_in_voting)
    db.session.commit()  # a refusal below undoes everything since the last commit
    page = client.get(f"/rounds/{round_in_voting.id}/ballot-box").get_data(True)
    assert "Open the ballot box" in page
    holder = get_box(round_in_voting).shares[1].holder
    wrong = client.post(f"/rounds/{round_in_voting.id}/ballot-box",
                        data={f"holder_{holder.id}": "not it at all"})
    assert wrong.status_code == 422 and "not the passphrase of" in wrong.get_data(True)
    assert f'id="holder_{holder.id}-error"' in wrong.get_data(True)  # on the field it is about
    opened = client.post(f"/rounds/{round_in_voting.id}/ballot-box",
                         data={f"holder_{holder.id}": PASSPHRASE})
    assert opened.status_code == 302
    assert "was opened on" in client.get(f"/rounds/{round_in_voting.id}/ballot-box").get_data(True)


def test_the_command_line_opens_a_box_with_passphrases_typed_at_its_prompt(runner,
                                                                           round_in_voting):
    cast_some(round_in_voting, 3)
    close(round_in_voting)
    db.session.commit()
    holder = get_box(round_in_voting).shares[0].holder
    listed = runner.invoke(args=["ballot-box", "holders"])
    assert f"{holder.id}\t{holder.label}" in listed.output
    wrong = runner.invoke(args=["ballot-box", "open", str(round_in_voting.id), "--as",
                                holder.user.email, "--holder", str(holder.id)], input="nope\n")
    assert wrong.exit_code == 1 and "not the passphrase" in wrong.output
    bad = runner.invoke(args=["ballot-box", "open", "x", "--as", holder.user.email,
                              "--holder", str(holder.id)])
    assert bad.exit_code == 2
    opened = runner.invoke(args=["ballot-box", "open", str(round_in_voting.id), "--as",
                                 holder.user.email, "--holder", str(holder.id)],
                           input=PASSPHRASE + "\n")
    assert opened.exit_code == 0, opened.output
    assert "3 ballots are ready to count" in opened.output
    assert PASSPHRASE not in opened.output


def test_ballots_added_or_removed_in_the_database_stop_the_count(round_in_voting):
    """Anyone can seal a ballot to the round's public key, and a writer can delete one; the
    ballots then no longer number the people who voted, and the count refuses."""
    from pb_app.results.services import count_round

    cast_some(round_in_voting, 3)
    box = get_box(round_in_voting)
    db.session.add(BallotEnvelope(
        id="f" * 32, round_id=round_in_voting.id, channel="assisted", cast_on=NOW.date(),
        receipt_hash="e" * 64,
        sealed_choices=crypto.seal(box.public_key, Choices(("1",)).to_json().encode())))
    db.session.flush()
    close(round_in_voting)
    open_sealed(round_in_voting)
    lead = lead_of(round_in_voting.locality)
    with pytest.raises(Conflict, match="3 people voted with help from staff but there are 4"):
        count_round(round_in_voting, lead)
    db.session.execute(text("DELETE FROM ballot_envelope WHERE receipt_hash = :forged"),
                       {"forged": "e" * 64})
    with pytest.raises(Conflict, match="3 ballot envelopes were opened but there are 4"):
        count_round(round_in_voting, lead)  # the forged ballot itself is still among them
    db.session.execute(text("DELETE FROM ballot WHERE id IN (SELECT id FROM ballot LIMIT 2)"))
    with pytest.raises(Conflict, match="3 ballot envelopes were opened but there are 2"):
        count_round(round_in_voting, lead)


def test_nobody_holds_two_keys_and_there_is_one_recovery_key_at_a_time(client, sign_in):
    """Two keys in one person's hands would open a box that needs two people."""
    officer = finance_officer()
    add_key_holder(officer, PASSPHRASE, PASSPHRASE)
    with pytest.raises(Conflict, match="already hold a key"):
        add_key_holder(officer, PASSPHRASE + "2", PASSPHRASE + "2")
    make_recovery_key(officer, date(2026, 12, 6))
    with pytest.raises(Conflict, match="already a recovery key"):
        make_recovery_key(officer, date(2026, 12, 6))
    db.session.commit()
    sign_in(officer)
    page = client.get("/ballot-box/keys").get_data(True)
    assert 'id="own-key"' in page and 'name="passphrase"' not in page
    refused = client.post("/ballot-box/recovery-key")
    assert refused.status_code == 409 and "already a recovery key" in refused.get_data(True)
    own = db.session.scalar(select(KeyHolder).where(KeyHolder.user_id == officer.id))
    retire_key_holder(officer, own, NOW)
    add_key_holder(officer, PASSPHRASE + "2", PASSPHRASE + "2")  # a new passphrase, new key
    assert count(KeyHolder) == 3


def test_retiring_a_key_is_confirmed_first_and_warns_when_too_few_would_be_left(client,
                                                                              sign_in):
    first, second = key_holders(2)
    sign_in(first.user)
    db.session.commit()
    page = client.get(f"/ballot-box/keys/{second.id}/retire")
    assert page.status_code == 200 and f"Retire {second.label}?" in page.get_data(True)
    assert 'id="too-few-left"' in page.get_data(True)
    assert second.retired_at is None  # looking changes nothing
    assert client.post(f"/ballot-box/keys/{second.id}/retire").status_code == 302
    assert second.retired_at is not None
    again = client.get(f"/ballot-box/keys/{second.id}/retire").get_data(True)
    assert 'id="already-retired"' in again


@pytest.mark.parametrize("needed", [1, 2])
def test_the_demo_sets_up_enough_key_holders_for_the_threshold_and_can_open_a_box(app, needed):
    """Production asks for two key holders; the demo works under either threshold."""
    from pb_app import create_app
    from pb_app.ballotbox.demo import DEMO_HOLDER_EMAILS, demo_passphrases, load_demo

    assert create_app({"ENV_NAME": "production", "SECRET_KEY": "k" * 40,
                       "BASE_URL": "https://pb.example.org"}).config["BALLOT_KEY_THRESHOLD"] == 2
    for email in DEMO_HOLDER_EMAILS:
        finance_officer(user__email=email)
    app.config["BALLOT_KEY_THRESHOLD"] = needed
    try:
        printed = []
        load_demo(printed.append)
        assert count(KeyHolder) == needed + 1 and "recovery key" in printed[0]
        round_ = voting_round(place("Eildon", "TD1"))
        cast_some(round_, 2)
        close(round_)
        officer = get_box(round_).shares[0].holder.user
        assert open_box(round_, officer, demo_passphrases(), NOW) == 2
    finally:
        app.config["BALLOT_KEY_THRESHOLD"] = 1


@pytest.mark.parametrize(("change", "refusal"), [
    ("swapped key", "not the one it was sealed with"),
    ("opened", "not taking ballots"),
])
def test_a_box_changed_in_the_database_after_a_ballot_takes_no_more(round_in_voting, change,
                                                                    refusal):
    """A database writer who puts a key of their own on the box could read every ballot
    sealed after; the box's key carries a MAC under a key outside the database. Each process
    keeps the key it checked, and the statement that writes an envelope still asks the
    database whether the box holds that key and is unopened."""
    cast_some(round_in_voting, 1)
    own_public, _ = crypto.new_key_pair()
    values = {"public_key": own_public} if change == "swapped key" else {"opened_at": NOW}
    db.session.execute(update(BallotBox).where(BallotBox.round_id == round_in_voting.id)
                       .values(**values))
    db.session.expire_all()
    later = voter_at_desk("Later Voter", "TD1 3AB", date(1980, 1, 1))
    with pytest.raises(Conflict, match=refusal):
        cast_ballot(round_in_voting, later, Choices((project_ids(round_in_voting)[0],)),
                    channel="assisted", now=NOW, helper=lead_of(round_in_voting.locality))
    assert count(BallotEnvelope) == 1


def test_a_key_kept_for_another_box_is_never_used_to_seal_a_ballot(app, round_in_voting):
    """A process that kept a key for a round of the same id (a database restored or replaced
    under it) writes nothing with it: the envelope is sealed to the box's own key."""
    stale, _ = crypto.new_key_pair()
    app.extensions.setdefault("ballot_box_keys", {})[round_in_voting.id] = stale
    cast_some(round_in_voting, 1)
    close(round_in_voting)
    assert open_sealed(round_in_voting) == 1
    assert app.extensions["ballot_box_keys"][round_in_voting.id] == \
        get_box(round_in_voting).public_key


def test_a_key_holder_key_swapped_in_the_database_gets_no_share(app):
    """Swapping a holder's public key for one's own would win a share of every new box."""
    first, _ = key_holders(2)
    own_public, _ = crypto.new_key_pair()
    db.session.execute(update(KeyHolder).where(KeyHolder.id == first.id)
                       .values(public_key=own_public))
    db.session.expire_all()
    with pytest.raises(Conflict, match="is not the one they set up"):
        voting_round(place("Eildon", "TD1"))
    assert count(BallotBox) == 0


def test_a_key_holder_copied_onto_another_gets_no_second_share(app):
    """A holder who copies their own key and its MAC onto another holder's row would hold
    two shares, enough to open a box that needs two people."""
    first, second, _ = key_holders(3)
    db.session.execute(update(KeyHolder).where(KeyHolder.id == second.id).values(
        label=first.label, public_key=first.public_key, public_key_mac=first.public_key_mac))
    db.session.expire_all()
    with pytest.raises(Conflict, match="two key holders have the same key"):
        voting_round(place("Eildon", "TD1"))
    assert count(BallotBox) == 0


def test_the_database_holds_one_active_key_a_person_whatever_the_code_checked(app):
    """Two requests at once could both pass the check in the code; the database decides."""
    officer = finance_officer()
    first = add_key_holder(officer, PASSPHRASE, PASSPHRASE)
    clone = KeyHolder(user_id=officer.id, label=first.label, public_key=first.public_key,
                      public_key_mac=first.public_key_mac,
                      wrapped_private_key=first.wrapped_private_key, kdf_salt=first.kdf_salt,
                      kdf_opslimit=first.kdf_opslimit, kdf_memlimit=first.kdf_memlimit)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(clone)
    retire_key_holder(officer, first, NOW)
    add_key_holder(officer, PASSPHRASE, PASSPHRASE)  # a retired key leaves room for a new one
