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
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot import commands as c
from bot.bus import Bus
from bot.clock import Clock
from bot.config import CheckinSettings
from bot.domain import when
from bot.storage.tables import CheckIn, Community, JobClaim, Meeting
from bot.storage.uow import UnitOfWork, UnitOfWorkFactory, is_unique_violation

log = logging.getLogger(__name__)

#: How far back a process looks, on start-up, for occurrences it may have missed.
STARTUP_LOOKBACK = timedelta(days=7)


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

    def occurrences(self, start: datetime, end: datetime) -> list[datetime]:
        """Fire times t with start < t <= end, ascending."""
        if self.since is not None:
            start = max(start, self.since)
        return [t for t in self.times(start, end) if start < t <= end]

    def occurrence_id(self, fire_time: datetime) -> str:
        """The claim's identity: the local date for once-a-day jobs, else the UTC instant."""
        if self.once_per_local_day:
            return fire_time.astimezone(ZoneInfo(self.once_per_local_day)).date().isoformat()
        return fire_time.isoformat(timespec="seconds")


def _at(moment: datetime) -> Callable[[datetime, datetime], list[datetime]]:
    return lambda start, end: [moment] if start < moment <= end else []


def _each(moments: Sequence[datetime]) -> Callable[[datetime, datetime], list[datetime]]:
    ordered = sorted(moments)
    return lambda start, end: [m for m in ordered if start < m <= end]


def collect(uow: UnitOfWork, bus: Bus) -> list[JobSpec]:
    """Every schedule copbot keeps, read from the domain tables."""
    session = uow.session
    specs: list[JobSpec] = []
    communities = session.exec(select(Community).where(col(Community.closed_at).is_(None))).all()
    for community in communities:
        assert community.id is not None
        settings = bus.settings_of(community)
        if settings.checkin.schedule:
            specs.append(_checkin_schedule(uow, community, settings.checkin))
    open_checkins = session.exec(
        select(CheckIn)
        .join(Community, col(Community.id) == col(CheckIn.community_id))
        .where(col(CheckIn.closed_at).is_(None), col(Community.closed_at).is_(None))
    ).all()
    for checkin in open_checkins:
        assert checkin.id is not None
        checkin_id = checkin.id
        specs.append(
            JobSpec(
                key=f"checkin-close:{checkin_id}",
                community_id=checkin.community_id,
                times=_at(checkin.closes_at),
                make=lambda _t, i=checkin_id: c.CloseCheckIn(checkin_id=i),
            )
        )
        if checkin.remind_at is not None and checkin.reminded_at is None:
            specs.append(
                JobSpec(
                    key=f"checkin-remind:{checkin_id}",
                    community_id=checkin.community_id,
                    times=_at(checkin.remind_at),
                    make=lambda _t, i=checkin_id: c.RemindCheckIn(checkin_id=i),
                    grace=checkin.closes_at - checkin.remind_at,
                )
            )
    return specs


def _checkin_schedule(uow: UnitOfWork, community: Community, checkin: CheckinSettings) -> JobSpec:
    assert checkin.schedule and community.id
    zone = ZoneInfo(community.timezone)
    schedule = when.parse_schedule(checkin.schedule)
    community_id = community.id
    if isinstance(schedule, when.AfterMeeting):
        meetings = uow.session.exec(
            select(Meeting.starts_at).where(
                Meeting.community_id == community_id, col(Meeting.cancelled).is_(False)
            )
        ).all()
        times = _each([schedule.fire_time(start, zone) for start in meetings])
    else:
        recurrence = schedule

        def times(start: datetime, end: datetime) -> list[datetime]:
            return recurrence.between(start, end, zone)

    return JobSpec(
        key=f"checkin-open:{community_id}",
        community_id=community_id,
        times=times,
        make=lambda t: c.OpenCheckIn(community_id=community_id, occurrence=t),
        grace=checkin.grace_period,
        once_per_local_day=community.timezone,
        since=community.created_at,
    )


@dataclass
class RunReport:
    """What one pass over the timeline did (for logs, tests and the console)."""

    ran: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


class Timeline:
    """Finds and runs due occurrences, each exactly once across restarts and processes."""

    def __init__(self, uow_factory: UnitOfWorkFactory, bus: Bus, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._bus = bus
        self._clock = clock

    def specs(self) -> list[JobSpec]:
        with self._uow_factory() as uow:
            return collect(uow, self._bus)

    def next_due(self, after: datetime, horizon: datetime) -> datetime | None:
        """The earliest occurrence in (after, horizon], or None."""
        times = [t for spec in self.specs() for t in spec.occurrences(after, horizon)[:1]]
        return min(times, default=None)

    def run_due(self, start: datetime, end: datetime) -> RunReport:
        """Run every occurrence in (start, end], oldest first. Older occurrences of the same
        job are coalesced: only the latest may act, and only within its grace."""
        report = RunReport()
        pending: list[tuple[datetime, JobSpec, bool]] = []
        for spec in self.specs():
            times = spec.occurrences(start, end)
            for index, fire_time in enumerate(times):
                pending.append((fire_time, spec, index == len(times) - 1))
        pending.sort(key=lambda item: (item[0], item[1].key))
        for fire_time, spec, latest in pending:
            self.run_one(spec, fire_time, report, coalesced=not latest)
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
            else:
                self._bus.run_job(uow, spec.community_id, spec.make(fire_time))
                report.ran.append(label)
            uow.commit()

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
