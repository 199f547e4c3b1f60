"""Charts for the sponsors' report as inline SVG: labelled axes, a title, every bar's number
written on it, no script and no outside resource. Deterministic: the same figures give the
same bytes (tests compare them)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 640
_INK, _GRID, _BAR, _ALT = "#283238", "#d9dee2", "#3f7aba", "#e8983e"
_FONT = 'font-family="DejaVu Sans, Arial, sans-serif" font-size="12"'


def _nice_top(value: int) -> int:
    """A round axis maximum at or above `value` (at least 1)."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 5:
            return max(step * ((value + step - 1) // step), step)
    return value


def _ticks(top: int) -> list[int]:
    step = max(top // 5, 1)
    return list(range(0, top + 1, step))


def _svg(height: int, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" {_FONT}>'
        f"<title>{escape(title)}</title>"
        f'<text x="8" y="18" font-size="14" font-weight="bold" fill="{_INK}">{escape(title)}</text>'
    )
    return head + "".join(body) + "</svg>"


def column_chart(
    title: str, labels: Sequence[str], values: Sequence[int], *, x_axis: str, y_axis: str
) -> str:
    """Vertical bars (one per label) with a labelled, ticked y axis and a labelled x axis."""
    if len(labels) != len(values):
        raise ValueError("one label per value")
    height, left, right, top, bottom = 280, 56, 16, 36, 64
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    highest = _nice_top(max(values, default=0))
    body: list[str] = []
    for tick in _ticks(highest):
        y = top + plot_h - plot_h * tick / highest
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{_GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{_INK}">{tick}</text>'
        )
    slot = plot_w / max(len(values), 1)
    every = max(1, (len(labels) + 11) // 12)  # at most 12 labels under the axis
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * slot + slot * 0.15
        h = plot_h * value / highest
        y = top + plot_h - h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{_BAR}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
            f'fill="{_INK}">{value}</text>'
        )
        if index % every == 0:
            body.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'fill="{_INK}">{escape(label)}</text>'
            )
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" y2="{top + plot_h}" '
        f'stroke="{_INK}"/><line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" '
        f'stroke="{_INK}"/>'
        f'<text class="x-axis" x="{left + plot_w / 2:.1f}" y="{height - 14}" '
        f'text-anchor="middle" fill="{_INK}">{escape(x_axis)}</text>'
        f'<text class="y-axis" x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'fill="{_INK}" transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_axis)}</text>'
    )
    return _svg(height, title, body)


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    x_axis: str,
    y_axis: str,
    top: int | None = None,
    suffix: str = "",
    notes: Sequence[str] | None = None,
    muted: Sequence[bool] | None = None,
) -> str:
    """Horizontal bars (one row per label), a ticked x axis from 0 to `top` labelled
    `x_axis`; `notes[i]`, when given, replaces bar i's number; `muted[i]` draws bar i in the
    second colour (e.g. a figure too small to report)."""
    if len(labels) != len(values):
        raise ValueError("one label per value")
    row, left, right, head, foot = 28, 230, 170 if notes else 60, 36, 48
    height = head + row * max(len(values), 1) + foot
    plot_w = WIDTH - left - right
    highest = top or _nice_top(int(max(values, default=0)))
    base = head + row * len(values)
    body: list[str] = []
    for tick in _ticks(highest):
        x = left + plot_w * tick / highest
        body.append(
            f'<line x1="{x:.1f}" y1="{head}" x2="{x:.1f}" y2="{base}" stroke="{_GRID}"/>'
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" fill="{_INK}">'
            f"{tick}{suffix}</text>"
        )
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = head + index * row
        w = plot_w * value / highest
        note = notes[index] if notes else ""
        shown = escape(note) if note else f"{value:g}{suffix}"
        fill = _ALT if muted and muted[index] else _BAR
        body.append(
            f'<text x="{left - 8}" y="{y + row * 0.62:.1f}" text-anchor="end" fill="{_INK}">'
            f"{escape(label)}</text>"
            f'<rect x="{left}" y="{y + 5}" width="{w:.1f}" height="{row - 10}" '
            f'fill="{fill}"><title>{escape(label)}: {shown}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + row * 0.62:.1f}" fill="{_INK}">{shown}</text>'
        )
    body.append(
        f'<line x1="{left}" y1="{head}" x2="{left}" y2="{base}" stroke="{_INK}"/>'
        f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="{_INK}"/>'
        f'<text class="x-axis" x="{left + plot_w / 2:.1f}" y="{height - 10}" '
        f'text-anchor="middle" fill="{_INK}">{escape(x_axis)}</text>'
        f'<text class="y-axis" x="{left - 8}" y="{head - 4}" text-anchor="end" '
        f'fill="{_INK}" font-style="italic">{escape(y_axis)}</text>'
    )
    return _svg(height, title, body)
