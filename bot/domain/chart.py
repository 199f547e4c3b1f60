"""PNG charts for keepers (Pillow; no I/O beyond bytes).

- `participation_png`: a small bar per week (the sparkline's picture).
- `digest_chart_png`: the weekly digest's chart: contributions per week split into named
  and anonymous (stacked, with a legend and a labelled axis), how many people took part
  each week (a row of numbers under the weeks), and the digest's week by kind.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 480, 220
_MARGIN, _BOTTOM, _TOP = 16, 34, 28
_BAR = (63, 122, 186)
_ANON = (232, 152, 62)
_INK = (40, 40, 40)
_GRID = (225, 225, 225)
_PEOPLE = (46, 125, 50)
_KIND = (120, 120, 150)


def participation_png(values: Sequence[int], labels: Sequence[str], title: str = "") -> bytes:
    """A bar per week (`labels[i]` under `values[i]`), its number on top; PNG bytes."""
    if len(values) != len(labels) or not values:
        raise ValueError("one label per value, at least one value")
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    if title:
        draw.text((_MARGIN, 6), title, fill=_INK, font=font)
    top = max(max(values), 1)
    slot = (WIDTH - 2 * _MARGIN) / len(values)
    base = HEIGHT - _BOTTOM
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        left = _MARGIN + index * slot + slot * 0.15
        right = _MARGIN + (index + 1) * slot - slot * 0.15
        height = (base - _TOP - 14) * value / top
        draw.rectangle((left, base - height, right, base), fill=_BAR)
        draw.text((left, base - height - 13), str(value), fill=_INK, font=font)
        draw.text((left, base + 6), label[:8], fill=_INK, font=font)
    draw.line((_MARGIN, base, WIDTH - _MARGIN, base), fill=_INK, width=1)
    return _png(image)


@dataclass(frozen=True)
class Week:
    """One bar of the digest chart."""

    label: str  # e.g. "5 Oct" (its Monday)
    people: int  # different people who took part with their name
    named: int  # contributions with a name
    anonymous: int  # contributions shared anonymously


DIGEST_SIZE = (900, 560)


def digest_chart_png(weeks: Sequence[Week], kinds: Mapping[str, int], title: str) -> bytes:
    """The digest's chart as PNG bytes: weeks on the left (oldest first), kinds on the right."""
    if not weeks:
        raise ValueError("at least one week")
    width, height = DIGEST_SIZE
    image = Image.new("RGB", DIGEST_SIZE, "white")
    draw = ImageDraw.Draw(image)
    big, font, small = (ImageFont.load_default(size=s) for s in (20, 14, 12))
    draw.text((24, 14), title, fill=_INK, font=big)
    _weeks_panel(draw, weeks, (24, 60, 600, height - 24), font, small)
    _kinds_panel(draw, kinds, (630, 60, width - 24, height - 24), font, small)
    return _png(image)


def _weeks_panel(
    draw: ImageDraw.ImageDraw,
    weeks: Sequence[Week],
    box: tuple[int, int, int, int],
    font: ImageFont.FreeTypeFont,
    small: ImageFont.FreeTypeFont,
) -> None:
    left, top, right, bottom = box
    draw.text((left, top), "Contributions each week", fill=_INK, font=font)
    legend_y = top + 24
    for index, (colour, name) in enumerate(((_BAR, "with a name"), (_ANON, "anonymous"))):
        x = left + index * 150
        draw.rectangle((x, legend_y + 2, x + 10, legend_y + 12), fill=colour)
        draw.text((x + 16, legend_y), name, fill=_INK, font=small)
    axis_left, plot_top, base = left + 44, legend_y + 44, bottom - 64
    highest = max(max(w.named + w.anonymous for w in weeks), 1)
    step = _nice_step(highest)
    ceiling = step * -(-highest // step)
    scale = (base - plot_top) / ceiling
    for tick in range(0, ceiling + 1, step):
        y = base - tick * scale
        draw.line((axis_left, y, right, y), fill=_GRID, width=1)
        draw.text((axis_left - 8, y), str(tick), fill=_INK, font=small, anchor="rm")
    draw.text((left, plot_top - 22), "contributions", fill=_INK, font=small)
    slot = (right - axis_left) / len(weeks)
    people_y = base + 30
    draw.text((left, people_y), "people", fill=_PEOPLE, font=small, anchor="lm")
    for index, week in enumerate(weeks):
        x0 = axis_left + index * slot + slot * 0.2
        x1 = axis_left + (index + 1) * slot - slot * 0.2
        named_top = base - week.named * scale
        anon_top = named_top - week.anonymous * scale
        if week.named:
            draw.rectangle((x0, named_top, x1, base), fill=_BAR)
        if week.anonymous:
            draw.rectangle((x0, anon_top, x1, named_top), fill=_ANON)
        centre = (x0 + x1) / 2
        total = week.named + week.anonymous
        draw.text((centre, anon_top - 4), str(total), fill=_INK, font=small, anchor="mb")
        draw.text((centre, base + 6), week.label, fill=_INK, font=small, anchor="mt")
        draw.text((centre, people_y), str(week.people), fill=_PEOPLE, font=small, anchor="mm")
    draw.line((axis_left, plot_top, axis_left, base), fill=_INK, width=1)
    draw.line((axis_left, base, right, base), fill=_INK, width=1)
    draw.text(
        ((axis_left + right) / 2, bottom - 8),
        "week beginning (Monday) · people: how many took part with their name",
        fill=_INK,
        font=small,
        anchor="mb",
    )


def _kinds_panel(
    draw: ImageDraw.ImageDraw,
    kinds: Mapping[str, int],
    box: tuple[int, int, int, int],
    font: ImageFont.FreeTypeFont,
    small: ImageFont.FreeTypeFont,
) -> None:
    left, top, right, bottom = box
    draw.text((left, top), "The digest's week, by kind", fill=_INK, font=font)
    draw.text((left, top + 20), "(named and anonymous together)", fill=_INK, font=small)
    rows = sorted(((n, k) for k, n in kinds.items() if n > 0), key=lambda r: (-r[0], r[1]))
    if not rows:
        draw.text((left, top + 40), "Nothing shared this week.", fill=_INK, font=small)
        return
    rows = rows[:12]
    highest = rows[0][0]
    row_height = min(34, (bottom - top - 40) // len(rows))
    bar_left, bar_right = left, right - 30
    for index, (count, kind) in enumerate(rows):
        y = top + 44 + index * row_height
        draw.text((bar_left, y), kind, fill=_INK, font=small)
        length = (bar_right - bar_left) * count / highest
        draw.rectangle((bar_left, y + 15, bar_left + max(length, 2), y + 25), fill=_KIND)
        draw.text((bar_left + length + 6, y + 20), str(count), fill=_INK, font=small, anchor="lm")


def _nice_step(highest: int) -> int:
    """A tick step that gives about five ticks: 1, 2, 5, 10, 20, 50…"""
    step = 1
    while highest / step > 6:
        for factor in (2, 5 / 2, 2):
            step = int(step * factor)
            if highest / step <= 6:
                break
    return max(step, 1)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
