"""Scheduled work, derived from copbot's own tables (the source of truth).

A `JobSpec` says when something is due and what command it issues. `Timeline` runs due
occurrences: each one is first *claimed* in the database (unique job key + occurrence),
in the same transaction as the change it causes, so a timer that fires twice, a restart
or a second process never makes it act twice. Whoever wakes the timeline (APScheduler in
production, the console's `/clock`, a test) only decides *when* to look.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot import commands as c
from bot.clock import Clock
from bot.storage.tables import JobClaim
from bot.storage.uow import UnitOfWorkFactory, is_unique_violation

if TYPE_CHECKING:
    from bot.bus import Bus

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How far back a process looks, on start-up, for occurrences it may have missed.
STARTUP_LOOKBACK = timedelta(days=7)
#: How far ahead a pass looks for each schedule's next occurrence (for the timer).
LOOKAHEAD = timedelta(days=400)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class JobSpec:
    """One schedule: its occurrences, its misfire grace and the command it issues."""

    key: str
    community_id: int
    times: Callable[[datetime, datetime], list[datetime]]
    make: Callable[[datetime], c.Command]
    grace: timedelta | None = None
    once_per_local_day: str | None = None  # a timezone name: dedupe by local date
    since: datetime | None = None
    #: A one-off that must still happen however long copbot was down (e.g. a close):
    #: its occurrence is due until claimed, not only within the start-up look-back.
    catch_up: bool = False
    #: Optional shortcut: the first fire time strictly after a moment (saves listing a
    #: window of occurrences when arming timers for thousands of schedules).
    next_after: Callable[[datetime], datetime | None] | None = None

    def occurrences(self, start: datetime, end: datetime) -> list[datetime]:
        """Fire times t with start < t <= end, ascending (any t <= end for catch-up jobs)."""
        if self.catch_up:
            start = _EPOCH
        elif self.since is not None:
            start = max(start, self.since)
        return [t for t in self.times(start, end) if start < t <= end]

    def first(self, after: datetime, horizon: datetime) -> datetime | None:
        """The earliest occurrence in (after, horizon]. Looks a week ahead, then four times as
        far each time, so a weekly rule costs one step, not a year of occurrences."""
        if self.next_after is not None and not self.catch_up:
            found = self.next_after(max(after, self.since) if self.since else after)
            return found if found is not None and found <= horizon else None
        start, reach = after, timedelta(days=7)
        while start < horizon:
            end = min(after + reach, horizon)
            found = [t for t in self.occurrences(start, end) if t > after]
            if found:
                return found[0]
            start, reach = end, reach * 4
        return None

    def occurrence_id(self, fire_time: datetime) -> str:
        """The claim's identity: the local date for once-a-day jobs, else the UTC instant."""
        if self.once_per_local_day:
            return fire_time.astimezone(ZoneInfo(self.once_per_local_day)).date().isoformat()
        return fire_time.isoformat(timespec="seconds")


def at(moment: datetime) -> Callable[[datetime, datetime], list[datetime]]:
    """Times for a one-off job."""
    return lambda start, end: [moment] if start < moment <= end else []


def each(moments: Sequence[datetime]) -> Callable[[datetime, datetime], list[datetime]]:
    """Times for a job with a known list of occurrences."""
    ordered = sorted(moments)
    return lambda start, end: [m for m in ordered if start < m <= end]


@dataclass
class RunReport:
    """What one pass over the timeline did (for logs, tests and the console)."""

    ran: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    #: The earliest occurrence that failed: the next pass looks again from just before it.
    retry_from: datetime | None = None
    #: Each schedule's first occurrence after the pass's end (within LOOKAHEAD), as the
    #: schedules stood before the pass: stale once anything ran (a run can add schedules).
    upcoming: dict[str, datetime] = field(default_factory=dict)


def _safely(
    spec: JobSpec, look: Callable[[datetime, datetime], T], start: datetime, end: datetime
) -> T | None:
    """A schedule's times, or None (logged) when its stored rule or date cannot be worked
    out: one poisoned row must not stop every other schedule, nor start-up."""
    try:
        return look(start, end)
    except Exception:
        log.exception("schedule %s could not be worked out; it is skipped", spec.key)
        return None


class Timeline:
    """Finds and runs due occurrences, each exactly once across restarts and processes."""

    def __init__(self, uow_factory: UnitOfWorkFactory, bus: Bus, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._bus = bus
        self._clock = clock

    def specs(self) -> list[JobSpec]:
        """Every schedule copbot keeps, read from the domain tables by each feature. A
        feature whose schedules cannot be read is logged and left out; the others go on."""
        found: list[JobSpec] = []
        for feature in self._bus.router.features:
            if feature.jobs is None:
                continue
            try:
                with self._uow_factory() as uow:
                    found.extend(feature.jobs(uow, self._bus.settings_of))
            except Exception:
                log.exception("could not read the %s schedules; they are skipped", feature.name)
        return found

    def next_due(self, after: datetime, horizon: datetime) -> datetime | None:
        """The earliest occurrence in (after, horizon], or None."""
        times = [_safely(spec, spec.first, after, horizon) for spec in self.specs()]
        return min((t for t in times if t is not None), default=None)

    def run_due(self, start: datetime, end: datetime) -> RunReport:
        """Run every occurrence in (start, end], oldest first. Older occurrences of the same
        job are coalesced: only the latest may act, and only within its grace.

        The same read of the tables also fills `report.upcoming`: a schedule with a
        `next_after` shortcut costs one look-up for both (its first time after `start`,
        when later than `end`, is also its next one)."""
        report = RunReport()
        pending: list[tuple[datetime, JobSpec, bool]] = []
        others: list[JobSpec] = []
        horizon = end + LOOKAHEAD
        for spec in self.specs():
            if spec.next_after is not None and not spec.catch_up:
                first = _safely(spec, spec.first, start, horizon)
                if first is None or first > end:
                    if first is not None:
                        report.upcoming[spec.key] = first
                    continue
            others.append(spec)
            times = _safely(spec, spec.occurrences, start, end) or []
            for index, fire_time in enumerate(times):
                pending.append((fire_time, spec, index == len(times) - 1))
        pending.sort(key=lambda item: (item[0], item[1].key))
        for fire_time, spec, latest in pending:
            self.run_one(spec, fire_time, report, coalesced=not latest)
        for spec in others:
            upcoming = _safely(spec, spec.first, end, horizon)
            if upcoming is not None:
                report.upcoming[spec.key] = upcoming
        return report

    def run_one(
        self, spec: JobSpec, fire_time: datetime, report: RunReport, *, coalesced: bool = False
    ) -> None:
        """Claim one occurrence and, if it is ours and still timely, act on it."""
        now = self._clock.now()
        late = now - fire_time
        missed = coalesced or (spec.grace is not None and late > spec.grace)
        label = f"{spec.key}@{spec.occurrence_id(fire_time)}"
        with self._uow_factory() as uow:
            uow.session.add(
                JobClaim(
                    job_key=spec.key,
                    occurrence=spec.occurrence_id(fire_time),
                    fire_time=fire_time,
                    claimed_at=now,
                    outcome="missed" if missed else "done",
                )
            )
            try:
                uow.session.flush()
            except IntegrityError as error:
                uow.rollback()
                if not is_unique_violation(error):
                    raise
                report.already.append(label)
                return
            if missed:
                log.warning(
                    "skipped %s: due %s, now %s late (grace %s)",
                    label,
                    fire_time.isoformat(),
                    late,
                    spec.grace,
                )
                report.missed.append(label)
                uow.commit()
                return
            try:
                self._bus.run_job(uow, spec.community_id, spec.make(fire_time))
                uow.commit()
            except Exception:
                # Unclaimed again (rolled back): the next wake-up retries it; other jobs go on.
                uow.rollback()
                log.exception("job %s failed; it will be retried", label)
                report.failed.append(label)
                earliest = report.retry_from or fire_time
                report.retry_from = min(earliest, fire_time)
                return
            report.ran.append(label)

    def claimed(self, job_key: str) -> list[JobClaim]:
        """The claims recorded for one job (for the console and tests)."""
        with self._uow_factory() as uow:
            return list(
                uow.session.exec(
                    select(JobClaim)
                    .where(JobClaim.job_key == job_key)
                    .order_by(col(JobClaim.fire_time))
                ).all()
            )
