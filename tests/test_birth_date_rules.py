"""Dates of birth in free text: each case turns on one rule of bot/domain/birth_dates.py."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.birth_dates import birth_date_spans

TODAY = date(2026, 12, 4)


def found(text: str, today: date | None = TODAY) -> list[str]:
    return [text[start:end] for start, end in birth_date_spans(text, today)]


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        # two-digit years: the latest past year ending so
        ("DOB 12/03/27", ["12/03/27"]),  # 1927
        ("DOB 12/03/28", ["12/03/28"]),  # 1928, not 2028
        ("DOB 12 March 28", ["12 March 28"]),
        ("DOB March 12, 28", ["March 12, 28"]),
        ("DOB 12 March '48", ["12 March '48"]),
        ("DOB 12/12/26", []),  # 12 Dec 2026 is still to come: no one's birthday yet
        ("Mr Jones 12/03/20", []),  # 2020: too recent to count without a birth word
        ("Mr Jones 12/03/16", ["12/03/16"]),  # 2016: ten years ago
        ("Mr Jones 12/03/2016", ["12/03/2016"]),
        # every way of writing it
        ("DOB 1948-03-25", ["1948-03-25"]),
        ("DOB 12 March 1948", ["12 March 1948"]),
        ("DOB March 12, 1948", ["March 12, 1948"]),
        ("DOB 31121948", ["31121948"]),
        ("DOB 20051230", ["20051230"]),
        ("DOB 19481012", ["19481012"]),
        ("DOB 19480310", ["19480310"]),
        # written straight after a person, with no birth word
        ("Mrs Begum, 1939-08-11, lives alone", ["1939-08-11"]),
        ("Mrs Begum, March 12, 1948, lives alone", ["March 12, 1948"]),
        ("Mrs Begum, 12031948, lives alone", []),  # eight digits need a birth word
        ("Mr Jones and the rest of the team, 12/03/1948", []),  # the person is too far back
        ("Mr Jones left. Our charity 12/03/1948", []),  # another sentence's person
        # the birth word after the date
        ("12/03/1948 (DOB)", ["12/03/1948"]),
        # the limits of a lifetime
        ("DOB 12/03/1890", ["12/03/1890"]),
        ("DOB 12/03/1889", []),
        ("DOB 04/12/2026", ["04/12/2026"]),  # born today
        ("DOB 12/03/1850 and DOB 12/03/1948", ["12/03/1948"]),
        ("DOB 12/03/1948 12/03/1949", ["12/03/1948", "12/03/1949"]),
    ],
)
def test_a_whole_date_beside_a_birth_word_or_a_person(text, dates):
    assert found(text) == dates


def test_with_no_today_a_two_digit_year_turns_at_2030():
    assert found("DOB 12/03/29", None) == ["12/03/29"]  # 2029: not yet known to be future
    assert found("Mr Jones 12/03/31", None) == ["12/03/31"]  # 1931
