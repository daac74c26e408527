"""One support everywhere: the tally's own, in the ballot's unit, on the count, results and
recount pages, in the chart, the "why" sentences and the report (page, PDF and CSV); a count
stored before results carried the tally's support is shown as stored."""

from __future__ import annotations

import csv
import io
import json
import re

from factories import RoundFactory
from pypdf import PdfReader
from sqlalchemy import select, update

from pb_app.ballotbox.models import Ballot
from pb_app.extensions import db
from pb_app.results.explanation import support_unit
from pb_app.results.models import CountSnapshot
from pb_app.results.presentation import explain, support_chart
from pb_app.results.services import count_round, store_snapshot, verify_snapshot
from pb_app.tally.explain import result_from_dict, result_to_json
from pb_app.voting.ballots import Choices
from results.builders import cast, make_projects, publish, staff

COSTS = {"Lunch club": 600_000, "Community transport": 500_000, "Walking group": 300_000}


def _cast_as(round_, choices: dict, times: int) -> None:
    """``times`` ballots with these choices: project -> points (cumulative, scoring) or, in
    rank order, project -> None (ranked)."""
    cast(round_, list(choices), times=times)
    approval = Choices(tuple(sorted(str(p.id) for p in choices))).to_json()
    if all(value is None for value in choices.values()):
        wanted = Choices(tuple(str(p.id) for p in choices))
    else:
        ordered = sorted((str(p.id), value) for p, value in choices.items())
        wanted = Choices(tuple(pid for pid, _ in ordered), tuple(v for _, v in ordered))
    db.session.execute(update(Ballot).where(Ballot.round_id == round_.id,
                                            Ballot.choices_json == approval)
                       .values(choices_json=wanted.to_json()))


def _cumulative_round():
    """Budget £10,000, 10 points each: two voters give transport 9 and the lunch club 1, one
    gives the walking group 8 and the lunch club 2. So transport has 18 points from 2
    voters, the lunch club 4 points from 3 voters, the walking group 8 points from 1."""
    round_ = RoundFactory(to_count=True, ballot_type="cumulative", ballot_params={"points": 10},
                          title="Teviot Community Fund")
    lunch, transport, walks = make_projects(round_, COSTS)
    _cast_as(round_, {lunch: 1, transport: 9}, times=2)
    _cast_as(round_, {lunch: 2, walks: 8}, times=1)
    return round_, {"lunch": lunch, "transport": transport, "walks": walks}


def _words(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_cumulative_round_shows_the_tallys_points_everywhere(client, sign_in):
    round_, projects = _cumulative_round()
    lead, snapshot = publish(round_)
    ids = {name: str(p.id) for name, p in projects.items()}
    points = {ids["lunch"]: 4, ids["transport"]: 18, ids["walks"]: 8}
    assert json.loads(snapshot.support_json) == points
    assert dict(json.loads(snapshot.result_json)["support"]) == points

    outcomes = {o.title: o for o in explain(snapshot).outcomes}
    transport, lunch = outcomes["Community transport"], outcomes["Lunch club"]
    assert (transport.support_text, lunch.support_text) == ("18 points", "4 points")
    assert transport.why.startswith("It had 18 points and cost £5,000. It was funded")
    assert transport.detail == "Funded at step 2 of the count, with 18 points."
    assert lunch.why.startswith("It had 4 points and cost £6,000. Not funded")

    chart = support_chart(list(outcomes.values()))
    assert "Support for each project, in points" in chart
    assert re.findall(r">(\d+)</text>", chart) == ["18", "8", "4"]

    page = _words(client.get(f"/results/round/{round_.id}").get_data(as_text=True))
    assert "Support for each project, in points" in page
    assert ("Community transport 18 points £5,000 Funded It had 18 points and cost £5,000."
            in page)
    assert "Lunch club 4 points £6,000 Not funded It had 4 points" in page
    assert "supporter" not in page
    recount = _words(client.get(f"/results/round/{round_.id}/recount").get_data(as_text=True))
    assert f"{ids['transport']} Community transport 18 points yes" in recount
    sign_in(lead)
    count = _words(client.get(f"/results/round/{round_.id}/count").get_data(as_text=True))
    assert "Community transport 18 points £5,000 Funded" in count

    report = _words(client.get(f"/reports/round/{round_.id}").get_data(as_text=True))
    assert "Community transport" in report and "18 points" in report and "4 points" in report
    pdf = PdfReader(io.BytesIO(client.get(f"/reports/round/{round_.id}.pdf").data))
    pdf_text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "18 points" in pdf_text and "4 points" in pdf_text
    rows = list(csv.reader(io.StringIO(
        client.get(f"/reports/round/{round_.id}.csv").get_data(as_text=True))))
    header = next(row for row in rows if "support_unit" in row)
    table = [dict(zip(header, row, strict=False)) for row in rows[rows.index(header) + 1:]]
    by_title = {row["project"]: row for row in table if row.get("project") in COSTS}
    assert {t: (r["support"], r["support_unit"]) for t, r in by_title.items()} == {
        "Lunch club": ("4", "points"), "Community transport": ("18", "points"),
        "Walking group": ("8", "points")}


def test_an_approval_round_is_unchanged():
    """Lunch club 5 votes, transport 4, walks 3: the voters who chose each."""
    round_ = RoundFactory(to_count=True)
    lunch, transport, walks = make_projects(
        round_, {"Lunch club": 400_000, "Community transport": 500_000, "Walking group": 200_000})
    cast(round_, [lunch, transport], times=3)
    cast(round_, [lunch, walks], times=2)
    cast(round_, [transport, walks], times=1)
    snapshot = count_round(round_, staff(round_)[0])
    assert snapshot.support_json == json.dumps(
        {str(lunch.id): 5, str(transport.id): 4, str(walks.id): 3})
    outcomes = {o.title: o for o in explain(snapshot).outcomes}
    assert outcomes["Lunch club"].support_text == "5 votes"
    assert outcomes["Lunch club"].detail == "Funded at step 2 of the count, with 5 supporters."
    assert outcomes["Walking group"].why.startswith("It had 3 votes and cost £2,000.")
    assert "Support for each project, in votes" in support_chart(list(outcomes.values()))


def test_a_ranked_round_counts_ranking_points_and_says_so():
    """Borda on ballots of up to 3 places: first 3 points, second 2, third 1."""
    round_ = RoundFactory(to_count=True, ballot_type="ordinal", ballot_params={"top_k": 3})
    lunch, transport, walks = make_projects(round_, COSTS)
    _cast_as(round_, {transport: None, lunch: None}, times=2)
    _cast_as(round_, {lunch: None, walks: None, transport: None}, times=1)
    snapshot = count_round(round_, staff(round_)[0])
    explained = explain(snapshot)
    outcomes = {o.title: o for o in explained.outcomes}
    assert outcomes["Community transport"].support_text == "7 ranking points"
    assert outcomes["Walking group"].support_text == "2 ranking points"
    assert outcomes["Walking group"].why.startswith("It had 2 ranking points")
    assert ("a first choice gets as many ranking points as the longest ballot has places"
            in explained.steps[0].text)


def _as_stored_before(snapshot: CountSnapshot, lead) -> CountSnapshot:
    """The same count as a count stored before results carried the tally's support: the
    result without it, and the voters who chose each project as the support."""
    query = select(Ballot.choices_json).where(Ballot.round_id == snapshot.round_id)
    ballots = [json.loads(text)["projects"] for text in db.session.scalars(query)]
    chosen_by = {pid: sum(pid in b for b in ballots) for pid in json.loads(snapshot.support_json)}
    old_result = result_to_json(result_from_dict(json.loads(snapshot.result_json)),
                                with_support=False)
    columns = {c.key: getattr(snapshot, c.key) for c in CountSnapshot.__table__.columns
               if c.key not in ("id", "sequence", "counted_by_id", "counted_at", "content_hash",
                                "is_different_from_previous")}
    old = CountSnapshot(**{**columns, "result_json": old_result,
                           "support_json": json.dumps(chosen_by)})
    return store_snapshot(old, lead)


def test_a_count_stored_before_is_shown_as_stored_and_still_verifies(runner, tmp_path):
    round_, projects = _cumulative_round()
    lead = staff(round_)[0]
    old = _as_stored_before(count_round(round_, lead), lead)
    stored = (old.support_json, old.content_hash)
    verify_snapshot(old)
    assert support_unit(old) == "voters"
    outcomes = {o.title: o for o in explain(old).outcomes}
    transport = outcomes["Community transport"]
    assert (transport.support_text, outcomes["Lunch club"].support_text) == ("2 voters",
                                                                             "3 voters")
    assert transport.why.startswith("It had 18 points")  # the step's own figure, as counted
    assert transport.detail == "Funded at step 2 of the count, with 2 supporters."
    assert (old.support_json, old.content_hash) == stored
    pb, result = tmp_path / "round.pb", tmp_path / "result.json"
    pb.write_text(old.input_pb, encoding="utf-8")
    result.write_text(old.result_json, encoding="utf-8")
    verified = runner.invoke(args=["tally", "verify", str(pb), str(result)])
    assert verified.exit_code == 0, verified.output



def test_a_share_of_the_voters_counts_voters_on_a_points_ballot():
    # Half of the 3 voters is 2 of them: the walking group has 8 points but 1 voter.
    round_ = RoundFactory(to_count=True, ballot_type="cumulative", ballot_params={"points": 10},
                          tally_rule="greedy-threshold", tally_params={"threshold_percent": 50})
    lunch, transport, walks = make_projects(round_, COSTS)
    _cast_as(round_, {lunch: 1, transport: 9}, times=2)
    _cast_as(round_, {lunch: 2, walks: 8}, times=1)
    snapshot = count_round(round_, staff(round_)[0])
    assert json.loads(snapshot.winners_json) == [str(transport.id)]
    walks = next(o for o in explain(snapshot).outcomes if o.title == "Walking group")
    assert walks.why == ("It had 8 points and cost £3,000. Not funded: it did not have the "
                         "round's minimum support.")
    assert walks.detail == ("It needed the support of at least 50% of the voters to be "
                            "considered (step 3).")
