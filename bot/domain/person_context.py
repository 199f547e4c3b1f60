"""Is a person being written about next to this spot in a text? (pure: no I/O)

Used by the identifier guard: a postcode or a date matters when it sits beside a person (a name,
a title, "patient", "she") and not when it sits beside a place or an organisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`, as a set."""
    return frozenset(text.split())


TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "mstr", "master"})
#: Words that mean a person (or people) is being written about.
PERSON_WORDS = word_set(
    """
    patient patients pt pts client clients lady ladies gentleman gent gents man woman boy
    girl baby child lad lass mum mom mother dad father son daughter husband wife partner
    sister brother nan gran grandma grandad grandson granddaughter aunt uncle nephew niece
    cousin resident residents family she he her his him hers herself himself elderly
    individual someone person user
    """
)
#: Words that say the spot is where someone lives.
HOME_WORDS = word_set(
    """
    lives live living lived home address flat moved resides postcode staying
    """
)
#: Words that say the spot belongs to a place or an organisation, not a person's home.
PLACE_WORDS = word_set(
    """
    hospital infirmary clinic surgery centre center practice trust hub health medical
    library hall pharmacy office offices venue bank church mosque temple school college
    university station cafe café shop store building training conference workshop meeting
    event events drop-in parking park charity organisation organization company headquarters
    hq site ward unit council services service team museum theatre hotel pub club gym market
    mall cathedral chapel general royal house
    """
)
STREET_WORDS = word_set(
    """
    road rd street st lane ln avenue ave close crescent cres drive dr way terrace place pl
    gardens grove hill square sq row walk mews rise view parade green cross gate vale park
    court ct
    """
)
#: Capitalised words that are never a person's name.
NOT_NAMES = word_set(
    """
    i i'm i've i'd we we're our the a an this that these those it its they them their there
    nhs gp nice cqc a&e icu ot pt ward bay bed team trust monday tuesday wednesday thursday
    friday saturday sunday january february march april may june july august september
    october november december jan feb mar apr jun jul aug sep sept oct nov dec visited
    visiting visit seen saw met called rang phoned ring call can could would should will
    anyone someone any some all thanks thank hi hello please pls ps re fyi update new next
    last since from on at in to for with and or but so if when where who what why how yes no
    ok okay just also still only drop-in dropped parking meeting clinic hub group session

    """
)
#: Common first names, to recognise a name written in lower case ("visited mary at ...").
FIRST_NAMES = word_set(
    """
    john james david michael peter paul mark andrew richard robert william thomas tom chris
    christopher daniel matthew anthony steven stephen george joseph jack harry charlie
    oliver alan brian kevin gary ian colin keith ronald ron derek ken kenneth frank fred
    arthur albert ali mohammed muhammad ahmed omar hassan tariq imran raj sanjay arjun kwame
    kofi tunde mary margaret susan sarah elizabeth jane janet patricia linda barbara jean
    joan joyce doris dorothy betty eileen irene edna maureen pauline sandra karen julie
    helen anne ann alice emma emily sophie olivia jessica lucy laura rachel rebecca hannah
    amy charlotte grace ruby fatima aisha amira priya anita sunita mei ling maria ana rosa
    gwen sian megan bethan doreen gladys vera ethel ivy elsie marjorie brenda carol
    christine gillian valerie shirley mo jo sam alex jamie kim lou pat chris
    """
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’&-]*")


@dataclass(frozen=True)
class Word:
    """One word of the text: as written, lower-cased, where it starts, and whether a sentence
    starts with it."""

    text: str
    lower: str
    start: int
    sentence_start: bool


def words(text: str) -> list[Word]:
    """The words of `text`, each knowing whether it opens a sentence."""
    found = []
    for match in _WORD.finditer(text):
        before = text[: match.start()].rstrip(" \t\"'(")
        opens = not before or before[-1] in "\n!?:" or _ends_sentence(before)
        word = match.group(0)
        lower = word.lower().replace("’", "'")
        found.append(Word(word, lower, match.start(), opens))
    return found


def _ends_sentence(before: str) -> bool:
    if not before.endswith("."):
        return False
    last = before[:-1].split()[-1:] or [""]
    return last[0].lower() not in TITLES and len(last[0]) > 1


def is_name(ws: list[Word], index: int) -> bool:
    """Does word `index` look like part of a person's name?"""
    word = ws[index]
    bare = word.lower.removesuffix("'s")
    if bare in TITLES:
        return True
    following = ws[index + 1].lower if index + 1 < len(ws) else ""
    if following in PLACE_WORDS or following in STREET_WORDS:
        return False  # "Chapeltown Road", "St James's Hospital": a place
    if bare in NOT_NAMES or bare in PLACE_WORDS or bare in STREET_WORDS:
        return False
    if word.text[:1].islower():
        return bare in FIRST_NAMES
    if not word.text[1:2].islower() and len(bare) > 1:
        return False  # "NHS", "CQC": letters, not a name
    if not word.sentence_start:
        return True
    # A capital at the start of a sentence says little: count it when a name clearly follows
    # ("Gwen Jones"), it is possessive ("Amira's") or is a known first name.
    nxt = ws[index + 1] if index + 1 < len(ws) else None
    return (
        bare in FIRST_NAMES
        or word.lower.endswith("'s")
        or (nxt is not None and nxt.text[:1].isupper() and nxt.lower not in NOT_NAMES)
    )


def person_near(ws: list[Word], indexes: range) -> bool:
    """Is a person (a title, a name, "patient", "her") among the words at `indexes`?"""
    return any(
        ws[i].lower.removesuffix("'s") in PERSON_WORDS or is_name(ws, i)
        for i in indexes
        if 0 <= i < len(ws)
    )
