"""A small PNG bar chart of weekly participation (Pillow; no I/O beyond bytes)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 480, 220
_MARGIN, _BOTTOM, _TOP = 16, 34, 28
_BAR = (63, 122, 186)
_INK = (40, 40, 40)


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
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
