"""The rules of localities: postcode lookup and loading the postcode -> locality list."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, select

from pb_app.errors import InvalidInput, NotFound
from pb_app.extensions import db
from pb_app.localities.models import AGE_BANDS, Locality, LocalityPopulation, PostcodeArea

# A full UK postcode without spaces: outward code (area, district) then inward code
# (sector digit, unit letters; the unit never uses C, I, K, M, O or V).
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])([ABD-HJLNP-UW-Z]{2})$")
DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
SECTOR_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]$")
EXAMPLE_POSTCODE = "TD1 3HW"
# Far above any locality, and within what an INTEGER column holds on PostgreSQL.
MAX_POPULATION = 100_000_000
MAX_NAME_LENGTH = 120  # the length of Locality.name and Locality.slug
BAND_AGES = {label: (low, high) for low, high, label in AGE_BANDS}
AGE_BAND_KIND = "age band"


def normalise_postcode(text: str) -> str:
    """Return ``text`` as a full postcode in capitals with one space (``td13hw`` -> ``TD1 3HW``).

    Raises InvalidInput, in plain words, when it is empty or not shaped like a full UK postcode.
    """
    squashed = re.sub(r"\s+", "", text or "").upper()
    if not squashed:
        raise InvalidInput("Enter a postcode")
    match = POSTCODE_RE.match(squashed)
    if not match:
        raise InvalidInput(f"Enter a full UK postcode, like {EXAMPLE_POSTCODE}")
    outward, sector, unit = match.groups()
    return f"{outward} {sector}{unit}"


def find_locality(postcode: str) -> Locality:
    """Return the locality a postcode lies in, matching its sector first, then its district.

    Raises InvalidInput when the postcode is malformed or lies outside every known locality.
    """
    normalised = normalise_postcode(postcode)
    locality_id = find_locality_id(normalised)
    if locality_id is None:
        raise InvalidInput(
            f"{normalised} is not in any of the localities this service covers. "
            "Check the postcode, or contact the partnership if you think it is wrong."
        )
    return db.session.get(Locality, locality_id)


def find_locality_id(normalised: str) -> int | None:
    """The id of the locality a normalised postcode lies in, or None outside every known
    locality; one query, no locality loaded."""
    return db.session.scalar(_LOCALITY_OF_POSTCODE, postcode_parameters(normalised))


def postcode_locality():
    """The id of the locality of the postcode whose sector and district are bound as ``sector``
    and ``district`` (``postcode_parameters``), its sector first, null outside every known
    locality: a scalar subquery for a statement that needs it beside what else it reads."""
    return (select(PostcodeArea.locality_id)
            .where(PostcodeArea.prefix.in_([bindparam("sector"), bindparam("district")]))
            .order_by(func.length(PostcodeArea.prefix).desc()).limit(1).scalar_subquery())


def postcode_parameters(normalised: str) -> dict[str, str]:
    """What ``postcode_locality`` binds for a normalised postcode."""
    sector, district = postcode_prefixes(normalised)
    return {"sector": sector, "district": district}


_LOCALITY_OF_POSTCODE = select(postcode_locality())  # built once: see rounds.round_reading


def postcode_prefixes(normalised: str) -> list[str]:
    """The prefixes a normalised postcode may be listed under, longest first (sector, district)."""
    outward, inward = normalised.split(" ")
    return [f"{outward} {inward[0]}", outward]


def locality_ids_by_prefix() -> dict[str, int]:
    """The whole postcode lookup in memory: prefix -> locality id."""
    rows = db.session.execute(select(PostcodeArea.prefix, PostcodeArea.locality_id)).all()
    return {prefix: locality_id for prefix, locality_id in rows}


def locality_id_in(lookup: dict[str, int], normalised: str) -> int | None:
    """The locality id of a normalised postcode in an in-memory lookup, or None."""
    return next((lookup[p] for p in postcode_prefixes(normalised) if p in lookup), None)


def list_localities() -> list[Locality]:
    """Every locality, by name."""
    return list(db.session.scalars(select(Locality).order_by(Locality.name)))


def slugify(name: str) -> str:
    """A URL-safe slug for a name (``Teviot and Liddesdale`` -> ``teviot-and-liddesdale``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def normalise_prefix(text: str) -> str:
    """Capitals and single spaces for a district (``TD1``) or sector (``TD1 3``) prefix."""
    return " ".join(text.upper().split())


@dataclass
class LocalityList:
    """The checked contents of a locality file: populations by name, localities by prefix,
    and each locality's population by age band label (empty when the file gives none)."""

    populations: dict[str, int] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    bands: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed, for the person who ran it."""

    localities_created: int
    localities_updated: int
    postcode_areas: int
    postcode_areas_removed: int


LOCALITY_FILE_COLUMNS = ["kind", "locality", "population", "prefix"]


def read_locality_file(lines: Iterable[str]) -> LocalityList:
    """Parse and check a locality CSV; lines starting with ``#`` are notes.

    Columns: ``kind`` (``locality``, ``postcode`` or ``age band``), ``locality`` (its name),
    ``population`` (locality and age band rows) and ``prefix`` (postcode rows: a district
    ``TD1`` or sector ``TD1 3``; age band rows: the band, such as ``65 to 74``). A locality's
    age bands are optional; if given, every band is given and they add up to its population.
    Raises InvalidInput listing every bad row with its line number, so nothing is written.
    """
    parsed = LocalityList()
    rows = _csv_rows(lines)
    header_number, header = next(rows, (0, []))
    if [cell.strip().lower() for cell in header] != LOCALITY_FILE_COLUMNS:
        _refuse([f"line {header_number or 1}: the first row must be the header {HEADER}"])
    problems = [
        f"line {number}: {problem}"
        for number, row in rows
        if (problem := _read_row(row, parsed))
    ]
    _refuse(problems + _unknown_localities(parsed) + _slugs_taken(parsed) + _bad_bands(parsed))
    return parsed


HEADER = ",".join(LOCALITY_FILE_COLUMNS)


def _refuse(problems: list[str]) -> None:
    if problems:
        message = "The file has problems, so nothing was imported:\n" + "\n".join(problems)
        raise InvalidInput(message)


def _csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) for each line that is neither blank nor a ``#`` note."""
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.startswith("#"):
            yield number, next(csv.reader([line]))


def _read_row(row: list[str], parsed: LocalityList) -> str | None:
    """Add one data row to ``parsed``; return what is wrong with it, or None."""
    if len(row) != len(LOCALITY_FILE_COLUMNS):
        return f"expected {len(LOCALITY_FILE_COLUMNS)} columns, found {len(row)}"
    kind, name, population, prefix = (cell.strip() for cell in row)
    if not name:
        return "the locality name is missing"
    if kind == "locality":
        return _read_locality_row(name, population, parsed)
    if kind == "postcode":
        return _read_postcode_row(name, prefix, parsed)
    if kind == AGE_BAND_KIND:
        return _read_band_row(name, population, prefix, parsed)
    return f"the kind must be 'locality', 'postcode' or '{AGE_BAND_KIND}', not {kind!r}"


def _is_population(text: str) -> bool:
    # isdigit() alone lets through characters such as "²" that int() cannot read.
    return text.isascii() and text.isdigit() and int(text) <= MAX_POPULATION


def _read_locality_row(name: str, population: str, parsed: LocalityList) -> str | None:
    if len(name) > MAX_NAME_LENGTH:
        return f"the locality name must be {MAX_NAME_LENGTH} characters or fewer"
    if not slugify(name):
        return f"the locality name {name!r} needs at least one letter or digit"
    if not _is_population(population):
        return (f"the population of {name} must be a whole number up to {MAX_POPULATION:,},"
                f" not {population!r}")
    if name in parsed.populations or slugify(name) in {slugify(n) for n in parsed.populations}:
        return f"the locality {name} is listed twice"
    parsed.populations[name] = int(population)
    return None


def _read_postcode_row(name: str, prefix: str, parsed: LocalityList) -> str | None:
    normalised = normalise_prefix(prefix)
    if not (DISTRICT_RE.match(normalised) or SECTOR_RE.match(normalised)):
        return f"{prefix!r} is not a postcode district (like TD1) or sector (like TD1 3)"
    if normalised in parsed.prefixes:
        return f"the postcode prefix {normalised} is listed twice"
    parsed.prefixes[normalised] = name
    return None


def _read_band_row(name: str, population: str, band: str, parsed: LocalityList) -> str | None:
    if band not in BAND_AGES:
        return f"{band!r} is not an age band; use one of: {', '.join(BAND_AGES)}"
    if not _is_population(population):
        return (f"the population of {name} aged {band} must be a whole number up to "
                f"{MAX_POPULATION:,}, not {population!r}")
    if band in parsed.bands.get(name, {}):
        return f"the age band {band} of {name} is listed twice"
    parsed.bands.setdefault(name, {})[band] = int(population)
    return None


def _bad_bands(parsed: LocalityList) -> list[str]:
    """Localities whose age bands are incomplete, or do not add up to their population."""
    problems = []
    for name, bands in parsed.bands.items():
        missing = [band for band in BAND_AGES if band not in bands]
        if name not in parsed.populations:
            problems.append(f"age band rows name {name}, which has no locality row in the file")
        elif missing:
            problems.append(f"the age bands of {name} leave out: {', '.join(missing)}")
        elif sum(bands.values()) != parsed.populations[name]:
            problems.append(f"the age bands of {name} add up to {sum(bands.values()):,}, "
                            f"not its population {parsed.populations[name]:,}")
    return problems


def _unknown_localities(parsed: LocalityList) -> list[str]:
    known = set(parsed.populations) | set(db.session.scalars(select(Locality.name)))
    unknown = sorted(set(parsed.prefixes.values()) - known)
    return [f"postcode rows name {name}, a locality neither in the file nor saved"
            for name in unknown]


def _slugs_taken(parsed: LocalityList) -> list[str]:
    """New localities whose web address (slug) a saved locality of another name has."""
    saved = dict(db.session.execute(select(Locality.slug, Locality.name)).all())
    return [f"the locality {name} would have the same web address as the saved locality"
            f" {saved[slugify(name)]}: use the same name"
            for name in parsed.populations
            if slugify(name) in saved and saved[slugify(name)] != name]


def import_locality_list(parsed: LocalityList) -> ImportSummary:
    """Save the localities (created or population updated) and replace the postcode areas.

    Localities not in the file are kept (rounds and people belong to them); postcode areas
    not in the file are removed, so the file is the whole lookup. A listed locality's age
    bands are replaced by the file's (none if it gives none). Flushes, never commits.
    """
    existing = {locality.name: locality for locality in db.session.scalars(select(Locality))}
    created = updated = 0
    for name, population in parsed.populations.items():
        locality = existing.get(name)
        if locality is None:
            locality = Locality(name=name, slug=slugify(name), population=population)
            existing[name] = locality
            db.session.add(locality)
            created += 1
        elif locality.population != population:
            locality.population = population
            updated += 1
    db.session.flush()
    for name in parsed.populations:
        _replace_bands(existing[name], parsed.bands.get(name, {}))
    removed = db.session.execute(
        delete(PostcodeArea).where(PostcodeArea.prefix.not_in(list(parsed.prefixes)))
    ).rowcount
    _save_postcode_areas(parsed.prefixes, existing)
    db.session.flush()
    return ImportSummary(created, updated, len(parsed.prefixes), removed)


def _replace_bands(locality: Locality, bands: dict[str, int]) -> None:
    # Old rows go first: the new ones reuse their (locality, band) pairs.
    locality.age_populations.clear()
    db.session.flush()
    locality.age_populations.extend(
        LocalityPopulation(age_band=band, min_age=BAND_AGES[band][0],
                           max_age=BAND_AGES[band][1], population=population)
        for band, population in bands.items()
    )


def _save_postcode_areas(prefixes: dict[str, str], localities: dict[str, Locality]) -> None:
    saved = {area.prefix: area for area in db.session.scalars(select(PostcodeArea))}
    for prefix, name in prefixes.items():
        area = saved.get(prefix)
        if area is None:
            db.session.add(PostcodeArea(prefix=prefix, locality=localities[name]))
        else:
            area.locality = localities[name]


def get_locality_by_slug(slug: str) -> Locality:
    """The locality with this slug; raises NotFound."""
    locality = db.session.scalar(select(Locality).where(Locality.slug == slug))
    if locality is None:
        raise NotFound("There is no such locality")
    return locality
