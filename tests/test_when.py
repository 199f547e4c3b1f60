"""Tests for bot.domain.when: parsing what members type about time, and DST-correct arithmetic.

Reference dates (2026): London springs forward 29 Mar (01:00 GMT -> 02:00 BST) and falls back
25 Oct (02:00 BST -> 01:00 GMT); New York springs forward 8 Mar (02:00 -> 03:00) and falls
back 1 Nov (02:00 -> 01:00).
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.when import (
    AfterMeeting,
    Recurrence,
    WhenError,
    in_quiet_hours,
    parse_clock,
    parse_duration,
    parse_moment,
    parse_quiet_hours,
    parse_recurrence,
    parse_schedule,
    quiet_hours_end,
)
from tests.when_caches import fresh_caches  # noqa: F401 (used: autouse)

LON = ZoneInfo("Europe/London")
NY = ZoneInfo("America/New_York")
# Wednesday 4 March 2026, 12:00 in London (GMT, so also 12:00 UTC).
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_utc(value: datetime) -> None:
    assert value.tzinfo is UTC


# --------------------------------------------------------------------------- parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 days", timedelta(days=3)),
        ("1 day", timedelta(days=1)),
        ("2 weeks", timedelta(weeks=2)),
        ("36 hours", timedelta(hours=36)),
        ("90 minutes", timedelta(minutes=90)),
        ("1 week", timedelta(weeks=1)),
        ("2d", timedelta(days=2)),
        ("3h", timedelta(hours=3)),
        ("45m", timedelta(minutes=45)),
        ("1w", timedelta(weeks=1)),
        (" 2 Days ", timedelta(days=2)),
        ("1 day and 3 hours", timedelta(days=1, hours=3)),
        ("a week", timedelta(weeks=1)),
    ],
)
def test_parse_duration_accepts_common_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0 days", "0m", "-3 days", "3 months", "soon", "3", ""])
def test_parse_duration_rejects_zero_negative_and_unknown(text: str) -> None:
    with pytest.raises(WhenError, match=f"'{text}'"):
        parse_duration(text)


# --------------------------------------------------------------------------- parse_clock


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30", time(9, 30)),
        ("9:30", time(9, 30)),
        ("9am", time(9, 0)),
        ("2pm", time(14, 0)),
        ("14:00", time(14, 0)),
        ("2:30pm", time(14, 30)),
        ("2:30 PM", time(14, 30)),
        ("9.30am", time(9, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("noon", time(12, 0)),
        ("00:00", time(0, 0)),
    ],
)
def test_parse_clock_accepts_common_forms(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("25:00", "hours only go up to 23"),
        ("9:75", "minutes only go up to 59"),
        ("13pm", "from 1 to 12"),
        ("9", "needs minutes or am/pm"),
        ("half nine", ""),
    ],
)
def test_parse_clock_rejects_invalid_times_with_reason(text: str, reason: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_clock(text)
    assert f"'{text}'" in str(err.value)
    assert reason in str(err.value)
    assert "2pm" in str(err.value)  # shows an accepted example


# --------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20:00-08:00", (time(20, 0), time(8, 0))),
        ("21:00 - 07:30", (time(21, 0), time(7, 30))),
        ("22:00 to 06:00", (time(22, 0), time(6, 0))),
        ("10pm–7am", (time(22, 0), time(7, 0))),
        ("13:00-14:00", (time(13, 0), time(14, 0))),
    ],
)
def test_parse_quiet_hours_accepts_ranges(text: str, expected: tuple[time, time]) -> None:
    assert parse_quiet_hours(text) == expected


@pytest.mark.parametrize("text", ["20:00-20:00", "evenings", "25:00-08:00", "20:00-"])
def test_parse_quiet_hours_errors_name_the_text(text: str) -> None:
    with pytest.raises(WhenError, match=f"'{text}'"):
        parse_quiet_hours(text)


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [
        (time(19, 59), False),
        (time(20, 0), True),  # start inclusive
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),  # end exclusive
        (time(12, 0), False),
    ],
)
def test_in_quiet_hours_wrapping_midnight(clock: time, quiet: bool) -> None:
    local = datetime.combine(date(2026, 3, 4), clock, tzinfo=LON)
    assert in_quiet_hours(local, time(20, 0), time(8, 0)) is quiet


def test_in_quiet_hours_same_day_window_and_wall_clock_semantics() -> None:
    start, end = time(13, 0), time(14, 0)
    assert in_quiet_hours(datetime(2026, 7, 1, 13, 30, tzinfo=NY), start, end)
    assert not in_quiet_hours(datetime(2026, 7, 1, 14, 0, tzinfo=NY), start, end)
    # The datetime's own wall clock is what counts, not its UTC equivalent.
    assert not in_quiet_hours(datetime(2026, 7, 1, 13, 30, tzinfo=UTC).astimezone(NY), start, end)


def test_quiet_hours_end_outside_window_returns_same_instant_in_utc() -> None:
    at = datetime(2026, 3, 4, 12, 0, tzinfo=NY)
    result = quiet_hours_end(at, NY, time(20, 0), time(8, 0))
    assert result == at
    assert_utc(result)


def test_quiet_hours_end_evening_and_early_morning() -> None:
    start, end = time(20, 0), time(8, 0)
    evening = quiet_hours_end(utc(2026, 3, 4, 21, 0), LON, start, end)
    early = quiet_hours_end(utc(2026, 3, 5, 3, 0), LON, start, end)
    assert evening == early == utc(2026, 3, 5, 8, 0)
    assert_utc(evening)


def test_quiet_hours_end_interprets_window_in_given_zone() -> None:
    # 02:00 UTC is 21:00 the previous evening in New York: quiet there until 08:00 EST.
    result = quiet_hours_end(utc(2026, 1, 15, 2, 0), NY, time(20, 0), time(8, 0))
    assert result == datetime(2026, 1, 15, 8, 0, tzinfo=NY)


def test_quiet_hours_end_across_spring_forward_night() -> None:
    # 23:00 GMT on Sat 28 Mar; the night loses an hour, so 08:00 BST is 07:00 UTC.
    result = quiet_hours_end(utc(2026, 3, 28, 23, 0), LON, time(22, 0), time(8, 0))
    assert result == utc(2026, 3, 29, 7, 0)


def test_quiet_hours_end_inside_the_gap_is_first_valid_instant() -> None:
    # Window ends 02:30, which New York skips on 8 Mar: it ends when clocks jump to 03:00 EDT.
    start, end = time(22, 0), time(2, 30)
    result = quiet_hours_end(datetime(2026, 3, 8, 1, 45, tzinfo=NY), NY, start, end)
    assert result == utc(2026, 3, 8, 7, 0)
    assert result.astimezone(NY).time() == time(3, 0)
    assert not in_quiet_hours(result.astimezone(NY), start, end)


def test_quiet_hours_end_on_fall_back_night_honours_both_passes() -> None:
    start, end = time(22, 0), time(1, 30)
    # First pass through 01:30 EDT (05:30 UTC) ends the window...
    assert quiet_hours_end(utc(2026, 11, 1, 3, 0), NY, start, end) == utc(2026, 11, 1, 5, 30)
    # ...then the clock goes back to 01:00 EST and is quiet again until 01:30 EST (06:30 UTC).
    assert in_quiet_hours(utc(2026, 11, 1, 6, 10).astimezone(NY), start, end)
    assert quiet_hours_end(utc(2026, 11, 1, 6, 10), NY, start, end) == utc(2026, 11, 1, 6, 30)


# --------------------------------------------------------------------------- parse_recurrence


def local_times(occurrences: list[datetime], tz: ZoneInfo) -> list[datetime]:
    """Occurrences as naive local wall-clock datetimes, for readable expectations."""
    return [o.astimezone(tz).replace(tzinfo=None) for o in occurrences]


@pytest.mark.parametrize(
    ("text", "expected_local"),
    [
        ("every monday 09:30", ["2026-03-09 09:30", "2026-03-16 09:30"]),
        ("every Monday at 9:30am", ["2026-03-09 09:30", "2026-03-16 09:30"]),
        ("cron: 30 9 * * mon", ["2026-03-09 09:30", "2026-03-16 09:30"]),
        (
            "every tuesday and thursday 14:00",
            ["2026-03-05 14:00", "2026-03-10 14:00", "2026-03-12 14:00", "2026-03-17 14:00"],
        ),
        (
            "every mon, wed & fridays at 2pm",
            [f"2026-03-{d:02d} 14:00" for d in (4, 6, 9, 11, 13, 16)],
        ),
        (
            "every weekday at 08:45",
            [f"2026-03-{d:02d} 08:45" for d in (5, 6, 9, 10, 11, 12, 13, 16, 17, 18)],
        ),
        ("every day 09:00", [f"2026-03-{d:02d} 09:00" for d in range(5, 19)]),
    ],
)
def test_recurrence_forms_fire_on_expected_local_times(
    text: str, expected_local: list[str]
) -> None:
    # Two weeks from Wed 4 Mar 12:00 London.
    occurrences = parse_recurrence(text).between(NOW, NOW + timedelta(days=14), LON)
    assert local_times(occurrences, LON) == [datetime.fromisoformat(e) for e in expected_local]
    assert all(o.tzinfo is UTC for o in occurrences)


def test_monthly_recurrence_fires_on_that_day_each_month() -> None:
    rule = parse_recurrence("every month on the 1st 10:00")
    occurrences = rule.between(NOW, utc(2026, 6, 30), LON)
    assert local_times(occurrences, LON) == [datetime(2026, m, 1, 10, 0) for m in (4, 5, 6)]


def test_recurrence_text_is_normalised() -> None:
    assert parse_recurrence("  Every   Monday at 9:30AM ").text == "every monday at 9:30am"


def test_next_after_is_strictly_after() -> None:
    rule = parse_recurrence("every monday 09:30")
    first = rule.next_after(NOW, LON)
    assert first == utc(2026, 3, 9, 9, 30)
    assert rule.next_after(first, LON) == utc(2026, 3, 16, 9, 30)
    assert rule.next_after(first - timedelta(seconds=1), LON) == first


def test_recurrence_times_are_wall_clock_in_the_zone_given_at_evaluation() -> None:
    rule = parse_recurrence("every monday 09:30")
    assert rule.next_after(NOW, NY) == datetime(2026, 3, 9, 9, 30, tzinfo=NY)
    assert rule.next_after(NOW, NY) == utc(2026, 3, 9, 13, 30)  # already EDT on 9 Mar


def test_recurrence_keeps_local_time_across_spring_forward() -> None:
    occurrences = parse_recurrence("every day 09:30").between(
        utc(2026, 3, 27), utc(2026, 3, 31), LON
    )
    assert occurrences == [
        utc(2026, 3, 27, 9, 30),
        utc(2026, 3, 28, 9, 30),
        utc(2026, 3, 29, 8, 30),  # 09:30 BST
        utc(2026, 3, 30, 8, 30),
    ]


@pytest.mark.parametrize(
    ("tz", "text", "day", "expected"),
    [
        (NY, "every day 02:30", date(2026, 3, 8), utc(2026, 3, 8, 7, 0)),  # 03:00 EDT
        (LON, "every day 01:30", date(2026, 3, 29), utc(2026, 3, 29, 1, 0)),  # 02:00 BST
    ],
)
def test_recurrence_in_spring_forward_gap_fires_when_the_clocks_have_jumped(
    tz: ZoneInfo, text: str, day: date, expected: datetime
) -> None:
    # The same rule as a one-off time: the first instant after the gap, on that day.
    rule = parse_recurrence(text)
    day_start = datetime.combine(day, time(0, 0), tzinfo=tz)
    assert rule.between(day_start, day_start + timedelta(hours=23), tz) == [expected]


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        (NY, date(2026, 11, 1), [utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)]),
        (LON, date(2026, 10, 25), [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)]),
    ],
)
def test_recurrence_on_fall_back_night_fires_at_both_passes(
    tz: ZoneInfo, day: date, expected: list[datetime]
) -> None:
    rule = parse_recurrence("every day 01:30")
    day_start = datetime.combine(day, time(0, 0), tzinfo=tz)
    assert rule.between(day_start, day_start + timedelta(hours=12), tz) == expected
    # And it moves on to the next day instead of getting stuck on the repeated hour.
    assert rule.next_after(expected[-1], tz) == datetime.combine(
        day + timedelta(days=1), time(1, 30), tzinfo=tz
    )


def test_two_weekly_defaults_to_even_iso_weeks() -> None:
    rule = parse_recurrence("every 2 weeks on tuesday 09:30")
    occurrences = rule.between(utc(2026, 3, 1), utc(2026, 4, 12), LON)
    local = local_times(occurrences, LON)
    assert local == [datetime(2026, 3, d, 9, 30) for d in (3, 17, 31)]
    assert all(d.isocalendar().week % 2 == 0 for d in local)


@pytest.mark.parametrize(
    "text", ["every 2 weeks on tuesday 09:30 (odd weeks)", "every other tuesday 9:30am odd weeks"]
)
def test_two_weekly_can_be_anchored_on_odd_weeks(text: str) -> None:
    odd = parse_recurrence(text).between(utc(2026, 3, 1), utc(2026, 4, 12), LON)
    even = parse_recurrence("every 2 weeks on tuesday 09:30").between(
        utc(2026, 3, 1), utc(2026, 4, 12), LON
    )
    odd_days = [d.date() for d in local_times(odd, LON)]
    even_days = [d.date() for d in local_times(even, LON)]
    assert len(odd_days) == 3 and len(even_days) == 3
    assert not set(odd_days) & set(even_days)  # the two cycles alternate
    assert all(b - a == timedelta(weeks=2) for a, b in itertools.pairwise(odd_days))


def test_two_weekly_follows_iso_week_numbers_across_a_53_week_year() -> None:
    # ISO 2026 has 53 weeks: week 53 (28 Dec) and week 1 of 2027 (4 Jan) are both odd.
    even = parse_recurrence("every 2 weeks on tuesday 09:30")
    odd = parse_recurrence("every 2 weeks on tuesday 09:30 odd weeks")
    span = (utc(2026, 12, 1), utc(2027, 2, 1), LON)
    even_days = [o.date() for o in even.between(*span)]
    odd_days = [o.date() for o in odd.between(*span)]
    assert even_days == [
        date(2026, 12, 8),
        date(2026, 12, 22),
        date(2027, 1, 12),
        date(2027, 1, 26),
    ]
    assert odd_days == [
        date(2026, 12, 1),
        date(2026, 12, 15),
        date(2026, 12, 29),
        date(2027, 1, 5),
        date(2027, 1, 19),
    ]
    assert all(d.isocalendar().week % 2 == 0 for d in even_days)
    assert all(d.isocalendar().week % 2 == 1 for d in odd_days)


def test_between_bounds_are_exclusive_start_inclusive_end() -> None:
    rule = parse_recurrence("every day 09:00")
    occurrences = rule.between(utc(2026, 3, 5, 9, 0), utc(2026, 3, 7, 9, 0), LON)
    assert occurrences == [utc(2026, 3, 6, 9, 0), utc(2026, 3, 7, 9, 0)]


def test_between_respects_limit_and_returns_earliest_first() -> None:
    rule = parse_recurrence("every day 09:00")
    assert rule.between(NOW, NOW + timedelta(days=365), LON, limit=3) == [
        utc(2026, 3, 5, 9, 0),
        utc(2026, 3, 6, 9, 0),
        utc(2026, 3, 7, 9, 0),
    ]
    assert rule.between(NOW, NOW + timedelta(days=365), LON, limit=0) == []


def test_between_default_limit_caps_at_1000() -> None:
    rule = parse_recurrence("cron: * * * * *")  # every minute: 1440 in a day
    occurrences = rule.between(NOW, NOW + timedelta(days=1), LON)
    assert len(occurrences) == 1000
    assert occurrences == sorted(set(occurrences))


def test_cron_recurrence_supports_ranges_and_steps() -> None:
    rule = parse_recurrence("cron: */30 9-10 * * mon-fri")
    occurrences = rule.between(NOW, NOW + timedelta(days=1), LON)
    assert local_times(occurrences, LON) == [
        datetime(2026, 3, 5, 9, 0),
        datetime(2026, 3, 5, 9, 30),
        datetime(2026, 3, 5, 10, 0),
        datetime(2026, 3, 5, 10, 30),
    ]


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("every monday", "every monday 09:30"),
        ("every month on the 31st 10:00", "1 to 28"),
        ("every month on the 29th 10:00", "not every month has a 29th"),
        ("every 13 weeks on monday 9am", "every 1 to 12 weeks"),
        ("every 3 weeks at 9am", "which day"),
        ("every blursday 9am", "every monday 09:30"),
        ("monday 9am", "every monday 09:30"),
        ("every monday 25:00", "hours only go up to 23"),
        ("every monday 9am odd weeks", "every 2 weeks"),
        ("cron: 30 9 * *", "5 parts"),
        ("cron: 30 9 * * 1", "name the weekdays"),
        ("cron: 61 9 * * mon", "cron: 30 9 * * mon"),
        ("cron: 0 9 30 2 *", "never happens"),
    ],
)
def test_parse_recurrence_errors_are_friendly(text: str, hint: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_recurrence(text)
    assert f"'{text}'" in str(err.value)
    assert hint in str(err.value)


# --------------------------------------------------------------------------- parse_schedule


@pytest.mark.parametrize(
    ("text", "days", "at"),
    [
        ("7 days after each meeting at 10:00", 7, time(10, 0)),
        ("2 days after each meeting", 2, time(10, 0)),
        ("1 day after every meeting at 9am", 1, time(9, 0)),
        ("The day after each meeting", 1, time(10, 0)),
        ("0 days after each meeting at 17:30", 0, time(17, 30)),
        ("1 week after each meeting", 7, time(10, 0)),
    ],
)
def test_parse_schedule_after_meeting(text: str, days: int, at: time) -> None:
    schedule = parse_schedule(text)
    assert isinstance(schedule, AfterMeeting)
    assert (schedule.days, schedule.at) == (days, at)
    assert schedule.text == " ".join(text.lower().split())


@pytest.mark.parametrize("text", ["every weekday at 08:45", "cron: 30 9 * * mon"])
def test_parse_schedule_accepts_recurrences(text: str) -> None:
    schedule = parse_schedule(text)
    assert isinstance(schedule, Recurrence)
    assert schedule == parse_recurrence(text)


@pytest.mark.parametrize(
    "text", ["whenever", "2 days after each meeting at 25:00", "every month on the 30th 9am"]
)
def test_parse_schedule_errors_name_the_text(text: str) -> None:
    with pytest.raises(WhenError, match=f"'{text}'"):
        parse_schedule(text)


def test_after_meeting_fire_time_uses_local_meeting_date() -> None:
    rule = AfterMeeting(days=1, at=time(10, 0), text="1 day after each meeting")
    meeting = utc(2026, 6, 1, 23, 30)  # 19:30 on 1 Jun in New York, 00:30 on 2 Jun in London
    assert rule.fire_time(meeting, NY) == datetime(2026, 6, 2, 10, 0, tzinfo=NY)
    assert rule.fire_time(meeting, LON) == datetime(2026, 6, 3, 10, 0, tzinfo=LON)
    assert rule.fire_time(meeting, LON).tzinfo is UTC


def test_after_meeting_fire_time_across_dst_change_keeps_local_time() -> None:
    rule = parse_schedule("7 days after each meeting at 10:00")
    assert isinstance(rule, AfterMeeting)
    # Meeting on Thu 26 Mar (GMT); a week later London is on BST.
    assert rule.fire_time(utc(2026, 3, 26, 18, 0), LON) == utc(2026, 4, 2, 9, 0)
    # Meeting on Thu 29 Oct in New York (EDT); a week later it is EST.
    assert rule.fire_time(datetime(2026, 10, 29, 18, 0, tzinfo=NY), NY) == utc(2026, 11, 5, 15)


def test_after_meeting_fire_time_in_gap_is_first_valid_instant() -> None:
    rule = AfterMeeting(days=0, at=time(2, 30), text="0 days after each meeting at 2:30am")
    assert rule.fire_time(datetime(2026, 3, 8, 0, 15, tzinfo=NY), NY) == utc(2026, 3, 8, 7, 0)


def test_after_meeting_rejects_negative_days() -> None:
    with pytest.raises(ValueError):
        AfterMeeting(days=-1, at=time(10, 0), text="")


# --------------------------------------------------------------------------- parse_moment


@pytest.mark.parametrize(
    ("text", "expected_london"),
    [
        ("2026-12-15", "2026-12-15 09:00"),
        ("2026-12-15 14:00", "2026-12-15 14:00"),
        ("2026-12-15T14:00", "2026-12-15 14:00"),
        ("2026-06-15 14:00", "2026-06-15 14:00"),  # BST: 13:00 UTC
        ("15 Dec", "2026-12-15 09:00"),
        ("15 December", "2026-12-15 09:00"),
        ("Dec 15", "2026-12-15 09:00"),
        ("15th of December", "2026-12-15 09:00"),
        ("15 Dec 2027", "2027-12-15 09:00"),
        ("December 15th, 2027", "2027-12-15 09:00"),
        ("15/12/2026", "2026-12-15 09:00"),
        ("05/12/2026", "2026-12-05 09:00"),  # UK day-first
        ("15/12", "2026-12-15 09:00"),
        ("tomorrow", "2026-03-05 09:00"),
        ("Tomorrow 10:00", "2026-03-05 10:00"),
        ("today 17:00", "2026-03-04 17:00"),
        ("monday", "2026-03-09 09:00"),
        ("next monday", "2026-03-09 09:00"),
        ("friday 3pm", "2026-03-06 15:00"),
        ("at 3pm on Friday", "2026-03-06 15:00"),
        ("by 15 Dec 17:00", "2026-12-15 17:00"),
        ("15:00", "2026-03-04 15:00"),
        ("11:00", "2026-03-05 11:00"),  # already gone today: tomorrow
        ("in 3 weeks", "2026-03-25 12:00"),
        ("in 2 days", "2026-03-06 12:00"),
        ("in 4 hours", "2026-03-04 16:00"),
        ("in 2 days at 10:00", "2026-03-06 10:00"),
    ],
)
def test_parse_moment_forms(text: str, expected_london: str) -> None:
    result = parse_moment(text, NOW, LON)
    assert result == datetime.fromisoformat(expected_london).replace(tzinfo=LON)
    assert_utc(result)


def test_parse_moment_accepts_now_in_any_zone() -> None:
    now_in_ny = NOW.astimezone(NY)
    assert parse_moment("tomorrow 10:00", now_in_ny, LON) == utc(2026, 3, 5, 10, 0)


def test_parse_moment_date_without_year_is_the_next_such_date() -> None:
    now = utc(2026, 12, 20, 12, 0)
    assert parse_moment("15 Dec", now, LON) == utc(2027, 12, 15, 9, 0)
    assert parse_moment("2 Jan", now, LON) == utc(2027, 1, 2, 9, 0)
    assert parse_moment("20 Dec 18:00", now, LON) == utc(2026, 12, 20, 18, 0)  # today


def test_parse_moment_uses_default_time_for_date_only_forms() -> None:
    assert parse_moment("15 Dec", NOW, LON, default_time=time(14, 0)) == utc(2026, 12, 15, 14)
    assert parse_moment("tomorrow", NOW, NY, default_time=time(8, 0)) == datetime(
        2026, 3, 5, 8, 0, tzinfo=NY
    )


def test_parse_moment_weekday_today_vs_next() -> None:
    # Wednesday 12:00: "wednesday 13:00" is still today, "wednesday" (09:00) is next week.
    assert parse_moment("wednesday 13:00", NOW, LON) == utc(2026, 3, 4, 13, 0)
    assert parse_moment("wednesday", NOW, LON) == utc(2026, 3, 11, 9, 0)
    assert parse_moment("next wednesday 13:00", NOW, LON) == utc(2026, 3, 11, 13, 0)


def test_parse_moment_next_meeting() -> None:
    meeting = datetime(2026, 3, 10, 18, 30, tzinfo=NY)
    result = parse_moment("Next meeting", NOW, LON, next_meeting=meeting)
    assert result == meeting
    assert_utc(result)


def test_parse_moment_next_meeting_missing() -> None:
    with pytest.raises(WhenError) as err:
        parse_moment("next meeting", NOW, LON)
    assert str(err.value) == "There's no next meeting in the calendar yet."


def test_parse_moment_next_meeting_in_the_past() -> None:
    past = utc(2026, 3, 1, 18, 0)
    with pytest.raises(WhenError, match="in the past"):
        parse_moment("next meeting", NOW, LON, next_meeting=past)
    assert parse_moment("next meeting", NOW, LON, next_meeting=past, allow_past=True) == past


def test_parse_moment_exact_messages_from_the_spec() -> None:
    with pytest.raises(WhenError) as err:
        parse_moment("by 31 Feb", NOW, LON)
    assert str(err.value) == "I couldn't read 'by 31 Feb' as a date: February has no 31st."
    with pytest.raises(WhenError) as err:
        parse_moment("2026-01-01 09:00", NOW, LON)
    assert str(err.value) == "'2026-01-01 09:00' is in the past."


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31 Feb", "February has no 31st"),
        ("2026-02-30", "February has no 30th"),
        ("2027-02-29", "February 2027 has no 29th"),
        ("29 Feb", "29 Feb 2028"),
        ("2026-13-01", "no month 13"),
        ("31/04/2026", "April has no 31st"),
        ("yesterday", "in the past"),
        ("last week", "in the past"),
        ("3 days ago", "in the past"),
        ("today 08:00", "in the past"),
        ("in 0 days", "still ahead"),
        ("today 25:00", "hours only go up to 23"),
        ("next blue moon", "tomorrow 10:00"),
        ("asdf", "tomorrow 10:00"),
        ("in 9999999 weeks", "too far ahead"),
    ],
)
def test_parse_moment_errors_name_the_text_and_reason(text: str, reason: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_moment(text, NOW, LON)
    assert f"'{text}'" in str(err.value)
    assert reason in str(err.value)


def test_parse_moment_now_itself_counts_as_past() -> None:
    with pytest.raises(WhenError, match="in the past"):
        parse_moment("today 12:00", NOW, LON)


def test_parse_moment_allow_past() -> None:
    assert parse_moment("today 08:00", NOW, LON, allow_past=True) == utc(2026, 3, 4, 8, 0)
    assert parse_moment("2026-01-01 09:00", NOW, LON, allow_past=True) == utc(2026, 1, 1, 9)
    assert parse_moment("yesterday", NOW, LON, allow_past=True) == utc(2026, 3, 3, 9, 0)


@pytest.mark.parametrize(
    ("tz", "text", "expected"),
    [
        (NY, "2026-03-08 02:30", utc(2026, 3, 8, 7, 0)),  # gap -> 03:00 EDT
        (LON, "29 Mar 01:30", utc(2026, 3, 29, 1, 0)),  # gap -> 02:00 BST
        (NY, "2026-11-01 01:30", utc(2026, 11, 1, 5, 30)),  # ambiguous -> first (EDT)
        (LON, "25 Oct 01:30", utc(2026, 10, 25, 0, 30)),  # ambiguous -> first (BST)
    ],
)
def test_parse_moment_dst_gap_and_fold(tz: ZoneInfo, text: str, expected: datetime) -> None:
    assert parse_moment(text, NOW, tz) == expected


def test_parse_moment_relative_days_keep_wall_clock_hours_do_not() -> None:
    now = utc(2026, 3, 28, 12, 0)  # Sat 12:00 GMT; BST starts overnight
    assert parse_moment("in 2 days", now, LON) == datetime(2026, 3, 30, 12, 0, tzinfo=LON)
    assert parse_moment("in 48 hours", now, LON) == utc(2026, 3, 30, 12, 0)


def test_parse_moment_in_hours_during_repeated_hour_is_exact() -> None:
    now = utc(2026, 11, 1, 6, 10)  # 01:10 EST, the second pass through 01:xx
    assert parse_moment("in 4 hours", now, NY) == utc(2026, 11, 1, 10, 10)


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 3, 4, 12, 0)
    rule = parse_recurrence("every day 09:00")
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_moment("tomorrow", naive, LON)
    with pytest.raises(ValueError, match="timezone-aware"):
        rule.next_after(naive, LON)
    with pytest.raises(ValueError, match="timezone-aware"):
        quiet_hours_end(naive, LON, time(20, 0), time(8, 0))
