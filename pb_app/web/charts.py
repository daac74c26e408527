"""Horizontal bar charts, drawn as accessible inline SVG for pages and as ReportLab drawings
for PDFs, from the same plain data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors

BAR_COLOUR = "#1d70b8"
HIGHLIGHT_COLOUR = "#00703c"
TEXT_COLOUR = "#0b0c0c"
ROW_HEIGHT = 22  # a row of the PDF drawing, in points
# The page's SVG is drawn for the column of a 320 px screen (290 units at 14-unit text, so its
# text is 14 px on a phone; a wide screen caps its width, see .app-chart): each label sits on
# its own line above its bar, and the bars share what is left of the width after the value.
SVG_WIDTH = 290
SVG_FONT = 14
SVG_ROW = 42  # a label line and a bar
SVG_BAR = 14
SVG_VALUE_ROOM = 70


@dataclass(frozen=True)
class BarChart:
    """A titled horizontal bar chart; ``highlighted`` bars (e.g. funded) get a second colour."""

    title: str
    labels: tuple[str, ...]
    values: tuple[int, ...]
    value_text: tuple[str, ...]
    highlighted: tuple[bool, ...] = ()
    legend: str = ""

    @property
    def height(self) -> int:
        """Height in points or pixels of the drawing."""
        return ROW_HEIGHT * len(self.labels) + 10

    def is_highlighted(self, index: int) -> bool:
        """True when bar ``index`` is drawn in the highlight colour."""
        return bool(self.highlighted) and self.highlighted[index]


def bar_chart(
    title: str,
    items: Sequence[tuple[str, int]],
    shown: Callable[[int], str] = str,
    highlighted: Sequence[bool] = (),
    legend: str = "",
) -> BarChart:
    """A chart of (label, value) pairs; ``shown`` writes each value beside its bar."""
    return BarChart(
        title,
        tuple(label for label, _ in items),
        tuple(v for _, v in items),
        tuple(shown(v) for _, v in items),
        tuple(highlighted),
        legend,
    )


def _bar_length(chart: BarChart, value: int, area: float) -> float:
    top = max(chart.values, default=0)
    return 0.0 if top <= 0 else area * max(value, 0) / top


def _short(label: str, limit: int = 38) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def to_svg(chart: BarChart) -> str:
    """The chart as inline SVG with a title and a text alternative for screen readers: each
    label above its bar, the value after the bar, readable on a 320 px screen."""
    height = SVG_ROW * len(chart.labels) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" width="100%" '
        f'viewBox="0 0 {SVG_WIDTH} {height}" aria-label="{escape(chart.title)}" '
        f'font-family="Arial, Helvetica, sans-serif">'
        f"<title>{escape(chart.title)}</title>"
    ]
    for index, (label, value, text) in enumerate(
        zip(chart.labels, chart.values, chart.value_text, strict=True)
    ):
        top = index * SVG_ROW
        colour = HIGHLIGHT_COLOUR if chart.is_highlighted(index) else BAR_COLOUR
        length = _bar_length(chart, value, SVG_WIDTH - SVG_VALUE_ROOM)
        parts.append(
            f'<text x="0" y="{top + SVG_FONT}" font-size="{SVG_FONT}" '
            f'fill="{TEXT_COLOUR}">{escape(_short(label, 34))}</text>'
            f'<rect x="0" y="{top + 20}" width="{length:.1f}" height="{SVG_BAR}" '
            f'fill="{colour}"/>'
            f'<text x="{length + 6:.1f}" y="{top + 20 + SVG_FONT - 2}" font-size="{SVG_FONT}" '
            f'fill="{TEXT_COLOUR}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_drawing(chart: BarChart, width: float = 480) -> Drawing:
    """The chart as a ReportLab drawing for a PDF page ``width`` points wide."""
    label_width, area = width * 0.42, width * 0.42
    drawing = Drawing(width, chart.height)
    top = max(chart.values, default=0)
    for index, (label, value, text) in enumerate(
        zip(chart.labels, chart.values, chart.value_text, strict=True)
    ):
        y = chart.height - (index + 1) * ROW_HEIGHT
        length = 0.0 if top <= 0 else area * max(value, 0) / top
        colour = HIGHLIGHT_COLOUR if chart.is_highlighted(index) else BAR_COLOUR
        drawing.add(
            String(
                label_width - 4,
                y + 5,
                _short(label, 44),
                fontSize=7,
                textAnchor="end",
                fillColor=colors.HexColor(TEXT_COLOUR),
            )
        )
        drawing.add(
            Rect(
                label_width,
                y + 2,
                length,
                ROW_HEIGHT - 8,
                strokeWidth=0,
                fillColor=colors.HexColor(colour),
            )
        )
        drawing.add(
            String(
                label_width + length + 4,
                y + 5,
                text,
                fontSize=7,
                fillColor=colors.HexColor(TEXT_COLOUR),
            )
        )
    return drawing
