"""Read the plain-English times, schedules and quiet hours that members type.

Pure functions, no I/O and no wall clock: "now" is always passed in. Every datetime passed in
must be timezone-aware and every datetime handed back is in UTC.

Local wall-clock times are interpreted in the ``ZoneInfo`` given by the caller:

* A local time that does not exist (the spring-forward gap) becomes the first instant after
  the gap: 02:30 on New York's spring-forward night becomes 03:00 EDT, and 00:30 where the
  clocks jump from midnight to 01:00 (Santiago, Havana) becomes 01:00 that day. This holds
  for ``parse_moment``, ``quiet_hours_end``, ``AfterMeeting`` and ``Recurrence`` alike, so
  a repeating time never loses the day the clocks go forward.
* A local time that happens twice (fall-back) means the first one (``fold=0``), except in
  ``Recurrence``, where both occurrences are reported (deduplication happens elsewhere).
* Dates a person gives are kept within five years of now (``MAX_REACH``).

The pieces: ``common`` (vocabulary, clocks, the gap rule), ``clocks`` (lengths of time,
times of day, quiet hours), ``dates`` (calendar dates), ``moments`` (one-off moments),
``rules`` (recurrences as phrases) and ``recurrence`` (their occurrences).
"""

from __future__ import annotations

from bot.domain.when.clocks import (
    in_quiet_hours,
    parse_clock,
    parse_duration,
    parse_quiet_hours,
    quiet_hours_end,
)
from bot.domain.when.common import MAX_REACH, WhenError
from bot.domain.when.moments import parse_moment
from bot.domain.when.recurrence import AfterMeeting, Recurrence
from bot.domain.when.rules import looks_like_recurrence, parse_recurrence, parse_schedule

__all__ = [
    "MAX_REACH",
    "AfterMeeting",
    "Recurrence",
    "WhenError",
    "in_quiet_hours",
    "looks_like_recurrence",
    "parse_clock",
    "parse_duration",
    "parse_moment",
    "parse_quiet_hours",
    "parse_recurrence",
    "parse_schedule",
    "quiet_hours_end",
]
