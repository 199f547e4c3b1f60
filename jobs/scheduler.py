"""One AsyncIOScheduler in UTC, its jobs re-derived from the domain tables.

Each schedule copbot keeps (a community's check-in rhythm, a check-in's reminder and
close) becomes an APScheduler job with a fixed id (the schedule's key) and a DateTrigger
at its next occurrence; its arguments are primitives (key, fire time). When it fires, the
core's timeline claims every due occurrence in the database before acting, so a timer
that fires twice, a coalesced misfire, a restart or a second process never doubles one.
A resync job re-reads the tables every minute for changes made by other processes.

The job store is in memory on purpose: the tables are the source of truth, and what fell
due while the process was down is found at start-up by the timeline's look-back (the
claims table says what already ran) and handled by each job's grace (misfire policy).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.bootstrap import App

log = logging.getLogger(__name__)

RESYNC_JOB = "copbot:resync"
HORIZON = timedelta(days=400)


class JobScheduler:
    """Keeps one APScheduler job per schedule, each waking the timeline when due."""

    def __init__(self, app: App, resync_seconds: float = 60.0) -> None:
        self._app = app
        self._resync_seconds = resync_seconds
        self._running = False  # a pass is under way
        self._again = False  # a timer went off during it: look once more
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> None:
        """Catch up on what fell due while stopped, then arm a timer per schedule."""
        report = self._app.run_due()
        if report.ran or report.missed:
            log.info("start-up catch-up: ran %s, skipped %s", report.ran, report.missed)
        self.scheduler.start()
        self.scheduler.add_job(
            self.resync,
            IntervalTrigger(seconds=self._resync_seconds, timezone=UTC),
            id=RESYNC_JOB,
            replace_existing=True,
        )
        self.sync()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def sync(self) -> None:
        """Make the scheduler's jobs match the schedules in the tables (now, on this thread)."""
        self._apply(self._wanted(self._app.clock.now()))

    def _wanted(self, now: datetime) -> dict[str, datetime]:
        """Each schedule's next fire time after `now` (reads the tables: may run in a thread)."""
        wanted: dict[str, datetime] = {}
        for spec in self._app.timeline.specs():
            upcoming = spec.first(now, now + HORIZON)  # > now: what is due, run_due runs
            if upcoming is not None:
                wanted[spec.key] = upcoming
        return wanted

    def _apply(self, wanted: dict[str, datetime]) -> None:
        """Arm, move or remove timers so they match `wanted` (on the event loop)."""
        for job in self.scheduler.get_jobs():
            if job.id != RESYNC_JOB and job.id not in wanted:
                job.remove()
        for key, fire_time in wanted.items():
            job = self.scheduler.get_job(key)
            if job is not None and getattr(job, "next_run_time", None) == fire_time:
                continue
            self.scheduler.add_job(
                self.fire,
                DateTrigger(run_date=fire_time, timezone=UTC),
                args=[key, fire_time.isoformat()],
                id=key,
                replace_existing=True,
            )

    async def fire(self, job_key: str, fire_time: str) -> None:
        """A timer went off: run whatever is due (claims keep it once-only), re-arm."""
        log.debug("timer %s for %s", job_key, fire_time)
        await self._pass()

    async def resync(self) -> None:
        """The periodic look: picks up schedules other processes changed, and tidies up."""
        await self._pass()
        await asyncio.to_thread(self._app.forget_old_events)

    async def _pass(self) -> None:
        """Run what is due and re-arm, off the event loop so chat stays responsive. Timers
        that go off together share one pass: a pass already running takes another turn."""
        self._again = True
        if self._running:
            return
        self._running = True
        try:
            while self._again:
                self._again = False
                await asyncio.to_thread(self._app.run_due)
                wanted = await asyncio.to_thread(self._wanted, self._app.clock.now())
                self._apply(wanted)
        finally:
            self._running = False

    def jobs(self) -> list[tuple[str, datetime | None]]:
        """(job id, next run time) for every armed timer."""
        return [(job.id, job.next_run_time) for job in self.scheduler.get_jobs()]
