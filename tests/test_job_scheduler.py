"""APScheduler wiring: real timers wake the timeline at the right moments."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.bootstrap import build_app
from bot.clock import SystemClock
from bot.commands import Actor, Inbound
from bot.storage.tables import CheckIn, Community
from bot.storage.tables_momentum import Nudge
from jobs.scheduler import RESYNC_JOB, WAKE_JOB, JobScheduler
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


def _add_one_off_nudges(engine, moments: list[datetime]) -> list[int]:
    """Active one-off nudges in the first community, due at `moments`; their ids."""
    with Session(engine) as session:
        community_id = session.exec(select(Community.id)).first()
        nudges = [
            Nudge(
                community_id=community_id,
                text=f"Nudge {n}",
                when_text="a date",
                fire_at=moment,
                audience="channel",
                status="active",
                created_at=datetime.now(UTC),
                active_since=datetime.now(UTC) - timedelta(minutes=1),
            )
            for n, moment in enumerate(moments)
        ]
        session.add_all(nudges)
        session.commit()
        return [nudge.id for nudge in nudges]


def _wake_time(scheduler: JobScheduler) -> datetime | None:
    return dict(scheduler.armed()).get(WAKE_JOB)


async def test_many_schedules_share_one_timer_at_the_earliest_time(sqlite_engine):
    app = build_app(make_settings(), {"console": FakePlatform()}, engine=sqlite_engine)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    ids = _add_one_off_nudges(sqlite_engine, [soon + timedelta(hours=n) for n in range(300)])
    scheduler = JobScheduler(app, resync_seconds=3600)
    await scheduler.begin()
    try:
        # 300 nudges: one wake-up timer plus the resync, not one timer each.
        assert {job_id for job_id, _ in scheduler.armed()} == {WAKE_JOB, RESYNC_JOB}
        assert _wake_time(scheduler) == soon
        assert dict(scheduler.jobs())[f"nudge:{ids[-1]}"] == soon + timedelta(hours=299)
        # The earliest nudge is paused: the timer moves to the next one.
        with Session(sqlite_engine) as session:
            first = session.get(Nudge, ids[0])
            first.status = "paused"
            session.add(first)
            session.commit()
        scheduler.sync()
        assert _wake_time(scheduler) == soon + timedelta(hours=1)
        assert f"nudge:{ids[0]}" not in dict(scheduler.jobs())
    finally:
        scheduler.shutdown()
        app.close()


async def test_the_one_timer_fires_the_earliest_nudge_then_moves_on(sqlite_engine):
    platform = FakePlatform()
    app = build_app(make_settings(), {"console": platform}, engine=sqlite_engine)
    due = datetime.now(UTC) + timedelta(seconds=1)
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=5)
    first, second = _add_one_off_nudges(sqlite_engine, [due, later])
    scheduler = JobScheduler(app, resync_seconds=3600)
    await scheduler.begin()
    try:
        await wait_for(lambda: app.timeline.claimed(f"nudge:{first}"))
        await app.dispatcher.drain()
        await wait_for(lambda: _wake_time(scheduler) == later)
        assert not app.timeline.claimed(f"nudge:{second}")
        assert scheduler.last_pass is not None and scheduler.last_pass >= due
    finally:
        scheduler.shutdown()
        app.close()


async def test_start_up_reads_the_tables_off_the_event_loop(sqlite_engine):
    app = build_app(make_settings(), {"console": FakePlatform()}, engine=sqlite_engine)
    _add_one_off_nudges(sqlite_engine, [datetime.now(UTC) + timedelta(hours=1)])
    readers: list[int] = []
    real_specs = app.timeline.specs

    def noted_specs():
        readers.append(threading.get_ident())
        return real_specs()

    app.timeline.specs = noted_specs  # type: ignore[method-assign]
    scheduler = JobScheduler(app, resync_seconds=3600)
    await scheduler.begin()
    try:
        assert readers and threading.get_ident() not in readers
        assert _wake_time(scheduler) is not None
    finally:
        scheduler.shutdown()
        app.close()


async def test_the_periodic_look_forgets_old_private_texts_once_an_hour(sqlite_engine):
    from bot.clock import ManualClock
    from bot.messages import say
    from bot.outbox_rows import PRUNED
    from bot.storage.tables import OutboxMessage
    from bot.storage.uow import UnitOfWork

    clock = ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    platform = FakePlatform()
    app = build_app(make_settings(), {"console": platform}, clock=clock, engine=sqlite_engine)
    with UnitOfWork(app.engine) as uow:
        uow.enqueue(
            "mydata:ana",
            say("everything about Ana"),
            platform="console",
            created_at=clock.now(),
            user_id="ana",
        )
        uow.commit()
    await app.dispatcher.drain()
    scheduler = JobScheduler(app, resync_seconds=3600)

    def payload() -> str:
        with Session(app.engine) as session:
            found = select(OutboxMessage.payload).where(OutboxMessage.key == "mydata:ana")
            return session.exec(found).one()

    try:
        await scheduler.resync()  # tidies now: nothing is old enough yet
        assert "everything about Ana" in payload()
        clock.advance(timedelta(days=8))
        await scheduler.resync()
        assert payload() == PRUNED
    finally:
        scheduler.shutdown()
        app.close()


async def test_a_nudge_saved_for_soon_arms_the_timer_at_once(sqlite_engine):
    """No wait for the periodic look (here an hour): the change re-arms the timer."""
    from bot.storage.tables_momentum import Nudge

    platform = FakePlatform()
    app = build_app(
        make_settings(), {"console": platform}, clock=SystemClock(), engine=sqlite_engine
    )
    scheduler = JobScheduler(app, resync_seconds=3600)
    await scheduler.begin()
    scheduler.watch()
    try:
        cora = Actor("console", "cora", "Cora", "wound-care")
        soon = (datetime.now(UTC) + timedelta(minutes=3)).astimezone(ZoneInfo("Europe/London"))
        today = datetime.now(ZoneInfo("Europe/London")).date()
        day = "today" if soon.date() == today else "tomorrow"
        phrase = f'nudge add "{day} {soon:%H:%M}" Bring a photo of your week'
        preview = await asyncio.to_thread(app.handle, Inbound(cora, "text", text=f"/cop {phrase}"))
        assert preview.message is not None and preview.message.buttons, preview
        button = preview.message.buttons[0]
        await asyncio.to_thread(
            app.handle, Inbound(cora, "button", action=button.action, value=button.value)
        )
        with Session(sqlite_engine) as session:
            [nudge] = session.exec(select(Nudge)).all()
        assert nudge.status == "active" and nudge.fire_at is not None

        def armed_for_the_nudge() -> bool:
            return any(
                job_id == WAKE_JOB
                and when is not None
                and abs(when - nudge.fire_at.replace(tzinfo=UTC)) < timedelta(seconds=1)
                for job_id, when in scheduler.armed()
            )

        await wait_for(armed_for_the_nudge)
    finally:
        scheduler.shutdown()
        app.close()
