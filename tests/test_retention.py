"""How long personal data is kept: the periods a settings file may give."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.retention import parse_period
from bot.domain.when import WhenError


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("2 years", 730),
        ("1 year", 365),
        ("3 yrs", 1095),
        ("1 yr", 365),
        ("4y", 1460),
        ("18 months", 540),
        ("1 month", 30),
        ("6 mo", 180),
        ("  2 YEARS  ", 730),
        ("12 Months", 360),
    ],
)
def test_years_count_365_days_and_months_30(text, days):
    assert parse_period(text) == timedelta(days=days)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90 days", timedelta(days=90)),
        ("2 weeks", timedelta(days=14)),
        ("36 hours", timedelta(hours=36)),
    ],
)
def test_shorter_periods_read_as_lengths_of_time(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["0 years", "0 months", " 0 y "])
def test_a_zero_period_is_refused_with_a_helpful_example(text):
    with pytest.raises(WhenError) as refused:
        parse_period(text)
    assert f"'{text.strip()}' is zero" in str(refused.value)
    assert "2 years" in str(refused.value)


@pytest.mark.parametrize("text", ["forever", "2 yearz", "years", "-1 year"])
def test_words_that_are_not_a_period_are_refused(text):
    with pytest.raises(WhenError):
        parse_period(text)
