"""Lengths of time, times of day and quiet hours."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.when.common import (
    CLOCK_EXAMPLE,
    DURATION_EXAMPLE,
    Invalid,
    WhenError,
    clock,
    clock_in,
    duration_parts,
    normalise,
    require_aware,
    shown,
    to_utc,
)


def parse_duration(text: str) -> timedelta:
    """Read a positive length of time such as "3 days", "36 hours", "2w", "a fortnight" or
    "1 day 3 hours"."""
    original = shown(text)
    s = re.sub(r"^an?\s+", "1 ", normalise(text))
    if s.startswith("-"):
        raise WhenError(f"'{original}' is negative: please give a length of time like '3 days'.")
    parts = duration_parts(s)
    if parts is None:
        raise WhenError(f"I couldn't read '{original}' as a length of time. {DURATION_EXAMPLE}")
    days, seconds = parts
    if days == 0 and seconds == 0:
        raise WhenError(f"'{original}' is zero: please give a length of time like '3 days'.")
    try:
        return timedelta(days=days, seconds=seconds)
    except OverflowError:
        raise WhenError(f"'{original}' is too long. {DURATION_EXAMPLE}") from None


def parse_clock(text: str) -> time:
    """Read a wall-clock time such as "09:30", "9am", "2:30pm", "14:00", "noon"."""
    original = shown(text)
    try:
        return clock(normalise(text))
    except Invalid as exc:
        raise WhenError(f"I couldn't read '{original}' as a time: {exc}. {CLOCK_EXAMPLE}") from None


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """Read a daily window such as "20:00-08:00" or "22:00 to 06:00" as (start, end)."""
    original = shown(text)
    s = re.sub(r"^from\s+", "", normalise(text))
    m = re.fullmatch(r"(.+?)\s*[-–—]\s*(.+)", s) or re.fullmatch(
        r"(.+?)\s+(?:to|until|till)\s+(.+)", s
    )
    if not m:
        raise WhenError(
            f"I couldn't read '{original}' as quiet hours. Try '20:00-08:00' or '22:00 to 06:00'."
        )
    start, end = clock_in(original, m.group(1)), clock_in(original, m.group(2))
    if start == end:
        raise WhenError(
            f"Quiet hours '{original}' start and end at the same time. Try '20:00-08:00'."
        )
    return start, end


def in_quiet_hours(local: datetime, start: time, end: time) -> bool:
    """Whether the wall-clock time of ``local`` is in [start, end); the window may wrap midnight.

    An empty window (start == end) contains nothing.
    """
    now = local.time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def quiet_hours_end(at: datetime, tz: ZoneInfo, start: time, end: time) -> datetime:
    """When ``at`` is inside the quiet window (local time in ``tz``), the UTC instant it ends.

    Outside the window ``at`` is returned unchanged (in UTC). The end is the next local ``end``
    time; if that doesn't exist (spring-forward) it is the first instant after the gap, and on a
    fall-back night the wall clock may re-enter the window, which is honoured.
    """
    require_aware(at, "at")
    at_utc = at.astimezone(UTC)
    local = at_utc.astimezone(tz)
    if not in_quiet_hours(local, start, end):
        return at_utc
    for offset in range(3):
        day = local.date() + timedelta(days=offset)
        for fold in (0, 1):
            candidate = to_utc(datetime.combine(day, end), tz, fold)
            if candidate > at_utc:
                return candidate
    raise AssertionError("unreachable: a quiet window always ends within two days")
