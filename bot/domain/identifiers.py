"""Likely patient identifiers in free text (pure: no I/O, no clock).

copbot warns before it posts a member's words where a patient could be identified:
NHS numbers (10 digits passing the modulus-11 check), dates of birth, postcodes next to a
name, UK phone numbers and email addresses. It only finds; it never rewrites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

IdentifierKind = Literal["nhs_number", "date_of_birth", "postcode", "phone", "email"]
KINDS: tuple[IdentifierKind, ...] = ("nhs_number", "date_of_birth", "postcode", "phone", "email")
DESCRIPTIONS: dict[IdentifierKind, str] = {
    "nhs_number": "an NHS number",
    "date_of_birth": "a date of birth",
    "postcode": "a postcode next to a name or address",
    "phone": "a phone number",
    "email": "an email address",
}
#: A date with no "DOB"/"born" nearby counts as a birth date when at least this old.
BARE_BIRTH_DATE_YEARS = 10


@dataclass(frozen=True)
class Finding:
    """One likely identifier: what kind, where (start, end) in the text, and the text found."""

    kind: IdentifierKind
    span: tuple[int, int]
    snippet: str


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when no valid number has them."""
    weights = range(10, 1, -1)
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, weights, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_nhs_number(digits: str) -> bool:
    """True for ten digits whose last one is the modulus-11 check digit of the first nine."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


# ---- patterns ---------------------------------------------------------------------------

_NHS = re.compile(r"(?<!\d)\d{3}([ -]?)\d{3}\1\d{4}(?!\d)")
_PHONE_PREFIX = re.compile(r"(?:\+\s?44|\(0\)|\+)\s*\(?$")
_PHONE = re.compile(r"(?<![\w+])(?:\+\s?44\s?(?:\(0\)\s?)?|\(?0)\d(?:[ \-()]{0,2}\d){8,10}(?!\d)")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_POSTCODE = re.compile(
    r"(?<![\w-])([A-Z]{1,2}\d[A-Z\d]?) ?(\d[ABD-HJLNP-UW-Z]{2})(?![\w-])", re.IGNORECASE
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
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
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.-])")
_DAY_MONTH_YEAR = re.compile(
    r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+(\d{4})(?!\d)",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR = re.compile(
    r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)", re.IGNORECASE
)
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_BIRTH_WORDS = re.compile(
    r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s?date\b|\bbirthday\b|\bborn\b"
    r"|\bb\.\s?)",
    re.IGNORECASE,
)
#: How far before a date (in characters) a birth word counts as "near".
_BIRTH_WORD_REACH = 30

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*\.?")
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "mr.", "mrs.", "ms.", "dr."}
_PLACE_WORDS = {
    "Hospital",
    "Clinic",
    "Surgery",
    "Centre",
    "Center",
    "Practice",
    "Trust",
    "Hub",
    "Health",
    "Medical",
    "Library",
    "Hall",
    "Pharmacy",
    "Office",
}
_NOT_NAMES = {
    *(name.capitalize() for name in _MONTHS),
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "I",
    "NHS",
    "GP",
    "The",
    "A",
    "An",
    "Our",
    "We",
    "Team",
    *_PLACE_WORDS,
}
#: Words either side of a postcode in which a name makes it identifying.
_NAME_WORDS_BEFORE, _NAME_WORDS_AFTER = 6, 3


# ---- finders ----------------------------------------------------------------------------


def _nhs_numbers(text: str) -> list[Finding]:
    found = []
    for match in _NHS.finditer(text):
        if _PHONE_PREFIX.search(text[: match.start()]):  # "+44 161 496 0000" is a phone
            continue
        if is_nhs_number(re.sub(r"\D", "", match.group(0))):
            found.append(Finding("nhs_number", match.span(), match.group(0)))
    return found


def _phones(text: str) -> list[Finding]:
    found = []
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if digits.startswith("44"):
            national = digits[2:].removeprefix("0")
            ok = len(national) in (9, 10) and national[0] in "1235789"
        else:
            ok = len(digits) in (10, 11) and digits[1] in "1235789"
            ok = ok and (len(digits) == 11 or digits[1] == "1")  # 10 digits: some 01 areas
        if ok:
            found.append(Finding("phone", match.span(), match.group(0).strip()))
    return found


def _emails(text: str) -> list[Finding]:
    return [Finding("email", m.span(), m.group(0)) for m in _EMAIL.finditer(text)]


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dates(text: str) -> list[tuple[tuple[int, int], date, bool]]:
    """Every date in the text: (span, date, written with a four-digit year)."""
    dates: list[tuple[tuple[int, int], date, bool]] = []
    for m in _NUMERIC_DATE.finditer(text):
        year = int(m.group(4))
        four = len(m.group(4)) == 4
        if not four:
            year += 1900 if year > 30 else 2000
        found = _real_date(year, int(m.group(3)), int(m.group(1)))
        if found:
            dates.append((m.span(), found, four))
    for m in _DAY_MONTH_YEAR.finditer(text):
        found = _real_date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
        if found:
            dates.append((m.span(), found, True))
    for m in _MONTH_DAY_YEAR.finditer(text):
        found = _real_date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
        if found:
            dates.append((m.span(), found, True))
    for m in _ISO_DATE.finditer(text):
        found = _real_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if found:
            dates.append((m.span(), found, True))
    return dates


def _birth_dates(text: str, today: date | None) -> list[Finding]:
    found = []
    for (start, end), when, four_digit_year in _dates(text):
        before = text[max(0, start - _BIRTH_WORD_REACH) : start]
        near_word = _BIRTH_WORDS.search(before) is not None
        if today is not None and when > today:
            continue
        old_enough = (
            today is None or (today.year - when.year) >= BARE_BIRTH_DATE_YEARS
        ) and when.year >= 1900
        if near_word or (four_digit_year and old_enough):
            found.append(Finding("date_of_birth", (start, end), text[start:end]))
    return found


def _looks_like_name(words: list[tuple[str, int]], index: int, text: str) -> bool:
    word, start = words[index]
    bare = word.rstrip(".")
    if word.lower() in _TITLES:
        return True
    if not (bare[:1].isupper() and bare[1:2].islower()) or bare in _NOT_NAMES:
        return False
    if index + 1 < len(words) and words[index + 1][0].rstrip(".") in _PLACE_WORDS:
        return False  # "St Thomas Hospital" is a place, not a person
    before = text[:start].rstrip()
    return bool(before) and before[-1] not in ".!?:"  # not just the start of a sentence


def _postcodes(text: str) -> list[Finding]:
    found = []
    for match in _POSTCODE.finditer(text):
        code = match.group(0)
        if code != code.upper() and code != code.lower():
            continue  # "Ab1 2cd" is not how anyone writes a postcode
        before = [(w.group(0), w.start()) for w in _WORD.finditer(text[: match.start()])][
            -_NAME_WORDS_BEFORE:
        ]
        after = [
            (w.group(0), match.end() + w.start()) for w in _WORD.finditer(text[match.end() :])
        ][:_NAME_WORDS_AFTER]
        words = before + after
        if any(_looks_like_name(words, i, text) for i in range(len(words))):
            found.append(Finding("postcode", match.span(), code))
    return found


def find_identifiers(
    text: str, checks: tuple[str, ...] | frozenset[str] = KINDS, *, today: date | None = None
) -> list[Finding]:
    """Likely patient identifiers in `text`, in order of appearance.

    `checks` limits the kinds looked for. `today` lets a bare date (no "DOB" or "born"
    near it) count as a birth date only when it is at least BARE_BIRTH_DATE_YEARS old;
    without it every bare date with a four-digit year since 1900 counts.
    """
    findings: list[Finding] = []
    if "nhs_number" in checks:
        findings += _nhs_numbers(text)
    if "phone" in checks:
        taken = [f.span for f in findings]
        findings += [f for f in _phones(text) if not _overlaps(f.span, taken)]
    if "email" in checks:
        findings += _emails(text)
    if "date_of_birth" in checks:
        findings += _birth_dates(text, today)
    if "postcode" in checks:
        findings += _postcodes(text)
    return sorted(findings, key=lambda f: (f.span, f.kind))


def _overlaps(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def describe(findings: list[Finding]) -> str:
    """'an NHS number (943 476 5919) and a phone number (07700 900123)'."""
    parts = [f"{DESCRIPTIONS[f.kind]} ({_short(f.snippet)})" for f in findings]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _short(snippet: str) -> str:
    snippet = " ".join(snippet.split())
    return snippet if len(snippet) <= 40 else snippet[:39] + "…"
