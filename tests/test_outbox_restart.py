"""The outbox across stops, crashes and restarts: claims belong to a live process, a stop
hands back what it had not sent, a send cut short is checked before it goes again."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot import outbox_rows
from bot.messages import OutMessage, say
from bot.outbox import Dispatcher
from bot.storage.tables import JobClaim, OutboxMessage
from bot.storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.fakes import FakePlatform, RateLimited
from tests.test_outbox import enqueue


@pytest.fixture
def app(make_app):
    return make_app(make_settings(), migrate=False)


def statuses(engine) -> dict[str, str]:
    with Session(engine) as session:
        return {row.key: row.status for row in session.exec(select(OutboxMessage)).all()}


class Gate(FakePlatform):
    """Sends wait at the gate until it opens (a slow network); `started` counts arrivals."""

    def __init__(self) -> None:
        super().__init__()
        self.open = asyncio.Event()
        self.started = 0

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        self.started += 1
        await self.open.wait()
        return await super().dm(user_id, message, key)


class Remembers(FakePlatform):
    """A platform that can say whether a message arrived (as Slack's history can)."""

    def __init__(self, arrived: set[str]) -> None:
        super().__init__()
        self.arrived = arrived
        self.asked: list[str] = []

    async def already_sent(self, channel_id, user_id, message, key) -> str | None:
        self.asked.append(key)
        return f"old-{key}" if key in self.arrived else None


async def until(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out waiting")


async def test_a_stop_hands_back_unsent_messages_and_the_restart_sends_each_once(app, clock):
    for number in range(30):
        enqueue(app, f"dm:{number}", user=f"member-{number}")
    gate = Gate()
    first = Dispatcher(app.engine, clock, {"console": gate}, concurrency=4)
    running = asyncio.create_task(first.run_forever(poll_seconds=0.05))
    await until(lambda: gate.started == 4)  # four sends under way, the rest claimed
    gate.open.set()  # the sends under way finish during the stop's grace
    await first.stop(running, grace=5)

    left = statuses(app.engine)
    assert "sending" not in left.values(), "a stopped dispatcher kept claims"
    assert sorted(d.key for d in gate.sent) == sorted(k for k, s in left.items() if s == "sent")

    after = FakePlatform()
    second = Dispatcher(app.engine, clock, {"console": after})
    await second.drain()  # at once: nothing waits for a lease to run out
    keys = [d.key for d in gate.sent + after.sent]
    assert sorted(keys) == sorted(f"dm:{n}" for n in range(30)), "lost or sent twice"


async def test_a_send_still_going_after_the_grace_is_checked_before_it_goes_again(
    app, clock, caplog
):
    enqueue(app, "dm:slow", user="ana")
    enqueue(app, "dm:next", user="ana")
    gate = Gate()
    first = Dispatcher(app.engine, clock, {"console": gate})
    running = asyncio.create_task(first.run_forever(poll_seconds=0.05))
    await until(lambda: gate.started == 1)
    with caplog.at_level("WARNING", logger="bot.outbox"):
        await first.stop(running, grace=0.1)  # the gate never opens: the send is cut short
    assert running.done()
    assert "stopped with 1 send(s) under way: they will be checked" in caplog.messages

    arrived = Remembers({"dm:slow"})  # it had reached the platform after all
    await Dispatcher(app.engine, clock, {"console": arrived}).drain()
    assert arrived.asked == ["dm:slow"], "only the send that was cut short is checked"
    assert [d.key for d in arrived.sent] == ["dm:next"], "sent twice, or the next one lost"

    with Session(app.engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.key == "dm:slow")).one()
    assert (row.status, row.message_id) == ("sent", "old-dm:slow")


async def test_a_send_cut_short_that_never_arrived_is_sent_once(app, clock):
    enqueue(app, "dm:slow", user="ana")
    gate = Gate()
    first = Dispatcher(app.engine, clock, {"console": gate})
    running = asyncio.create_task(first.run_forever(poll_seconds=0.05))
    await until(lambda: gate.started == 1)
    await first.stop(running, grace=0.1)

    nothing = Remembers(set())
    await Dispatcher(app.engine, clock, {"console": nothing}).drain()
    assert nothing.asked == ["dm:slow"]
    assert [d.key for d in nothing.sent] == ["dm:slow"]


async def test_a_live_dispatcher_keeps_its_claims_past_the_lease(app, clock):
    """A slow send outlasts the lease; the process is alive, so nobody else takes it."""
    enqueue(app, "dm:slow", user="ana")
    gate = Gate()
    lease = timedelta(seconds=0.3)
    first = Dispatcher(app.engine, clock, {"console": gate}, lease=lease)
    running = asyncio.create_task(first.run_forever(poll_seconds=0.05))
    await until(lambda: gate.started == 1)
    for _ in range(5):
        clock.advance(lease / 2)
        await asyncio.sleep(0.2)  # a heartbeat or two (every lease/3 on the loop's clock)
        other = FakePlatform()
        await Dispatcher(app.engine, clock, {"console": other}, lease=lease).drain()
        assert other.sent == [], "another dispatcher took a live process's message"
    gate.open.set()
    await until(lambda: len(gate.sent) == 1)
    await first.stop(running)
    assert statuses(app.engine) == {"dm:slow": "sent"}


async def test_a_dead_dispatchers_claims_lapse_after_one_lease(app, clock):
    enqueue(app, "dm:orphan", user="ana")
    claimed, _ = outbox_rows.claim(app.engine, clock.now(), timedelta(seconds=30), 10, ())
    assert [row.key for row in claimed] == ["dm:orphan"]  # then the process dies

    survivor = Remembers(set())
    clock.advance(timedelta(seconds=29))
    await Dispatcher(app.engine, clock, {"console": survivor}).drain()
    assert survivor.sent == []
    clock.advance(timedelta(seconds=1))
    await Dispatcher(app.engine, clock, {"console": survivor}).drain()
    assert survivor.asked == ["dm:orphan"], "a send that may have arrived was not checked"
    assert [d.key for d in survivor.sent] == ["dm:orphan"]


async def test_cancelling_the_dispatcher_always_ends_it(app, clock):
    """A wake-up landing just before a cancellation must not swallow it."""
    dispatcher = Dispatcher(app.engine, clock, {"console": FakePlatform()})
    for _ in range(30):
        running = asyncio.create_task(dispatcher.run_forever(poll_seconds=0.01))
        await asyncio.sleep(0.005)
        dispatcher.wake()
        running.cancel()
        dispatcher.wake()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(running, 5)


async def test_delivered_private_payloads_are_pruned_and_never_sent_again(app, clock, platform):
    enqueue(app, "mydata:ana", user="ana")
    enqueue(app, "checkin:post")
    await app.dispatcher.drain()
    with Session(app.engine) as session:
        for name, age in (("old", 57), ("recent", 55)):  # days, at the last tidy below
            moment = clock.now() + timedelta(days=104 - age)
            session.add(
                JobClaim(
                    job_key=name,
                    occurrence="x",
                    fire_time=moment,
                    claimed_at=moment,
                    outcome="done",
                )
            )
        session.commit()

    clock.advance(timedelta(days=6, hours=23))
    app.tidy()
    with Session(app.engine) as session:
        kept = session.exec(select(OutboxMessage).where(OutboxMessage.key == "mydata:ana")).one()
    assert "body of mydata:ana" in kept.payload, "forgotten before a week"
    clock.advance(timedelta(hours=1, seconds=1))
    app.tidy()

    with Session(app.engine) as session:
        rows = {r.key: r for r in session.exec(select(OutboxMessage)).all()}
        claims = session.exec(select(JobClaim.job_key)).all()
    assert rows["mydata:ana"].payload == outbox_rows.PRUNED
    assert "body of mydata:ana" not in rows["mydata:ana"].payload
    assert "body of checkin:post" in rows["checkin:post"].payload, "channel posts stay"
    assert rows["mydata:ana"].status == "sent"
    clock.advance(timedelta(days=97))  # 104 days after the start
    app.tidy()
    with Session(app.engine) as session:
        claims = session.exec(select(JobClaim.job_key)).all()
    assert claims == ["recent"]
    # The key stays: the same message is never queued and sent a second time.
    assert enqueue(app, "mydata:ana", user="ana") is False
    await app.dispatcher.drain()
    assert [d.key for d in platform.sent].count("mydata:ana") == 1


async def test_a_platform_wide_429_holds_every_target_on_it_and_nothing_else(app, clock):
    """Discord says 'wait 20 s' for all of it: no message to anyone on it goes before then;
    messages on another platform go on; after the wait all go, each once, in order."""
    first, other = FakePlatform(), FakePlatform(name="email")
    calls: list[str] = []

    def once_limited(kind: str, target: str):
        calls.append(target)
        return RateLimited(20) if len(calls) == 1 else None  # scope None: all of it

    first.fail_when = once_limited
    for key in ("ana:1", "ana:2", "ben:1"):
        enqueue(app, key, user=key.split(":")[0])
    with UnitOfWork(app.engine) as uow:
        uow.enqueue("mail:1", say("hi"), platform="email", created_at=clock.now(), user_id="dee")
        uow.commit()
    dispatcher = Dispatcher(app.engine, clock, {"console": first, "email": other})
    await dispatcher.drain()
    assert first.sent == [], "sent to the platform while it asked to wait"
    assert [d.key for d in other.sent] == ["mail:1"], "another platform was held too"
    assert dispatcher._pause(5.0) == pytest.approx(5.0)  # the poll: the hold ends later
    clock.advance(timedelta(seconds=19))
    assert dispatcher._pause(5.0) == pytest.approx(1.0)  # wakes when the hold ends
    await dispatcher.drain()
    assert first.sent == []
    clock.advance(timedelta(seconds=1))
    await dispatcher.drain()
    assert [d.key for d in first.sent if d.target == "ana"] == ["ana:1", "ana:2"]
    assert sorted(d.key for d in first.sent) == ["ana:1", "ana:2", "ben:1"]


async def test_a_stop_starts_no_new_send(app, clock):
    """The sends under way finish; nothing else claimed is started after the stop."""
    for number in range(12):
        enqueue(app, f"dm:{number}", user=f"member-{number}")
    gate = Gate()
    first = Dispatcher(app.engine, clock, {"console": gate}, concurrency=3)
    running = asyncio.create_task(first.run_forever(poll_seconds=0.05))
    await until(lambda: gate.started == 3)
    stopping = asyncio.create_task(first.stop(running, grace=5))
    await asyncio.sleep(0.05)
    gate.open.set()
    await stopping
    assert gate.started == 3 and len(gate.sent) == 3
    assert sorted(statuses(app.engine).values()) == ["pending"] * 9 + ["sent"] * 3


async def test_a_process_that_dies_after_renewing_its_claims_still_lets_them_go(
    app, clock, monkeypatch
):
    """The heartbeat renews the lease for one lease more, not for ever."""
    enqueue(app, "dm:slow", user="ana")
    gate = Gate()
    lease = timedelta(seconds=0.3)
    dying = Dispatcher(app.engine, clock, {"console": gate}, lease=lease)

    async def no_goodbye() -> None:  # kill -9: nothing is handed back
        return None

    monkeypatch.setattr(dying, "_hand_back", no_goodbye)
    running = asyncio.create_task(dying.run_forever(poll_seconds=0.05))
    await until(lambda: gate.started == 1)
    clock.advance(lease / 2)
    await asyncio.sleep(0.3)  # renewed meanwhile
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    survivor = Remembers(set())
    await Dispatcher(app.engine, clock, {"console": survivor}, lease=lease).drain()
    assert survivor.sent == [], "taken while the renewed lease still ran"
    clock.advance(lease)
    await Dispatcher(app.engine, clock, {"console": survivor}, lease=lease).drain()
    assert [d.key for d in survivor.sent] == ["dm:slow"], "a renewed claim never lapsed"


async def test_pruning_keeps_what_is_still_to_send_and_counts_from_the_sending(app, clock):
    enqueue(app, "dm:held", user="ana")  # never delivered: its words are still needed
    enqueue(app, "dm:late", user="ben")
    with Session(app.engine) as session:
        late = session.exec(select(OutboxMessage).where(OutboxMessage.key == "dm:late")).one()
        late.status, late.sent_at = "sent", clock.now() + timedelta(days=6)  # sent 6 days on
        session.add(late)
        session.commit()
    clock.advance(timedelta(days=8))
    changed = app.tidy()
    with Session(app.engine) as session:
        rows = {r.key: r for r in session.exec(select(OutboxMessage)).all()}
    assert "body of dm:held" in rows["dm:held"].payload, "an unsent message lost its words"
    assert "body of dm:late" in rows["dm:late"].payload, "counted from its queueing"
    assert changed == 0
    clock.advance(timedelta(days=6))
    assert app.tidy() == 1
