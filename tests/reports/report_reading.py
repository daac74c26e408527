"""Read an oversight report back as figures, from its page, its CSV and its PDF, so that tests
can check that every figure agrees with every other."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser

from pypdf import PdfReader


@dataclass
class PageTable:
    """One table of the page: caption (without its source note), header and body rows."""

    caption: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def column(self, name: str) -> list[str]:
        """The cells of the column headed ``name``, top to bottom."""
        index = self.header.index(name)
        return [row[index] for row in self.rows]

    def row(self, *names: str) -> dict[str, str]:
        """The row whose first cells are ``names``, by column header."""
        found = [row for row in self.rows if tuple(row[: len(names)]) == names]
        assert len(found) == 1, (names, self.caption)
        return dict(zip(self.header, found[0], strict=True))


class _ReportPage(HTMLParser):
    """Collects the summary list and every table of a report page."""

    def __init__(self):
        super().__init__()
        self.summary: dict[str, str] = {}
        self.tables: list[PageTable] = []
        self._text: list[str] | None = None
        self._in = ""
        self._key = ""
        self._row: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(PageTable())
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("th", "td", "dt", "dd", "caption"):
            self._text, self._in = [], tag
        elif tag == "span" and self._in == "caption":
            self._in = "caption-source"  # the source note is not part of the caption

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag == "tr" and self._row is not None:
            if self._in_head:
                self.tables[-1].header = self._row
            else:
                self.tables[-1].rows.append(self._row)
            self._row = None
        elif tag in ("th", "td") and self._row is not None:
            self._row.append(" ".join("".join(self._text).split()))
        elif tag == "dt":
            self._key = " ".join("".join(self._text).split())
        elif tag == "dd":
            self.summary[self._key] = " ".join("".join(self._text).split())
        elif tag == "caption":
            self._in = ""

    def handle_data(self, data):
        if self._in == "caption" and self.tables:
            self.tables[-1].caption += data.strip()
        elif self._text is not None and self._in != "caption-source":
            self._text.append(data)


def read_page(html: str) -> tuple[dict[str, str], dict[str, PageTable]]:
    """(summary label -> figure, caption -> table) of a report page."""
    parser = _ReportPage()
    parser.feed(html)
    return parser.summary, {table.caption: table for table in parser.tables}


def read_csv(text: str) -> dict[str, list[list[str]]]:
    """Section title -> its rows (header first; the ``source`` row is left out)."""
    sections: dict[str, list[list[str]]] = {}
    title = None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            title = None
        elif title is None:
            title = row[0]
            sections[title] = []
        elif row[0] != "source":
            sections[title].append(row)
    return sections


def read_pdf(data: bytes) -> str:
    """The PDF's text with all runs of white space made one space."""
    return " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(data)).pages)


def count(text: str) -> int | None:
    """``1,234`` -> 1234; ``*`` (hidden) -> None."""
    return None if text == "*" else int(text.replace(",", ""))
