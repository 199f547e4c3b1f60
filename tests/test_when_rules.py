"""The small rules inside reading times, one by one: each word people use, each boundary,
each message. Results never depend on the machine's own time zone."""

from __future__ import annotations

import time as system_time
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.when import (
    AfterMeeting,
    WhenError,
    parse_clock,
    parse_duration,
    parse_moment,
    parse_recurrence,
    parse_schedule,
)
from bot.domain.when.common import ordinal, shown
from tests.when_caches import fresh_caches  # noqa: F401 (used: autouse)

LON = ZoneInfo("Europe/London")
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)  # Friday 6 March 2026, 12:00 in London


@pytest.fixture(autouse=True)
def _machine_far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone is never the community's: run as if it were Kathmandu."""
    monkeypatch.setenv("TZ", "Asia/Kathmandu")
    system_time.tzset()
    yield
    monkeypatch.undo()
    system_time.tzset()


@pytest.mark.parametrize(
    ("text", "cron", "weeks"),
    [
        ("every day 9am", "0 9 * * *", 1),
        ("every single day 9am", "0 9 * * *", 1),
        ("every weekday 9am", "0 9 * * mon-fri", 1),
        ("every weekdays 9am", "0 9 * * mon-fri", 1),
        ("every working day 9am", "0 9 * * mon-fri", 1),
        ("every work day 9am", "0 9 * * mon-fri", 1),
        ("every mondays 9am", "0 9 * * mon", 1),
        ("every mon/wed 9am", "0 9 * * mon,wed", 1),
        ("every 1 week on monday 9am", "0 9 * * mon", 1),
        ("every week on monday 9am", "0 9 * * mon", 1),
        ("every two weeks on monday 9am", "0 9 * * mon", 2),
        ("every other week on monday 9am", "0 9 * * mon", 2),
        ("every fortnight on monday 9am", "0 9 * * mon", 2),
        ("every other monday 9am", "0 9 * * mon", 2),
        ("every three weeks on monday 9am", "0 9 * * mon", 3),
        ("every four weeks on monday 9am", "0 9 * * mon", 4),
        ("every 12 weeks on monday 9am", "0 9 * * mon", 12),
        ("every month on the 28th 9am", "0 9 28 * *", 1),
        ("every month on day 1 9am", "0 9 1 * *", 1),
        ("every month on the last day 9am", "0 9 last * *", 1),
        ("every month on the second wednesday 9am", "0 9 2nd_wed * *", 1),
        ("the third thursday of each month 9am", "0 9 3rd_thu * *", 1),
        ("the 4th friday in the month at 9am", "0 9 4th_fri * *", 1),
        ("cron: 30  9 * *  mon", "30 9 * * mon", 1),
    ],
)
def test_each_way_of_saying_a_rhythm(text: str, cron: str, weeks: int) -> None:
    rule = parse_recurrence(text)
    assert (rule.cron, rule.interval_weeks, rule.start) == (cron, weeks, None)


def test_a_cron_rule_is_kept_as_typed_tidily() -> None:
    rule = parse_recurrence("CRON: 30  9 * *  mon")
    assert rule.text == "cron: 30 9 * * mon"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "every month on the 29th 10:00",
            "I can't repeat 'every month on the 29th 10:00': not every month has a 29th, so "
            "monthly days must be from 1 to 28 (or 'the last day'). "
            "Try 'every month on the 28th 10:00'.",
        ),
        (
            "every 0 weeks on monday 9am",
            "I can't repeat 'every 0 weeks on monday 9am': I can repeat every 1 to 12 weeks. "
            "Try 'every 2 weeks on tuesday 09:30'.",
        ),
        (
            "every 3 weeks at 9am",
            "Please say which day in 'every 3 weeks at 9am', e.g. 'every 3 weeks on "
            "tuesday 09:30'.",
        ),
        (
            "cron: 30 9 * *",
            "I couldn't read 'cron: 30 9 * *' as a cron rule: it needs 5 parts "
            "(minute hour day month weekday), e.g. 'cron: 30 9 * * mon'.",
        ),
        (
            "cron: 30 9 * * 1-5",
            "I couldn't read 'cron: 30 9 * * 1-5' as a cron rule: please name the weekdays "
            "(mon, tue, ...) instead of numbering them, e.g. 'cron: 30 9 * * mon-fri'.",
        ),
        (
            "cron: 0 9 31 2 *",
            "The cron rule 'cron: 0 9 31 2 *' never happens. Try 'cron: 30 9 * * mon'.",
        ),
        (
            "every monday",
            "Please add a time to 'every monday', e.g. 'every monday 09:30'.",
        ),
    ],
)
def test_a_rhythm_that_cannot_be_kept_says_exactly_why(text: str, message: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_recurrence(text)
    assert str(err.value) == message


def test_a_cron_rule_on_a_leap_day_still_happens() -> None:
    rule = parse_recurrence("cron: 0 9 29 2 *")
    assert rule.next_after(NOW, LON) == datetime(2028, 2, 29, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "days", "at"),
    [
        ("the day after each meeting", 1, time(10, 0)),
        ("a week after each meeting at 9am", 7, time(9, 0)),
        ("2 weeks after the meeting", 14, time(10, 0)),
        ("366 days after each meeting", 366, time(10, 0)),
        ("3d after each meeting at 17:00", 3, time(17, 0)),
    ],
)
def test_each_way_of_saying_after_a_meeting(text: str, days: int, at: time) -> None:
    rule = parse_schedule(text)
    assert isinstance(rule, AfterMeeting)
    assert (rule.days, rule.at) == (days, at)


def test_more_than_a_year_after_a_meeting_is_refused() -> None:
    with pytest.raises(WhenError) as err:
        parse_schedule("367 days after each meeting")
    assert str(err.value) == (
        "'367 days after each meeting' is more than a year after the meeting. "
        "Try 'every monday 09:30' or '2 days after each meeting at 10:00'."
    )


def test_schedules_recognise_the_monthly_forms_without_every() -> None:
    assert parse_schedule("first monday of the month 9am") == parse_recurrence(
        "first monday of the month 9am"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2:30 p.m.", time(14, 30)),
        ("9 a.m.", time(9, 0)),
        ("9.30 A.M.", time(9, 30)),
        ("9am.", time(9, 0)),
        ("midnight", time(0, 0)),
        ("noon", time(12, 0)),
        ("12:00", time(12, 0)),
        ("12 p", time(12, 0)),
        ("12a", time(0, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_clock_forms(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("24:00", "I couldn't read '24:00' as a time: hours only go up to 23. "),
        ("9:60", "I couldn't read '9:60' as a time: minutes only go up to 59. "),
        ("0am", "with am or pm the hour must be from 1 to 12"),
        ("13 pm", "with am or pm the hour must be from 1 to 12"),
        ("٩:٣٠", "it needs minutes or am/pm"),  # digits of another script are not read
    ],
)
def test_clock_limits(text: str, message: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_clock(text)
    assert message in str(err.value)
    assert str(err.value).endswith("Try '09:30', '9:30am' or '2pm'.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 week 2 days", timedelta(days=9)),
        ("1 hour 30 minutes", timedelta(minutes=90)),
        ("2 hours and 30 mins", timedelta(minutes=150)),
        ("a fortnight", timedelta(days=14)),
        ("1 fortnight, 1 day", timedelta(days=15)),
    ],
)
def test_lengths_of_time_add_up(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["٣ days", "٢ weeks"])
def test_digits_of_another_script_are_not_read_as_a_length(text: str) -> None:
    with pytest.raises(WhenError, match="couldn't read"):
        parse_duration(text)


@pytest.mark.parametrize(
    "text", ["٢٠٢٦-١٢-١٥", "١٥/١٢/٢٠٢٦", "١٥.١٢.٢٠٢٦", "١٥ dec", "dec ١٥", "the ١٥th", "١٥th"]
)
def test_digits_of_another_script_are_not_read_as_a_date(text: str) -> None:
    with pytest.raises(WhenError, match="couldn't read"):
        parse_moment(text, NOW, LON)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"), (11, "11th"),
        (12, "12th"), (13, "13th"), (20, "20th"), (21, "21st"), (22, "22nd"), (23, "23rd"),
        (24, "24th"), (31, "31st"), (101, "101st"), (111, "111th"), (112, "112th"),
    ],
)  # fmt: skip
def test_ordinals(n: int, text: str) -> None:
    assert ordinal(n) == text


def test_long_text_is_shortened_when_quoted_back() -> None:
    assert shown("a" * 60) == "a" * 60
    assert shown("a" * 61) == "a" * 59 + "…"
    assert shown("  two   words ") == "two words"
    with pytest.raises(WhenError) as err:
        parse_moment("x" * 80, NOW, LON)
    assert f"'{'x' * 59}…'" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tomorrow!", "2026-03-07 09:00"),
        ("tomorrow.", "2026-03-07 09:00"),
        ("tmrw 10:00", "2026-03-07 10:00"),
        ("the next meeting", "2026-03-10 18:00"),
        ("friday 13:00", "2026-03-06 13:00"),
        ("friday 12:00", "2026-03-13 12:00"),  # this very minute has gone: next week's
        ("tonight 12:30", "2026-03-06 12:30"),  # half past noon, not past midnight
        ("tonight 11:30", "2026-03-06 23:30"),
        ("15/12/26", "2026-12-15 09:00"),
        ("15.12.26", "2026-12-15 09:00"),
        ("the 31st", "2026-03-31 09:00"),
        ("31st dec 14:00", "2026-12-31 14:00"),
        ("dec 31st", "2026-12-31 09:00"),
    ],
)
def test_moment_words(text: str, expected: str) -> None:
    meeting = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    result = parse_moment(text, NOW, LON, next_meeting=meeting)
    assert result == datetime.fromisoformat(expected).replace(tzinfo=LON)
    assert result.tzinfo is UTC


def test_the_day_of_month_rolls_over_the_year_end() -> None:
    december = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
    assert parse_moment("the 5th", december, LON) == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    assert parse_moment("the 1st", december, LON) == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    assert parse_moment("the 20th", december, LON) == datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


def test_the_first_comes_round_next_month() -> None:
    assert parse_moment("the 1st", NOW, LON) == datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def test_a_year_that_is_too_far_names_the_years_allowed() -> None:
    with pytest.raises(WhenError) as err:
        parse_moment("2040-01-01", NOW, LON)
    assert str(err.value) == (
        "'2040-01-01' is more than 5 years from now: please give a date between 2021 and 2031."
    )


def test_a_day_missing_in_both_years_asks_for_the_year() -> None:
    with pytest.raises(WhenError) as err:
        parse_moment("29 Feb", NOW, LON)
    assert str(err.value) == (
        "I couldn't read '29 Feb' as a date: there's no 29 February in 2026 or 2027. "
        "Add the year, e.g. '29 Feb 2028'."
    )
    assert parse_moment("29 Feb 2028", NOW, LON) == datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
    with pytest.raises(WhenError, match="February 2027 has no 29th"):
        parse_moment("29/02/2027", NOW, LON)
    assert parse_moment("28/02/2027", NOW, LON) == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)


def test_the_last_day_of_a_month_is_a_date() -> None:
    assert parse_moment("31 Mar", NOW, LON) == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    assert parse_moment("2026-04-30", NOW, LON) == datetime(2026, 4, 30, 8, 0, tzinfo=UTC)


def test_yesterday_when_looking_back_only() -> None:
    with pytest.raises(WhenError) as err:
        parse_moment("yesterday 10:00", NOW, LON)
    assert "is in the past" in str(err.value)
    with pytest.raises(WhenError) as err:
        parse_moment("last friday", NOW, LON, allow_past=True)
    assert str(err.value).startswith("I couldn't read 'last friday' as a date.")


def test_naive_times_name_what_was_naive() -> None:
    naive = datetime(2026, 3, 6, 12, 0)
    rule = parse_recurrence("every day 09:00")
    with pytest.raises(ValueError, match=r"^start must be timezone-aware$"):
        rule.between(naive, NOW, LON)
    with pytest.raises(ValueError, match=r"^end must be timezone-aware$"):
        rule.between(NOW, naive, LON)
    with pytest.raises(ValueError, match=r"^after must be timezone-aware$"):
        rule.next_after(naive, LON)
    with pytest.raises(ValueError, match=r"^meeting_start must be timezone-aware$"):
        AfterMeeting(days=1, at=time(10), text="").fire_time(naive, LON)
    with pytest.raises(ValueError, match=r"^next_meeting must be timezone-aware$"):
        parse_moment("next meeting", NOW, LON, next_meeting=naive)
    with pytest.raises(ValueError, match=r"^days must be >= 0$"):
        AfterMeeting(days=-1, at=time(10), text="")


# --------------------------------------------------------------------------- occurrences


def test_the_next_time_from_one_second_before() -> None:
    rule = parse_recurrence("every day 09:30")
    just_before = datetime(2026, 3, 7, 9, 29, 59, tzinfo=UTC)
    assert rule.next_after(just_before, LON) == datetime(2026, 3, 7, 9, 30, tzinfo=UTC)
    a_hair_before = datetime(2026, 3, 7, 9, 29, 59, 999999, tzinfo=UTC)
    assert rule.next_after(a_hair_before, LON) == datetime(2026, 3, 7, 9, 30, tzinfo=UTC)
    at_it = datetime(2026, 3, 7, 9, 30, 0, 1, tzinfo=UTC)
    assert rule.next_after(at_it, LON) == datetime(2026, 3, 8, 9, 30, tzinfo=UTC)


def test_from_the_first_pass_of_a_repeated_hour_the_second_pass_still_counts() -> None:
    # New York, 1 Nov 2026: 01:00-02:00 happens twice (EDT, then EST).
    rule = parse_recurrence("every day 01:20")
    first_pass_late = datetime(2026, 11, 1, 5, 50, tzinfo=UTC)  # 01:50 EDT
    assert rule.next_after(first_pass_late, NY) == datetime(2026, 11, 1, 6, 20, tzinfo=UTC)


def test_in_a_repeated_hour_the_earliest_instant_is_next() -> None:
    rule = parse_recurrence("cron: 0,30 1 * * *")
    after = datetime(2026, 11, 1, 5, 10, tzinfo=UTC)  # 01:10 EDT
    # 01:30 EDT (05:30 UTC) comes before 01:00 EST (06:00 UTC).
    assert rule.next_after(after, NY) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert rule.between(after, after + timedelta(hours=2), NY) == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    ]


def test_a_start_date_itself_is_kept() -> None:
    rule = parse_recurrence("every 3 weeks on friday 14:00 starting 2026-03-06")
    assert rule.start == date(2026, 3, 6)
    assert rule.next_after(datetime(2026, 3, 1, tzinfo=UTC), LON) == datetime(
        2026, 3, 6, 14, 0, tzinfo=UTC
    )
    later = rule.between(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC), LON)
    assert [t.date() for t in later] == [date(2026, 3, 6), date(2026, 3, 27), date(2026, 4, 17)]


def test_every_n_weeks_without_a_start_counts_from_a_fixed_monday() -> None:
    rule = parse_recurrence("every 3 weeks on monday 9am")
    mondays = [t.date() for t in rule.between(NOW, NOW + timedelta(days=63), LON)]
    assert mondays == [date(2026, 3, 9), date(2026, 3, 30), date(2026, 4, 20)]
    assert all((d - date(1970, 1, 5)).days % 21 == 0 for d in mondays)


def test_an_empty_quiet_window_holds_nothing_and_a_window_starts_on_time() -> None:
    from bot.domain.when import in_quiet_hours, parse_quiet_hours, quiet_hours_end

    at_ten = datetime(2026, 3, 6, 10, 0, tzinfo=LON)
    assert not in_quiet_hours(at_ten, time(10, 0), time(10, 0))
    assert not in_quiet_hours(at_ten + timedelta(hours=1), time(10, 0), time(10, 0))
    assert in_quiet_hours(at_ten, time(10, 0), time(11, 0))
    assert parse_quiet_hours("from 22:00 to 06:00") == (time(22, 0), time(6, 0))
    with pytest.raises(ValueError, match=r"^at must be timezone-aware$"):
        quiet_hours_end(datetime(2026, 3, 6, 10, 0), LON, time(9), time(11))


def test_lengths_of_time_that_cannot_be_kept_say_why() -> None:
    with pytest.raises(WhenError) as err:
        parse_duration("-3 days")
    assert str(err.value) == "'-3 days' is negative: please give a length of time like '3 days'."
    with pytest.raises(WhenError) as err:
        parse_duration("999999999 weeks")
    assert str(err.value) == (
        "'999999999 weeks' is too long. Try '3 days', '2 weeks', '36 hours' or '90 minutes'."
    )


def test_relative_and_day_words_use_the_community_day_not_the_machine_day() -> None:
    # 20:00 in London is already 01:45 the next day in Kathmandu (the machine's zone here).
    evening = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)
    assert parse_moment("in 2 days", evening, LON) == datetime(2026, 3, 8, 20, 0, tzinfo=UTC)
    assert parse_moment("in 1 day 3 hours", evening, LON) == datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    assert parse_moment("tomorrow", evening, LON) == datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
    assert parse_moment("in 2 days at 10:00", evening, LON) == datetime(
        2026, 3, 8, 10, 0, tzinfo=UTC
    )


def test_a_date_said_at_its_very_minute_is_next_years() -> None:
    assert parse_moment("6 Mar 12:00", NOW, LON) == datetime(2027, 3, 6, 12, 0, tzinfo=UTC)
    assert parse_moment("the 6th 12:00", NOW, LON) == datetime(2026, 4, 6, 11, 0, tzinfo=UTC)
