"""When a nudge goes out: the phrase read, the times it fires (a doubled local time once) and
how its timing is described back to the convener."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain import when
from bot.errors import UserError
from bot.features.nudge_times import (
    apply_when,
    describe_when,
    next_after_of,
    next_time,
    read_when,
    times_of,
)
from bot.storage.tables_momentum import Nudge

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
#: London's clocks go back on 25 Oct 2026: 01:30 happens at 00:30 and again at 01:30 UTC.
FALL_BACK_EVE = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)


def nudge(**fields: Any) -> Nudge:
    values: dict[str, Any] = {
        "community_id": 1,
        "text": "Share one photo",
        "when_text": "",
        "created_at": NOW,
    } | fields
    return Nudge(**values)


def refusal(phrase: str, zone: ZoneInfo = LONDON) -> str:
    with pytest.raises(UserError) as caught:
        apply_when(nudge(), phrase, NOW, zone)
    return str(caught.value)


def test_a_rhythm_is_kept_as_its_phrase_and_a_moment_as_its_time():
    assert read_when("tomorrow 09:00", NOW, NEW_YORK) == datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    rhythm = read_when("every day 09:00", NOW, LONDON)
    assert isinstance(rhythm, when.Recurrence) and rhythm.text == "every day 09:00"


def test_hourly_is_as_often_as_a_nudge_may_go():
    hourly = read_when("cron: 0 * * * *", NOW, LONDON)
    assert isinstance(hourly, when.Recurrence)
    with pytest.raises(UserError) as caught:
        read_when("cron: */30 * * * *", NOW, LONDON)
    assert str(caught.value) == (
        "'cron: */30 * * * *' is more often than once an hour: too many nudges."
    )


def test_a_rhythm_that_never_comes_round_within_a_year_is_refused():
    with pytest.raises(UserError) as caught:
        read_when("cron: 0 9 29 2 *", NOW, LONDON)  # the next 29 February is in 2028
    assert str(caught.value) == "'cron: 0 9 29 2 *' never comes round in the next year."


def test_changing_to_a_moment_clears_the_rhythm_and_keeps_the_phrase():
    changed = nudge(recurrence="every day 09:00")
    apply_when(changed, "tomorrow 09:00", NOW, NEW_YORK)
    assert changed.when_text == "tomorrow 09:00"
    assert changed.recurrence is None
    assert changed.fire_at == datetime(2026, 12, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York


def test_changing_to_a_rhythm_clears_the_moment():
    changed = nudge(fire_at=NOW + timedelta(days=1))
    apply_when(changed, "every tuesday 09:30", NOW, LONDON)
    assert changed.when_text == "every tuesday 09:30"
    assert changed.recurrence == "every tuesday 09:30"
    assert changed.fire_at is None


def test_only_the_first_200_characters_of_the_phrase_are_kept():
    phrase = "tomorrow 09:00" + " " * 250
    changed = nudge()
    apply_when(changed, phrase, NOW, LONDON)
    assert changed.when_text == phrase[:200]
    assert len(changed.when_text) == 200


def test_a_phrase_not_understood_is_refused_with_what_went_wrong():
    with pytest.raises(when.WhenError) as expected:
        when.parse_moment("the twelfth of never", NOW, LONDON)
    assert refusal("the twelfth of never") == str(expected.value)
    assert str(expected.value)  # there is something to say
    assert refusal("cron: */30 * * * *") == (
        "'cron: */30 * * * *' is more often than once an hour: too many nudges."
    )


def test_a_doubled_local_time_fires_once_the_first_time():
    rhythm = SimpleNamespace(recurrence="every day 01:30", fire_at=None)
    fire = times_of(rhythm, LONDON)
    assert fire(FALL_BACK_EVE, FALL_BACK_EVE + timedelta(days=2)) == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 01:30 BST
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),  # 01:30 GMT, the next day
    ]
    following = next_after_of(rhythm, LONDON)
    assert following is not None
    assert following(FALL_BACK_EVE) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert following(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == datetime(
        2026, 10, 26, 1, 30, tzinfo=UTC
    )


def test_a_rhythm_fires_in_its_zone():
    rhythm = SimpleNamespace(recurrence="every day 09:00", fire_at=None)
    assert times_of(rhythm, NEW_YORK)(NOW, NOW + timedelta(days=1)) == [
        datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    ]
    following = next_after_of(rhythm, NEW_YORK)
    assert following is not None and following(NOW) == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def test_a_one_off_fires_once_at_its_time_and_has_no_following_time():
    once = SimpleNamespace(recurrence=None, fire_at=NOW + timedelta(days=1))
    assert times_of(once, LONDON)(NOW, NOW + timedelta(days=2)) == [NOW + timedelta(days=1)]
    assert times_of(once, LONDON)(NOW + timedelta(days=1), NOW + timedelta(days=2)) == []
    assert next_after_of(once, LONDON) is None
    never = SimpleNamespace(recurrence=None, fire_at=None)
    assert times_of(never, LONDON)(NOW, NOW + timedelta(days=400)) == []


def test_the_next_time_of_a_one_off_is_only_while_it_is_still_to_come():
    soon = NOW + timedelta(minutes=1)
    assert next_time(nudge(fire_at=soon), LONDON, NOW) == soon
    assert next_time(nudge(fire_at=NOW), LONDON, NOW) is None
    assert next_time(nudge(fire_at=NOW - timedelta(minutes=1)), LONDON, NOW) is None
    assert next_time(nudge(), LONDON, NOW) is None


def test_the_next_time_of_a_rhythm_is_in_its_zone():
    daily = nudge(recurrence="every day 09:00")
    assert next_time(daily, NEW_YORK, NOW) == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert next_time(daily, LONDON, NOW) == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def context(zone: str) -> Any:
    return SimpleNamespace(
        settings=SimpleNamespace(zone=ZoneInfo(zone)),
        community=SimpleNamespace(timezone=zone),
        clock=SimpleNamespace(now=lambda: NOW),
    )


def test_the_timing_described_back_in_the_communitys_time():
    ctx = context("America/New_York")
    daily = nudge(recurrence="every day 09:00")
    assert describe_when(daily, ctx) == (
        "every day 09:00 (America/New_York time); next Tue 1 Dec, 09:00"
    )
    once = nudge(fire_at=datetime(2026, 12, 2, 14, 0, tzinfo=UTC))
    assert describe_when(once, ctx) == "once, Wed 2 Dec, 09:00"
    assert describe_when(nudge(), ctx) == "once"


def test_a_rare_rhythm_is_described_with_its_next_time_however_far():
    leap_day = nudge(recurrence="cron: 0 9 29 2 *")
    assert next_time(leap_day, LONDON, NOW) == datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
    assert describe_when(leap_day, context("Europe/London")) == (
        "cron: 0 9 29 2 * (Europe/London time); next Tue 29 Feb, 09:00"
    )


def test_a_rhythm_every_few_weeks_starts_on_its_next_day_in_the_communitys_zone():
    sunday_evening = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)  # already Monday in Kiritimati
    kiritimati = read_when("every 3 weeks on monday 09:00", sunday_evening, KIRITIMATI)
    utc = read_when("every 3 weeks on monday 09:00", sunday_evening, ZoneInfo("UTC"))
    assert isinstance(kiritimati, when.Recurrence) and isinstance(utc, when.Recurrence)
    assert kiritimati.text == "every 3 weeks on monday 09:00 starting 2026-12-14"
    assert utc.text == "every 3 weeks on monday 09:00 starting 2026-12-07"


def test_the_next_year_is_400_days_counted_in_the_communitys_zone():
    # 400 days after this is 29 Feb 2028 08:00 UTC: 09:00 that day in UTC is just too late,
    # while 09:00 in Kiritimati (UTC+14) is on the 28th in UTC, well inside.
    now = datetime(2027, 1, 25, 8, 0, tzinfo=UTC)
    with pytest.raises(UserError) as caught:
        read_when("cron: 0 9 29 2 *", now, ZoneInfo("UTC"))
    assert str(caught.value) == "'cron: 0 9 29 2 *' never comes round in the next year."
    accepted = read_when("cron: 0 9 29 2 *", now, KIRITIMATI)
    assert isinstance(accepted, when.Recurrence) and accepted.text == "cron: 0 9 29 2 *"


def test_after_the_doubled_time_the_next_is_the_next_day_in_the_zone_of_the_rhythm():
    # New York's clocks go back on 1 Nov 2026: 01:30 is at 05:30 and again at 06:30 UTC.
    rhythm = SimpleNamespace(recurrence="every day 01:30", fire_at=None)
    eve = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    assert times_of(rhythm, NEW_YORK)(eve, eve + timedelta(days=2)) == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 2, 6, 30, tzinfo=UTC),
    ]
    following = next_after_of(rhythm, NEW_YORK)
    assert following is not None
    assert following(datetime(2026, 11, 1, 5, 30, tzinfo=UTC)) == datetime(
        2026, 11, 2, 6, 30, tzinfo=UTC
    )


def test_a_rhythm_more_often_than_hourly_only_when_the_clocks_change_is_refused():
    london = ZoneInfo("Europe/London")
    december = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    # 00:30 and 01:30: an hour apart, except on 28 Mar 2027, when 01:30 does not exist and
    # moves to 02:00 summer time, 30 minutes after 00:30 in UTC.
    with pytest.raises(UserError) as refused:
        read_when("cron: 30 0,1 * * *", december, london)
    assert "more often than once an hour" in str(refused.value)
    for fine in ("cron: 0 * * * *", "every day at 00:30", "cron: 30 0,2 * * *"):
        assert read_when(fine, december, london).text == fine  # type: ignore[union-attr]
    # in a zone whose clocks never change, the same rule is an hour apart all year
    assert read_when("cron: 30 0,1 * * *", december, ZoneInfo("Asia/Kolkata"))
