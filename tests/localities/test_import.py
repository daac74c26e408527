"""Loading the locality list from CSV: the shipped default, bad rows, the command."""

from __future__ import annotations

import json

import pytest
from factories import LocalityFactory, PostcodeAreaFactory, UserFactory
from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.localities.demo import DEFAULT_LOCALITY_FILE
from pb_app.localities.models import Locality, PostcodeArea
from pb_app.localities.services import find_locality, import_locality_list, read_locality_file

BORDERS = ["Berwickshire", "Cheviot", "Eildon", "Teviot and Liddesdale", "Tweeddale"]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _import_default() -> None:
    with DEFAULT_LOCALITY_FILE.open(encoding="utf-8") as lines:
        import_locality_list(read_locality_file(lines))


def test_the_default_file_is_marked_as_a_default_to_replace():
    first_line = DEFAULT_LOCALITY_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# DEFAULT LIST")
    assert "replaces this file with its own list" in DEFAULT_LOCALITY_FILE.read_text()


def test_the_default_file_has_the_five_borders_localities_and_their_populations():
    _import_default()
    localities = {loc.name: loc for loc in db.session.scalars(select(Locality))}
    assert sorted(localities) == BORDERS
    total = sum(loc.population for loc in localities.values())
    assert total == 116000
    assert round(localities["Eildon"].population / total, 2) == 0.30
    assert localities["Teviot and Liddesdale"].slug == "teviot-and-liddesdale"


@pytest.mark.parametrize(("postcode", "locality"), [
    ("TD1 1AB", "Eildon"), ("TD2 6AB", "Eildon"), ("TD3 6AB", "Berwickshire"),
    ("TD4 6AB", "Eildon"), ("TD5 7AB", "Cheviot"), ("TD6 9AB", "Eildon"), ("TD7 5AB", "Eildon"),
    ("TD8 6AB", "Cheviot"), ("TD9 0AB", "Teviot and Liddesdale"), ("TD10 6AB", "Berwickshire"),
    ("TD11 3AB", "Berwickshire"), ("TD12 4AB", "Berwickshire"), ("TD13 5AB", "Berwickshire"),
    ("TD14 5AB", "Berwickshire"), ("TD15 1AB", "Berwickshire"), ("EH38 5AB", "Eildon"),
    ("EH43 6AB", "Tweeddale"), ("EH44 6AB", "Tweeddale"), ("EH45 8AB", "Tweeddale"),
    ("EH46 7AB", "Tweeddale"), ("ML12 6AB", "Tweeddale"), ("EH26 9AB", "Tweeddale"),
])
def test_the_default_file_places_every_borders_district(postcode, locality):
    _import_default()
    assert find_locality(postcode).name == locality


@pytest.mark.parametrize("postcode", ["TD15 2AB", "ML12 7AB", "EH26 8AB", "EH1 1AB"])
def test_the_default_file_leaves_out_the_parts_beyond_the_borders(postcode):
    _import_default()
    with pytest.raises(InvalidInput):
        find_locality(postcode)


GOOD_FILE = """# a note
kind,locality,population,prefix
locality,Northtown,1200,
locality,Southtown,800,

postcode,Northtown,,AB1
postcode,Southtown,,ab1  2
"""


def test_a_good_file_is_read_with_notes_and_blank_lines_skipped():
    parsed = read_locality_file(GOOD_FILE.splitlines())
    assert parsed.populations == {"Northtown": 1200, "Southtown": 800}
    assert parsed.prefixes == {"AB1": "Northtown", "AB1 2": "Southtown"}


BAD_FILE = """kind,locality,population,prefix
locality,Northtown,5,
locality,northtown,many,
postcode,Northtown,,AB1 23
town,Northtown,,AB2
postcode,Northtown,,AB3
postcode,Northtown,,ab3
postcode,Westtown,,AB4
locality,Easttown,10
postcode,,,AB5
locality,NorthTown,7,
"""


def test_every_bad_row_is_reported_with_its_line_number():
    with pytest.raises(InvalidInput) as caught:
        read_locality_file(BAD_FILE.splitlines())
    assert caught.value.message.splitlines() == [
        "The file has problems, so nothing was imported:",
        "line 3: the population of northtown must be a whole number up to 100,000,000,"
        " not 'many'",
        "line 4: 'AB1 23' is not a postcode district (like TD1) or sector (like TD1 3)",
        "line 5: the kind must be 'locality', 'postcode' or 'age band', not 'town'",
        "line 7: the postcode prefix AB3 is listed twice",
        "line 9: expected 4 columns, found 3",
        "line 10: the locality name is missing",
        "line 11: the locality NorthTown is listed twice",
        "postcode rows name Westtown, a locality neither in the file nor saved",
    ]


@pytest.mark.parametrize("population", ["\u00b2", "-5", "1.5", "100000001"])
def test_a_population_must_be_a_plain_whole_number_that_fits(population):
    with pytest.raises(InvalidInput, match="must be a whole number up to 100,000,000"):
        read_locality_file(["kind,locality,population,prefix", f"locality,Northtown,{population},"])


@pytest.mark.parametrize("text", ["", "# only a note\n", "name,population\nA,1\n"])
def test_a_file_without_the_header_is_refused(text):
    with pytest.raises(InvalidInput, match="the first row must be the header"):
        read_locality_file(text.splitlines())


@pytest.mark.parametrize(("name", "message"), [
    ("N" * 121, "the locality name must be 120 characters or fewer"),
    ("!!!", "the locality name '!!!' needs at least one letter or digit"),
])
def test_a_locality_name_must_fit_and_make_a_web_address(name, message):
    with pytest.raises(InvalidInput, match=message):
        read_locality_file(["kind,locality,population,prefix", f"locality,{name},10,"])


def test_a_new_locality_cannot_take_the_web_address_of_a_saved_one():
    LocalityFactory(name="Eildon", slug="eildon")
    with pytest.raises(InvalidInput, match="the locality EILDON would have the same web address"
                                           " as the saved locality Eildon: use the same name"):
        read_locality_file(["kind,locality,population,prefix", "locality,EILDON,10,"])
    assert read_locality_file(["kind,locality,population,prefix", "locality,Eildon,10,"])


def test_postcode_rows_may_name_a_locality_already_saved():
    LocalityFactory(name="Westtown")
    parsed = read_locality_file(["kind,locality,population,prefix", "postcode,Westtown,,AB4"])
    assert parsed.prefixes == {"AB4": "Westtown"}


def test_the_command_imports_a_good_file(runner, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(GOOD_FILE, encoding="utf-8")
    result = runner.invoke(args=["localities", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "Imported 2 localities (2 new, 0 with a new population, 0 with population by age band)"
        " and 2 postcode areas")
    assert find_locality("AB1 2DE").name == "Southtown"
    assert find_locality("AB1 3DE").name == "Northtown"


def test_the_command_writes_nothing_when_any_row_is_bad(runner, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(GOOD_FILE + "postcode,Northtown,,NOT A PREFIX\n", encoding="utf-8")
    result = runner.invoke(args=["localities", "import", str(path)])
    assert result.exit_code == 1
    assert "line 8: 'NOT A PREFIX' is not a postcode district" in result.output
    assert (_count(Locality), _count(PostcodeArea)) == (0, 0)


def test_reimporting_replaces_the_postcode_areas_and_keeps_the_localities(runner, tmp_path):
    old = LocalityFactory(name="Oldtown", population=50)
    gone, stays, moves = (UserFactory(locality=old, postcode=postcode)
                          for postcode in ["ZZ9 1AB", "AB1 2DE", "AB1 3DE"])
    PostcodeAreaFactory(prefix="ZZ9", locality=old)
    PostcodeAreaFactory(prefix="AB1", locality=old)
    path = tmp_path / "list.csv"
    path.write_text(GOOD_FILE.replace("locality,Southtown,800,", "locality,Oldtown,60,"
                                      ).replace("postcode,Southtown", "postcode,Oldtown"))
    result = runner.invoke(args=["localities", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(
        "(1 new, 1 with a new population, 0 with population by age band) and 2 postcode areas"
        " (1 old ones removed). "
        "2 users moved to another locality (or to none) by the new list.")
    prefixes = db.session.execute(
        select(PostcodeArea.prefix, Locality.name).join(Locality).order_by(PostcodeArea.prefix)
    ).all()
    assert [tuple(row) for row in prefixes] == [("AB1", "Northtown"), ("AB1 2", "Oldtown")]
    assert old.population == 60
    assert gone.locality is None
    assert (stays.locality.name, moves.locality.name) == ("Oldtown", "Northtown")
    [entry] = db.session.scalars(select(AuditEntry))
    assert entry.action == "residents.relocated"
    assert json.loads(entry.after_json)["moved"] == [
        {"user_id": gone.id, "from": old.id, "to": None},
        {"user_id": moves.id, "from": old.id, "to": moves.locality.id},
    ]


def test_the_command_reports_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["localities", "import", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2
    assert "No such file or directory" in result.output
