"""Repeating times across clock changes, in every zone: no day's occurrence is lost.

The oracle is python-dateutil's rrule, which lists local wall-clock times knowing nothing of
clock changes; each wall time must then be fired at the instants it names in the zone (both,
when the clocks go back), or, when the clocks skip it, at the moment they jump past it, on
that same day.
"""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.when import parse_recurrence
from tests.when_caches import fresh_caches  # noqa: F401 (used: autouse)

NY = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
HAVANA = ZoneInfo("America/Havana")
ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


def local_days(rule_text: str, tz: ZoneInfo, first: date, last: date) -> list[str]:
    start = datetime.combine(first, time(12), tzinfo=tz)
    end = datetime.combine(last, time(12), tzinfo=tz)
    found = parse_recurrence(rule_text).between(start, end, tz)
    return [t.astimezone(tz).strftime("%m-%d %H:%M") for t in found]


@pytest.mark.parametrize("at", ["00:00", "00:30", "00:59"])
def test_a_time_just_after_midnight_fires_on_the_day_after_the_clocks_go_forward(at: str) -> None:
    # New York springs forward at 02:00 on Sunday 8 March 2026: Monday 9 March still counts.
    days = local_days(f"every day {at}", NY, date(2026, 3, 6), date(2026, 3, 11))
    assert days == [f"03-{d:02d} {at}" for d in (7, 8, 9, 10, 11)]


@pytest.mark.parametrize(
    ("tz", "jump_day", "at", "fires_at"),
    [
        (SANTIAGO, date(2026, 9, 6), "00:30", "09-06 01:00"),  # midnight becomes 01:00
        (SANTIAGO, date(2026, 9, 6), "00:00", "09-06 01:00"),
        (HAVANA, date(2026, 3, 8), "00:00", "03-08 01:00"),
        (HAVANA, date(2026, 3, 8), "00:45", "03-08 01:00"),
    ],
)
def test_where_midnight_is_skipped_the_day_keeps_its_occurrence(
    tz: ZoneInfo, jump_day: date, at: str, fires_at: str
) -> None:
    before, after = jump_day - timedelta(days=1), jump_day + timedelta(days=1)
    days = local_days(f"every day {at}", tz, before - timedelta(days=1), after)
    assert days == [f"{before:%m-%d} {at}", fires_at, f"{after:%m-%d} {at}"]


# --------------------------------------------------------------------------- the oracle


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _named(wall: datetime, tz: ZoneInfo) -> set[datetime]:
    """The instants a wall time names in ``tz`` (none if the clocks skip it)."""
    candidates = {wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)}
    return {c for c in candidates if _wall(c, tz) == wall}


def _jumps_past(instant: datetime, wall: datetime, tz: ZoneInfo) -> bool:
    """Whether ``instant`` is when the clocks jump past the skipped ``wall``, that day."""
    shows = _wall(instant, tz)
    just_before = _wall(instant - timedelta(seconds=1), tz)
    return shows.date() == wall.date() and just_before < wall < shows


def _transitions(tz: ZoneInfo, year: int) -> list[date]:
    """Local dates in ``year`` on which the zone's UTC offset changes."""
    noon = datetime(year, 1, 1, 12, tzinfo=UTC)
    days = [noon + timedelta(days=n) for n in range(366)]
    return [
        b.astimezone(tz).date()
        for a, b in itertools.pairwise(days)
        if a.astimezone(tz).utcoffset() != b.astimezone(tz).utcoffset()
    ]


@st.composite
def rules(draw: st.DrawFn) -> tuple[str, dict[str, object], int | None, int]:
    """A phrase, the rrule that lists its wall times, the ISO week parity kept (if any),
    and how many days to look at."""
    hour = draw(st.sampled_from([0, 0, 0, 1, 1, 2, 2, 3, 23, 9]))
    minute = draw(st.sampled_from([0, 15, 30, 45, 59]))
    at = f"{hour:02d}:{minute:02d}"
    shape = draw(st.sampled_from(["daily", "days", "weekday", "monthly", "last", "fortnight"]))
    base: dict[str, object] = {"byhour": hour, "byminute": minute, "bysecond": 0}
    if shape == "daily":
        return f"every day {at}", {**base, "freq": rrule.DAILY}, None, 20
    if shape == "weekday":
        return (
            f"every weekday {at}",
            {**base, "freq": rrule.DAILY, "byweekday": RRULE_DAYS[:5]},
            None,
            28,
        )
    if shape == "monthly":
        day = draw(st.integers(1, 28))
        return (
            f"every month on the {day} {at}",
            {**base, "freq": rrule.MONTHLY, "bymonthday": day},
            None,
            400,
        )
    if shape == "last":
        weekday = draw(st.integers(0, 6))
        text = f"every month on the last {DAY_NAMES[weekday]} {at}"
        return (
            text,
            {**base, "freq": rrule.MONTHLY, "byweekday": RRULE_DAYS[weekday](-1)},
            None,
            400,
        )
    days = sorted(draw(st.sets(st.integers(0, 6), min_size=1, max_size=3)))
    names = " and ".join(DAY_NAMES[d] for d in days)
    weekly = {**base, "freq": rrule.DAILY, "byweekday": [RRULE_DAYS[d] for d in days]}
    if shape == "days":
        return f"every {names} {at}", weekly, None, 60
    parity = draw(st.integers(0, 1))
    text = f"every 2 weeks on {names} {at} {'odd' if parity else 'even'} weeks"
    return text, weekly, parity, 120


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    year=st.integers(2022, 2030),
    pick=st.integers(0, 3),
    rule=rules(),
)
def test_recurrences_agree_with_dateutil_across_clock_changes(
    zone: str, year: int, pick: int, rule: tuple[str, dict[str, object], int | None, int]
) -> None:
    text, recipe, parity, span = rule
    tz = ZoneInfo(zone)
    changes = _transitions(tz, year)
    around = changes[pick % len(changes)] if changes else date(year, 1, 1)
    first = around - timedelta(days=min(span // 2, 40))
    last = first + timedelta(days=span)
    walls = [
        w
        for w in rrule.rrule(
            dtstart=datetime.combine(first + timedelta(days=1), time(0)),
            until=datetime.combine(last, time(0)) - timedelta(seconds=1),
            **recipe,  # type: ignore[arg-type]
        )
        if parity is None or w.isocalendar().week % 2 == parity
    ]
    start = datetime.combine(first, time(12)).replace(tzinfo=tz)
    end = datetime.combine(last, time(12)).replace(tzinfo=tz)
    fired = [
        t
        for t in parse_recurrence(text).between(start, end, tz)
        if first < _wall(t, tz).date() < last
    ]
    assert fired == sorted(fired)
    unmatched = set(fired)
    for wall in walls:
        named = _named(wall, tz)
        if named:
            assert named <= set(fired), f"{wall} not fired in {zone}"
            unmatched -= named
            continue
        jumps = [t for t in fired if _jumps_past(t, wall, tz)]
        assert len(jumps) == 1, f"skipped {wall} not fired once when the clocks jump in {zone}"
        unmatched -= set(jumps)
    assert not unmatched, f"fired at times no rule names in {zone}: {sorted(unmatched)}"
