"""Hostile input is read safely: only 0-9 are digits, numbers stay in the database's range,
and characters nothing can store never reach storage. Through the core on both databases."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.domain.text import MAX_NUMBER, clean_text, read_number, storable
from bot.storage.tables_polls import Problem


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12", 12),
        ("#12", 12),
        (" 7 ", 7),
        ("0", 0),
        ("²", None),
        ("1²", None),
        ("٣", None),  # an Arabic-Indic three: a digit, but not one people type here
        ("-3", None),
        ("+3", None),
        ("3.0", None),
        ("", None),
        (str(MAX_NUMBER), MAX_NUMBER),
        (str(MAX_NUMBER + 1), None),
        (str(2**63), None),
        ("9" * 5000, None),
    ],
)
def test_read_number_takes_plain_digits_within_the_database_range(typed, expected):
    assert read_number(typed) == expected


def test_read_number_honours_a_smaller_limit():
    assert read_number("25", most=25) == 25
    assert read_number("26", most=25) is None


def test_unstorable_characters_are_dropped():
    assert storable("a\x00b\ud800c\udfffd") == "abcd"
    assert clean_text("  hi\x00 there ") == "hi there"
    assert "a\ud83d".encode("utf-8", "surrogatepass")  # a lone surrogate: not plain UTF-8
    assert storable("a\ud83d") == "a"


@pytest.mark.parametrize(
    "typed",
    [
        "problems withdraw ²",
        "problems withdraw 99999999999",
        "problems reword 2147483648 x",
        "nudge pause 9223372036854775808",
    ],
)
async def test_huge_or_foreign_numbers_never_reach_the_database(make_app, person, typed):
    app = make_app()
    cora = person(app, "Cora")
    answer = cora.says(typed)
    assert "Sorry" not in answer


async def test_nul_and_lone_surrogates_are_stored_without_them(make_app, person):
    app = make_app()
    ana = person(app, "Ana")
    answer = ana.says("propose Wound\x00 care for \ud800carers")
    assert "Sorry" not in answer
    with Session(app.engine) as session:
        [problem] = session.exec(select(Problem)).all()
    assert "\x00" not in problem.text and "\ud800" not in problem.text
    assert "Wound care for carers" in problem.text
