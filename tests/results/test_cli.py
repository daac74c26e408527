"""``flask results count | sign-off | publish`` act as the named user, with the same rules."""

from __future__ import annotations

from factories import RoundFactory

from pb_app.rounds.models import Phase
from results.builders import cast, make_projects, staff


def test_count_sign_off_and_publish_from_the_command_line(runner):
    round_ = RoundFactory(to_count=True)
    (lunch,) = make_projects(round_, {"Lunch club": 400_000})
    cast(round_, [lunch], times=2)
    lead, _, officer = staff(round_)
    counted = runner.invoke(args=["results", "count", str(round_.id), "--as", lead.email])
    assert counted.exit_code == 0, counted.output
    assert "Count 1: spent 400000 of 1000000 pence" in counted.output
    refused = runner.invoke(args=["results", "sign-off", str(round_.id), "--as", lead.email])
    assert refused.exit_code == 1 and "Only a finance officer" in refused.output
    unsigned = runner.invoke(args=["results", "publish", str(round_.id), "--as", lead.email])
    assert unsigned.exit_code == 1 and "signed off" in unsigned.output
    signed = runner.invoke(args=["results", "sign-off", str(round_.id), "--as", officer.email])
    assert signed.exit_code == 0, signed.output
    published = runner.invoke(args=["results", "publish", str(round_.id), "--as", lead.email])
    assert published.exit_code == 0 and f"/results/round/{round_.id}" in published.output
    assert round_.current_phase is Phase.PUBLISHED
    nobody = runner.invoke(args=["results", "count", str(round_.id), "--as", "no@example.org"])
    assert nobody.exit_code == 2 and "No account has the email" in nobody.output


def test_a_round_id_too_large_for_the_database_is_a_usage_error(runner, tmp_path):
    huge = "99999999999999999999"
    for args in (["results", "count", huge, "--as", "lead@example.org"],
                 ["voting", "close", huge, "--lead", "lead@example.org"],
                 ["reports", "export", "--round", huge, "--output", str(tmp_path / "r.pdf")]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2 and "is not in the range" in result.output, args
