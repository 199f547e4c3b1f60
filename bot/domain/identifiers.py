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

from bot.domain.birth_dates import BARE_BIRTH_DATE_YEARS, birth_date_spans
from bot.domain.person_context import word_set
from bot.domain.postcodes import postcode_spans

IdentifierKind = Literal["nhs_number", "date_of_birth", "postcode", "phone", "email"]
KINDS: tuple[IdentifierKind, ...] = ("nhs_number", "date_of_birth", "postcode", "phone", "email")
DESCRIPTIONS: dict[IdentifierKind, str] = {
    "nhs_number": "an NHS number",
    "date_of_birth": "a date of birth",
    "postcode": "a postcode next to a name or address",
    "phone": "a phone number",
    "email": "an email address",
}
__all__ = ["BARE_BIRTH_DATE_YEARS", "KINDS", "Finding", "describe", "find_identifiers"]


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


# ---- NHS numbers -------------------------------------------------------------------------

#: Runs of digits in groups: "943 476 5919", "597.467.1910", "7485-814-737", "bed 4 943 ...".
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:(?: ?[.\-] ?| )\d+)*(?!\d)")
_NHS_WORD = re.compile(r"\b(?:nhs|chi|patient|pt|client|h&c)\b", re.IGNORECASE)
#: Words that say a ten-digit number is some other reference.
_OTHER_NUMBER = re.compile(
    r"\b(?:isbn|issn|order|invoice|inv|tracking|parcel|booking|ticket|serial|s/n|account|acc"
    r"|acct|sort\s+code|po|barcode|lot|batch|charity|company|reg|vat|imei|iban|policy|claim"
    r"|ups|dpd|royal\s+mail)\b",
    re.IGNORECASE,
)
_INTERNATIONAL = re.compile(r"(?:\+|\b00)\s*\(?$")


def _nhs_numbers(text: str) -> list[Finding]:
    found = []
    for run in _DIGIT_RUN.finditer(text):
        before = text[max(0, run.start() - 30) : run.start()]
        if _INTERNATIONAL.search(before) or run.group(0).startswith(("00", "0 0")):
            continue  # "+44 161 496 0000", "0044 ...": a phone number
        groups = [(m.group(0), run.start() + m.start()) for m in re.finditer(r"\d+", run.group(0))]
        for first in range(len(groups)):
            window, total = [], 0
            for digits, at in groups[first:]:
                window.append((digits, at))
                total += len(digits)
                if total >= 10:
                    break
            if total != 10 or (len(window) > 1 and min(len(d) for d, _ in window) < 2):
                continue
            number = "".join(d for d, _ in window)
            if not is_nhs_number(number) or not _reads_as_nhs(text, window[0][1], number):
                continue
            span = (window[0][1], window[-1][1] + len(window[-1][0]))
            found.append(Finding("nhs_number", span, text[span[0] : span[1]]))
            break
    return found


def _reads_as_nhs(text: str, start: int, number: str) -> bool:
    """A valid number is an NHS number unless the words before say it is something else
    (an ISBN, an order number) or it starts with 0 like a phone number, with no NHS word."""
    before = text[max(0, start - 30) : start]
    nhs_word = [m.end() for m in _NHS_WORD.finditer(before)]
    other = [m.end() for m in _OTHER_NUMBER.finditer(before)]
    if other and (not nhs_word or other[-1] > nhs_word[-1]):
        return False
    return not number.startswith("0") or bool(nhs_word)


# ---- phone numbers -----------------------------------------------------------------------

_PHONE = re.compile(
    r"(?:(?<![\d+])\+\s?|(?<![\w+])(?:00\s?)?)\(?\d(?:\)?(?: ?[.\-] ?|\s)?\(?\d){6,16}\)?(?!\d)"
)
_PHONE_WORD = re.compile(
    r"\b(?:call|ring|phone|tel|telephone|mob|mobile|cell|text|whatsapp)"
    r"\b(?:\W+\w+){0,3}\W*$",
    re.IGNORECASE,
)
#: Two-digit country calling codes; one-digit ones are 1 and 7, and any three digits not
#: starting with these (and not 1 or 7) form the rest, as the ITU numbering plan does.
_CC2 = word_set(
    """
    20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62
    63 64 65 66 81 82 84 86 90 91 92 93 94 95 98
    """
)


def _uk_national(digits: str) -> bool:
    """A UK number written from its leading 0: 01/02/03/05/07/08/09 and 10 or 11 digits."""
    if len(digits) == 11:
        return digits[0] == "0" and digits[1] in "1235789"
    return len(digits) == 10 and digits.startswith(("01", "0800", "0500", "0808"))


def _international(digits: str) -> bool:
    """Country code + national number, E.164 length (at most 15 digits)."""
    if digits.startswith("44"):
        national = digits[2:].removeprefix("0")
        return len(national) in (9, 10) and national[0] in "1235789"
    if digits.startswith("1"):
        nanp = digits[1:]
        return len(nanp) == 10 and nanp[0] in "23456789" and nanp[3] in "23456789"
    if digits.startswith("7"):
        code = 1
    elif digits[:2] in _CC2:
        code = 2
    elif digits[0] != "0" and digits[:3].isdigit():
        code = 3
    else:
        return False
    return 7 <= len(digits) - code <= 12 and len(digits) <= 15


def _phones(text: str) -> list[Finding]:
    found = []
    for match in _PHONE.finditer(text):
        raw = match.group(0).strip()
        digits = re.sub(r"\D", "", raw.replace("(0)", ""))
        if raw.startswith("+"):
            ok = _international(digits)
        elif digits.startswith("00"):
            ok = _international(digits[2:])
        else:
            ok = _uk_national(digits) or (
                len(digits) == 10
                and bool(re.fullmatch(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}", raw))
                and _international("1" + digits)
                and bool(_PHONE_WORD.search(text[max(0, match.start() - 30) : match.start()]))
            )
        if ok and not _OTHER_NUMBER.search(text[max(0, match.start() - 20) : match.start()]):
            found.append(Finding("phone", (match.start(), match.start() + len(raw)), raw))
    return found


# ---- email addresses ---------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+'-])[A-Za-z0-9][A-Za-z0-9._%+'’-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,}(?![\w@])"
)
_DOT = r"(?:\s*[\[(]\s*dot\s*[\])]\s*|\s+dot\s+|\.)"
_AT = r"(?:\s*[\[(]\s*at\s*[\])]\s*|\s+at\s+)"
_SPELLED_EMAIL = re.compile(
    rf"\b[a-z0-9_%+-]+(?:{_DOT}[a-z0-9_%+-]+)*{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*{_DOT}[a-z]{{2,}}\b",
    re.IGNORECASE,
)


def _emails(text: str) -> list[Finding]:
    found = [Finding("email", m.span(), m.group(0)) for m in _EMAIL.finditer(text)]
    for m in _SPELLED_EMAIL.finditer(text):
        spelled = m.group(0).lower()
        if re.search(r"dot|\[|\(", spelled):  # "jane at work.Then" is not an address
            found.append(Finding("email", m.span(), m.group(0)))
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
        taken = [f.span for f in findings]
        for span in birth_date_spans(text, today):
            if not _overlaps(span, taken):
                findings.append(Finding("date_of_birth", span, text[span[0] : span[1]]))
    if "postcode" in checks:
        findings += [Finding("postcode", s, text[s[0] : s[1]]) for s in postcode_spans(text)]
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
