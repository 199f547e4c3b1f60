"""APScheduler wiring: real timers wake the timeline at the right moments."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.bootstrap import build_app
from bot.clock import SystemClock
from bot.commands import Actor, Inbound
from bot.storage.tables import CheckIn
from jobs.scheduler import RESYNC_JOB, JobScheduler
from tests.conftest import community, make_settings
from tests.fakes import FakePlatform


async def wait_for(condition, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


async def test_timers_fire_close_the_checkin_and_rearm(sqlite_engine):
    platform = FakePlatform()
    settings = make_settings(
        community(checkin={"schedule": "off", "open_for": "2 hours", "remind_after": "1 hour"})
    )
    app = build_app(settings, {"console": platform}, clock=SystemClock(), engine=sqlite_engine)
    scheduler = JobScheduler(app, resync_seconds=3600)
    scheduler.start()
    try:
        cora = Actor("console", "cora", "Cora", "wound-care")
        app.handle(Inbound(cora, "text", text="/cop checkin open"))
        scheduler.sync()
        ids = {job_id for job_id, _ in scheduler.jobs()}
        assert {RESYNC_JOB, "checkin-close:1", "checkin-remind:1"} <= ids
        remind_at = dict(scheduler.jobs())["checkin-remind:1"]
        assert remind_at is not None
        assert timedelta(minutes=59) < remind_at - datetime.now(UTC) <= timedelta(hours=1)

        # Pull the check-in's close forward to "now + 1 s": the next sync arms it, and the
        # real timer fires it.
        with Session(sqlite_engine) as session:
            checkin = session.get(CheckIn, 1)
            checkin.closes_at = datetime.now(UTC) + timedelta(seconds=1)
            session.add(checkin)
            session.commit()
        scheduler.sync()
        await wait_for(lambda: app.timeline.claimed("checkin-close:1"))
        await app.dispatcher.drain()
        assert len(platform.titled("Our check-in has closed")) == 1
        ids = {job_id for job_id, _ in scheduler.jobs()}
        assert RESYNC_JOB in ids
        assert not {i for i in ids if i.startswith("checkin-")}  # the closed one's are gone
        # Firing the same timer again (as a duplicate wake-up would) changes nothing.
        await scheduler.fire("checkin-close:1", datetime.now(UTC).isoformat())
        await app.dispatcher.drain()
        assert len(platform.titled("Our check-in has closed")) == 1
    finally:
        scheduler.shutdown()
        app.close()


async def test_rhythm_job_is_armed_with_a_fixed_id(sqlite_engine):
    settings = make_settings(community(checkin={"schedule": "every monday 09:30"}))
    app = build_app(
        settings, {"console": FakePlatform()}, clock=SystemClock(), engine=sqlite_engine
    )
    scheduler = JobScheduler(app)
    scheduler.start()
    try:
        jobs = dict(scheduler.jobs())
        assert "checkin-open:1" in jobs
        local = jobs["checkin-open:1"].astimezone(ZoneInfo("Europe/London"))
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 30)
        scheduler.sync()  # idempotent
        assert dict(scheduler.jobs()) == jobs
    finally:
        scheduler.shutdown()
        app.close()


async def test_timers_going_off_together_share_one_pass_off_the_event_loop(sqlite_engine):
    app = build_app(make_settings(), {"console": FakePlatform()}, engine=sqlite_engine)
    scheduler = JobScheduler(app, resync_seconds=3600)
    passes: list[str] = []
    real_run_due = app.run_due

    def slow_run_due():
        passes.append("start")
        time.sleep(0.2)  # a long pass, in its worker thread
        passes.append("end")
        return real_run_due()

    scheduler.start()
    app.run_due = slow_run_due  # type: ignore[method-assign]
    ticks: list[int] = []

    async def chat_keeps_going() -> None:
        for tick in range(5):
            ticks.append(tick)
            await asyncio.sleep(0.02)

    try:
        await asyncio.gather(
            *(scheduler.fire(f"job-{n}", "2026-12-01T09:00:00+00:00") for n in range(10)),
            chat_keeps_going(),
        )
    finally:
        scheduler.shutdown()
        app.close()
    assert passes.count("start") == 2  # ten timers: the pass under way, and one more look
    assert ticks == [0, 1, 2, 3, 4]  # the event loop was free during the pass
