"""Delivery as people see it: retries, dead letters, rate limits, order, expiry, exactly once.

Every test runs on real SQLite and real PostgreSQL. Time only moves when a test moves the
ManualClock, so "nothing is sent before the backoff elapses" is checked to the second.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.bootstrap import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.messages import OutMessage, say
from bot.outbox import LEASE, Dispatcher
from bot.storage.tables import Community, OutboxMessage
from bot.storage.uow import UnitOfWork
from tests.conftest import START, community, make_settings
from tests.fakes import DeliveryError, FakePlatform, RateLimited

CHANNEL = "wound-care"


# ---- helpers ---------------------------------------------------------------------------


@pytest.fixture
def start(make_app):
    """Build the App on the test database (the `engine` fixture has migrated it already)."""

    def build(settings: Settings | None = None) -> App:
        return make_app(settings or make_settings(), migrate=False)

    return build


def enqueue(
    app,
    key: str,
    *,
    channel: str | None = CHANNEL,
    user: str | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Commit one message for the wound-care community, titled with its key."""
    with UnitOfWork(app.engine) as uow:
        community_id = uow.session.exec(
            select(Community.id).where(Community.name == "wound-care")
        ).one()
        added = uow.enqueue(
            key,
            say(f"body of {key}", title=key),
            platform="console",
            created_at=app.clock.now(),
            community_id=community_id,
            channel_id=None if user else channel,
            user_id=user,
            expires_at=expires_at,
        )
        uow.commit()
    return added


def record_attempts(platform: FakePlatform, clock: ManualClock, outcome) -> list[datetime]:
    """Make every send ask `outcome(n)` (n = 1, 2, …) for an error to raise; returns the list
    of the moments the platform was asked to send."""
    attempts: list[datetime] = []

    def fail_when(_kind: str, _target: str) -> Exception | None:
        attempts.append(clock.now())
        return outcome(len(attempts))

    platform.fail_when = fail_when
    return attempts


def about(found: list[timedelta], minutes: list[float]) -> bool:
    """Each gap is the expected number of minutes, give or take the 10% jitter."""
    pairs = zip(found, minutes, strict=False)
    return len(found) == len(minutes) and all(
        0.9 * m <= gap / timedelta(minutes=1) <= 1.1 * m for gap, m in pairs
    )


def gaps(moments: list[datetime]) -> list[timedelta]:
    return [later - earlier for earlier, later in itertools.pairwise(moments)]


def titles(platform: FakePlatform, target: str | None = None) -> list[str | None]:
    return [d.message.title for d in platform.sent if target in (None, d.target)]


class YieldingPlatform(FakePlatform):
    """A FakePlatform that gives the event loop a turn before each send, as a network would."""

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        await asyncio.sleep(0)
        return await super().post(channel_id, message, key)

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        await asyncio.sleep(0)
        return await super().dm(user_id, message, key)


def one_minute_retries(**outbox: object) -> Settings:
    return make_settings(outbox={"first_retry": "1 minute", **outbox})


# ---- retries ---------------------------------------------------------------------------


async def test_transient_failure_is_retried_after_the_backoff_and_delivered_once(
    start, clock, platform, person
):
    app = start(one_minute_retries())
    cora = person(app, "Cora")
    platform.failures.append(DeliveryError("connection reset"))
    cora.cop("checkin open")

    assert await app.dispatcher.drain() == 0
    assert platform.sent == []
    clock.advance(timedelta(seconds=53))  # the backoff is a minute, give or take 10%
    assert await app.dispatcher.drain() == 0
    assert platform.sent == [], "sent before the backoff elapsed"

    clock.advance(timedelta(seconds=14))
    assert await app.dispatcher.drain() == 1
    assert titles(platform) == ["Time for our check-in"]

    await app.advance(START + timedelta(hours=2))
    assert titles(platform) == ["Time for our check-in"], "delivered more than once"
    assert "Every message has been delivered" in cora.says("undelivered")


async def test_backoff_doubles_between_tries(start, clock, platform, person):
    app = start(one_minute_retries(max_attempts=5))
    attempts = record_attempts(
        platform, clock, lambda n: DeliveryError("timed out") if n <= 3 else None
    )
    person(app, "Cora").cop("checkin open")

    await app.advance(START + timedelta(hours=1))

    assert about(gaps(attempts), [1, 2, 4])
    assert titles(platform) == ["Time for our check-in"]


async def test_backoff_stops_growing_at_an_hour(start, clock, platform, person):
    app = start(make_settings(outbox={"first_retry": "20 minutes", "max_attempts": 6}))
    attempts = record_attempts(
        platform, clock, lambda n: DeliveryError("timed out") if n <= 5 else None
    )
    person(app, "Cora").cop("checkin open")

    await app.advance(START + timedelta(hours=6))

    minutes = [gap / timedelta(minutes=1) for gap in gaps(attempts)]
    assert about(gaps(attempts), [20, 40, 60, 60, 60])
    assert max(minutes) <= 60
    assert titles(platform) == ["Time for our check-in"]


async def test_messages_that_failed_together_are_retried_spread_out(start, clock, platform):
    """One outage fails many sends at once: their retries do not all land in one moment."""
    app = start(one_minute_retries())
    for number in range(20):
        enqueue(app, f"nudge:{number}", user=f"member-{number}")
    platform.fail_when = lambda _kind, _target: DeliveryError("connection reset")
    await app.dispatcher.drain()
    with UnitOfWork(app.engine) as uow:
        due = [r.next_attempt_at for r in uow.session.exec(select(OutboxMessage)).all()]
    waits = [(moment - clock.now()) / timedelta(seconds=1) for moment in due]
    assert all(54 <= wait <= 66 for wait in waits), waits
    assert len(set(waits)) >= 15, "retries were not spread out"
    assert min(waits) < 60 < max(waits), "spread to one side of the minute only"


# ---- dead letters ----------------------------------------------------------------------


@pytest.mark.parametrize("retry_with", ["text", "button"])
async def test_after_max_attempts_a_message_is_a_dead_letter_conveners_can_retry(
    start, clock, platform, person, caplog, retry_with
):
    app = start(one_minute_retries(max_attempts=3))
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("help")
    attempts = record_attempts(platform, clock, lambda _n: DeliveryError("channel_not_found"))
    cora.cop("checkin open")

    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        await app.advance(START + timedelta(hours=3))

    assert len(attempts) == 3, "tried more (or fewer) times than max_attempts"
    assert platform.sent == []
    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.getMessage().startswith("dead letter checkin:")
    assert logged.getMessage().endswith(" after 3 tries: channel_not_found")

    seen = cora.says("undelivered")
    assert "1 message I could not deliver" in seen
    assert "to the channel: Time for our check-in" in seen
    assert "3 tries; channel_not_found" in seen

    refused = ana.says("undelivered")
    assert "Only conveners" in refused
    assert "Time for our check-in" not in refused
    assert "Only conveners" in ana.says("undelivered retry")
    assert "Only conveners" in ana.press("outbox.retry").message.as_text()
    platform.fail_when = None
    await app.dispatcher.drain()
    assert platform.sent == [], "a member's refused retry resent the message"

    if retry_with == "text":
        answer = cora.says("undelivered retry")
    else:
        answer = cora.press("outbox.retry").message.as_text()
    assert "Trying 1 message again" in answer
    await app.dispatcher.drain()
    assert titles(platform) == ["Time for our check-in"]
    await app.advance(START + timedelta(hours=5))
    assert titles(platform) == ["Time for our check-in"]
    assert "Every message has been delivered" in cora.says("undelivered")


async def test_a_permanent_failure_goes_straight_to_dead_letters(
    start, clock, platform, person, caplog
):
    app = start(one_minute_retries(max_attempts=5))
    cora = person(app, "Cora")
    attempts = record_attempts(
        platform, clock, lambda _n: DeliveryError("not_in_channel", transient=False)
    )
    cora.cop("checkin open")

    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        await app.advance(START + timedelta(hours=3))

    assert len(attempts) == 1
    assert any("not_in_channel" in r.getMessage() for r in caplog.records)
    seen = cora.says("undelivered")
    assert "1 message I could not deliver" in seen
    assert "1 tries; not_in_channel" in seen


async def test_a_dead_letter_does_not_block_the_channel(start, clock, platform, person):
    app = start(one_minute_retries(max_attempts=2))
    cora = person(app, "Cora")
    record_attempts(
        platform, clock, lambda n: DeliveryError("bad blocks", transient=False) if n == 1 else None
    )
    cora.cop("checkin open")
    await app.dispatcher.drain()
    cora.cop("checkin close")
    await app.dispatcher.drain()
    assert titles(platform) == ["Our check-in has closed"]
    assert "1 message I could not deliver" in cora.says("undelivered")


# ---- rate limits -----------------------------------------------------------------------


async def test_rate_limit_is_honoured_and_does_not_count_as_a_try(start, clock, platform, person):
    app = start(one_minute_retries(max_attempts=3))
    cora = person(app, "Cora")
    attempts = record_attempts(
        platform, clock, lambda n: RateLimited(retry_after=30) if n <= 5 else None
    )
    cora.cop("checkin open")

    await app.dispatcher.drain()
    clock.advance(timedelta(seconds=29))
    await app.dispatcher.drain()
    assert len(attempts) == 1, "sent again before retry_after elapsed"
    clock.advance(timedelta(seconds=1))
    await app.dispatcher.drain()
    assert len(attempts) == 2

    await app.advance(START + timedelta(hours=1))
    assert gaps(attempts) == [timedelta(seconds=30)] * 5
    assert titles(platform) == ["Time for our check-in"]
    assert "Every message has been delivered" in cora.says("undelivered")


async def test_a_long_rate_limit_is_honoured_beyond_the_backoff_cap(start, clock, platform, person):
    app = start(one_minute_retries())
    attempts = record_attempts(
        platform, clock, lambda n: RateLimited(retry_after=2 * 3600) if n == 1 else None
    )
    person(app, "Cora").cop("checkin open")
    await app.advance(START + timedelta(hours=1, minutes=59))
    assert platform.sent == []
    await app.advance(START + timedelta(hours=2))
    assert gaps(attempts) == [timedelta(hours=2)]
    assert titles(platform) == ["Time for our check-in"]


# ---- order -----------------------------------------------------------------------------


async def test_channel_order_is_kept_when_the_first_post_fails_once(start, clock, platform):
    app = start(one_minute_retries())
    failed: list[str] = []

    def fail_first_post_to_the_channel(kind: str, target: str) -> Exception | None:
        if target == CHANNEL and not failed:
            failed.append(target)
            return DeliveryError("timed out")
        return None

    platform.fail_when = fail_first_post_to_the_channel
    for key in ("first", "second", "third"):
        enqueue(app, key)
    enqueue(app, "elsewhere", channel="other-channel")
    enqueue(app, "a private note", user="ana")

    await app.dispatcher.drain()
    assert titles(platform) == ["elsewhere", "a private note"], "other targets should not wait"

    enqueue(app, "fourth")
    clock.advance(timedelta(seconds=53))  # a minute's backoff, give or take 10%
    await app.dispatcher.drain()
    assert titles(platform, CHANNEL) == [], "later posts overtook the one being retried"

    clock.advance(timedelta(seconds=14))
    await app.dispatcher.drain()
    assert titles(platform, CHANNEL) == ["first", "second", "third", "fourth"]


async def test_private_messages_to_one_person_keep_their_order(start, clock, platform):
    app = start(one_minute_retries())
    record_attempts(platform, clock, lambda n: RateLimited(retry_after=5) if n == 1 else None)
    for key in ("one", "two", "three"):
        enqueue(app, key, user="ana")
    await app.advance(START + timedelta(minutes=5))
    assert titles(platform, "ana") == ["one", "two", "three"]


# ---- expiry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("open_for", "reminded"),
    [("6 hours", ["cora", "kit"]), ("2 days", ["cora", "kit", "nia"])],  # Kit: the keeper
    ids=["closes-during-her-quiet-hours", "still-open-when-they-end"],
)
async def test_a_reminder_held_by_quiet_hours_past_the_close_is_never_sent(
    start, clock, platform, person, open_for, reminded
):
    settings = make_settings(community(checkin={"open_for": open_for, "remind_after": "3 hours"}))
    app = start(settings)
    cora, nia = person(app, "Cora"), person(app, "Nia")
    nia.cop("me quiet 10:00-09:00")  # quiet from 10:00 London until 09:00 the next morning
    cora.cop("checkin open")  # 09:00 London; the reminder is due at 12:00

    await app.advance(START + timedelta(days=4))

    assert sorted(d.target for d in platform.dms()) == reminded  # sent concurrently: any order
    assert len(platform.titled("Our check-in has closed")) == 1
    assert "Every message has been delivered" in cora.says("undelivered")


async def test_a_message_whose_retry_falls_after_it_expires_is_never_sent(
    start, clock, platform, person
):
    app = start(one_minute_retries())
    platform.failures.append(DeliveryError("timed out"))
    enqueue(app, "only useful for half a minute", expires_at=START + timedelta(seconds=30))
    await app.advance(START + timedelta(hours=2))
    assert platform.sent == []
    assert "Every message has been delivered" in person(app, "Cora").says("undelivered")


# ---- exactly once ----------------------------------------------------------------------


def _many_messages(app) -> list[str]:
    keys = []
    for index in range(36):
        key = f"m{index:02d}"
        if index % 4 == 3:
            enqueue(app, key, user=f"person-{index % 3}")
        else:
            enqueue(app, key, channel=f"channel-{index % 5}")
        keys.append(key)
    return keys


async def test_two_dispatchers_draining_together_send_each_message_once(engine, clock, start):
    app = start()
    keys = _many_messages(app)
    platform = YieldingPlatform()
    first, second = (
        Dispatcher(engine, clock, {"console": platform}, batch=7, concurrency=3) for _ in "ab"
    )

    counts = await asyncio.gather(first.drain(), second.drain())

    assert sorted(d.key for d in platform.sent) == keys
    assert sum(counts) == len(keys)


async def test_two_dispatchers_in_two_threads_send_each_message_once(engine, clock, start):
    """Two event loops in two threads: the claims really do race (SKIP LOCKED on PostgreSQL)."""
    app = start()
    keys = _many_messages(app)
    platform = YieldingPlatform()
    dispatchers = [
        Dispatcher(engine, clock, {"console": platform}, batch=7, concurrency=3) for _ in "ab"
    ]

    counts = await asyncio.gather(*(asyncio.to_thread(asyncio.run, d.drain()) for d in dispatchers))

    assert sorted(d.key for d in platform.sent) == keys
    assert sum(counts) == len(keys)


async def test_a_second_dispatcher_does_not_overtake_a_post_still_being_sent(
    engine, clock, start, person
):
    app = start()
    cora = person(app, "Cora")
    sending, release = asyncio.Event(), asyncio.Event()

    class SlowToOpen(FakePlatform):
        async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
            if key.endswith(":post"):
                sending.set()
                await release.wait()
            return await super().post(channel_id, message, key)

    platform = SlowToOpen()
    first, second = (Dispatcher(engine, clock, {"console": platform}) for _ in "ab")
    cora.cop("checkin open")
    opening = asyncio.create_task(first.drain())
    await sending.wait()  # the first process is still posting the check-in
    cora.cop("checkin close")
    await second.drain()  # another process, woken by the close
    release.set()
    await opening
    await second.drain()

    assert titles(platform) == ["Time for our check-in", "Our check-in has closed"]


async def test_two_dispatchers_keep_each_channels_order(engine, clock, start):
    app = start()
    _many_messages(app)
    platform = YieldingPlatform()
    first, second = (
        Dispatcher(engine, clock, {"console": platform}, batch=7, concurrency=3) for _ in "ab"
    )

    await asyncio.gather(first.drain(), second.drain())

    for target in {d.target for d in platform.sent}:
        received = [d.key for d in platform.sent if d.target == target]
        assert received == sorted(received), f"{target} got its messages out of order"


async def test_the_same_idempotency_key_twice_is_one_message(start, platform, clock):
    app = start()
    assert enqueue(app, "checkin:7:post") is True
    assert enqueue(app, "checkin:7:post") is False
    with UnitOfWork(app.engine) as uow:
        message = say("again")
        for _ in range(2):
            uow.enqueue(
                "welcome:ana", message, platform="console", created_at=clock.now(), user_id="ana"
            )
        uow.commit()

    await app.dispatcher.drain()
    assert sorted(d.key for d in platform.sent) == ["checkin:7:post", "welcome:ana"]


async def test_two_transactions_racing_on_one_key_make_one_message(start, platform, clock):
    app = start()
    racers = [UnitOfWork(app.engine).__enter__() for _ in range(2)]
    try:
        for uow in racers:
            uow.enqueue(
                "digest:week-49",
                say("digest"),
                platform="console",
                created_at=clock.now(),
                channel_id=CHANNEL,
            )
        racers[0].commit()
        with pytest.raises(IntegrityError):
            racers[1].commit()
    finally:
        for uow in racers:
            uow.__exit__(None, None, None)

    await app.dispatcher.drain()
    assert [d.key for d in platform.sent] == ["digest:week-49"]


async def test_a_message_claimed_by_a_process_that_died_is_sent_after_its_lease(
    engine, clock, start
):
    """A dispatcher stops mid-send (the process dies): the message is not lost, and no
    other dispatcher sends it while the first one might still be at it."""
    app = start()
    enqueue(app, "survives a crash")
    stuck = asyncio.Event()

    class Hanging(FakePlatform):
        async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
            stuck.set()
            await asyncio.Event().wait()  # never returns
            raise AssertionError

    dying = asyncio.create_task(Dispatcher(engine, clock, {"console": Hanging()}).drain())
    await stuck.wait()
    dying.cancel()

    platform = FakePlatform()
    survivor = Dispatcher(engine, clock, {"console": platform})
    clock.advance(LEASE - timedelta(seconds=1))
    await survivor.drain()
    assert platform.sent == [], "resent while the first process might still be sending it"
    clock.advance(timedelta(seconds=1))
    await survivor.drain()
    assert [d.key for d in platform.sent] == ["survives a crash"]
