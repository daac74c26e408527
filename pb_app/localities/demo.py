"""Demo data: the five Scottish Borders localities and their postcode areas."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pb_app.localities import services

DEFAULT_LOCALITY_FILE = Path(__file__).parent / "data" / "scottish_borders.csv"


def load_demo(echo: Callable[[str], None]) -> None:
    """Import the shipped Scottish Borders locality list (``flask demo load`` checks that the
    database is empty first)."""
    with DEFAULT_LOCALITY_FILE.open(encoding="utf-8") as lines:
        parsed = services.read_locality_file(lines)
    summary = services.import_locality_list(parsed)
    echo(f"Localities: {', '.join(sorted(parsed.populations))} "
         f"({summary.postcode_areas} postcode areas).")
