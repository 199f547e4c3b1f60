"""What every part of ``when`` shares: the error, the vocabulary, clocks and the gap rule."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

#: How far from now a date a person gives may be, either way: five years and a leap day.
MAX_REACH = timedelta(days=5 * 365 + 2)


class WhenError(ValueError):
    """The user's text could not be read; the message is safe to show them as is."""


class Invalid(Exception):
    """Internal: a reason (plain English, no full stop) why a fragment is invalid."""


def shown(text: str, limit: int = 60) -> str:
    """What the person typed, as quoted back to them: stripped, and shortened if long."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- vocabulary

WEEKDAYS = MappingProxyType(
    {
        "monday": 0, "mon": 0,
        "tuesday": 1, "tue": 1, "tues": 1,
        "wednesday": 2, "wed": 2, "weds": 2,
        "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
        "friday": 4, "fri": 4,
        "saturday": 5, "sat": 5,
        "sunday": 6, "sun": 6,
    }
)  # fmt: skip
CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = MappingProxyType(
    {
        **{name.lower(): i for i, name in enumerate(calendar.month_name) if name},
        **{name.lower(): i for i, name in enumerate(calendar.month_abbr) if name},
        "sept": 9,
    }
)
MONTH_NAMES = tuple(calendar.month_name)

# A clock time as it may appear inside a longer phrase: it must have minutes or am/pm, so
# that bare numbers such as "15" (a day) or "2027" (a year) are never mistaken for a time.
CLOCK = r"(?:\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?|noon|midnight)"

DURATION_UNITS = MappingProxyType(
    {
        "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
        "fortnight": "fortnights", "fortnights": "fortnights",
        "d": "days", "day": "days", "days": "days",
        "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
        "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes",
        "minutes": "minutes",
    }
)  # fmt: skip
DAYS_PER_UNIT = MappingProxyType({"fortnights": 14, "weeks": 7, "days": 1})
SECONDS_PER_UNIT = MappingProxyType({"hours": 3600, "minutes": 60})
DURATION_PART = r"(\d+)\s*([a-z]+)"
DURATION = rf"{DURATION_PART}(?:\s*(?:,|and)?\s*{DURATION_PART})*"

DURATION_EXAMPLE = "Try '3 days', '2 weeks', '36 hours' or '90 minutes'."
CLOCK_EXAMPLE = "Try '09:30', '9:30am' or '2pm'."
MOMENT_EXAMPLE = "Try 'tomorrow 10:00', 'friday 3pm', '15 Dec' or 'in 2 days'."
RECURRENCE_EXAMPLE = (
    "Try 'every monday 09:30', 'every weekday at 08:45' or 'every month on the 1st 10:00'."
)
SCHEDULE_EXAMPLE = "Try 'every monday 09:30' or '2 days after each meeting at 10:00'."


# --------------------------------------------------------------------------- small helpers


def normalise(text: str) -> str:
    """Lower-case, trim, collapse whitespace and drop trailing full stops."""
    return " ".join(text.lower().split()).rstrip(".!").strip()


def require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def wall_of(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock time of an instant in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=None)


def to_utc(wall: datetime, tz: ZoneInfo, fold: int = 0) -> datetime:
    """UTC instant of naive local ``wall`` in ``tz``; gap -> first instant after the gap."""
    utc = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    if wall_of(utc, tz) == wall:
        return utc
    # ``wall`` falls in a spring-forward gap. Offsets before/after the transition bracket it:
    # fold=1 reads the wall with the later offset (an instant before the gap), fold=0 with the
    # earlier one (an instant after it). Bisect for the transition itself.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    while hi - lo > timedelta(seconds=1):
        mid = lo + timedelta(seconds=(hi - lo).total_seconds() // 2)
        if wall_of(mid, tz) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def clock(token: str) -> time:
    """Parse a normalised clock token or raise ``Invalid`` with the reason."""
    token = token.replace(" ", "").replace(".m", "m").rstrip(".")
    if token == "noon":
        return time(12, 0)
    if token == "midnight":
        return time(0, 0)
    m = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?(am|pm|a|p)?", token, re.ASCII)
    if not m or (m.group(2) is None and m.group(3) is None):
        raise Invalid("it needs minutes or am/pm")
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if minute > 59:
        raise Invalid("minutes only go up to 59")
    if half:
        if not 1 <= hour <= 12:
            raise Invalid("with am or pm the hour must be from 1 to 12")
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    elif hour > 23:
        raise Invalid("hours only go up to 23")
    return time(hour, minute)


def clock_in(original: str, token: str) -> time:
    """Parse a clock embedded in a longer phrase, blaming the whole phrase on failure."""
    try:
        return clock(token)
    except Invalid as exc:
        reason = f"I couldn't read the time in '{original}': {exc}."
        raise WhenError(f"{reason} {CLOCK_EXAMPLE}") from None


def duration_parts(text: str) -> tuple[int, int] | None:
    """Split a normalised duration into (calendar days, exact seconds), or None if unreadable."""
    if not re.fullmatch(DURATION, text, re.ASCII):
        return None
    days = seconds = 0
    for number, word in re.findall(DURATION_PART, text, re.ASCII):
        unit = DURATION_UNITS.get(word)
        if unit is None:
            return None
        n = int(number)
        if unit in DAYS_PER_UNIT:
            days += DAYS_PER_UNIT[unit] * n
        else:
            seconds += SECONDS_PER_UNIT[unit] * n
    return days, seconds
