"""Bar charts drawn as SVG on the server: no script, no external resource, no inline style.

A suppressed count is drawn as a dashed outline up to the threshold, the same for 0 and for 4,
so a bar's length never tells what the number hides. Each chart is an image with a title and
description for screen readers; the page also gives the same figures as a table.
"""

from __future__ import annotations

from html import escape
from typing import List, Sequence, Tuple

from bot.insights.report import FEWER, SUPPRESS_BELOW, Cell

# Narrow enough that the text stays readable when a phone scales the chart to its width.
WIDTH = 360
BAR_COLOUR = "#1d5c8f"
HIDDEN_COLOUR = "#5f6b76"
TEXT_COLOUR = "#1a1a1a"


def _scale_max(cells: Sequence[Cell]) -> int:
    top = max([cell.shown or 0 for cell in cells] + [SUPPRESS_BELOW])
    # A round top for the axis: 5, 10, 20, 50, 100, ...
    step = 5
    while step < top:
        step = step * 2 if str(step)[0] in "15" else step * 5 // 2
    return step


def column_chart(chart_id: str, title: str, points: Sequence[Tuple[str, str, Cell]]) -> str:
    """Vertical bars, one per (short label, long label, cell), e.g. one per day."""
    height, left, bottom, top_pad = 170, 28, 22, 10
    plot_h = height - bottom - top_pad
    count = max(len(points), 1)
    slot = (WIDTH - left - 8) / count
    bar_w = max(2.0, slot * 0.7)
    top = _scale_max([cell for _, _, cell in points])
    parts: List[str] = []
    for index, (_, long, cell) in enumerate(points):
        x = left + index * slot + (slot - bar_w) / 2
        value = cell.shown if cell.shown is not None else SUPPRESS_BELOW
        h = plot_h * value / top
        y = top_pad + plot_h - h
        shown = cell.text
        tip = f"<title>{escape(long)}: {escape(shown)}</title>"
        if cell.shown is None:
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="none" stroke="{HIDDEN_COLOUR}" stroke-dasharray="3 2">{tip}</rect>'
            )
        else:
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{BAR_COLOUR}">{tip}</rect>'
            )
    labels = _x_labels(points, left, slot, height)
    axis = (
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{WIDTH - 4}" y2="{top_pad + plot_h}" '
        f'stroke="{TEXT_COLOUR}"/>'
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" font-size="11" '
        f'fill="{TEXT_COLOUR}">{top}</text>'
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end" font-size="11" '
        f'fill="{TEXT_COLOUR}">0</text>'
    )
    hidden = sum(1 for _, _, cell in points if cell.shown is None)
    desc = f"{len(points)} bars; {hidden} show {FEWER} (dashed outline)."
    return _svg(chart_id, title, desc, height, axis + "".join(parts) + labels)


def _x_labels(
    points: Sequence[Tuple[str, str, Cell]], left: float, slot: float, height: int
) -> str:
    if not points:
        return ""
    # At most about four labels, evenly spaced, always the first and the last.
    every = max(1, -(-len(points) // 4))
    chosen = sorted(set(list(range(0, len(points), every)) + [len(points) - 1]))
    if len(chosen) > 1 and chosen[-1] - chosen[-2] < every:
        chosen.pop(-2)
    last = len(points) - 1

    def anchor(i: int) -> str:
        # The first and last labels line up with the plot's edges, so neither is cut off.
        return "start" if i == 0 and last else "end" if i == last and last else "middle"

    def x(i: int) -> float:
        centre = left + i * slot + slot / 2
        return (
            left + i * slot
            if anchor(i) == "start"
            else left + (i + 1) * slot
            if anchor(i) == "end"
            else centre
        )

    return "".join(
        f'<text x="{x(i):.1f}" y="{height - 6}" text-anchor="{anchor(i)}" '
        f'font-size="11" fill="{TEXT_COLOUR}">{escape(points[i][0])}</text>'
        for i in chosen
    )


def bar_chart(chart_id: str, title: str, rows: Sequence[Tuple[str, Cell]]) -> str:
    """Horizontal bars, each under its label with its count beside it, e.g. turns by kind."""
    row_h, value_w = 38, 84
    height = row_h * max(len(rows), 1) + 4
    plot_w = WIDTH - value_w
    top = _scale_max([cell for _, cell in rows])
    parts: List[str] = []
    for index, (label, cell) in enumerate(rows):
        y = 2 + index * row_h
        value = cell.shown if cell.shown is not None else SUPPRESS_BELOW
        w = max(1.0, plot_w * value / top)
        tip = f"<title>{escape(label)}: {escape(cell.text)}</title>"
        parts.append(
            f'<text x="0" y="{y + 12}" font-size="12" fill="{TEXT_COLOUR}">{escape(label)}</text>'
        )
        if cell.shown is None:
            parts.append(
                f'<rect x="0.5" y="{y + 17}" width="{w:.1f}" height="14" fill="none" '
                f'stroke="{HIDDEN_COLOUR}" stroke-dasharray="3 2">{tip}</rect>'
            )
        else:
            parts.append(
                f'<rect x="0" y="{y + 17}" width="{w:.1f}" height="14" '
                f'fill="{BAR_COLOUR}">{tip}</rect>'
            )
        parts.append(
            f'<text x="{w + 5:.1f}" y="{y + 28}" font-size="11" '
            f'fill="{TEXT_COLOUR}">{escape(cell.text)}</text>'
        )
    desc = "; ".join(f"{label}: {cell.text}" for label, cell in rows)
    return _svg(chart_id, title, desc, height, "".join(parts))


def _svg(chart_id: str, title: str, desc: str, height: int, body: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{body}</svg>'
    )
