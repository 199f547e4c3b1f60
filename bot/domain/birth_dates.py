"""Dates of birth in free text (pure: no I/O, no clock: "today" is given).

A whole date (day, month, year) counts as a date of birth when a birth word is next to it
("DOB", "born", "birthday"), or when it is written straight after a person ("Mr Jones 12/03/48",
"a gentleman, 06.06.1936,") and is at least BARE_BIRTH_DATE_YEARS old. A date after an event
word ("founded on", "since", "admitted on") is an event, not a birthday.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from bot.domain.person_context import person_near, words

#: A date with no birth word near it counts only when at least this old (and beside a person).
BARE_BIRTH_DATE_YEARS = 10
#: The earliest year taken as anyone's birth.
EARLIEST_BIRTH_YEAR = 1890

_MONTH_NAMES = (
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("may",),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "sept", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
)
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(\d{4}|'?\d{2})"
_NUMERIC = re.compile(
    r"(?<![\d/.-])(\d{1,2}) ?([/.-]) ?(\d{1,2}) ?\2 ?(\d{4}|\d{2})(?![\d]|[/.-]\d)"
)
_ISO = re.compile(r"(?<![\d/.-])(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?![\d]|[/.-]\d)")
_COMPACT = re.compile(r"(?<![\d/.-])(\d{8})(?![\d]|[/.-]\d)")
_DAY_MONTH = re.compile(
    r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?[\s/-]+"
    + _MONTH
    + r",?[\s/-]+"
    + _YEAR
    + r"(?!\d)",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+" + _YEAR + r"(?!\d)", re.IGNORECASE
)
_BIRTH_BEFORE = re.compile(
    r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s?date\b|\bbirthday\b|\bborn\b"
    r"|\bbday\b|(?<![\w.])b\.?\s*\(?$)",
    re.IGNORECASE,
)
_BIRTH_AFTER = re.compile(r"^\W{0,3}(?:\(?\s*d\.?o\.?b\b|birthday\b|born\b)", re.IGNORECASE)
#: Words that make the date an event's: "founded on 5 July 1948", "since 01/04/2013".
_EVENT = re.compile(
    r"\b(?:on|since|from|until|till|to|by|dated|due|before|after|between|in|of|at|during"
    r"|seen|admitted|discharged|visited|referred|reviewed|started|opened|founded|established"
    r"|launched|published|built|died|passed|closed|began|ended|deadline|expires?|expiry|and|or"
    r"|til|starting|week|w/c|until|held|meeting|appointment|appt)\W*$",
    re.IGNORECASE,
)
#: How far before a date (in characters) a birth word counts as "near".
_BIRTH_WORD_REACH = 30
#: How many words before a bare date may show the person it belongs to.
_PERSON_WORDS_BEFORE = 4


def _year(text: str, today: date | None) -> int:
    """A two-digit year is the latest past year ending so: '48' is 1948, '05' is 2005."""
    digits = text.lstrip("'")
    year = int(digits)
    if len(digits) == 4:
        return year
    pivot = (today.year if today else 2030) % 100
    return 2000 + year if year <= pivot else 1900 + year


def _real(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dates(text: str, today: date | None) -> Iterator[tuple[tuple[int, int], date, bool]]:
    """Every whole date in the text: (span, date, needs a birth word to count)."""
    for m in _NUMERIC.finditer(text):
        when = _real(_year(m.group(4), today), int(m.group(3)), int(m.group(1)))
        if when:
            yield m.span(), when, False
    for m in _ISO.finditer(text):
        when = _real(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        if when:
            yield m.span(), when, False
    for m in _DAY_MONTH.finditer(text):
        when = _real(_year(m.group(3), today), MONTHS[m.group(2).lower()], int(m.group(1)))
        if when:
            yield m.span(), when, False
    for m in _MONTH_DAY.finditer(text):
        when = _real(_year(m.group(3), today), MONTHS[m.group(1).lower()], int(m.group(2)))
        if when:
            yield m.span(), when, False
    for m in _COMPACT.finditer(text):  # 12031948 or 19480312: only beside a birth word
        digits = m.group(1)
        when = _real(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
        if digits[:2] in ("19", "20"):
            when = _real(int(digits[:4]), int(digits[4:6]), int(digits[6:])) or when
        if when:
            yield m.span(), when, True


def birth_date_spans(text: str, today: date | None) -> list[tuple[int, int]]:
    """Where the text gives someone's date of birth."""
    found: list[tuple[int, int]] = []
    for (start, end), when, needs_word in _dates(text, today):
        if any(start < e and s < end for s, e in found):
            continue
        if when.year < EARLIEST_BIRTH_YEAR or (today is not None and when > today):
            continue
        before = text[max(0, start - _BIRTH_WORD_REACH) : start]
        if (
            _BIRTH_BEFORE.search(before)
            or _BIRTH_AFTER.search(text[end : end + 15])
            or (not needs_word and _old_enough(when, today) and _beside_a_person(text, start))
        ):
            found.append((start, end))
    return found


def _old_enough(when: date, today: date | None) -> bool:
    return today is None or (today.year - when.year) >= BARE_BIRTH_DATE_YEARS


def _beside_a_person(text: str, start: int) -> bool:
    """Is the date written straight after a person, in the same clause, with no event word
    between ("Mrs Begum, 11/08/1939," yes; "Mr Jones was seen on 12/11/2016" no)?"""
    before = text[max(0, start - 60) : start]
    clause = re.split(r"[.;!?\n]\s|\s[-–—]\s", before)[-1]
    if _EVENT.search(clause):
        return False
    ws = words(clause)
    return person_near(ws, range(len(ws) - _PERSON_WORDS_BEFORE, len(ws)))
