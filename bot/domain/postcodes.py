"""UK postcodes beside a person or a home address (pure: no I/O).

A postcode must follow the Royal Mail grammar (a real postcode area, the outward code's letter
positions, an inward code of a digit and two letters from ABD-HJLNP-UW-Z). It counts when a
person is written about beside it ("Mrs Patel at LS6 2QT", "she lives in CF5 1AB", "visited
mary at bd7 2nh") or a house-numbered address precedes it ("14 Elm Road, LS1 4AB"), unless it
reads as a place's or an organisation's ("Chapeltown Road, LS7 3EX", "the office at ...").
"""

from __future__ import annotations

import re

from bot.domain.person_context import (
    HOME_WORDS,
    NOT_NAMES,
    PERSON_WORDS,
    PLACE_WORDS,
    STREET_WORDS,
    TITLES,
    Word,
    is_name,
    person_near,
    word_set,
    words,
)

#: Every UK postcode area (and the Crown dependencies' ones).
AREAS = word_set(
    """
    AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL
    DN DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW
    KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH
    RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF
    WN WR WS WV YO ZE
    """
)
_CANDIDATE = re.compile(
    r"(?<![\w-])([A-Z]{1,2})(\d[A-Z\d]?) ?(\d[ABD-HJLNP-UW-Z]{2})(?![\w-])", re.IGNORECASE
)
_THIRD_LETTERS = set("ABCDEFGHJKPSTUW")  # A9A
_FOURTH_LETTERS = set("ABEHMNPRVWXY")  # AA9A
#: Words either side of a postcode in which a person makes it identifying.
_WORDS_BEFORE, _WORDS_AFTER = 6, 3
_SELF = re.compile(r"\b(?:i'?m|i am|we'?re|we are|we live|i live)\s+(?:in|at)\W*$", re.IGNORECASE)
_VISIT = frozenset(["visited", "visiting", "visit", "seeing", "saw", "see", "seen"])
_HOUSE_NUMBER = re.compile(r"\b(?:flat\s+)?\d{1,4}[a-z]?,?\s+(?:[A-Za-z'-]+,?\s+){0,3}$", re.I)


def is_postcode(area: str, district: str, inward: str) -> bool:
    """Does this follow the UK postcode grammar? (area letters, district, inward code)"""
    if area.upper() not in AREAS:
        return False
    if len(district) == 2 and district[1].isalpha():
        allowed = _THIRD_LETTERS if len(area) == 1 else _FOURTH_LETTERS
        if district[1].upper() not in allowed:
            return False
    return inward[0].isdigit()


def _written_as_a_postcode(code: str) -> bool:
    """Each half in one case: "LS6 2QT", "ls6 2qt", "ls11 5TT" yes; "Ab1 2cd" no."""
    halves = code.split() if " " in code else [code[:-3], code[-3:]]
    return all(h == h.upper() or h == h.lower() for h in halves)


def postcode_spans(text: str) -> list[tuple[int, int]]:
    """Where the text gives a postcode beside a person or a home address."""
    found = []
    for match in _CANDIDATE.finditer(text):
        area, district, inward = match.groups()
        if not is_postcode(area, district, inward) or not _written_as_a_postcode(match.group(0)):
            continue
        if _identifying(text, match.start(), match.end()):
            found.append(match.span())
    return found


def _sentence(text: str, start: int, end: int) -> tuple[str, str]:
    """The text of the sentence before and after the span."""
    before, after = text[max(0, start - 120) : start], text[end : end + 80]
    before = re.split(r"(?<![A-Z][a-z])(?<!\b[A-Z])[.!?]\s+|\n", before)[-1]
    after = re.split(r"[.!?](?:\s|$)|\n", after)[0]
    return before, after


def _identifying(text: str, start: int, end: int) -> bool:
    before_text, after_text = _sentence(text, start, end)
    before, after = words(before_text), words(after_text)
    near_before = range(len(before) - _WORDS_BEFORE, len(before))
    if _strong_person(before, near_before) or _SELF.search(before_text):
        return True
    place = any(w.lower in PLACE_WORDS for w in before[-_WORDS_BEFORE:] + after[:1])
    if place:
        return False
    if any(w.lower in HOME_WORDS for w in before[-_WORDS_BEFORE:]):
        return True  # "lives at", "home is", "address:"
    if _HOUSE_NUMBER.search(before_text) and _street_before(before):
        return True  # "14 Elm Road, LS1 4AB": someone's address
    if _name_just_before(before, before_text):
        return True
    if any(is_name(before, i) for i in near_before if i >= 0):
        return True
    if _visited_someone(before):
        return True
    return person_near(after, range(min(_WORDS_AFTER, len(after)))) and _after_is_person(after)


def _strong_person(ws: list[Word], indexes: range) -> bool:
    """A title or a person word among the words: place words can't outweigh it."""
    for i in indexes:
        if i < 0:
            continue
        lower = ws[i].lower.removesuffix("'s")
        if lower in TITLES or lower in PERSON_WORDS:
            return True
    return False


def _street_before(ws: list[Word]) -> bool:
    return any(w.lower.rstrip(".") in STREET_WORDS for w in ws[-3:])


def _name_just_before(ws: list[Word], before_text: str) -> bool:
    """'Gerald, SK4 1AA': a capitalised word right before the postcode, even opening a sentence."""
    if not ws or not re.search(r"[\w'’]\W{0,3}$", before_text):
        return False
    last = ws[-1]
    bare = last.lower.removesuffix("'s")
    return (
        last.text[:1].isupper()
        and last.text[1:2].islower()
        and bare not in NOT_NAMES
        and bare not in PLACE_WORDS
        and bare not in STREET_WORDS
        and before_text.rstrip().endswith((",", "(", last.text))
        and (len(ws) < 2 or ws[-2].lower not in PLACE_WORDS | STREET_WORDS)
    )


def _visited_someone(ws: list[Word]) -> bool:
    """'visited mary at ...', 'Visiting Doreen at ...': a visit to someone, not somewhere."""
    for i, w in enumerate(ws[:-1]):
        if w.lower in _VISIT:
            nxt = ws[i + 1].lower
            if nxt not in NOT_NAMES and nxt not in PLACE_WORDS and nxt not in ("the", "a"):
                return True
    return False


def _after_is_person(after: list[Word]) -> bool:
    """A person word just after the postcode ('LS6 2QT, she ...') rather than a place."""
    return not any(w.lower in PLACE_WORDS for w in after[:_WORDS_AFTER])
