"""One-off moments a member types: "tomorrow 10:00", "friday 3pm", "15 Dec", "in 2 months",
"tonight", "next week", "the 15th", "next meeting"."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.when.common import (
    CLOCK,
    MAX_REACH,
    MOMENT_EXAMPLE,
    WEEKDAYS,
    WhenError,
    clock_in,
    duration_parts,
    normalise,
    require_aware,
    shown,
    to_utc,
    wall_of,
)
from bot.domain.when.dates import YEARS_AROUND, calendar_date

#: "tonight" without a time.
TONIGHT = time(20, 0)


def _split_clock(s: str) -> tuple[str, str | None]:
    """Split "DATE [at] TIME" / "[at] TIME [on] DATE" into (date part, clock token or None)."""
    if re.fullmatch(CLOCK, s):
        return "", s
    m = re.fullmatch(rf"(.+?),?\s+(?:at\s+)?({CLOCK})", s)
    if m:
        return m.group(1), m.group(2)
    m = re.fullmatch(rf"(?:at\s+)?({CLOCK}),?\s+(?:on\s+)?(.+)", s)
    if m:
        return m.group(2), m.group(1)
    return s, None


def add_months(wall: datetime, months: int) -> datetime:
    """The same day and time ``months`` later; a day the month lacks becomes its last day."""
    index = wall.year * 12 + wall.month - 1 + months
    year, month = divmod(index, 12)
    day = min(wall.day, calendar.monthrange(year, month + 1)[1])
    return wall.replace(year=year, month=month + 1, day=day)


def _relative(original: str, s: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Handle "in 3 days", "in 4 hours", "in a fortnight", "in 2 months at 10:00"; None if not
    that form."""
    m = re.fullmatch(rf"in\s+(.+?)(?:,?\s+(?:at\s+)?({CLOCK}))?", s)
    if not m:
        return None
    amount = re.sub(r"^an?\s+", "1 ", m.group(1))
    months = re.fullmatch(r"(\d+)\s*months?", amount, re.ASCII)
    parts = (0, 0) if months else duration_parts(amount)
    if parts is None:
        return None
    days, seconds = parts
    if days == 0 and seconds == 0 and not (months and int(months.group(1))):
        raise WhenError(f"'{original}' is right now: please give a time that's still ahead.")
    if m.group(2) and seconds:
        raise WhenError(
            f"I couldn't read '{original}': use a time of day only with days or weeks, "
            "e.g. 'in 2 days at 10:00'."
        )
    if days == 0 and not months:  # pure hours/minutes: exact elapsed time
        return now.astimezone(UTC) + timedelta(seconds=seconds)
    # Days, weeks and months keep the wall-clock time: "in 2 days" is the same local time then.
    wall = wall_of(now, tz)
    if months:
        count = int(months.group(1))
        if count > YEARS_AROUND * 12:
            raise WhenError(f"'{original}' is too far ahead. {MOMENT_EXAMPLE}")
        wall = add_months(wall, count)
    wall += timedelta(days=days)
    if m.group(2):
        wall = datetime.combine(wall.date(), clock_in(original, m.group(2)))
    return to_utc(wall, tz) + timedelta(seconds=seconds)


def parse_moment(
    text: str,
    now: datetime,
    tz: ZoneInfo,
    *,
    next_meeting: datetime | None = None,
    allow_past: bool = False,
    default_time: time = time(9, 0),
) -> datetime:
    """Read a one-off moment typed by a member, as local time in ``tz``; returns UTC.

    Accepts dates ("2026-12-15", "15 Dec", "Dec 15 2027", "15/12/2026" and "15-12-2026"
    day-first, "the 15th"), days ("today", "tonight", "tomorrow", "monday", "next monday",
    "next week", "next month"), each optionally with a time ("friday 3pm"), a time alone
    ("17:00": today, or tomorrow if already gone), relative times ("in 3 weeks", "in 4
    hours", "in a fortnight", "in 2 months") and "next meeting". A leading "by", "on", "at"
    or "until" is ignored.

    A date without a year (or "the 15th") is the next such date still ahead: "6 Mar" said on
    6 March after its time is next year's. Date-only forms get ``default_time``; "tonight" is
    20:00 (and "tonight 9:30" is 21:30). "monday" is the soonest Monday still ahead (possibly
    today); "next monday" is always after today. "next week" is next Monday, "next month" the
    1st of next month. "in N days/weeks/months" keeps the local time of day (a day the month
    lacks becomes its last day); hours and minutes are exact. "yesterday" is accepted only
    with ``allow_past``. Unless ``allow_past``, a result at or before ``now`` is an error.
    Either way the result is within ``MAX_REACH`` (five years) of ``now``.
    """
    require_aware(now, "now")
    original = shown(text)
    s = normalise(text)
    s = re.sub(r"^(?:by|on|at|until|till)\s+", "", s)
    s = re.sub(r"(\d{4}-\d{1,2}-\d{1,2})t(\d)", r"\1 \2", s)
    now_utc = now.astimezone(UTC)
    if not s:
        raise WhenError(f"Please tell me when. {MOMENT_EXAMPLE}")
    try:
        result = _moment(original, s, now_utc, tz, next_meeting, allow_past, default_time)
    except OverflowError:
        raise WhenError(f"'{original}' is too far ahead. {MOMENT_EXAMPLE}") from None
    if not allow_past and result <= now_utc:
        raise WhenError(f"'{original}' is in the past.")
    if result - now_utc > MAX_REACH:
        raise WhenError(
            f"'{original}' is more than {YEARS_AROUND} years ahead: please give a time before "
            f"{(now_utc + MAX_REACH).astimezone(tz):%d %B %Y}."
        )
    if now_utc - result > MAX_REACH:
        raise WhenError(f"'{original}' is more than {YEARS_AROUND} years ago.")
    return result


def _moment(
    original: str,
    s: str,
    now_utc: datetime,
    tz: ZoneInfo,
    next_meeting: datetime | None,
    allow_past: bool,
    default_time: time,
) -> datetime:
    if s in {"next meeting", "the next meeting"}:
        if next_meeting is None:
            raise WhenError("There's no next meeting in the calendar yet.")
        require_aware(next_meeting, "next_meeting")
        return next_meeting.astimezone(UTC)
    if re.search(r"\b(?:last|ago|previous)\b", s) or (s.startswith("yesterday") and not allow_past):
        if allow_past:
            raise WhenError(f"I couldn't read '{original}' as a date. {MOMENT_EXAMPLE}")
        raise WhenError(f"'{original}' is in the past. {MOMENT_EXAMPLE}")
    relative = _relative(original, s, now_utc, tz)
    if relative is not None:
        return relative

    today = wall_of(now_utc, tz).date()
    date_part, clock_token = _split_clock(s)
    at = clock_in(original, clock_token) if clock_token else default_time
    if date_part == "tonight":
        if clock_token is None:
            at = TONIGHT
        elif at.hour < 12 and not re.search(r"[ap]\.?m|noon|midnight", clock_token):
            at = at.replace(hour=at.hour + 12)
        date_part = "today"

    def on(day: date) -> datetime:
        return to_utc(datetime.combine(day, at), tz)

    def ahead(day: date) -> bool:
        return allow_past or on(day) > now_utc

    if date_part == "":  # a time alone: the next time the clock shows it
        return on(today) if ahead(today) else on(today + timedelta(days=1))
    offsets = {"today": 0, "tomorrow": 1, "tmrw": 1, "yesterday": -1}
    if date_part in offsets:
        return on(today + timedelta(days=offsets[date_part]))
    if date_part == "next week":
        return on(today + timedelta(days=7 - today.weekday()))
    if date_part == "next month":
        return on(add_months(datetime.combine(today.replace(day=1), at), 1).date())
    m = re.fullmatch(r"(?:(next|this|on)\s+)?([a-z]+)", date_part)
    if m and m.group(2) in WEEKDAYS:
        days_ahead = (WEEKDAYS[m.group(2)] - today.weekday()) % 7
        if m.group(1) == "next":
            return on(today + timedelta(days=days_ahead or 7))
        candidate = today + timedelta(days=days_ahead)
        return on(candidate) if on(candidate) > now_utc else on(candidate + timedelta(days=7))
    day = calendar_date(original, date_part, today, ahead)
    if day is None:
        raise WhenError(f"I couldn't read '{original}' as a date or time. {MOMENT_EXAMPLE}")
    return on(day)
