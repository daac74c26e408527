"""A locality's population by age band: the shipped figures, good and bad rows, re-import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.localities.demo import DEFAULT_LOCALITY_FILE
from pb_app.localities.models import AGE_BANDS, Locality, LocalityPopulation
from pb_app.localities.services import import_locality_list, read_locality_file

HEADER = "kind,locality,population,prefix"
BANDS = [label for _, _, label in AGE_BANDS]
# 900 people: 100 in each band but the last two (150 and 150).
NORTHTOWN = ["locality,Northtown,900,"] + [
    f"age band,Northtown,{150 if label in BANDS[-2:] else 100},{label}" for label in BANDS
]


def _bands(name: str) -> list[tuple[str, int, int, int]]:
    locality = db.session.scalar(select(Locality).where(Locality.name == name))
    return [(b.age_band, b.min_age, b.max_age, b.population) for b in locality.age_populations]


def test_the_default_file_gives_an_older_borders_population_by_age_band():
    text = DEFAULT_LOCALITY_FILE.read_text(encoding="utf-8")
    assert "ILLUSTRATIVE DEFAULT" in text and "National Records of Scotland" in text
    with DEFAULT_LOCALITY_FILE.open(encoding="utf-8") as lines:
        import_locality_list(read_locality_file(lines))
    rows = db.session.scalars(select(LocalityPopulation)).all()
    assert len(rows) == 5 * len(AGE_BANDS)
    total = sum(row.population for row in rows)
    assert total == 116_000
    young = sum(row.population for row in rows if row.max_age < 16)
    old = sum(row.population for row in rows if row.min_age >= 65)
    assert (round(100 * young / total), round(100 * old / total)) == (16, 28)
    for locality in db.session.scalars(select(Locality)):
        assert sum(b.population for b in locality.age_populations) == locality.population


def test_good_age_band_rows_are_imported_with_their_ages():
    import_locality_list(read_locality_file([HEADER, *NORTHTOWN]))
    bands = _bands("Northtown")
    assert bands[0] == ("Under 16", 0, 15, 100)
    assert bands[-2:] == [("65 to 74", 65, 74, 150), ("75 or over", 75, 200, 150)]
    assert len(bands) == len(AGE_BANDS)


def test_reimporting_replaces_the_bands_and_a_file_without_them_clears_them():
    import_locality_list(read_locality_file([HEADER, *NORTHTOWN]))
    changed = [row.replace(",100,Under 16", ",90,Under 16") for row in NORTHTOWN]
    changed[0] = "locality,Northtown,890,"
    import_locality_list(read_locality_file([HEADER, *changed]))
    assert _bands("Northtown")[0] == ("Under 16", 0, 15, 90)
    import_locality_list(read_locality_file([HEADER, "locality,Northtown,890,"]))
    assert _bands("Northtown") == []


def test_every_bad_age_band_row_is_reported_and_nothing_is_read():
    lines = [
        HEADER,
        *NORTHTOWN[:-1],  # lines 2-8: leaves out "75 or over"
        "age band,Northtown,10,Over 100",
        "age band,Northtown,lots,75 or over",
        "age band,Northtown,10,16 to 24",
        "locality,Southtown,50,",
        *[f"age band,Southtown,10,{label}" for label in BANDS],
        "age band,Westtown,10,Under 16",
    ]
    with pytest.raises(InvalidInput) as caught:
        read_locality_file(lines)
    assert caught.value.message.splitlines() == [
        "The file has problems, so nothing was imported:",
        "line 10: 'Over 100' is not an age band; use one of: " + ", ".join(BANDS),
        "line 11: the population of Northtown aged 75 or over must be a whole number up to "
        "100,000,000, not 'lots'",
        "line 12: the age band 16 to 24 of Northtown is listed twice",
        "the age bands of Northtown leave out: 75 or over",
        "the age bands of Southtown add up to 80, not its population 50",
        "age band rows name Westtown, which has no locality row in the file",
    ]
