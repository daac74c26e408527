"""``flask localities ...``: load the postcode -> locality list from a CSV file."""

from __future__ import annotations

import click

from pb_app.accounts.services import relocate_residents
from pb_app.errors import InvalidInput
from pb_app.extensions import db
from pb_app.localities import services


@click.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_command(csv_file) -> None:
    """Import localities, their population by age band and postcode areas from CSV_FILE;
    nothing is written if a row is bad."""
    try:
        parsed = services.read_locality_file(csv_file)
    except InvalidInput as error:
        raise click.ClickException(error.message) from None
    summary = services.import_locality_list(parsed)
    moved = relocate_residents()
    db.session.commit()
    click.echo(
        f"Imported {len(parsed.populations)} localities ({summary.localities_created} new, "
        f"{summary.localities_updated} with a new population, {len(parsed.bands)} with "
        f"population by age band) and {summary.postcode_areas} "
        f"postcode areas ({summary.postcode_areas_removed} old ones removed). "
        f"{moved} users moved to another locality (or to none) by the new list."
    )
