"""Postcodes beside a person or a home are found; a place's or an organisation's are not.
Each sentence below turns on one rule of bot/domain/postcodes.py."""

from __future__ import annotations

import pytest

from bot.domain.postcodes import is_postcode, postcode_spans


@pytest.mark.parametrize(
    ("area", "district", "inward", "expected"),
    [
        ("W", "1A", "1AA", True),  # A9A: third letters ABCDEFGHJKPSTUW
        ("W", "1C", "1AA", True),
        ("w", "1c", "1aa", True),  # any case
        ("W", "1Z", "1AA", False),
        ("EC", "1A", "1BB", True),  # AA9A: fourth letters ABEHMNPRVWXY
        ("EC", "1C", "1BB", False),
        ("ec", "1e", "1bb", True),
        ("LS", "11", "5TT", True),
        ("QQ", "1", "1AA", False),  # no such area
    ],
)
def test_the_royal_mail_grammar(area, district, inward, expected):
    assert is_postcode(area, district, inward) is expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # how it is written: each half in one case, with or without the space
        ("Mrs Patel at LS6 2QT", ["LS6 2QT"]),
        ("Mrs Patel at ls6 2qt", ["ls6 2qt"]),
        ("Mrs Patel at LS62qt", ["LS62qt"]),
        ("Mrs Patel at W1A2bb", ["W1A2bb"]),
        ("Mrs Patel at EC1A1bb", ["EC1A1bb"]),
        ("Mrs Patel at Ls6 2qt", []),
        ("Mrs Patel at w1A2BB", []),
        ("Mrs Patel at EC1a1bb", []),
        ("Mrs Patel at QQ1 1AA, then LS6 2QT", ["LS6 2QT"]),  # a non-postcode first
        # a person word, even possessive, outweighs a place
        ("The patient's surgery is at LS6 2QT", ["LS6 2QT"]),
        # a place or an organisation
        ("Come to the Leeds Dental Clinic at LS6 2QT", []),
        ("Meet in room 14 at LS1 4AB", []),
        ("Gerald told me the group will be moving to LS6 2QT", []),
        ("Mrs Patel told me the group will be moving to LS6 2QT", []),  # six words away
        ("LS6 2QT is lovely", []),
        ("LS6 2QT is her clinic", []),
        # a home
        ("home address: LS6 2QT", ["LS6 2QT"]),
        ("14 Elm Road, LS1 4AB", ["LS1 4AB"]),
        ("Chapeltown Road, LS7 3EX", []),
        # a name just before it, even one no list knows
        ("Zephyrine, SK4 1AA", ["SK4 1AA"]),
        ("Zephyrine (SK4 1AA)", ["SK4 1AA"]),
        # a visit to someone, not somewhere
        ("we visited zephyrine, bd7 2nh", ["bd7 2nh"]),
        ("visited zephyrine at bd7 2nh", ["bd7 2nh"]),
        ("we visited them at bd7 2nh", []),
        # a person just after it
        ("LS6 2QT, she was discharged", ["LS6 2QT"]),
        # sentences end where they end, but not after a title
        ("Mr. Patel at LS6 2QT", ["LS6 2QT"]),
        ("Thanks Mrs Patel. Office: LS6 2QT", []),
        ("Meet at LS6 2QT. She will chair.", []),
    ],
)
def test_a_postcode_counts_beside_a_person_or_a_home(text, found):
    assert [text[start:end] for start, end in postcode_spans(text)] == found
