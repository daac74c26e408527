"""The four rewrites of the audit trail that went unseen (issue 14), done with raw SQL as a
hostile database administrator would, after a round's result has been signed off and
published. Each is now caught, by the entries' MACs or by the published checkpoints."""

from __future__ import annotations

import re

from factories import RoundFactory
from results.builders import cast, make_projects, publish

from audit.tamper import append_forged, as_dba, chain, guessed_mac, rewrite_from
from pb_app.audit.services import parse_checkpoint, verify_chain
from pb_app.extensions import db


def _published_round(client):
    """A round counted, signed off and published; the checkpoint its public page shows."""
    round_ = RoundFactory(to_count=True)
    (lunch,) = make_projects(round_, {"Kelso lunch club": 300_000})
    cast(round_, [lunch], times=3)
    publish(round_)
    db.session.commit()
    page = client.get(f"/results/round/{round_.id}").get_data(as_text=True)
    shown = re.search(r'id="audit-checkpoint".*?<code[^>]*>(\d+:[0-9a-f]{64})</code>', page, re.S)
    assert shown, "the published result shows its audit checkpoint"
    return round_, parse_checkpoint(shown.group(1))


def test_untouched_trail_verifies_against_the_published_checkpoint(client):
    _, published = _published_round(client)
    report = verify_chain([published])
    assert report.is_intact, report.describe()
    assert published.sequence == chain()[-1].sequence
    assert report.checkpoints_checked == 3  # sign-off and publication stored, and the one given


def test_a_forged_entry_appended_is_caught_by_its_mac(client):
    """(a) Before: the forger appended an entry and moved the head; verify said intact."""
    _published_round(client)
    forged = append_forged("result.published", mac=None)
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, forged.sequence)
    assert "carries no MAC though entries before it do" in report.reason
    as_dba("DELETE FROM audit_entry WHERE sequence = :s", s=forged.sequence)
    forged = append_forged("result.published", mac=guessed_mac("anything"))
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, forged.sequence)
    assert "its MAC is not the app's" in report.reason


def test_the_newest_entry_deleted_is_caught_by_the_stored_checkpoint(client):
    """(b) Before: the newest entry deleted and the head moved back; verify said intact."""
    _, published = _published_round(client)
    as_dba("DELETE FROM audit_entry WHERE sequence = :s", s=published.sequence)
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, published.sequence)
    assert (f"the chain ends at entry {published.sequence - 1}, but stored checkpoint"
            f" {published.sequence}:") in report.reason
    assert "entries were deleted" in report.reason


def test_the_newest_entry_and_the_stored_checkpoints_deleted_are_caught_by_a_published_one(
        client):
    """(b) again, by an administrator who also deletes the checkpoints the app stored."""
    _, published = _published_round(client)
    as_dba("DELETE FROM audit_entry WHERE sequence = :s", s=published.sequence)
    as_dba("DELETE FROM audit_checkpoint")
    assert verify_chain().is_intact  # the database alone cannot tell any more...
    report = verify_chain([published])  # ...the copy people were shown can
    assert (report.is_intact, report.first_bad_sequence) == (False, published.sequence)
    assert f"checkpoint {published.sequence}:{published.hash[:12]}... given" in report.reason


def test_an_entry_edited_and_the_chain_recomputed_is_caught_by_its_mac(client):
    """(c) Before: every hash after the edit recomputed; verify said intact."""
    _published_round(client)
    counted = next(e for e in chain() if e.action == "result.counted")
    other_winners = counted.after_json.replace('"winners":[', '"winners":["x",')
    rewrite_from(counted.sequence, after_json=other_winners)
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, counted.sequence)
    assert "its MAC is not the app's" in report.reason


def test_an_edit_with_every_mac_removed_is_caught_by_the_checkpoints(client):
    """(c) again, by an administrator who strips the MACs to pass the chain off as old."""
    _, published = _published_round(client)
    counted = next(e for e in chain() if e.action == "result.counted")
    rewrite_from(counted.sequence, strip_macs=True, actor_id=None)
    report = verify_chain()
    assert not report.is_intact
    assert "history up to this entry was rewritten" in report.reason
    as_dba("DELETE FROM audit_checkpoint")
    report = verify_chain([published])
    assert (report.is_intact, report.first_bad_sequence) == (False, published.sequence)
    assert "history up to this entry was rewritten" in report.reason


def test_macs_removed_without_an_edit_are_caught_by_the_checkpoints(client):
    _, published = _published_round(client)
    as_dba("UPDATE audit_entry SET mac = NULL")
    report = verify_chain([published])
    assert not report.is_intact
    assert "carries no MAC: MACs were removed" in report.reason


def test_everything_deleted_is_caught_by_the_checkpoints(client):
    """(d) Before: every entry deleted; verify answered "intact: 0 entries"."""
    _, published = _published_round(client)
    as_dba("DELETE FROM audit_entry")
    report = verify_chain()
    assert (report.is_intact, report.first_bad_sequence) == (False, 1)
    assert "the chain ends at entry 0, but stored checkpoint" in report.reason
    as_dba("DELETE FROM audit_checkpoint")
    report = verify_chain([published])
    assert (report.is_intact, report.first_bad_sequence) == (False, 1)
    assert f"names entry {published.sequence}: entries were deleted" in report.reason
