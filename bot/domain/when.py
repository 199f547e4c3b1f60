"""Read the plain-English times, schedules and quiet hours that members type.

Pure functions, no I/O and no wall clock: "now" is always passed in. Every datetime passed in
must be timezone-aware and every datetime handed back is in UTC.

Local wall-clock times are interpreted in the ``ZoneInfo`` given by the caller:

* A local time that does not exist (the spring-forward gap) becomes the first instant after
  the gap: 02:30 on New York's spring-forward night becomes 03:00 EDT. This applies to
  ``parse_moment``, ``quiet_hours_end`` and ``AfterMeeting``. ``Recurrence`` keeps
  APScheduler's rule instead: its 02:30 fires at 03:30 that night.
* A local time that happens twice (fall-back) means the first one (``fold=0``), except in
  ``Recurrence``, where both occurrences are reported (deduplication happens elsewhere).
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

__all__ = [
    "AfterMeeting",
    "Recurrence",
    "WhenError",
    "in_quiet_hours",
    "parse_clock",
    "parse_duration",
    "parse_moment",
    "parse_quiet_hours",
    "parse_recurrence",
    "parse_schedule",
    "quiet_hours_end",
]


class WhenError(ValueError):
    """The user's text could not be read; the message is safe to show them as is."""


def _shown(text: str, limit: int = 60) -> str:
    """What the person typed, as quoted back to them: stripped, and shortened if long."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Invalid(Exception):
    """Internal: a reason (plain English, no full stop) why a fragment is invalid."""


# --------------------------------------------------------------------------- vocabulary

_WEEKDAYS = MappingProxyType(
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
_CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = MappingProxyType(
    {
        **{name.lower(): i for i, name in enumerate(calendar.month_name) if name},
        **{name.lower(): i for i, name in enumerate(calendar.month_abbr) if name},
        "sept": 9,
    }
)
_MONTH_NAMES = tuple(calendar.month_name)

# A clock time as it may appear inside a longer phrase: it must have minutes or am/pm, so
# that bare numbers such as "15" (a day) or "2027" (a year) are never mistaken for a time.
_CLOCK = r"(?:\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?|noon|midnight)"

_DURATION_UNITS = MappingProxyType(
    {
        "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
        "d": "days", "day": "days", "days": "days",
        "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
        "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes",
        "minutes": "minutes",
    }
)  # fmt: skip
_DURATION_PART = r"(\d+)\s*([a-z]+)"
_DURATION = rf"{_DURATION_PART}(?:\s*(?:,|and)?\s*{_DURATION_PART})*"

_DURATION_EXAMPLE = "Try '3 days', '2 weeks', '36 hours' or '90 minutes'."
_CLOCK_EXAMPLE = "Try '09:30', '9:30am' or '2pm'."
_MOMENT_EXAMPLE = "Try 'tomorrow 10:00', 'friday 3pm', '15 Dec' or 'in 2 days'."
_RECURRENCE_EXAMPLE = (
    "Try 'every monday 09:30', 'every weekday at 08:45' or 'every month on the 1st 10:00'."
)
_SCHEDULE_EXAMPLE = "Try 'every monday 09:30' or '2 days after each meeting at 10:00'."


# --------------------------------------------------------------------------- small helpers


def _normalise(text: str) -> str:
    """Lower-case, trim, collapse whitespace and drop trailing full stops."""
    return " ".join(text.lower().split()).rstrip(".!").strip()


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _to_utc(wall: datetime, tz: ZoneInfo, fold: int = 0) -> datetime:
    """UTC instant of naive local ``wall`` in ``tz``; gap -> first instant after the gap."""
    utc = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == wall:
        return utc
    # ``wall`` falls in a spring-forward gap. Offsets before/after the transition bracket it:
    # fold=1 reads the wall with the later offset (an instant before the gap), fold=0 with the
    # earlier one (an instant after it). Bisect for the transition itself.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(seconds=1):
        mid = lo + timedelta(seconds=(hi - lo).total_seconds() // 2)
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def _clock(token: str) -> time:
    """Parse a normalised clock token or raise ``_Invalid`` with the reason."""
    token = token.replace(" ", "").replace(".m", "m").rstrip(".")
    if token == "noon":
        return time(12, 0)
    if token == "midnight":
        return time(0, 0)
    m = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?(am|pm|a|p)?", token)
    if not m or (m.group(2) is None and m.group(3) is None):
        raise _Invalid("it needs minutes or am/pm")
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if minute > 59:
        raise _Invalid("minutes only go up to 59")
    if half:
        if not 1 <= hour <= 12:
            raise _Invalid("with am or pm the hour must be from 1 to 12")
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    elif hour > 23:
        raise _Invalid("hours only go up to 23")
    return time(hour, minute)


def _clock_in(original: str, token: str) -> time:
    """Parse a clock embedded in a longer phrase, blaming the whole phrase on failure."""
    try:
        return _clock(token)
    except _Invalid as exc:
        raise WhenError(
            f"I couldn't read the time in '{original}': {exc}. {_CLOCK_EXAMPLE}"
        ) from None


def _duration_parts(text: str) -> tuple[int, int] | None:
    """Split a normalised duration into (calendar days, exact seconds), or None if unreadable."""
    if not re.fullmatch(_DURATION, text):
        return None
    days = seconds = 0
    for number, word in re.findall(_DURATION_PART, text):
        unit = _DURATION_UNITS.get(word)
        if unit is None:
            return None
        n = int(number)
        if unit == "weeks":
            days += 7 * n
        elif unit == "days":
            days += n
        elif unit == "hours":
            seconds += 3600 * n
        else:
            seconds += 60 * n
    return days, seconds


# --------------------------------------------------------------------------- durations, clocks


def parse_duration(text: str) -> timedelta:
    """Read a positive length of time such as "3 days", "36 hours", "2w" or "1 day 3 hours"."""
    original = _shown(text)
    s = re.sub(r"^an?\s+", "1 ", _normalise(text))
    if s.startswith("-"):
        raise WhenError(f"'{original}' is negative: please give a length of time like '3 days'.")
    parts = _duration_parts(s)
    if parts is None:
        raise WhenError(f"I couldn't read '{original}' as a length of time. {_DURATION_EXAMPLE}")
    days, seconds = parts
    if days == 0 and seconds == 0:
        raise WhenError(f"'{original}' is zero: please give a length of time like '3 days'.")
    try:
        return timedelta(days=days, seconds=seconds)
    except OverflowError:
        raise WhenError(f"'{original}' is too long. {_DURATION_EXAMPLE}") from None


def parse_clock(text: str) -> time:
    """Read a wall-clock time such as "09:30", "9am", "2:30pm", "14:00", "noon"."""
    original = _shown(text)
    try:
        return _clock(_normalise(text))
    except _Invalid as exc:
        raise WhenError(
            f"I couldn't read '{original}' as a time: {exc}. {_CLOCK_EXAMPLE}"
        ) from None


# --------------------------------------------------------------------------- quiet hours


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """Read a daily window such as "20:00-08:00" or "22:00 to 06:00" as (start, end)."""
    original = _shown(text)
    s = re.sub(r"^from\s+", "", _normalise(text))
    m = re.fullmatch(r"(.+?)\s*[-–—]\s*(.+)", s) or re.fullmatch(
        r"(.+?)\s+(?:to|until|till)\s+(.+)", s
    )
    if not m:
        raise WhenError(
            f"I couldn't read '{original}' as quiet hours. Try '20:00-08:00' or '22:00 to 06:00'."
        )
    start, end = _clock_in(original, m.group(1)), _clock_in(original, m.group(2))
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
    _require_aware(at, "at")
    at_utc = at.astimezone(UTC)
    local = at_utc.astimezone(tz)
    if not in_quiet_hours(local, start, end):
        return at_utc
    for offset in range(3):
        day = local.date() + timedelta(days=offset)
        for fold in (0, 1):
            candidate = _to_utc(datetime.combine(day, end), tz, fold)
            if candidate > at_utc:
                return candidate
    raise AssertionError("unreachable: a quiet window always ends within two days")


# --------------------------------------------------------------------------- recurrences


_WEEK_EPOCH = date(1970, 1, 5)  # a Monday


@functools.lru_cache(maxsize=1024)
def _cron_trigger(cron: str, tz: ZoneInfo) -> CronTrigger:
    """Triggers are read-only once built: reading the crontab again for every schedule's
    every look-up was a third of start-up time with 10,000 nudges."""
    return CronTrigger.from_crontab(cron, timezone=tz)


@dataclass(frozen=True)
class Recurrence:
    """A repeating local wall-clock schedule.

    ``cron`` is a 5-field crontab in APScheduler's dialect (weekdays by name). When
    ``interval_weeks`` is 2 the rule only fires in alternate weeks: those whose count of
    whole weeks since Monday 5 January 1970 has parity ``week_parity`` (0 = even, the
    default, 1 = odd). Counting from a fixed Monday keeps every gap exactly two weeks,
    even across years with 53 ISO weeks.
    """

    text: str
    cron: str
    interval_weeks: int = 1
    week_parity: int = 0

    def _trigger(self, tz: ZoneInfo) -> CronTrigger:
        return _cron_trigger(self.cron, tz)

    def _in_cycle(self, fire: datetime, tz: ZoneInfo) -> bool:
        if self.interval_weeks == 1:
            return True
        weeks = (fire.astimezone(tz).date() - _WEEK_EPOCH).days // 7
        return weeks % 2 == self.week_parity

    def _next(self, trigger: CronTrigger, after_utc: datetime) -> datetime | None:
        tz = trigger.timezone
        fire = self._next_weekly(trigger, after_utc)
        for _ in range(16):  # alternate weeks: a few weekly candidates at most
            if fire is None or self._in_cycle(fire, tz):
                return fire
            fire = self._next_weekly(trigger, fire)
        raise RuntimeError(f"no fortnightly occurrence found after {after_utc.isoformat()}")

    @staticmethod
    def _next_weekly(trigger: CronTrigger, after_utc: datetime) -> datetime | None:
        # Probe in UTC: adding to a local fold=1 datetime would silently reset the fold.
        probe = after_utc
        for _ in range(3):
            fire = trigger.get_next_fire_time(None, probe + timedelta(microseconds=1))
            if fire is None:
                return None
            fire = fire.astimezone(UTC)
            if fire > after_utc:
                return fire
            probe = max(probe, fire) + timedelta(minutes=1)
        raise RuntimeError(f"CronTrigger did not advance past {after_utc.isoformat()}")

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime | None:
        """The first occurrence strictly after ``after``, in UTC (None if it never fires)."""
        _require_aware(after, "after")
        return _next_after(self, after.astimezone(UTC), tz)

    def between(
        self, start: datetime, end: datetime, tz: ZoneInfo, limit: int = 1000
    ) -> list[datetime]:
        """Occurrences with start < t <= end, in UTC, ascending, at most ``limit`` of them."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        trigger, end_utc = self._trigger(tz), end.astimezone(UTC)
        found: list[datetime] = []
        current = start.astimezone(UTC)
        while len(found) < limit:
            fire = self._next(trigger, current)
            if fire is None or fire > end_utc:
                break
            found.append(fire)
            current = fire
        return found


@functools.lru_cache(maxsize=4096)
def _next_after(rule: Recurrence, after_utc: datetime, tz: ZoneInfo) -> datetime | None:
    """Schedules sharing a rule and a zone share their next time: thousands of nudges
    "every monday 09:30" looked up from the same moment cost one look-up, not thousands."""
    return rule._next(rule._trigger(tz), after_utc)


def _weekday_list(text: str) -> list[int] | None:
    names = [n for n in re.split(r"\s*(?:,|\band\b|&|\+|/)\s*", text) if n]
    days: set[int] = set()
    for name in names:
        day = _WEEKDAYS.get(name)
        if day is None and name.endswith("s"):
            day = _WEEKDAYS.get(name[:-1])
        if day is None:
            return None
        days.add(day)
    return sorted(days) or None


def _recurrence_days(original: str, what: str) -> tuple[str, str, int] | None:
    """(day-of-month, day-of-week, interval in weeks) for the part before the time."""
    if what in {"day", "single day"}:
        return "*", "*", 1
    if what in {"weekday", "weekdays", "working day", "work day"}:
        return "*", "mon-fri", 1
    m = re.fullmatch(r"month\s+(?:on\s+)?(?:the\s+)?(?:day\s+)?(\d{1,2})(?:st|nd|rd|th)?", what)
    if m:
        day = int(m.group(1))
        if not 1 <= day <= 28:
            raise WhenError(
                f"I can't repeat '{original}': not every month has a {_ordinal(day)}, so "
                "monthly days must be from 1 to 28. Try 'every month on the 28th 10:00'."
            )
        return str(day), "*", 1
    interval = 1
    m = re.fullmatch(r"(\d+|other|two)\s+weeks?\s+(?:on\s+)?(.+)", what) or re.fullmatch(
        r"(other|fortnight)\s+(?:on\s+)?(.+)", what
    )
    if m:
        count = m.group(1)
        interval = 2 if count in {"other", "two", "fortnight"} else int(count)
        what = m.group(2)
        if interval not in (1, 2):
            raise WhenError(
                f"I can't repeat '{original}': I can repeat weekly or every 2 weeks. "
                "Try 'every 2 weeks on tuesday 09:30'."
            )
    days = _weekday_list(re.sub(r"^on\s+", "", what))
    if days is None:
        return None
    return "*", ",".join(_CRON_DAYS[d] for d in days), interval


def _parse_cron(original: str, s: str, expr: str) -> Recurrence:
    fields = expr.split()
    if len(fields) != 5:
        raise WhenError(
            f"I couldn't read '{original}' as a cron rule: it needs 5 parts "
            "(minute hour day month weekday), e.g. 'cron: 30 9 * * mon'."
        )
    if re.search(r"\d", fields[4]):
        raise WhenError(
            f"I couldn't read '{original}' as a cron rule: please name the weekdays "
            "(mon, tue, ...) instead of numbering them, e.g. 'cron: 30 9 * * mon-fri'."
        )
    cron = " ".join(fields)
    try:
        trigger = CronTrigger.from_crontab(cron, timezone=UTC)
    except ValueError as exc:
        raise WhenError(
            f"I couldn't read '{original}' as a cron rule ({exc}). Try 'cron: 30 9 * * mon'."
        ) from None
    if trigger.get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=UTC)) is None:
        raise WhenError(f"The cron rule '{original}' never happens. Try 'cron: 30 9 * * mon'.")
    return Recurrence(text=f"cron: {cron}", cron=cron)


@functools.lru_cache(maxsize=4096)
def parse_recurrence(text: str) -> Recurrence:
    """Read a repeating schedule such as "every monday 09:30" or "cron: 30 9 * * mon".

    Also: "every tuesday and thursday at 2pm", "every day 09:00", "every weekday at 08:45",
    "every month on the 1st 10:00" (days 1-28), "every 2 weeks on tuesday 09:30" (also
    "every other tuesday ..."). Two-weekly rules fire in even ISO weeks unless the phrase says
    "odd weeks" (or "even weeks"). Times are local wall-clock times.
    """
    original = _shown(text)
    s = _normalise(text)
    cron = re.fullmatch(r"cron\s*:?\s*(.*)", s)
    if cron:
        return _parse_cron(original, s, cron.group(1))
    m = re.fullmatch(r"every\s+(.+)", s)
    if not m:
        raise WhenError(f"I couldn't read '{original}' as a repeating time. {_RECURRENCE_EXAMPLE}")
    body = m.group(1)
    parity: int | None = None
    qualifier = re.search(r",?\s*\(?\b(?:(?:in|on)\s+)?(odd|even)\s+(?:iso\s+)?weeks?\)?", body)
    if qualifier:
        parity = 1 if qualifier.group(1) == "odd" else 0
        body = (body[: qualifier.start()] + body[qualifier.end() :]).strip()
    timed = re.fullmatch(rf"(.+?),?\s+(?:at\s+)?({_CLOCK})", body)
    what = timed.group(1) if timed else body
    when = _recurrence_days(original, what)
    if when is None:
        raise WhenError(f"I couldn't read '{original}' as a repeating time. {_RECURRENCE_EXAMPLE}")
    if timed is None:
        raise WhenError(f"Please add a time to '{original}', e.g. 'every monday 09:30'.")
    day, day_of_week, interval = when
    if parity is not None and interval != 2:
        raise WhenError(
            f"Odd or even weeks only apply to two-weekly times, e.g. "
            f"'every 2 weeks on tuesday 09:30 odd weeks', not '{original}'."
        )
    at = _clock_in(original, timed.group(2))
    return Recurrence(
        text=s,
        cron=f"{at.minute} {at.hour} {day} * {day_of_week}",
        interval_weeks=interval,
        week_parity=parity or 0,
    )


# --------------------------------------------------------------------------- after meetings


@dataclass(frozen=True)
class AfterMeeting:
    """A follow-up ``days`` after each meeting's local date, at local time ``at``."""

    days: int
    at: time
    text: str

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError("days must be >= 0")

    def fire_time(self, meeting_start: datetime, tz: ZoneInfo) -> datetime:
        """UTC instant: the meeting's local date plus ``days``, at local time ``at``."""
        _require_aware(meeting_start, "meeting_start")
        day = meeting_start.astimezone(tz).date() + timedelta(days=self.days)
        return _to_utc(datetime.combine(day, self.at), tz)


def parse_schedule(text: str) -> Recurrence | AfterMeeting:
    """Read a recurrence (see ``parse_recurrence``) or "N days after each meeting [at TIME]".

    The time after a meeting defaults to 10:00 local.
    """
    original = _shown(text)
    s = _normalise(text)
    if s.startswith(("every", "cron")):
        return parse_recurrence(text)
    m = re.fullmatch(
        r"(?:(\d+)\s*(days?|d|weeks?|w)|(the|a)\s+(day|week))\s+after\s+"
        r"(?:each|every|the|a)\s+meeting(?:,?\s+(?:at\s+)?(.+))?",
        s,
    )
    if not m:
        raise WhenError(f"I couldn't read '{original}' as a schedule. {_SCHEDULE_EXAMPLE}")
    count = int(m.group(1)) if m.group(1) else 1
    unit = m.group(2) or m.group(4)
    days = count * 7 if unit.startswith("w") else count
    at = _clock_in(original, m.group(5)) if m.group(5) else time(10, 0)
    return AfterMeeting(days=days, at=at, text=s)


# --------------------------------------------------------------------------- one-off moments


def _make_date(original: str, year: int | None, month: int, day: int, today: date) -> date:
    """Build a date, or raise a friendly error; no year means the next such date."""

    def fail(reason: str) -> WhenError:
        return WhenError(f"I couldn't read '{original}' as a date: {reason}.")

    if not 1 <= month <= 12:
        raise fail(f"there's no month {month}")
    name = _MONTH_NAMES[month]
    if day < 1 or day > calendar.monthrange(2000, month)[1]:  # 2000 is a leap year
        raise fail(f"{name} has no {_ordinal(day)}")
    if year is not None:
        if day > calendar.monthrange(year, month)[1]:
            raise fail(f"{name} {year} has no {_ordinal(day)}")
        return date(year, month, day)
    for candidate in (today.year, today.year + 1):
        if day <= calendar.monthrange(candidate, month)[1]:
            result = date(candidate, month, day)
            if result >= today:
                return result
    example = next(y for y in range(today.year + 1, today.year + 9) if calendar.isleap(y))
    raise WhenError(
        f"I couldn't read '{original}' as a date: there's no {day} {name} in {today.year} "
        f"or {today.year + 1}. Add the year, e.g. '{day} {name[:3]} {example}'."
    )


def _calendar_date(original: str, s: str, today: date) -> date | None:
    """Parse an explicit calendar date (ISO, UK day-first or with a month name)."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    if m:
        return _make_date(original, int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?", s)
    if m:
        year = m.group(3)
        full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        return _make_date(original, full_year, int(m.group(2)), int(m.group(1)), today)
    m = re.fullmatch(
        r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)(?:,?\s+(\d{4}))?", s
    )
    if m and m.group(2) in _MONTHS:
        year = int(m.group(3)) if m.group(3) else None
        return _make_date(original, year, _MONTHS[m.group(2)], int(m.group(1)), today)
    m = re.fullmatch(r"([a-z]+)\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", s)
    if m and m.group(1) in _MONTHS:
        year = int(m.group(3)) if m.group(3) else None
        return _make_date(original, year, _MONTHS[m.group(1)], int(m.group(2)), today)
    return None


def _split_clock(s: str) -> tuple[str, str | None]:
    """Split "DATE [at] TIME" / "[at] TIME [on] DATE" into (date part, clock token or None)."""
    if re.fullmatch(_CLOCK, s):
        return "", s
    m = re.fullmatch(rf"(.+?),?\s+(?:at\s+)?({_CLOCK})", s)
    if m:
        return m.group(1), m.group(2)
    m = re.fullmatch(rf"(?:at\s+)?({_CLOCK}),?\s+(?:on\s+)?(.+)", s)
    if m:
        return m.group(2), m.group(1)
    return s, None


def _relative(original: str, s: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Handle "in 3 days", "in 4 hours", "in 2 weeks at 10:00"; None if not that form."""
    m = re.fullmatch(rf"in\s+(.+?)(?:,?\s+(?:at\s+)?({_CLOCK}))?", s)
    if not m:
        return None
    amount = re.sub(r"^an?\s+", "1 ", m.group(1))
    parts = _duration_parts(amount)
    if parts is None:
        return None
    days, seconds = parts
    if days == 0 and seconds == 0:
        raise WhenError(f"'{original}' is right now: please give a time that's still ahead.")
    if m.group(2) and seconds:
        raise WhenError(
            f"I couldn't read '{original}': use a time of day only with days or weeks, "
            "e.g. 'in 2 days at 10:00'."
        )
    if days == 0:  # pure hours/minutes: exact elapsed time
        return now.astimezone(UTC) + timedelta(seconds=seconds)
    # Days and weeks keep the wall-clock time, so "in 2 days" is the same local time then.
    wall = now.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    if m.group(2):
        wall = datetime.combine(wall.date(), _clock_in(original, m.group(2)))
    return _to_utc(wall, tz) + timedelta(seconds=seconds)


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

    Accepts dates ("2026-12-15", "15 Dec", "Dec 15 2027", "15/12/2026" day-first), days
    ("today", "tomorrow", "monday", "next monday"), each optionally with a time ("friday 3pm"),
    a time alone ("17:00": today, or tomorrow if already gone), relative times ("in 3 weeks",
    "in 4 hours") and "next meeting". A leading "by", "on", "at" or "until" is ignored.

    A date without a year is the next such date (this year or next). Date-only forms get
    ``default_time``. "monday" is the soonest Monday still ahead (possibly today); "next monday"
    is always after today. "in N days/weeks" keeps the local time of day; hours and minutes are
    exact. "yesterday" is accepted only with ``allow_past``. Unless ``allow_past``, a result at or
    before ``now`` is an error.
    """
    _require_aware(now, "now")
    original = _shown(text)
    s = _normalise(text)
    s = re.sub(r"^(?:by|on|at|until|till)\s+", "", s)
    s = re.sub(r"(\d{4}-\d{1,2}-\d{1,2})t(\d)", r"\1 \2", s)
    now_utc = now.astimezone(UTC)
    if not s:
        raise WhenError(f"Please tell me when. {_MOMENT_EXAMPLE}")
    try:
        result = _moment(original, s, now_utc, tz, next_meeting, allow_past, default_time)
    except OverflowError:
        raise WhenError(f"'{original}' is too far ahead. {_MOMENT_EXAMPLE}") from None
    if not allow_past and result <= now_utc:
        raise WhenError(f"'{original}' is in the past.")
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
        _require_aware(next_meeting, "next_meeting")
        return next_meeting.astimezone(UTC)
    if re.search(r"\b(?:last|ago|previous)\b", s) or (s.startswith("yesterday") and not allow_past):
        if allow_past:
            raise WhenError(f"I couldn't read '{original}' as a date. {_MOMENT_EXAMPLE}")
        raise WhenError(f"'{original}' is in the past. {_MOMENT_EXAMPLE}")
    relative = _relative(original, s, now_utc, tz)
    if relative is not None:
        return relative

    local_now = now_utc.astimezone(tz)
    today = local_now.date()
    date_part, clock_token = _split_clock(s)
    at = _clock_in(original, clock_token) if clock_token else default_time

    def on(day: date) -> datetime:
        return _to_utc(datetime.combine(day, at), tz)

    if date_part == "":  # a time alone: the next time the clock shows it
        return on(today) if allow_past or on(today) > now_utc else on(today + timedelta(days=1))
    offsets = {"today": 0, "tomorrow": 1, "tmrw": 1, "yesterday": -1}
    if date_part in offsets:
        return on(today + timedelta(days=offsets[date_part]))
    m = re.fullmatch(r"(?:(next|this|on)\s+)?([a-z]+)", date_part)
    if m and m.group(2) in _WEEKDAYS:
        ahead = (_WEEKDAYS[m.group(2)] - today.weekday()) % 7
        if m.group(1) == "next":
            return on(today + timedelta(days=ahead or 7))
        candidate = on(today + timedelta(days=ahead))
        return candidate if candidate > now_utc else on(today + timedelta(days=ahead + 7))
    day = _calendar_date(original, date_part, today)
    if day is None:
        raise WhenError(f"I couldn't read '{original}' as a date or time. {_MOMENT_EXAMPLE}")
    return on(day)
