"""A batch's sheets in a CSV file: ``sheet,projects`` with that header, one row a sheet.

The file is read in full, then every row is keyed at once by ``services.key_sheets``, so a
file with any bad row writes nothing, and the refusal names every bad row by its line.
"""

from __future__ import annotations

import csv
import io

from pb_app.accounts.models import User
from pb_app.errors import InvalidInput
from pb_app.paper.services import SheetsRefused, key_sheets
from pb_app.rounds.models import Round
from pb_app.voting.models import PaperBatch

HEADER = ["sheet", "projects"]
MAX_FILE_BYTES = 2_000_000  # 100,000 sheets of a dozen projects each


class FileRefused(InvalidInput):
    """A file that cannot be keyed; ``problems`` names every line at fault, in order."""

    def __init__(self, problems: list[str]):
        super().__init__(f"The file was not keyed, and nothing was saved: {len(problems)} "
                         f"{'problem' if len(problems) == 1 else 'problems'}.")
        self.problems = problems


def key_sheets_file(round_: Round, batch: PaperBatch, actor: User, number: int,
                    data: bytes) -> int:
    """Key a whole batch from a CSV file into ``actor``'s keying ``number``; returns how many
    sheets. Raises FileRefused naming every line at fault (nothing written), and otherwise
    as ``key_sheets``."""
    entries, lines = read_sheets_file(data)
    try:
        key_sheets(round_, batch, actor, number, entries, whole_batch=True)
    except SheetsRefused as refused:
        raise _refusal_by_line(refused, lines) from None
    return len(entries)


def read_sheets_file(data: bytes) -> tuple[list[tuple[int | None, str]], list[int]]:
    """The (sheet number, projects) rows of a CSV file and the line each starts on.

    A sheet number that is not a whole number is given as None, for ``key_sheets`` to name.
    Raises FileRefused for a file too large, not UTF-8 text, without the header, or with a
    row of the wrong width (every such row named).
    """
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused([f"The file is larger than {MAX_FILE_BYTES // 1_000_000} MB."])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(["The file is not text in UTF-8: save it as CSV UTF-8."]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    if [cell.strip().lower() for cell in header] != HEADER:
        raise FileRefused(["Line 1: the first line must be the header sheet,projects."])
    entries, lines, problems = [], [], []
    line = reader.line_num + 1
    for row in reader:
        if any(cell.strip() for cell in row):
            if len(row) != len(HEADER):
                problems.append(f"Line {line}: give two columns, sheet and projects.")
            else:
                entries.append((_sheet_number(row[0]), row[1]))
                lines.append(line)
        line = reader.line_num + 1
    if problems:
        raise FileRefused(problems)
    return entries, lines


def _refusal_by_line(refused: SheetsRefused, lines: list[int]) -> FileRefused:
    """The sheets ``key_sheets`` refused, each named by its line in the file."""
    return FileRefused([reason if position is None else f"Line {lines[position]}: {reason}"
                        for position, reason in refused.problems])


def _sheet_number(cell: str) -> int | None:
    cell = cell.strip()
    return int(cell) if cell.isascii() and cell.isdigit() and len(cell) <= 6 else None
