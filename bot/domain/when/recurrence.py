"""When repeating schedules fall: occurrences of a ``Recurrence``, and ``AfterMeeting``.

A rule is first a list of local wall-clock times (a cron rule read in a zone without
clock changes), then each wall time becomes the instants it names in the community's zone:

* a time that exists once is that instant;
* a time that happens twice (the clocks going back) is both instants;
* a time the clocks skip (going forward) is the first instant after the gap, on that day:
  02:30 on New York's spring-forward night fires at 03:00 EDT, and 00:30 where midnight
  itself is skipped (Santiago, Havana) fires at 01:00. No day's occurrence is lost.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.domain.when.common import require_aware, to_utc, wall_of

#: Counting of whole weeks for rules every N weeks that give no start: from this Monday.
WEEK_EPOCH = date(1970, 1, 5)
#: How far either side of an instant to look for a change of UTC offset.
_NEAR = timedelta(hours=37)
_MAX_STEPS = 5000


@functools.lru_cache(maxsize=1024)
def wall_trigger(cron: str) -> CronTrigger:
    """A cron rule read in UTC, which has no clock changes: it lists naive wall times.

    The day field may say ``last``, ``last_fri`` or ``1st_tue`` (an underscore for the space
    APScheduler expects). Triggers are read-only once built: reading the rule again for every
    schedule's every look-up was a third of start-up time with 10,000 nudges."""
    minute, hour, day, month, day_of_week = cron.split()
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day.replace("_", " "),
        month=month,
        day_of_week=day_of_week,
        timezone=UTC,
    )


def next_wall(trigger: CronTrigger, after: datetime) -> datetime | None:
    """The first naive wall time the rule names strictly after naive ``after``."""
    probe = after.replace(microsecond=0) + timedelta(seconds=1)
    fire = trigger.get_next_fire_time(None, probe.replace(tzinfo=UTC))
    return None if fire is None else fire.replace(tzinfo=None)


def instants(wall: datetime, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants naive local ``wall`` names in ``tz``, earliest first."""
    first = wall.replace(tzinfo=tz).astimezone(UTC)
    if wall_of(first, tz) != wall:  # skipped by the clocks: the first instant after the gap
        return [to_utc(wall, tz)]
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return [first] if second == first else sorted({first, second})


def offset_spread(instant: datetime, tz: ZoneInfo) -> timedelta:
    """How much the zone's UTC offset changes within a day and a half of ``instant``."""
    return _spread_near(instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0), tz)


@functools.lru_cache(maxsize=4096)
def _spread_near(hour: datetime, tz: ZoneInfo) -> timedelta:
    """``offset_spread`` for a whole UTC hour: thousands of schedules looked up from the same
    moment share it (the samples reach past the hour either way, so any instant in it is
    covered)."""
    steps = (-_NEAR, timedelta(0), _NEAR)
    offsets = [(hour + step).astimezone(tz).utcoffset() for step in steps]
    known = [o for o in offsets if o is not None]
    return max(known) - min(known)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Recurrence:
    """A repeating local wall-clock schedule.

    ``cron`` is a 5-field crontab in APScheduler's dialect (weekdays by name; the day field
    may be ``last``, ``last_fri`` or ``1st_tue``). ``interval_weeks`` above 1 keeps only some
    weeks: every 2 weeks means the weeks whose ISO week number has parity ``week_parity``
    (0 = even, the default; 1 = odd), as printed in diaries, so in a year with 53 ISO weeks
    week 53 and week 1 are both odd. With a ``start`` date, or every 3 or more weeks, it
    counts whole weeks from the Monday of ``start`` (or of ``WEEK_EPOCH``), and nothing fires
    before ``start``.
    """

    text: str
    cron: str
    interval_weeks: int = 1
    week_parity: int = 0
    start: date | None = None

    def in_cycle(self, day: date) -> bool:
        """Whether the rule may fire on this local date (its week is one of the rule's)."""
        if self.interval_weeks == 1:
            return True
        if self.start is None and self.interval_weeks == 2:
            return day.isocalendar().week % 2 == self.week_parity
        weeks = (_monday(day) - _monday(self.start or WEEK_EPOCH)).days // 7
        return weeks % self.interval_weeks == 0

    def _first_after(self, after_utc: datetime, tz: ZoneInfo) -> datetime | None:
        trigger = wall_trigger(self.cron)
        # A wall time a little before ``after`` may still name a later instant (the first
        # pass of a repeated hour), and one a little after may name an earlier one.
        wall = wall_of(after_utc, tz) - offset_spread(after_utc, tz)
        best: datetime | None = None
        stop: datetime | None = None
        for _ in range(_MAX_STEPS):
            found = next_wall(trigger, wall)
            if found is None or (stop is not None and found > stop):
                return best
            wall = found
            if self.start is not None and wall.date() < self.start:
                wall = datetime.combine(self.start, time(0)) - timedelta(seconds=1)
                continue
            if not self.in_cycle(wall.date()):
                next_week = _monday(wall.date()) + timedelta(weeks=1)
                wall = datetime.combine(next_week, time(0)) - timedelta(seconds=1)
                continue
            for instant in instants(wall, tz):
                if instant > after_utc and (best is None or instant < best):
                    best = instant
                    stop = wall_of(best, tz) + offset_spread(best, tz)
            if stop is not None and wall >= stop:  # every later wall time is later still
                return best
        raise RuntimeError(f"no occurrence of {self.text!r} found after {after_utc.isoformat()}")

    def anchored(self, now: datetime, tz: ZoneInfo) -> Recurrence:
        """This rule, for every 3 or more weeks without a start date, starting with its next
        day after ``now`` (written into its text, so the stored phrase keeps the rhythm):
        "every 3 weeks on monday" said on a Tuesday first fires the coming Monday."""
        if self.interval_weeks < 3 or self.start is not None:
            return self
        first = replace(self, interval_weeks=1).next_after(now, tz)
        if first is None:
            return self
        day = first.astimezone(tz).date()
        return replace(self, start=day, text=f"{self.text} starting {day.isoformat()}")

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime | None:
        """The first occurrence strictly after ``after``, in UTC (None if it never fires)."""
        require_aware(after, "after")
        return _next_after(self, after.astimezone(UTC), tz)

    def between(
        self, start: datetime, end: datetime, tz: ZoneInfo, limit: int = 1000
    ) -> list[datetime]:
        """Occurrences with start < t <= end, in UTC, ascending, at most ``limit`` of them."""
        require_aware(start, "start")
        require_aware(end, "end")
        end_utc = end.astimezone(UTC)
        found: list[datetime] = []
        current = start.astimezone(UTC)
        while len(found) < limit:
            fire = _next_after(self, current, tz)
            if fire is None or fire > end_utc:
                break
            found.append(fire)
            current = fire
        return found


@functools.lru_cache(maxsize=4096)
def _next_after(rule: Recurrence, after_utc: datetime, tz: ZoneInfo) -> datetime | None:
    """Schedules sharing a rule and a zone share their next time: thousands of nudges
    "every monday 09:30" looked up from the same moment cost one look-up, not thousands."""
    return rule._first_after(after_utc, tz)


@dataclass(frozen=True)
class AfterMeeting:
    """A follow-up ``days`` after each meeting's local date, at local time ``at``."""

    days: int
    at: time
    text: str

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError("days must be >= 0")

    def fire_time(self, meeting_start: datetime, tz: ZoneInfo) -> datetime:
        """UTC instant: the meeting's local date plus ``days``, at local time ``at``."""
        require_aware(meeting_start, "meeting_start")
        day = meeting_start.astimezone(tz).date() + timedelta(days=self.days)
        return to_utc(datetime.combine(day, self.at), tz)
