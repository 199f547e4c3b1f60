"""One AsyncIOScheduler in UTC, with one timer at the earliest moment anything is due.

Each schedule copbot keeps (a community's check-in rhythm, a check-in's reminder and
close, a nudge…) has a next fire time, derived from the domain tables. Rather than one
APScheduler job per schedule (10,000 nudges took seconds to arm), a single DateTrigger
job waits for the earliest of them; when it goes off, the core's timeline claims every due
occurrence in the database before acting, so a timer that fires twice, a coalesced
misfire, a restart or a second process never doubles one. After each pass the timer is
moved to the new earliest time. A resync job re-reads the tables every minute for changes
made elsewhere (another process, a command), and re-arms.

The job store is in memory on purpose: the tables are the source of truth, and what fell
due while the process was down is found at start-up by the timeline's look-back (the
claims table says what already ran) and handled by each job's grace (misfire policy).
Every read of the tables runs in a worker thread, never on the event loop (except the
synchronous `start`/`sync`, meant for callers without a loop to keep free).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.bootstrap import App
from bot.scheduling import LOOKAHEAD, RunReport

log = logging.getLogger(__name__)

RESYNC_JOB = "copbot:resync"
WAKE_JOB = "copbot:wake"
HORIZON = LOOKAHEAD
#: How long a look asked for by an interaction waits, so a burst of them shares one pass.
SETTLE = 0.5
#: How often the resync also does housekeeping (App.tidy).
TIDY_EVERY = timedelta(hours=1)


class JobScheduler:
    """Keeps one timer at the earliest schedule's next fire time, waking the timeline."""

    def __init__(self, app: App, resync_seconds: float = 60.0) -> None:
        self._app = app
        self._resync_seconds = resync_seconds
        self._running = False  # a pass is under way
        self._again = False  # a timer went off during it: look once more
        self._due: dict[str, datetime] = {}  # each schedule's next fire time
        #: When the last pass over the timeline finished (None before the first).
        self.last_pass: datetime | None = None
        self._tidied: datetime | None = None  # when housekeeping last ran
        self._look_soon: asyncio.Future[None] | None = None  # a look asked for by a change
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def watch(self) -> None:
        """Look again soon after each interaction (schedules may have changed): looks
        asked for within `SETTLE` of each other share one pass. Call on the event loop."""
        loop = asyncio.get_running_loop()

        def soon() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: copbot is stopping
                loop.call_soon_threadsafe(self._soon)

        self._app.on_handled.append(soon)

    def _soon(self) -> None:
        if self._look_soon is None or self._look_soon.done():
            self._look_soon = asyncio.ensure_future(self._settled_pass())

    async def _settled_pass(self) -> None:
        await asyncio.sleep(SETTLE)
        try:
            await self._pass()
        except Exception:
            log.exception("the look after a change failed; the periodic one will follow")

    def start(self) -> None:
        """Catch up on what fell due while stopped, then arm the timer (reads the tables on
        this thread; `begin` does the same off the event loop)."""
        self._arm_scheduler()
        self._apply(self._look())

    async def begin(self) -> None:
        """`start`, with the catch-up and the read of the tables in a worker thread."""
        due = await asyncio.to_thread(self._look)
        self._arm_scheduler()
        self._apply(due)

    def _arm_scheduler(self) -> None:
        self.scheduler.start()
        self.scheduler.add_job(
            self.resync,
            IntervalTrigger(seconds=self._resync_seconds, timezone=UTC),
            id=RESYNC_JOB,
            replace_existing=True,
        )

    def shutdown(self) -> None:
        if self._look_soon is not None:
            self._look_soon.cancel()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def sync(self) -> None:
        """Re-read the schedules and move the timer to match (now, on this thread)."""
        self._apply(self._wanted(self._app.clock.now()))

    def _look(self) -> dict[str, datetime]:
        """Run what is due; return each schedule's next fire time (reads the tables: runs in
        a worker thread). One read serves both unless the pass ran something."""
        report: RunReport = self._app.run_due()
        if report.ran or report.missed:
            log.info("timeline pass: ran %s, skipped %s", report.ran, report.missed)
        self.last_pass = self._app.clock.now()
        if report.ran or report.failed:
            return self._wanted(self._app.clock.now())
        return dict(report.upcoming)

    def _wanted(self, now: datetime) -> dict[str, datetime]:
        """Each schedule's next fire time after `now` (reads the tables: may run in a thread)."""
        wanted: dict[str, datetime] = {}
        for spec in self._app.timeline.specs():
            upcoming = spec.first(now, now + HORIZON)  # > now: what is due, run_due runs
            if upcoming is not None:
                wanted[spec.key] = upcoming
        return wanted

    def _apply(self, wanted: dict[str, datetime]) -> None:
        """Keep `wanted` and move the one timer to its earliest time (on the event loop)."""
        self._due = wanted
        if not wanted:
            if self.scheduler.get_job(WAKE_JOB) is not None:
                self.scheduler.remove_job(WAKE_JOB)
            return
        key, fire_time = min(wanted.items(), key=lambda item: (item[1], item[0]))
        job = self.scheduler.get_job(WAKE_JOB)
        if job is not None and getattr(job, "next_run_time", None) == fire_time:
            return
        self.scheduler.add_job(
            self.fire,
            DateTrigger(run_date=fire_time, timezone=UTC),
            args=[key, fire_time.isoformat()],
            id=WAKE_JOB,
            replace_existing=True,
        )

    async def fire(self, job_key: str, fire_time: str) -> None:
        """The timer went off: run whatever is due (claims keep it once-only), re-arm."""
        log.debug("timer for %s at %s", job_key, fire_time)
        await self._pass()

    async def resync(self) -> None:
        """The periodic look: picks up schedules changed elsewhere, and tidies up (hourly)."""
        await self._pass()
        now = self._app.clock.now()
        if self._tidied is None or now - self._tidied >= TIDY_EVERY:
            self._tidied = now
            try:
                await asyncio.to_thread(self._app.tidy)
            except Exception:
                log.exception("tidying up failed; it will be tried again in an hour")

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
                wanted = await asyncio.to_thread(self._look)
                self._apply(wanted)
        finally:
            self._running = False

    def armed(self) -> list[tuple[str, datetime | None]]:
        """(APScheduler job id, next run time) for the timers really armed: at most two."""
        return [(job.id, job.next_run_time) for job in self.scheduler.get_jobs()]

    def jobs(self) -> list[tuple[str, datetime | None]]:
        """(schedule key, next fire time) for every schedule, and the resync timer."""
        resync = self.scheduler.get_job(RESYNC_JOB)
        listed: list[tuple[str, datetime | None]] = list(self._due.items())
        if resync is not None:
            listed.append((RESYNC_JOB, resync.next_run_time))
        return listed
