"""Calendar dates as people write them: "2026-12-15", "15/12/2026", "15-12-2026", "15 Dec",
"Dec 15th, 2027", "the 15th". Without a year, a date is the next one still ahead."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date

from bot.domain.when.common import MONTH_NAMES, MONTHS, WhenError, ordinal

#: Whether a date (at the time the person means) is still ahead.
Ahead = Callable[[date], bool]
#: How many years either side of this one a date may name.
YEARS_AROUND = 5


def _fail(original: str, reason: str) -> WhenError:
    return WhenError(f"I couldn't read '{original}' as a date: {reason}.")


def _check_year(original: str, year: int, today: date) -> None:
    if abs(year - today.year) > YEARS_AROUND:
        raise WhenError(
            f"'{original}' is more than {YEARS_AROUND} years from now: please give a date "
            f"between {today.year - YEARS_AROUND} and {today.year + YEARS_AROUND}."
        )


def make_date(
    original: str, year: int | None, month: int, day: int, today: date, ahead: Ahead
) -> date:
    """Build a date, or raise a friendly error; no year means the next such date ahead."""
    if not 1 <= month <= 12:
        raise _fail(original, f"there's no month {month} (months go from 1 to 12)")
    name = MONTH_NAMES[month]
    longest = calendar.monthrange(2000, month)[1]  # 2000 is a leap year
    if day < 1:
        raise _fail(original, f"days of the month start at 1 ({name} has 1 to {longest})")
    if day > longest:
        raise _fail(original, f"{name} has no {ordinal(day)}")
    if year is not None:
        _check_year(original, year, today)
        if day > calendar.monthrange(year, month)[1]:
            raise _fail(original, f"{name} {year} has no {ordinal(day)}")
        return date(year, month, day)
    for candidate in (today.year, today.year + 1):
        if day <= calendar.monthrange(candidate, month)[1]:
            result = date(candidate, month, day)
            if result >= today and ahead(result):
                return result
    example = next(y for y in range(today.year + 1, today.year + 9) if calendar.isleap(y))
    raise WhenError(
        f"I couldn't read '{original}' as a date: there's no {day} {name} in {today.year} "
        f"or {today.year + 1}. Add the year, e.g. '{day} {name[:3]} {example}'."
    )


def day_of_month(original: str, day: int, today: date, ahead: Ahead) -> date:
    """ "the 15th": the next date with that day of the month that is still ahead."""
    if not 1 <= day <= 31:
        raise _fail(original, "days of the month go from 1 to 31")
    year, month = today.year, today.month
    for _ in range(14):
        if day <= calendar.monthrange(year, month)[1]:
            result = date(year, month, day)
            if result >= today and ahead(result):
                return result
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable: every day from 1 to 31 comes round within a year")


def _full_year(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) + (2000 if len(text) == 2 else 0)


def calendar_date(original: str, s: str, today: date, ahead: Ahead) -> date | None:
    """Parse an explicit calendar date (ISO, UK day-first, a month name or a day of the
    month), or None if ``s`` is none of these."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s, re.ASCII)
    if m:
        year, month, day = (int(g) for g in m.groups())
        return make_date(original, year, month, day, today, ahead)
    m = re.fullmatch(r"(\d{1,2})([/-])(\d{1,2})(?:\2(\d{4}|\d{2}))?", s, re.ASCII) or (
        re.fullmatch(r"(\d{1,2})(\.)(\d{1,2})\.(\d{4}|\d{2})", s, re.ASCII)
    )
    if m:
        year = _full_year(m.group(4))
        return make_date(original, year, int(m.group(3)), int(m.group(1)), today, ahead)
    m = re.fullmatch(
        r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)(?:,?\s+(\d{4}))?", s, re.ASCII
    )
    if m and m.group(2) in MONTHS:
        year = _full_year(m.group(3))
        return make_date(original, year, MONTHS[m.group(2)], int(m.group(1)), today, ahead)
    m = re.fullmatch(
        r"([a-z]+)\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", s, re.ASCII
    )
    if m and m.group(1) in MONTHS:
        year = _full_year(m.group(3))
        return make_date(original, year, MONTHS[m.group(1)], int(m.group(2)), today, ahead)
    m = re.fullmatch(r"the\s+(\d{1,2})(?:st|nd|rd|th)?|(\d{1,2})(?:st|nd|rd|th)", s, re.ASCII)
    if m:
        return day_of_month(original, int(m.group(1) or m.group(2)), today, ahead)
    return None
