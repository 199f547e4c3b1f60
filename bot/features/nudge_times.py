"""When a nudge goes out: reading the phrase a convener typed, its fire times (DST-safe:
a local time that happens twice fires once) and how it is described back."""

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.domain import when
from bot.domain.checkins import local_time
from bot.errors import UserError
from bot.scheduling import at
from bot.storage.tables_momentum import Nudge

#: Nudges repeat at most this often.
MIN_GAP = timedelta(hours=1)


#: How far ahead a rhythm is checked: it must come round, and at most hourly, even on the
#: days the clocks change (a time moved out of the missing hour can land beside another).
_LOOK_AHEAD_DAYS = 400


def read_when(phrase: str, now: datetime, zone: ZoneInfo) -> when.Recurrence | datetime:
    """A rhythm (at most hourly, and coming round within a year) or one moment."""
    if when.looks_like_recurrence(phrase):
        recurrence = when.parse_recurrence(phrase).anchored(now, zone)
        end = now + timedelta(days=_LOOK_AHEAD_DAYS)
        upcoming = recurrence.between(now, end, zone, limit=6)
        if not upcoming:
            raise UserError(f"'{phrase}' never comes round in the next year.")
        runs = [upcoming] + [
            recurrence.between(change, min(change + timedelta(days=2), end), zone, limit=8)
            for change in _clock_changes(now, zone)
        ]
        if any(b - a < MIN_GAP for run in runs for a, b in itertools.pairwise(run)):
            raise UserError(f"'{phrase}' is more often than once an hour: too many nudges.")
        return recurrence
    return when.parse_moment(phrase, now, zone)


def _clock_changes(now: datetime, zone: ZoneInfo) -> list[datetime]:
    """The day before each change of the zone's clocks in the look-ahead (at most 12)."""
    changes: list[datetime] = []
    offset = now.astimezone(zone).utcoffset()
    for day in range(1, _LOOK_AHEAD_DAYS + 1):
        moment = now + timedelta(days=day)
        if (later := moment.astimezone(zone).utcoffset()) != offset:
            changes.append(moment - timedelta(days=1))
            offset = later
            if len(changes) == 12:
                break
    return changes


def apply_when(nudge: Nudge, phrase: str, now: datetime, zone: ZoneInfo) -> None:
    """Set the nudge's timing from the phrase; a phrase not understood is a friendly refusal."""
    try:
        read = read_when(phrase, now, zone)
    except when.WhenError as error:
        raise UserError(str(error)) from None
    nudge.when_text = phrase[:200]
    if isinstance(read, datetime):
        nudge.recurrence, nudge.fire_at = None, read
    else:
        nudge.recurrence, nudge.fire_at = read.text, None


def times_of(nudge: Nudge | Any, zone: ZoneInfo) -> Callable[[datetime, datetime], list[datetime]]:
    """The nudge's (or a row of its columns') fire times in (start, end]. A local time that
    happens twice (the clocks going back) fires once, the first time."""
    if nudge.recurrence is None:
        return at(nudge.fire_at) if nudge.fire_at else lambda _s, _e: []
    rule = when.parse_recurrence(nudge.recurrence)

    def times(start: datetime, end: datetime) -> list[datetime]:
        return [t for t in rule.between(start, end, zone) if t.astimezone(zone).fold == 0]

    return times


def next_after_of(
    nudge: Nudge | Any, zone: ZoneInfo
) -> Callable[[datetime], datetime | None] | None:
    """For repeating nudges: the first fire time after a moment, as `times_of` would list it."""
    if nudge.recurrence is None:
        return None
    rule = when.parse_recurrence(nudge.recurrence)

    def next_after(after: datetime) -> datetime | None:
        found = rule.next_after(after, zone)
        while found is not None and found.astimezone(zone).fold == 1:
            found = rule.next_after(found, zone)
        return found

    return next_after


def next_time(nudge: Nudge, zone: ZoneInfo, now: datetime) -> datetime | None:
    """When the nudge next goes out after `now` (None: never again)."""
    if nudge.recurrence is None:
        return nudge.fire_at if nudge.fire_at and nudge.fire_at > now else None
    return when.parse_recurrence(nudge.recurrence).next_after(now, zone)


def describe_when(nudge: Nudge, ctx: Context) -> str:
    zone, tz = ctx.settings.zone, ctx.community.timezone
    upcoming = next_time(nudge, zone, ctx.clock.now())
    if nudge.recurrence is None:
        return f"once, {local_time(nudge.fire_at, tz)}" if nudge.fire_at else "once"
    following = f"; next {local_time(upcoming, tz)}" if upcoming else ""
    return f"{nudge.recurrence} ({tz} time){following}"
