"""Repeating schedules as people type them: "every monday 09:30", "the first tuesday of the
month at 10:00", "every 3 weeks on friday 2pm", "cron: 30 9 * * mon", "2 days after each
meeting"."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time

from bot.domain.when.common import (
    CLOCK,
    CRON_DAYS,
    RECURRENCE_EXAMPLE,
    SCHEDULE_EXAMPLE,
    WEEKDAYS,
    WhenError,
    clock_in,
    normalise,
    ordinal,
    shown,
)
from bot.domain.when.recurrence import AfterMeeting, Recurrence, wall_trigger

#: The longest gap "every N weeks" may have.
MAX_WEEKS = 12
_NTH = {
    "first": "1st", "1st": "1st", "second": "2nd", "2nd": "2nd", "third": "3rd", "3rd": "3rd",
    "fourth": "4th", "4th": "4th", "last": "last",
}  # fmt: skip
_NTH_WORDS = "|".join(_NTH)
_MONTHLY_NTH = rf"(?:the\s+)?({_NTH_WORDS})\s+([a-z]+?)s?\s+(?:of|in)\s+(?:the|each|every)\s+month"


def looks_like_recurrence(text: str) -> bool:
    """Whether a phrase is meant as a repeating time rather than a one-off moment."""
    s = normalise(text)
    return s.startswith(("every", "cron")) or re.match(_MONTHLY_NTH, s) is not None


def _weekday_list(text: str) -> list[int] | None:
    names = [n for n in re.split(r"\s*(?:,|\band\b|&|\+|/)\s*", text) if n]
    days: set[int] = set()
    for name in names:
        day = WEEKDAYS.get(name)
        if day is None and name.endswith("s"):
            day = WEEKDAYS.get(name[:-1])
        if day is None:
            return None
        days.add(day)
    return sorted(days) or None


def _nth_weekday(nth: str, name: str) -> tuple[str, str, int] | None:
    day = WEEKDAYS.get(name)
    if day is None:
        return None
    return f"{_NTH[nth]}_{CRON_DAYS[day]}", "*", 1


def _monthly(original: str, what: str) -> tuple[str, str, int] | None:
    """(day-of-month, day-of-week, 1) for the monthly forms, None if not one."""
    if re.fullmatch(r"month\s+(?:on\s+)?(?:the\s+)?last\s+day(?:\s+of\s+the\s+month)?", what):
        return "last", "*", 1
    m = re.fullmatch(rf"month\s+(?:on\s+)?(?:the\s+)?({_NTH_WORDS})\s+([a-z]+)", what)
    if m is None:
        m = re.fullmatch(_MONTHLY_NTH, what)
    if m:
        return _nth_weekday(m.group(1), m.group(2))
    m = re.fullmatch(
        r"month\s+(?:on\s+)?(?:the\s+)?(?:day\s+)?(\d{1,2})(?:st|nd|rd|th)?", what, re.ASCII
    )
    if m:
        day = int(m.group(1))
        if not 1 <= day <= 28:
            raise WhenError(
                f"I can't repeat '{original}': not every month has a {ordinal(day)}, so "
                "monthly days must be from 1 to 28 (or 'the last day'). "
                "Try 'every month on the 28th 10:00'."
            )
        return str(day), "*", 1
    return None


def _recurrence_days(original: str, what: str) -> tuple[str, str, int] | None:
    """(day-of-month, day-of-week, interval in weeks) for the part before the time."""
    if what in {"day", "single day"}:
        return "*", "*", 1
    if what in {"weekday", "weekdays", "working day", "work day"}:
        return "*", "mon-fri", 1
    monthly = _monthly(original, what)
    if monthly is not None:
        return monthly
    interval = 1
    m = re.fullmatch(
        r"(?:(\d+|other|two|three|four)\s+)?weeks?(?:\s+(?:on\s+)?(.+))?", what, re.ASCII
    ) or re.fullmatch(r"(other|fortnight)(?:\s+(?:on\s+)?(.+))?", what)
    if m:
        count = m.group(1) or "1"
        words = {"other": 2, "two": 2, "fortnight": 2, "three": 3, "four": 4}
        interval = words[count] if count in words else int(count)
        if not 1 <= interval <= MAX_WEEKS:
            raise WhenError(
                f"I can't repeat '{original}': I can repeat every 1 to {MAX_WEEKS} weeks. "
                "Try 'every 2 weeks on tuesday 09:30'."
            )
        if m.group(2) is None:
            raise WhenError(
                f"Please say which day in '{original}', e.g. 'every {interval} weeks on "
                "tuesday 09:30'."
            )
        what = m.group(2)
    days = _weekday_list(re.sub(r"^on\s+", "", what))
    if days is None:
        return None
    return "*", ",".join(CRON_DAYS[d] for d in days), interval


def _parse_cron(original: str, expr: str) -> Recurrence:
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
        trigger = wall_trigger(cron)
        fires = trigger.get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=UTC))
    except (ValueError, TypeError) as exc:
        raise WhenError(
            f"I couldn't read '{original}' as a cron rule ({exc}). Try 'cron: 30 9 * * mon'."
        ) from None
    if fires is None:
        raise WhenError(f"The cron rule '{original}' never happens. Try 'cron: 30 9 * * mon'.")
    return Recurrence(text=f"cron: {cron}", cron=cron)


def _take(pattern: str, body: str) -> tuple[re.Match[str] | None, str]:
    """Find ``pattern`` in ``body`` and return the match and the body without it."""
    found = re.search(pattern, body)
    if found is None:
        return None, body
    return found, " ".join((body[: found.start()] + " " + body[found.end() :]).split())


@functools.lru_cache(maxsize=4096)
def parse_recurrence(text: str) -> Recurrence:
    """Read a repeating schedule such as "every monday 09:30" or "cron: 30 9 * * mon".

    Also: "every tuesday and thursday at 2pm", "every day 09:00", "every weekday at 08:45",
    "every month on the 1st 10:00" (days 1-28, or "the last day"), "every month on the last
    friday 10:00", "the first tuesday of the month at 10:00", "every 2 weeks on tuesday
    09:30" (also "every other tuesday ...", "every fortnight on ..."), "every 3 weeks on
    monday 9am" (up to 12). Two-weekly rules fire in even ISO weeks unless the phrase says
    "odd weeks" (or "even weeks"); "starting 2026-12-07" anchors a rule every N weeks on that
    date's week instead (and nothing fires before it). Times are local wall-clock times.
    """
    original = shown(text)
    s = normalise(text)
    cron = re.fullmatch(r"cron\s*:?\s*(.*)", s)
    if cron:
        return _parse_cron(original, cron.group(1))
    m = re.fullmatch(r"every\s+(.+)", s)
    if m:
        body = m.group(1)
    elif re.match(_MONTHLY_NTH, s):
        body = s
    else:
        raise WhenError(f"I couldn't read '{original}' as a repeating time. {RECURRENCE_EXAMPLE}")
    qualifier, body = _take(r",?\s*\(?\b(?:(?:in|on)\s+)?(odd|even)\s+(?:iso\s+)?weeks?\)?", body)
    anchor, body = _take(r",?\s*\b(?:starting|from)\s+(?:on\s+)?(\d{4}-\d{2}-\d{2})\b", body)
    timed = re.fullmatch(rf"(.+?),?\s+(?:at\s+)?({CLOCK})", body)
    what = timed.group(1) if timed else body
    when = _recurrence_days(original, what)
    if when is None:
        raise WhenError(f"I couldn't read '{original}' as a repeating time. {RECURRENCE_EXAMPLE}")
    if timed is None:
        raise WhenError(f"Please add a time to '{original}', e.g. 'every monday 09:30'.")
    day, day_of_week, interval = when
    if qualifier is not None and interval != 2:
        raise WhenError(
            f"Odd or even weeks only apply to two-weekly times, e.g. "
            f"'every 2 weeks on tuesday 09:30 odd weeks', not '{original}'."
        )
    start = None
    if anchor is not None:
        try:
            start = date.fromisoformat(anchor.group(1))
        except ValueError:
            raise WhenError(
                f"I couldn't read the start date in '{original}'. Try 'starting 2026-12-07'."
            ) from None
    at: time = clock_in(original, timed.group(2))
    return Recurrence(
        text=s,
        cron=f"{at.minute} {at.hour} {day} * {day_of_week}",
        interval_weeks=interval,
        week_parity=1 if qualifier is not None and qualifier.group(1) == "odd" else 0,
        start=start,
    )


def parse_schedule(text: str) -> Recurrence | AfterMeeting:
    """Read a recurrence (see ``parse_recurrence``) or "N days after each meeting [at TIME]".

    The time after a meeting defaults to 10:00 local.
    """
    original = shown(text)
    s = normalise(text)
    if looks_like_recurrence(s):
        return parse_recurrence(text)
    m = re.fullmatch(
        r"(?:(\d+)\s*(days?|d|weeks?|w)|(the|a)\s+(day|week))\s+after\s+"
        r"(?:each|every|the|a)\s+meeting(?:,?\s+(?:at\s+)?(.+))?",
        s,
        re.ASCII,
    )
    if not m:
        raise WhenError(f"I couldn't read '{original}' as a schedule. {SCHEDULE_EXAMPLE}")
    count = int(m.group(1)) if m.group(1) else 1
    unit = m.group(2) or m.group(4)
    days = count * 7 if unit.startswith("w") else count
    if days > 366:
        raise WhenError(f"'{original}' is more than a year after the meeting. {SCHEDULE_EXAMPLE}")
    at = clock_in(original, m.group(5)) if m.group(5) else time(10, 0)
    return AfterMeeting(days=days, at=at, text=s)
