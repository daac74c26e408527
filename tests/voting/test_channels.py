"""Voting codes (letters, rate limit, expiry), the staff desk (paper, assisted), batches,
reconciliation, closing by the lead, and one ballot per person across every channel."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from ballotbox.builders import PASSPHRASE, peek
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from pb_app.audit.models import AuditEntry
from pb_app.ballotbox.models import BallotEnvelope
from pb_app.ballotbox.services import get_box
from pb_app.extensions import db
from pb_app.localities.models import Locality, PostcodeArea
from pb_app.moments import when
from pb_app.paper.services import accept_batch, choose_keying_rule, key_sheets
from pb_app.voting.ballots import Choices
from pb_app.voting.models import CodeAttempt, PaperBatch, Participation, VotingCodeBatch
from pb_app.voting.services import (
    CODE_ATTEMPTS_PER_ADDRESS,
    cast_ballot,
    reconcile_ballots,
    suspected_duplicates,
    voter_at_desk,
)
from voting.builders import close_voting, lead_of, place, project_ids, resident, voting_round
from voting.helpers import counts, receipt_in, vote

CODE_RE = re.compile(r"\b[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}\b")


def letters(client, sign_in, sign_out, round_, count: int) -> list[str]:
    """Have a lead make ``count`` codes; return the codes read back out of the PDF letters."""
    sign_in(lead_of(round_.locality))
    response = client.post(f"/rounds/{round_.id}/voting/codes", data={"count": count})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"  # codes are secrets: never cached
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="voting-codes-round-{round_.id}.pdf"')
    pdf = PdfReader(io.BytesIO(response.data))
    assert len(pdf.pages) == count
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert f"Your vote: {round_.title}" in text and "Letter 1 of" in text
    # the last minute to vote, in UK time, as the round's pages give it
    assert " ".join(f"before voting closes at {when(round_.voting_close_at, closing=True)}."
                    .split()) in " ".join(text.split())
    sign_out()
    return CODE_RE.findall(text)


def code_round(eildon):
    """A voting-code round in Eildon."""
    return voting_round(eildon, voter_verification="voting-code")


def enter(client, round_, code: str, postcode: str = "TD1 2XY", born=("1", "2", "1960"),
          projects: int = 1):
    """Post the voting-code page: the code, and the first ``projects`` projects chosen."""
    day, month, year = born
    return client.post(f"/rounds/{round_.id}/vote/code", data={
        "code": code, "postcode": postcode, "date_of_birth": [day, month, year],
        "project": project_ids(round_)[:projects]})


def test_letters_carry_distinct_codes_stored_only_as_hashes(client, sign_in, sign_out, eildon):
    round_ = code_round(eildon)
    codes = letters(client, sign_in, sign_out, round_, 3)
    assert len(set(codes)) == 3
    stored = " ".join(db.session.scalars(select(AuditEntry.after_json)).all())
    from pb_app.voting.models import VotingCode
    hashes = db.session.scalars(select(VotingCode.code_hash)).all()
    assert len(hashes) == 3
    assert not any(code.replace("-", "") in stored + " ".join(hashes) for code in codes)


def test_a_code_votes_once_without_an_account(client, sign_in, sign_out, eildon):
    round_ = code_round(eildon)
    code, *_ = letters(client, sign_in, sign_out, round_, 2)
    entered = enter(client, round_, code.lower().replace("-", " "))
    assert entered.status_code == 200 and "Check your choices" in entered.get_data(as_text=True)
    confirmed = client.post(f"/rounds/{round_.id}/vote/confirm")
    assert confirmed.status_code == 200 and receipt_in(confirmed.get_data(as_text=True))
    participation = db.session.scalar(select(Participation))
    assert (participation.channel, participation.user_id) == ("code", None)
    again = enter(client, round_, code)
    assert again.status_code == 403 and "already been used" in again.get_data(as_text=True)
    assert counts(round_.id) == (1, 1)


def test_a_code_holder_outside_the_locality_or_too_young_is_told_why(client, sign_in, sign_out,
                                                                   eildon):
    round_ = code_round(eildon)
    code, *_ = letters(client, sign_in, sign_out, round_, 1)
    refused = enter(client, round_, code, postcode="EH45 8AA")
    assert refused.status_code == 403
    assert "EH45 8AA is in Tweeddale, not Eildon." in refused.get_data(as_text=True)
    young = str(datetime.now(UTC).year - 10)
    assert "You must be at least 16" in enter(
        client, round_, code, born=("1", "1", young)).get_data(as_text=True)
    with client.session_transaction() as session:
        assert "code_voter" not in session  # refused: the code is not kept for the ballot
    assert client.get(f"/rounds/{round_.id}/vote/ballot").status_code == 403


def test_a_code_holders_postcode_sector_counts_before_its_district(client, sign_in, sign_out,
                                                                   eildon):
    """Found in the statement that finds the code: a sector listed for another locality wins
    over the district listed for the round's, and a postcode nowhere listed is refused."""
    round_ = code_round(eildon)
    tweeddale = db.session.scalar(select(Locality).where(Locality.name == "Tweeddale"))
    db.session.add(PostcodeArea(prefix="TD1 9", locality=tweeddale))
    db.session.commit()
    code, *_ = letters(client, sign_in, sign_out, round_, 1)
    refused = enter(client, round_, code, postcode="td1 9zz")
    assert refused.status_code == 403
    assert "TD1 9ZZ is in Tweeddale, not Eildon." in refused.get_data(as_text=True)
    nowhere = enter(client, round_, code, postcode="AB1 2DE")
    assert "AB1 2DE is not in Eildon." in nowhere.get_data(as_text=True)
    entered = enter(client, round_, code, postcode="TD1 8ZZ")
    assert entered.status_code == 200 and "Check your choices" in entered.get_data(as_text=True)


def test_wrong_codes_are_slowed_per_address_but_valid_codes_always_pass(client, sign_in,
                                                                        sign_out, eildon):
    """A library on one connection: a neighbour's wrong codes never stop a valid code."""
    round_ = code_round(eildon)
    good, other, *_ = letters(client, sign_in, sign_out, round_, 2)
    for _ in range(CODE_ATTEMPTS_PER_ADDRESS):
        wrong = enter(client, round_, "22222-33333-44444")
        assert wrong.status_code == 422
        assert "We do not recognise that voting code" in wrong.get_data(as_text=True)
    blocked = enter(client, round_, "22222-33333-55555")
    assert blocked.status_code == 429 and "Too many voting codes" in blocked.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CodeAttempt)) == (
        CODE_ATTEMPTS_PER_ADDRESS)  # a refusal while slowed is not counted: the wait ends
    assert enter(client, round_, good).status_code == 200
    sign_out()
    assert enter(client, round_, other).status_code == 200
    assert counts() == (0, 0)


def test_codes_expire_when_the_round_closes(client, sign_in, sign_out, eildon):
    round_ = code_round(eildon)
    code, *_ = letters(client, sign_in, sign_out, round_, 1)
    assert enter(client, round_, code).status_code == 200
    round_.voting_close_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert enter(client, round_, code).status_code == 409
    closed = client.get(f"/rounds/{round_.id}/vote/code")  # no ballot to fill in for nothing
    assert closed.status_code == 409 and 'name="project"' not in closed.get_data(as_text=True)
    late = client.post(f"/rounds/{round_.id}/vote/confirm",
                       data=MultiDict([("project", project_ids(round_)[0])]))
    assert late.status_code == 409 and "has closed" in late.get_data(as_text=True)
    assert counts() == (0, 0)


def desk_voter(name="Mary O'Neil", postcode="TD1 3QQ", born=date(1950, 6, 2)) -> MultiDict:
    """The desk's carried voter fields."""
    return MultiDict({"desk_full_name": name, "desk_postcode": postcode,
                      "desk_date_of_birth": born.isoformat()})


def desk_vote(client, round_, voter: MultiDict, choices: list[tuple[str, str]]):
    """Enter a ballot at the desk (review, then confirm)."""
    return vote(client, round_.id, list(voter.items(multi=True)) + choices, desk=True)


def hand_out(client, round_, name: str, born=("2", "6", "1950"), postcode="TD1 3QQ"):
    """At the desk, give ``name`` a ballot paper."""
    return client.post(f"/rounds/{round_.id}/desk", data={
        "full_name": name, "postcode": postcode, "date_of_birth": list(born),
        "channel": "paper"})


def test_paper_ballots_are_handed_out_at_the_desk_and_counted_once_their_batch_is_keyed(
        client, sign_in, approval_round):
    lead = lead_of(approval_round.locality)
    sign_in(lead)
    added = client.post(f"/rounds/{approval_round.id}/voting/batches",
                        data={"label": "Galashiels Library", "declared_count": "2"})
    assert added.status_code == 302
    batch = db.session.scalar(select(PaperBatch))
    given = hand_out(client, approval_round, "Mary O'Neil")
    assert given.status_code == 302 and given.location.endswith(f"/rounds/{approval_round.id}/desk")
    desk_page = client.get(given.location).get_data(as_text=True)
    assert "give the person a ballot paper" in desk_page
    assert counts(approval_round.id) == (1, 0)  # she has voted; her paper is not keyed yet
    assert reconcile_ballots(approval_round) == [
        "Batch 'Galashiels Library' says 2 ballots but 0 were entered.",
        "1 person voted on paper, at a community event but there are 0 such ballots."]
    assert hand_out(client, approval_round, "Mary  ONeil").status_code == 403  # once each
    hand_out(client, approval_round, "Tom Hall", born=("3", "3", "1961"))
    lead_round = db.session.get(type(approval_round), approval_round.id)
    choose_keying_rule(lead_round, batch, lead, "single")
    key_sheets(lead_round, batch, lead, 1, [(1, "1 2"), (2, "3")])
    assert accept_batch(lead_round, batch, lead, date.today()) == 2
    db.session.commit()
    assert reconcile_ballots(approval_round) == []
    page = client.get(f"/rounds/{approval_round.id}/voting").get_data(as_text=True)
    assert "The paper ballots reconcile." in page
    ballots = db.session.scalars(select(BallotEnvelope)).all()
    assert {(b.paper_batch_id, b.channel) for b in ballots} == {(batch.id, "paper")}
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("voting.paper_batch_keyed") == 1  # one entry for the batch
    assert not [action for action in actions if action.startswith("voting.paper_entry")]


def test_a_ballot_paper_is_refused_to_someone_outside_the_locality(client, sign_in,
                                                                   approval_round):
    sign_in(lead_of(approval_round.locality))
    refused = hand_out(client, approval_round, "Ann Bell", postcode="EH45 8AA")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "EH45 8AA is in Tweeddale, not Eildon." in page
    assert 'value="Ann Bell"' in page  # staff keep the form
    assert counts(approval_round.id) == (0, 0)


def test_assisted_ballots_record_the_helper(client, sign_in, approval_round):
    lead = lead_of(approval_round.locality)
    sign_in(lead)
    voter = desk_voter()
    desk_vote(client, approval_round, voter, [("project", project_ids(approval_round)[2])])
    participation = db.session.scalar(select(Participation))
    assert (participation.channel, participation.helper_id) == ("assisted", lead.id)


def test_one_person_one_ballot_across_channels(client, sign_in, approval_round):
    online = resident("Mary O'Neil", "TD1 3QQ", date(1950, 6, 2))
    online.full_name = "Mary O'Neil"
    db.session.commit()
    sign_in(online)
    first = project_ids(approval_round)[0]
    assert vote(client, approval_round.id, [("project", first)]).status_code == 200
    sign_in(lead_of(approval_round.locality))
    refused = desk_vote(client, approval_round, desk_voter("mary  oneil"),
                        [("project", first)])
    assert refused.status_code == 403
    assert "already voted in this round (online)" in refused.get_data(as_text=True)
    assert counts(approval_round.id) == (1, 1)


def test_paper_ballots_are_checked_like_online_ones(client, sign_in, approval_round):
    sign_in(lead_of(approval_round.locality))
    over = [("project", p) for p in project_ids(approval_round)]
    refused = client.post(f"/rounds/{approval_round.id}/desk/review",
                          data=MultiDict(list(desk_voter().items()) + over))
    assert refused.status_code == 422
    assert "You can choose up to 3 projects; you chose 5." in refused.get_data(as_text=True)
    assert counts() == (0, 0)


def test_only_the_localitys_lead_runs_the_desk_and_the_voting_page(client, sign_in, sign_out,
                                                                   approval_round, voter):
    other_lead = lead_of(place("Cheviot", "TD5"))
    fields = MultiDict(list(desk_voter().items()) + [
        ("project", project_ids(approval_round)[0])])
    for user in (voter, other_lead):
        sign_in(user)
        assert client.get(f"/rounds/{approval_round.id}/desk").status_code == 403
        assert client.get(f"/rounds/{approval_round.id}/voting").status_code == 403
        assert client.post(f"/rounds/{approval_round.id}/desk/confirm",
                           data=fields).status_code == 403
        assert client.post(f"/rounds/{approval_round.id}/voting/close").status_code == 403
    sign_out()
    assert client.get(f"/rounds/{approval_round.id}/desk").status_code == 302
    assert counts() == (0, 0)


def test_after_the_lead_closes_voting_no_channel_accepts_a_ballot(client, sign_in,
                                                                  approval_round, voter):
    first = project_ids(approval_round)[0]
    sign_in(voter)
    vote(client, approval_round.id, [("project", first)])
    sign_in(lead_of(approval_round.locality))
    closed = close_voting(client, approval_round, follow_redirects=True)
    assert "Voting is closed. 1 ballot was cast." in closed.get_data(as_text=True)
    assert approval_round.phase == "closed"
    again = close_voting(client, approval_round, follow_redirects=True)
    assert again.status_code == 200  # a second click lands on the voting page, saying why
    assert "Voting in this round has closed" in again.get_data(as_text=True)
    assert approval_round.phase == "closed"
    desk = desk_vote(client, approval_round, desk_voter(), [("project", first)])
    assert desk.status_code == 409
    sign_in(resident("Late", "TD1 5AA", date(1980, 1, 1)))
    late = client.post(f"/rounds/{approval_round.id}/vote/confirm",
                       data=MultiDict([("project", first)]))
    assert late.status_code == 409
    assert counts(approval_round.id) == (1, 1)
    [(_, choices)] = peek(approval_round)
    assert choices == Choices((first,))


@pytest.mark.parametrize("declared", ["100001", "99999999999", "9" * 25])
def test_a_batch_count_too_large_is_refused(client, sign_in, approval_round, declared):
    sign_in(lead_of(approval_round.locality))
    refused = client.post(f"/rounds/{approval_round.id}/voting/batches",
                          data={"label": "Galashiels Library", "declared_count": declared})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "A batch holds at most 100,000 ballots" in page
    assert "<title>Error: Voting:" in page and 'class="govuk-error-summary' in page
    assert page.count("<caption") == 2  # turnout and batches
    assert db.session.scalar(select(func.count()).select_from(PaperBatch)) == 0


def test_a_refusal_at_the_desk_keeps_the_form_for_the_next_try(client, sign_in, approval_round):
    online = resident("Mary O'Neil", "TD1 3QQ", date(1950, 6, 2))
    online.full_name = "Mary O'Neil"
    db.session.commit()
    sign_in(online)
    assert vote(client, approval_round.id, [("project", project_ids(approval_round)[0])]
                ).status_code == 200
    sign_in(lead_of(approval_round.locality))
    refused = client.post(f"/rounds/{approval_round.id}/desk", data={
        "full_name": "Mary O'Neil", "postcode": "TD1 3QQ", "date_of_birth": ["2", "6", "1950"],
        "channel": "assisted"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "This person has already voted in this round (online)" in page  # spoken of, to staff
    assert 'class="govuk-error-summary' in page and 'value="Mary O&#39;Neil"' in page
    assert counts(approval_round.id) == (1, 1)
    ten_years_ago = str(date.today().year - 10)
    young = hand_out(client, approval_round, "Ben Hall", born=("1", "1", ten_years_ago))
    assert "This person must be at least 16" in young.get_data(as_text=True)
    assert "They will be " in young.get_data(as_text=True)


@pytest.mark.parametrize("label", ["   ", "Galashiels Library"])
def test_a_refused_batch_label_is_shown_on_the_form(client, sign_in, approval_round, label):
    sign_in(lead_of(approval_round.locality))
    url = f"/rounds/{approval_round.id}/voting/batches"
    client.post(url, data={"label": "Galashiels Library", "declared_count": "2"})
    refused = client.post(url, data={"label": label, "declared_count": "3"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'class="govuk-error-summary' in page
    assert 'id="label-error"' in page
    assert db.session.scalar(select(func.count()).select_from(PaperBatch)) == 1


def test_no_paper_batch_can_be_added_once_voting_has_closed(client, sign_in, approval_round):
    sign_in(lead_of(approval_round.locality))
    assert close_voting(client, approval_round).status_code == 302
    refused = client.post(f"/rounds/{approval_round.id}/voting/batches",
                          data={"label": "Late event", "declared_count": "4"})
    assert refused.status_code == 409
    assert "no more paper batches can be added" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PaperBatch)) == 0
    assert reconcile_ballots(approval_round) == []  # the count is not held up


def _closed_round_with_a_short_batch(client, sign_in, round_) -> PaperBatch:
    """Voting closed with batch 'Kelso Hall' saying 3 ballots and holding 1; the lead signed in."""
    sign_in(lead_of(round_.locality))
    client.post(f"/rounds/{round_.id}/voting/batches",
                data={"label": "Kelso Hall", "declared_count": "3"})
    batch = db.session.scalar(select(PaperBatch))
    cast_ballot(round_, voter_at_desk("Mary O'Neil", "TD1 3QQ", date(1950, 6, 2)),
                Choices((project_ids(round_)[0],)), channel="paper", now=datetime.now(UTC),
                helper=lead_of(round_.locality), batch=batch)
    db.session.commit()
    assert close_voting(client, round_).status_code == 302
    return batch


def test_a_recounted_batch_is_corrected_with_a_reason_and_then_reconciles(
        client, sign_in, approval_round):
    batch = _closed_round_with_a_short_batch(client, sign_in, approval_round)
    page = client.get(f"/rounds/{approval_round.id}/voting").get_data(as_text=True)
    assert "says 3 ballots but 1 was entered" in page and "Correct the count" in page
    address = f"/rounds/{approval_round.id}/voting/batches/{batch.id}/correct"
    assert "The batch says 3 ballots" in client.get(address).get_data(as_text=True)

    corrected = client.post(address, data={
        "declared_count": "1", "reason": "Recounted by two staff: the bundle holds 1."})
    assert corrected.status_code == 302
    assert reconcile_ballots(approval_round) == []
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "voting.paper_batch_corrected")).one()
    assert json.loads(entry.before_json) == {"declared_count": 3}
    assert json.loads(entry.after_json) == {
        "declared_count": 1, "reason": "Recounted by two staff: the bundle holds 1."}

    sealed = client.post(f"/results/round/{approval_round.id}/count")
    assert sealed.status_code == 409 and "Key holders must open it" in sealed.get_data(True)
    waiting = client.get(f"/results/round/{approval_round.id}/count").get_data(True)
    assert 'id="box-sealed"' in waiting and "Run the count" not in waiting
    assert f'href="/rounds/{approval_round.id}/ballot-box"' in waiting
    holder = get_box(approval_round).shares[0].holder
    sign_in(holder.user)
    opened = client.post(f"/rounds/{approval_round.id}/ballot-box",
                         data={f"holder_{holder.id}": PASSPHRASE})
    assert opened.status_code == 302
    sign_in(lead_of(approval_round.locality))
    assert client.post(f"/results/round/{approval_round.id}/count").status_code == 302
    count_page = client.get(f"/results/round/{approval_round.id}/count").get_data(as_text=True)
    assert ("Kelso Hall: 3 to 1. Reason: Recounted by two staff: the bundle holds 1."
            in count_page)  # what the finance officer reviews before signing off


@pytest.mark.parametrize(("data", "message"), [
    ({"declared_count": "1", "reason": "  "}, "Enter why the count changes"),
    ({"declared_count": "3", "reason": "Recounted"}, "The batch already says 3 ballots"),
    ({"declared_count": "-1", "reason": "Recounted"}, "The number cannot be negative"),
    ({"declared_count": "one", "reason": "Recounted"}, "Enter the number of ballots"),
    ({"declared_count": "100001", "reason": "Recounted"}, "A batch holds at most 100,000"),
])
def test_a_bad_batch_correction_is_refused_and_changes_nothing(
        client, sign_in, approval_round, data, message):
    batch = _closed_round_with_a_short_batch(client, sign_in, approval_round)
    refused = client.post(
        f"/rounds/{approval_round.id}/voting/batches/{batch.id}/correct", data=data)
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    db.session.refresh(batch)
    assert batch.declared_count == 3
    assert not db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "voting.paper_batch_corrected"))


def test_only_the_rounds_leads_correct_a_batch_and_not_after_the_count(
        client, sign_in, approval_round):
    batch = _closed_round_with_a_short_batch(client, sign_in, approval_round)
    address = f"/rounds/{approval_round.id}/voting/batches/{batch.id}/correct"
    data = {"declared_count": "1", "reason": "Recounted"}
    client.post("/account/sign-out")
    tweeddale = db.session.scalar(select(Locality).where(Locality.name == "Tweeddale"))
    sign_in(lead_of(tweeddale))
    assert client.post(address, data=data).status_code == 403
    sign_in(resident("Neighbour", "TD1 3AB", date(1980, 1, 1)))
    assert client.post(address, data=data).status_code == 403
    assert client.get(f"/rounds/{approval_round.id}/voting/batches/999999/correct").status_code \
        in (403, 404)

    sign_in(lead_of(approval_round.locality))
    approval_round.phase = "counted"
    db.session.commit()
    refused = client.post(address, data=data)
    assert refused.status_code == 409 and "not yet counted" in refused.get_data(as_text=True)
    db.session.refresh(batch)
    assert batch.declared_count == 3


def test_a_code_count_in_words_is_refused_in_plain_words(client, sign_in, eildon):
    round_ = code_round(eildon)
    sign_in(lead_of(round_.locality))
    refused = client.post(f"/rounds/{round_.id}/voting/codes", data={"count": "ten"})
    assert refused.status_code == 422
    assert "Enter how many codes to make, as a whole number" in refused.get_data(as_text=True)
    assert not db.session.scalar(select(func.count()).select_from(VotingCodeBatch))


def test_a_ballot_paper_for_another_spelling_is_given_and_named_a_suspected_duplicate(
        client, sign_in, approval_round):
    sign_in(lead_of(approval_round.locality))
    assert hand_out(client, approval_round, "Mary O'Neil").status_code == 302
    client.get(f"/rounds/{approval_round.id}/desk")  # the first one's message is read
    given = hand_out(client, approval_round, "Marie O'Neill")
    page = client.get(given.location).get_data(as_text=True)
    assert "give the person a ballot paper" in page
    assert "Someone with this postcode and date of birth had already voted (on paper" in page
    assert counts(approval_round.id) == (2, 0)
    assert len(suspected_duplicates(approval_round)) == 1
