"""Scheduled check-ins: once per occurrence, across restarts, misfires, DST and processes."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.bootstrap import build_app
from bot.clock import ManualClock
from bot.storage.tables import CheckIn, JobClaim
from tests.conftest import _truncate, community, make_settings
from tests.fakes import FakePlatform


def weekly(**checkin: str):
    return make_settings(
        community(checkin={"schedule": "every tuesday 10:00", "grace": "6 hours", **checkin})
    )


def opened(platform) -> list:
    return platform.titled("Time for our check-in")


async def test_scheduled_checkin_posts_at_local_time(make_app, clock, platform):
    app = make_app(weekly())  # clock: Tue 1 Dec 2026 09:00 UTC = 09:00 London
    await app.advance(datetime(2026, 12, 1, 9, 59, tzinfo=UTC))
    assert opened(platform) == []
    await app.advance(datetime(2026, 12, 1, 10, 1, tzinfo=UTC))
    assert len(opened(platform)) == 1
    await app.advance(datetime(2026, 12, 8, 10, 1, tzinfo=UTC))
    assert len(opened(platform)) == 2  # next week's, after the first one's summary
    assert len(platform.titled("Our check-in has closed")) == 1


async def test_an_occurrence_fired_twice_acts_once(make_app, clock, platform):
    app = make_app(weekly())
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    [spec] = [s for s in app.timeline.specs() if s.key.startswith("checkin-open")]
    fire = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    first = app.timeline.run_due(fire - timedelta(minutes=1), fire)
    second = app.timeline.run_due(fire - timedelta(minutes=1), fire)
    assert first.ran == [f"{spec.key}@2026-12-01"]
    assert second.ran == [] and second.already == [f"{spec.key}@2026-12-01"]
    await app.dispatcher.drain()
    assert len(opened(platform)) == 1


async def test_missed_within_grace_posts_once_after_restart(make_app, clock, platform):
    app = make_app(weekly())
    await app.advance(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    app.close()  # down from 09:30 ...
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # ... back 2 hours after it was due
    app = make_app(weekly())
    report = app.run_due()
    await app.dispatcher.drain()
    assert report.ran == ["checkin-open:1@2026-12-01"]
    assert len(opened(platform)) == 1
    app.close()
    app = make_app(weekly())  # another restart: nothing again
    app.run_due()
    await app.dispatcher.drain()
    assert len(opened(platform)) == 1


async def test_missed_long_ago_is_skipped_with_a_log_line(make_app, clock, platform, caplog):
    app = make_app(weekly())
    await app.advance(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    app.close()
    clock.set(datetime(2026, 12, 4, 10, 0, tzinfo=UTC))  # three days late
    app = make_app(weekly())
    with caplog.at_level(logging.WARNING, logger="bot.scheduling"):
        report = app.run_due()
    await app.dispatcher.drain()
    assert report.ran == [] and report.missed == ["checkin-open:1@2026-12-01"]
    assert opened(platform) == []
    assert any("skipped checkin-open:1@2026-12-01" in r.getMessage() for r in caplog.records)
    # The next week's occurrence is unaffected.
    await app.advance(datetime(2026, 12, 8, 10, 1, tzinfo=UTC))
    assert len(opened(platform)) == 1


async def test_fall_back_night_posts_once(make_app, platform):
    # 01:30 happens twice in London on Sunday 25 October 2026.
    start = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    settings = make_settings(community(checkin={"schedule": "every day 01:30"}))
    app = make_app(settings, clock=ManualClock(start))
    await app.advance(datetime(2026, 10, 26, 3, 0, tzinfo=UTC))
    posts = opened(platform)
    with Session(app.engine) as session:
        claims = session.exec(select(JobClaim).where(JobClaim.job_key == "checkin-open:1")).all()
    days = [c.occurrence for c in claims]
    assert days == ["2026-10-25", "2026-10-26"]
    assert len(posts) == 2  # one on the 25th (not two), one on the 26th


async def test_spring_forward_night_still_posts(make_app, platform):
    # 01:30 does not exist in London on Sunday 29 March 2026; the check-in still opens.
    start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    settings = make_settings(community(checkin={"schedule": "every day 01:30"}))
    app = make_app(settings, clock=ManualClock(start))
    await app.advance(datetime(2026, 3, 29, 6, 0, tzinfo=UTC))
    assert len(opened(platform)) == 1


async def test_checkin_relative_to_meetings(make_app, platform):
    settings = make_settings(
        community(
            checkin={"schedule": "7 days after each meeting at 10:00"},
            meetings={"dates": ["2026-12-03 14:00", "2027-01-07 14:00"]},
        )
    )
    app = make_app(settings)
    await app.advance(datetime(2026, 12, 10, 9, 59, tzinfo=UTC))
    assert opened(platform) == []
    await app.advance(datetime(2026, 12, 10, 10, 0, tzinfo=UTC))
    assert len(opened(platform)) == 1
    await app.advance(datetime(2027, 1, 14, 10, 0, tzinfo=UTC))
    assert len(opened(platform)) == 2


@pytest.mark.postgres
def test_two_processes_on_postgres_claim_each_occurrence_once(postgres_engine):
    """Two timelines (as two copbot processes would) race for the same occurrences."""
    _truncate(postgres_engine)
    fire = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    platforms = [FakePlatform(), FakePlatform()]
    clocks = [ManualClock(fire - timedelta(days=1)), ManualClock(fire - timedelta(days=1))]
    apps = [
        build_app(weekly(), {"console": p}, clock=c, engine=postgres_engine)
        for p, c in zip(platforms, clocks, strict=True)
    ]
    for clock in clocks:
        clock.set(fire + timedelta(minutes=1))
    reports = []
    barrier = threading.Barrier(2)

    def race(app) -> None:
        barrier.wait()
        reports.append(app.timeline.run_due(fire - timedelta(days=7), fire + timedelta(hours=1)))

    threads = [threading.Thread(target=race, args=(a,)) for a in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def deliver() -> None:
        await asyncio.gather(*(a.dispatcher.drain() for a in apps))

    asyncio.run(deliver())
    ran = sorted(label for r in reports for label in r.ran)
    assert ran == ["checkin-open:1@2026-12-01"]
    with Session(postgres_engine) as session:
        assert len(session.exec(select(CheckIn)).all()) == 1
    assert sum(len(opened(p)) for p in platforms) == 1


async def test_a_close_missed_for_weeks_still_happens_once(make_app, clock, platform, person):
    app = make_app()
    person(app, "Cora").cop("checkin open")  # closes in 5 days
    app.close()
    clock.set(clock.now() + timedelta(days=30))  # copbot was down for a month
    app = make_app()
    report = app.run_due()
    await app.dispatcher.drain()
    assert report.ran == ["checkin-close:1@2026-12-06T09:00:00+00:00"]
    assert len(platform.titled("Our check-in has closed")) == 1
    app.run_due()
    await app.dispatcher.drain()
    assert len(platform.titled("Our check-in has closed")) == 1


async def test_a_failing_job_does_not_stop_the_others_and_is_retried(
    make_app, clock, platform, person, monkeypatch, caplog
):
    app = make_app(
        make_settings(community(checkin={"open_for": "2 days", "remind_after": "1 day"}))
    )
    person(app, "Cora").cop("checkin open")  # closes Thu 3 Dec 09:00
    real_run_job = app.bus.run_job
    failures = []

    def flaky(uow, community_id, command):
        if type(command).__name__ == "RemindCheckIn" and not failures:
            failures.append(command)
            raise RuntimeError("the database blinked")
        return real_run_job(uow, community_id, command)

    monkeypatch.setattr(app.bus, "run_job", flaky)
    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        await app.advance(datetime(2026, 12, 2, 9, 0, 30, tzinfo=UTC))  # reminder due 09:00
    assert failures and any("will be retried" in r.getMessage() for r in caplog.records)
    await app.advance(datetime(2026, 12, 2, 9, 2, tzinfo=UTC))
    assert len(platform.titled("A gentle nudge")) == 2  # Cora and Kit (the keeper), on the retry
    await app.advance(datetime(2026, 12, 4, 10, 1, tzinfo=UTC))
    assert len(platform.titled("Our check-in has closed")) == 1
