"""Dates and times people actually write, read as they mean them (issue 15)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.when import MAX_REACH, WhenError, parse_moment, parse_recurrence
from tests.when_caches import fresh_caches  # noqa: F401 (used: autouse)

LON = ZoneInfo("Europe/London")
# Friday 6 March 2026, 12:00 in London (GMT, so also 12:00 UTC).
NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


def london(text: str, now: datetime = NOW) -> str:
    return f"{parse_moment(text, now, LON).astimezone(LON):%a %Y-%m-%d %H:%M}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2 months", "Wed 2026-05-06 12:00"),
        ("in a month", "Mon 2026-04-06 12:00"),
        ("in 2 months at 10:00", "Wed 2026-05-06 10:00"),
        ("in a fortnight", "Fri 2026-03-20 12:00"),
        ("in 2 fortnights", "Fri 2026-04-03 12:00"),
        ("next week", "Mon 2026-03-09 09:00"),
        ("next week 14:00", "Mon 2026-03-09 14:00"),
        ("next month", "Wed 2026-04-01 09:00"),
        ("tonight", "Fri 2026-03-06 20:00"),
        ("tonight 9:30", "Fri 2026-03-06 21:30"),
        ("tonight at 10pm", "Fri 2026-03-06 22:00"),
        ("the 15th", "Sun 2026-03-15 09:00"),
        ("by the 15th", "Sun 2026-03-15 09:00"),
        ("15th", "Sun 2026-03-15 09:00"),
        ("the 6th", "Mon 2026-04-06 09:00"),  # today's 09:00 has gone: next month's
        ("the 6th 15:00", "Fri 2026-03-06 15:00"),
        ("15-12-2026", "Tue 2026-12-15 09:00"),
        ("15-12-2026 14:30", "Tue 2026-12-15 14:30"),
        ("15.12.2026", "Tue 2026-12-15 09:00"),
        ("15-12", "Tue 2026-12-15 09:00"),
    ],
)
def test_phrases_people_write_are_understood(text: str, expected: str) -> None:
    assert london(text) == expected


def test_in_months_keeps_to_the_end_of_a_shorter_month() -> None:
    assert london("in a month", datetime(2026, 1, 31, 12, tzinfo=UTC)) == "Sat 2026-02-28 12:00"


def test_the_31st_skips_months_without_one() -> None:
    assert london("the 31st", datetime(2026, 4, 2, 12, tzinfo=UTC)) == "Sun 2026-05-31 09:00"


def test_a_day_and_month_said_on_that_day_after_its_time_is_next_year() -> None:
    # On 6 March after 09:00, "6 Mar" means next year's 6 March, as "friday" means next week's.
    assert london("6 Mar") == "Sat 2027-03-06 09:00"
    assert london("6/3") == "Sat 2027-03-06 09:00"
    assert london("6 Mar 15:00") == "Fri 2026-03-06 15:00"  # still ahead today
    # Looking back (e.g. "away since"), today's is kept.
    past = parse_moment("6 Mar", NOW, LON, allow_past=True)
    assert past == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0/12/2026", "days of the month start at 1 (December has 1 to 31)"),
        ("00-12-2026", "days of the month start at 1"),
        ("32/13/2026", "there's no month 13 (months go from 1 to 12)"),
        ("2026-00-10", "there's no month 0"),
        ("31-02-2026", "February has no 31st"),
        ("the 32nd", "days of the month go from 1 to 31"),
        ("the 0th", "days of the month go from 1 to 31"),
        ("0000-01-01", "more than 5 years from now"),
        ("9999-12-31 22:00", "more than 5 years from now"),
        ("15/12/99", "more than 5 years from now"),
        ("2032-01-01", "more than 5 years from now"),
        ("in 70 months", "too far ahead"),
        ("in 300 weeks", "more than 5 years ahead"),
        ("in 9999999 days", "too far ahead"),
    ],
)
def test_impossible_and_far_dates_get_a_clear_message(text: str, reason: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_moment(text, NOW, LON)
    assert f"'{text}'" in str(err.value)
    assert reason in str(err.value)


def test_dates_are_kept_within_five_years_either_way() -> None:
    just_inside = (NOW + MAX_REACH - timedelta(days=1)).astimezone(LON)
    assert parse_moment(f"{just_inside:%Y-%m-%d} 12:00", NOW, LON) <= NOW + MAX_REACH
    with pytest.raises(WhenError, match="5 years ago"):
        parse_moment("2021-03-01", NOW, LON, allow_past=True)
    assert parse_moment("2021-03-07", NOW, LON, allow_past=True).year == 2021


def test_tonight_once_the_evening_has_gone_is_in_the_past() -> None:
    with pytest.raises(WhenError, match="in the past"):
        parse_moment("tonight", datetime(2026, 3, 6, 21, 0, tzinfo=UTC), LON)


def local_times(text: str, days: int = 120, limit: int = 4) -> list[str]:
    rule = parse_recurrence(text)
    found = rule.between(NOW, NOW + timedelta(days=days), LON, limit=limit)
    return [f"{t.astimezone(LON):%a %d %b %H:%M}" for t in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "every month on the last friday 10:00",
            ["Fri 27 Mar 10:00", "Fri 24 Apr 10:00", "Fri 29 May 10:00", "Fri 26 Jun 10:00"],
        ),
        (
            "first tuesday of the month 10:00",
            ["Tue 07 Apr 10:00", "Tue 05 May 10:00", "Tue 02 Jun 10:00"],
        ),
        (
            "every first tuesday of the month at 2pm",
            ["Tue 07 Apr 14:00", "Tue 05 May 14:00", "Tue 02 Jun 14:00"],
        ),
        (
            "the last friday of every month at 16:00",
            ["Fri 27 Mar 16:00", "Fri 24 Apr 16:00", "Fri 29 May 16:00", "Fri 26 Jun 16:00"],
        ),
        (
            "every month on the last day 17:00",
            ["Tue 31 Mar 17:00", "Thu 30 Apr 17:00", "Sun 31 May 17:00", "Tue 30 Jun 17:00"],
        ),
        (
            "every 3 weeks on monday 9am starting 2026-03-16",
            ["Mon 16 Mar 09:00", "Mon 06 Apr 09:00", "Mon 27 Apr 09:00", "Mon 18 May 09:00"],
        ),
        (
            "every fortnight on tuesday 9:30",
            ["Tue 17 Mar 09:30", "Tue 31 Mar 09:30", "Tue 14 Apr 09:30", "Tue 28 Apr 09:30"],
        ),
    ],
)
def test_repeating_phrases_people_write(text: str, expected: list[str]) -> None:
    assert local_times(text) == expected


def test_every_three_weeks_keeps_three_weeks_between_even_across_year_ends() -> None:
    rule = parse_recurrence("every 3 weeks on monday 9am")
    found = rule.between(NOW, NOW + timedelta(days=800), LON)
    assert len(found) > 30
    gaps = {(b.date() - a.date()).days for a, b in itertools.pairwise(found)}
    assert gaps == {21}
    assert found[0].date().weekday() == 0


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("every 3 weeks on monday 9am odd weeks", "two-weekly"),
        ("every month on the fifth friday 10:00", "every monday 09:30"),
        ("every 2 weeks on monday 9am starting 2026-02-30", "start date"),
    ],
)
def test_repeating_phrases_that_cannot_be_kept_say_why(text: str, hint: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_recurrence(text)
    assert f"'{text}'" in str(err.value)
    assert hint in str(err.value)


def test_a_start_date_holds_back_earlier_weeks_of_the_rhythm() -> None:
    assert local_times("every 2 weeks on monday 9am starting 2026-03-23", limit=2) == [
        "Mon 23 Mar 09:00",
        "Mon 06 Apr 09:00",
    ]


def test_every_three_weeks_said_today_starts_with_the_coming_day() -> None:
    rule = parse_recurrence("every 3 weeks on thursday 2pm").anchored(NOW, LON)
    assert rule.text == "every 3 weeks on thursday 2pm starting 2026-03-12"
    assert parse_recurrence(rule.text) == rule  # the stored phrase keeps the rhythm
    assert local_times(rule.text, limit=3) == [
        "Thu 12 Mar 14:00",
        "Thu 02 Apr 14:00",
        "Thu 23 Apr 14:00",
    ]
    weekly = parse_recurrence("every thursday 2pm")
    assert weekly.anchored(NOW, LON) is weekly
