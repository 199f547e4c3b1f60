"""The outbox across stops, crashes and restarts: claims belong to a live process, a stop
hands back what it had not sent, a send cut short is checked before it goes again; the
loop's own troubles; pictures drawn just before sending; sends paced at a platform's rate;
how failures are recorded and retried."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot import outbox, outbox_rows
from bot.clock import ManualClock
from bot.messages import Attachment, OutMessage, say
from bot.notices import HELD
from bot.outbox import LEASE, Dispatcher, Pacer
from bot.outbox_rows import CANCELLED
from bot.ports import Cancelled, DeliveryError, Unreachable
from bot.storage.tables import JobClaim, OutboxMessage
from bot.storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.fakes import FakePlatform, RateLimited
from tests.test_outbox import enqueue

NOTE = "(I couldn't draw the picture here, so this is the page itself.)"
PAGE = "<h1>Who took part</h1>"


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
        self.looked_for: list[str] = []  # the words it was asked to look for
        self.looked_in: list[tuple[str | None, str | None]] = []  # (channel, person)

    async def already_sent(self, channel_id, user_id, message, key) -> str | None:
        self.asked.append(key)
        self.looked_for.append(message.as_text())
        self.looked_in.append((channel_id, user_id))
        return f"old-{key}" if key in self.arrived else None


async def until(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out waiting")


async def test_a_stop_hands_back_unsent_messages_and_the_restart_sends_each_once(
    app, clock, caplog
):
    for number in range(30):
        enqueue(app, f"dm:{number}", user=f"member-{number}")
    gate = Gate()
    first = Dispatcher(app.engine, clock, {"console": gate}, concurrency=4)
    running = asyncio.create_task(first.run_forever(poll_seconds=0.05))
    await until(lambda: gate.started == 4)  # four sends under way, the rest claimed
    gate.open.set()  # the sends under way finish during the stop's grace
    with caplog.at_level("WARNING", logger="bot.outbox"):
        await first.stop(running, grace=5)
    assert not [m for m in caplog.messages if "under way" in m], "finished sends counted as cut"

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
    with caplog.at_level("INFO", logger="bot.outbox"):
        await Dispatcher(app.engine, clock, {"console": arrived}).drain()
    assert arrived.asked == ["dm:slow"], "only the send that was cut short is checked"
    assert "dm:slow had arrived before the restart: not sent again" in caplog.messages
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
    assert ["body of dm:slow" in text for text in nothing.looked_for] == [True]
    assert nothing.looked_in == [(None, "ana")]
    assert [d.key for d in nothing.sent] == ["dm:slow"]


async def test_a_cut_short_send_is_checked_once_even_if_its_resend_fails(app, clock):
    enqueue(app, "post:slow")  # to the channel
    stuck = asyncio.Event()

    class Hanging(FakePlatform):
        async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
            stuck.set()
            await asyncio.Event().wait()
            raise AssertionError

    first = Dispatcher(app.engine, clock, {"console": Hanging()})
    running = asyncio.create_task(first.run_forever(poll_seconds=0.05))
    await stuck.wait()
    await first.stop(running, grace=0.05)

    nothing = Remembers(set())
    nothing.failures.append(DeliveryError("timed out"))
    second = Dispatcher(app.engine, clock, {"console": nothing})
    await second.drain()
    assert nothing.asked == ["post:slow"] and nothing.looked_in == [("wound-care", None)]
    clock.advance(timedelta(seconds=40))
    await second.drain()
    assert nothing.asked == ["post:slow"], "checked again after it was known not to have arrived"
    assert [d.key for d in nothing.sent] == ["post:slow"]


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


def _chart_message(footer: str | None = None) -> OutMessage:
    chart = Attachment(
        filename="digest.2026-W53.html", content=PAGE, mime="text/html", picture_of_html=True
    )
    return OutMessage(title="Keeper's digest", footer=footer, attachment=chart)


def _enqueue(engine: Engine, clock: ManualClock, key: str, message: OutMessage) -> None:
    with UnitOfWork(engine) as uow:
        uow.enqueue(key, message, platform="console", created_at=clock.now(), user_id="kit")
        uow.commit()


async def _deliver(
    engine: Engine,
    clock: ManualClock,
    message: OutMessage,
    pictures: Callable[[str], bytes] | None,
) -> OutMessage:
    _enqueue(engine, clock, "digest:1:1:2026-W53", message)
    platform = FakePlatform()
    assert await Dispatcher(engine, clock, {"console": platform}, pictures=pictures).drain() == 1
    [delivered] = platform.sent
    return delivered.message


# ---- pictures ----------------------------------------------------------------------------


async def test_an_html_attachment_goes_as_its_picture(engine, clock):
    drawn: list[str] = []

    def draw(html: str) -> bytes:
        drawn.append(html)
        return b"\x89PNG drawn"

    message = await _deliver(engine, clock, _chart_message(footer="Sent weekly."), draw)
    assert drawn == [PAGE]
    assert message.attachment == Attachment(
        filename="digest.2026-W53.png", data=b"\x89PNG drawn", mime="image/png"
    )
    assert message.footer == "Sent weekly.", "a drawn picture needs no excuse"


async def test_without_a_way_to_draw_the_page_itself_goes_with_a_line_saying_so(
    engine, clock, caplog
):
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        message = await _deliver(engine, clock, _chart_message(), None)
    assert message.attachment == Attachment(
        filename="digest.2026-W53.html", content=PAGE, mime="text/html"
    )
    assert message.footer == NOTE
    expected = "could not draw digest.2026-W53.html: no way to draw pictures is set up"
    assert expected in caplog.messages


async def test_a_failed_drawing_sends_the_page_and_keeps_the_footer(engine, clock, caplog):
    def broken(_html: str) -> bytes:
        raise RuntimeError("no browser installed")

    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        message = await _deliver(engine, clock, _chart_message(footer="Sent weekly."), broken)
    assert message.attachment == Attachment(
        filename="digest.2026-W53.html", content=PAGE, mime="text/html"
    )
    assert message.footer == f"Sent weekly. {NOTE}"
    assert "could not draw digest.2026-W53.html: no browser installed" in caplog.messages


async def test_an_attachment_that_is_not_a_page_goes_as_it_is(engine, clock):
    data = Attachment(filename="export.json", content='{"a": 1}')
    called: list[str] = []
    message = await _deliver(
        engine, clock, OutMessage(title="Export", attachment=data), called.append
    )
    assert message.attachment == data and called == []


# ---- pacing ------------------------------------------------------------------------------


@dataclass
class LoopTime:
    """The event loop's clock and asyncio.sleep, simulated: sleeping moves the clock."""

    now: float = 100.0
    slept: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def loop_time(monkeypatch: pytest.MonkeyPatch) -> LoopTime:
    """bot.outbox's view of asyncio, with a simulated loop clock and sleep."""
    fake = LoopTime()

    class Asyncio(SimpleNamespace):
        def __getattr__(self, name: str) -> Any:
            return getattr(asyncio, name)

    monkeypatch.setattr(outbox, "asyncio", Asyncio(get_running_loop=lambda: fake, sleep=fake.sleep))
    return fake


async def _moments(pacer: Pacer, loop_time: LoopTime, sends: int) -> list[float]:
    found = []
    for _ in range(sends):
        await pacer.wait()
        found.append(round(loop_time.now - 100.0, 6))
    return found


async def test_an_odd_burst_rounds_its_half_down(loop_time):
    # 10 a second, bursts of 5: 2 at once (not 2.5), then one every 0.1 s.
    assert await _moments(Pacer(10, 5), loop_time, 4) == [0, 0, 0.1, 0.2]


async def test_half_the_burst_goes_at_once_then_one_per_interval(loop_time):
    # 10 a second, bursts of 6: 3 at once, then one every 0.1 s.
    assert await _moments(Pacer(10, 6), loop_time, 6) == [0, 0, 0, 0.1, 0.2, 0.3]


async def test_a_platform_without_burst_allowance_gets_an_even_pace(loop_time):
    assert await _moments(Pacer(4, 1), loop_time, 3) == [0, 0.25, 0.5]
    assert await _moments(Pacer(4, 2), loop_time, 2) == [0.5, 0.75]  # a fresh pacer


async def test_after_a_quiet_spell_the_burst_is_available_again(loop_time):
    pacer = Pacer(10, 4)  # 2 at once
    assert await _moments(pacer, loop_time, 3) == [0, 0, 0.1]
    loop_time.now += 60  # a minute with nothing to send
    assert await _moments(pacer, loop_time, 3) == [60.1, 60.1, 60.2]


class Limited(FakePlatform):
    """A platform declaring its rate limit; records the loop time of each send."""

    def __init__(self, loop_time: LoopTime, rate_limit: tuple[float, int]) -> None:
        super().__init__()
        self.rate_limit = rate_limit
        self.loop_time = loop_time
        self.moments: list[float] = []

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        self.moments.append(round(self.loop_time.now - 100.0, 6))
        return await super().dm(user_id, message, key)


def _fan_out(engine: Engine, clock: ManualClock, count: int) -> None:
    with UnitOfWork(engine) as uow:
        for number in range(count):
            uow.enqueue(
                f"nudge:{number}",
                OutMessage(title=f"nudge {number}"),
                platform="console",
                created_at=clock.now(),
                user_id=f"member-{number}",
            )
        uow.commit()


async def test_a_fan_out_flows_at_the_platforms_declared_rate(engine, clock, loop_time):
    _fan_out(engine, clock, 5)
    platform = Limited(loop_time, (10, 4))
    assert await Dispatcher(engine, clock, {"console": platform}).drain() == 5
    assert sorted(platform.moments) == [0, 0, 0.1, 0.2, 0.3]


async def test_a_platform_added_later_is_delivered_to_at_its_rate(engine, clock, loop_time):
    _fan_out(engine, clock, 4)
    dispatcher = Dispatcher(engine, clock, {})
    platform = Limited(loop_time, (2, 1))
    dispatcher.add_platform(platform)
    assert await dispatcher.drain() == 4
    assert sorted(platform.moments) == [0, 0.5, 1.0, 1.5]
    assert sorted(d.key for d in platform.sent) == [f"nudge:{n}" for n in range(4)]


async def test_a_platform_added_later_without_a_limit_is_not_paced(engine, clock, loop_time):
    _fan_out(engine, clock, 3)
    dispatcher = Dispatcher(engine, clock, {})
    platform = FakePlatform()
    dispatcher.add_platform(platform)
    assert await dispatcher.drain() == 3
    assert loop_time.slept == [] and len(platform.sent) == 3


# ---- failures and their record -----------------------------------------------------------


def _aware(moment):
    """SQLite gives datetimes back naive: they are UTC."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _rows(engine: Engine) -> dict[str, OutboxMessage]:
    with Session(engine) as session:
        return {row.key: row for row in session.exec(select(OutboxMessage)).all()}


class Raising(FakePlatform):
    """Raises the next of `errors` for each send (then delivers)."""

    def __init__(self, *errors: Exception) -> None:
        super().__init__()
        self.errors = list(errors)

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        if self.errors:
            raise self.errors.pop(0)
        return await super().dm(user_id, message, key)


async def test_an_unexpected_error_is_retried_like_a_transient_failure(engine, clock, caplog):
    _fan_out(engine, clock, 1)
    platform = Raising(ConnectionResetError("connection reset by peer"))
    dispatcher = Dispatcher(engine, clock, {"console": platform}, max_attempts=3)
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        assert await dispatcher.drain() == 0
    row = _rows(engine)["nudge:0"]
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "connection reset by peer")
    retry = re.compile(r"retrying nudge:0 in 0:00:\d\d\.\d+ \(try 1\): connection reset by peer")
    assert [m for m in caplog.messages if retry.fullmatch(m)], caplog.messages
    clock.advance(timedelta(seconds=33))  # 30 s, give or take 10%
    assert await dispatcher.drain() == 1
    assert [d.key for d in platform.sent] == ["nudge:0"]


async def test_a_dead_letter_records_why_even_for_an_error_without_words(engine, clock, caplog):
    _fan_out(engine, clock, 2)
    platform = Raising(ConnectionResetError(), DeliveryError("x" * 300, transient=False))
    dispatcher = Dispatcher(engine, clock, {"console": platform}, max_attempts=1)
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        assert await dispatcher.drain() == 0
    rows = _rows(engine)
    assert (rows["nudge:0"].status, rows["nudge:0"].last_error) == ("dead", "ConnectionResetError")
    assert rows["nudge:1"].status == "dead" and rows["nudge:1"].last_error == "x" * 200
    assert "dead letter nudge:0 after 1 tries: ConnectionResetError" in caplog.messages


async def test_each_try_of_a_message_gets_its_own_jitter(engine, clock):
    """The backoff doubles give or take 10%, drawn anew per try: two messages that came
    back together once are not bound to collide on every later try."""
    _fan_out(engine, clock, 1)
    platform = Raising(*(DeliveryError("timed out") for _ in range(3)))
    dispatcher = Dispatcher(engine, clock, {"console": platform}, max_attempts=5)
    waits = []
    for _ in range(3):
        await dispatcher.drain()
        due = _rows(engine)["nudge:0"].next_attempt_at
        wait = (due.replace(tzinfo=clock.now().tzinfo) - clock.now()) / timedelta(seconds=1)
        waits.append(wait)
        clock.advance(timedelta(seconds=wait))
    assert all(0.9 <= w / (30 * 2**n) < 1.1 for n, w in enumerate(waits)), waits
    assert len({round(w / 2**n, 6) for n, w in enumerate(waits)}) == 3, waits


async def test_a_shorter_platform_wide_wait_does_not_cut_a_longer_one(engine, clock):
    """Two sends to one platform are told to wait at once, 20 s and 5 s: the platform gets
    nothing until the longer wait is over."""
    calls: list[str] = []

    class Yielding(FakePlatform):
        async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
            await asyncio.sleep(0)  # both sends are under way before either answers
            return await super().dm(user_id, message, key)

    platform = Yielding()

    def wait_twice(_kind: str, target: str) -> Exception | None:
        calls.append(target)
        return RateLimited(20 if len(calls) == 1 else 5) if len(calls) <= 2 else None

    platform.fail_when = wait_twice
    _fan_out(engine, clock, 2)
    dispatcher = Dispatcher(engine, clock, {"console": platform})
    await dispatcher.drain()
    assert len(calls) == 2 and platform.sent == []
    clock.advance(timedelta(seconds=6))
    await dispatcher.drain()
    assert platform.sent == [], "sent while the platform's longer wait still ran"
    clock.advance(timedelta(seconds=14))
    await dispatcher.drain()
    assert sorted(d.key for d in platform.sent) == ["nudge:0", "nudge:1"]


async def test_the_pause_ends_with_the_platforms_wait_and_not_before(engine, clock):
    dispatcher = Dispatcher(engine, clock, {"console": FakePlatform()})
    dispatcher._hold("console", 20)
    clock.advance(timedelta(seconds=19.5))
    assert dispatcher._pause(5.0) == pytest.approx(0.5)
    clock.advance(timedelta(seconds=0.5))  # the wait is over: back to the poll
    assert dispatcher._pause(5.0) == pytest.approx(5.0)


# ---- the background loop's troubles --------------------------------------------------------


async def test_a_dispatcher_that_hits_an_error_says_so_and_keeps_going(
    engine, clock, caplog, monkeypatch
):
    real_claim, calls = outbox_rows.claim, []

    def flaky_claim(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT", {}, Exception("database is locked"))
        return real_claim(*args)

    monkeypatch.setattr(outbox_rows, "claim", flaky_claim)
    _fan_out(engine, clock, 1)
    platform = FakePlatform()
    dispatcher = Dispatcher(engine, clock, {"console": platform})
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        running = asyncio.create_task(dispatcher.run_forever(poll_seconds=0.01))
        await until(lambda: len(platform.sent) == 1)
        await dispatcher.stop(running)
    assert "the dispatcher hit an error; it will try again" in caplog.messages


async def test_a_message_written_by_another_process_goes_out_on_the_next_poll(engine, clock):
    platform = FakePlatform()
    dispatcher = Dispatcher(engine, clock, {"console": platform})
    running = asyncio.create_task(dispatcher.run_forever(poll_seconds=0.01))
    await until(lambda: dispatcher._loop is not None)
    _fan_out(engine, clock, 1)  # nobody wakes this dispatcher: only its poll finds the row
    await until(lambda: len(platform.sent) == 1, seconds=3)
    await dispatcher.stop(running)


async def test_a_failed_renewal_is_logged_and_the_heartbeat_goes_on(
    engine, clock, caplog, monkeypatch
):
    real_renew, renewals = outbox_rows.renew, []

    def flaky_renew(*args: Any) -> None:
        renewals.append(1)
        if len(renewals) == 1:
            raise OperationalError("UPDATE", {}, Exception("connection lost"))
        real_renew(*args)

    monkeypatch.setattr(outbox_rows, "renew", flaky_renew)
    _fan_out(engine, clock, 1)
    gate = Gate()
    dispatcher = Dispatcher(engine, clock, {"console": gate}, lease=timedelta(seconds=0.15))
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        running = asyncio.create_task(dispatcher.run_forever(poll_seconds=0.01))
        await until(lambda: len(renewals) >= 2)  # it renewed again after the failure
        gate.open.set()
        await until(lambda: len(gate.sent) == 1)
        await dispatcher.stop(running)
    assert "could not renew the outbox's claims; it will try again" in caplog.messages


async def test_a_stop_that_cannot_hand_back_its_claims_says_so_and_still_ends(
    engine, clock, caplog, monkeypatch
):
    def broken(*_args: Any) -> None:
        raise OperationalError("UPDATE", {}, Exception("connection lost"))

    monkeypatch.setattr(outbox_rows, "release", broken)
    _fan_out(engine, clock, 2)
    gate = Gate()
    dispatcher = Dispatcher(engine, clock, {"console": gate}, concurrency=1)
    running = asyncio.create_task(dispatcher.run_forever(poll_seconds=0.01))
    await until(lambda: gate.started == 1)
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        await dispatcher.stop(running, grace=0.05)
    assert running.done()
    assert "could not hand back the outbox's claims (their leases will lapse)" in caplog.messages
    # The claims lapse with their lease: another process sends both, checking the cut one.
    clock.advance(LEASE)
    monkeypatch.undo()
    after = FakePlatform()
    assert await Dispatcher(engine, clock, {"console": after}).drain() == 2


async def test_a_wake_from_another_thread_starts_the_delivery_at_once(engine, clock):
    """A platform's own thread (Slack's socket, say) commits a message and wakes the
    dispatcher: it goes out without waiting for the next poll."""
    delivered = asyncio.Event()

    class Signals(FakePlatform):
        async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
            delivered.set()
            return await super().dm(user_id, message, key)

    platform = Signals()
    dispatcher = Dispatcher(engine, clock, {"console": platform}, lease=timedelta(minutes=5))
    running = asyncio.create_task(dispatcher.run_forever(poll_seconds=60))
    await until(lambda: dispatcher._loop is not None)
    await asyncio.sleep(0.05)  # the loop is now waiting for work

    def from_another_thread() -> None:
        _fan_out(engine, clock, 1)
        dispatcher.wake()

    thread = threading.Thread(target=from_another_thread)
    thread.start()
    thread.join()
    # Nothing else wakes the loop meanwhile: only the wake-up can start the send in time.
    await asyncio.wait_for(delivered.wait(), 3)
    await dispatcher.stop(running)


async def test_messages_waiting_for_a_platform_wide_limit_wait_for_every_process(engine, clock):
    """Held behind a platform's 'wait 20 s', the messages handed back carry that wait, so
    another process does not send them meanwhile either."""
    calls: list[str] = []

    def once_limited(_kind: str, target: str) -> Exception | None:
        calls.append(target)
        return RateLimited(20) if len(calls) == 1 else None

    first = FakePlatform()
    first.fail_when = once_limited
    _fan_out(engine, clock, 3)
    await Dispatcher(engine, clock, {"console": first}).drain()
    assert first.sent == [] and len(calls) == 1
    clock.advance(timedelta(seconds=5))
    other = FakePlatform()
    await Dispatcher(engine, clock, {"console": other}).drain()
    assert other.sent == [], "another process sent while the platform asked to wait"
    clock.advance(timedelta(seconds=15))
    await Dispatcher(engine, clock, {"console": other}).drain()
    assert sorted(d.key for d in other.sent) == ["nudge:0", "nudge:1", "nudge:2"]


async def test_a_stop_after_a_failure_still_hands_back_every_unsent_claim(engine, clock):
    """One target's failure hands back its later messages; the stop must still hand back
    the rest of what this dispatcher claimed (none is left claimed for a lease)."""

    class FailsAnaGatesOthers(Gate):
        async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
            if user_id == "ana":
                raise DeliveryError("timed out")
            return await super().dm(user_id, message, key)

    with UnitOfWork(engine) as uow:
        for key, user in (("ana:1", "ana"), ("ana:2", "ana"), ("cy:1", "cy"), ("cy:2", "cy")):
            uow.enqueue(key, say(key), platform="console", created_at=clock.now(), user_id=user)
        uow.commit()
    gate = FailsAnaGatesOthers()
    dispatcher = Dispatcher(engine, clock, {"console": gate}, concurrency=2)
    running = asyncio.create_task(dispatcher.run_forever(poll_seconds=0.01))
    await until(lambda: gate.started == 1)  # cy:1 under way, cy:2 claimed behind it
    await dispatcher.stop(running, grace=0.05)
    assert statuses(engine)["cy:2"] == "pending", "a claim kept for a lease after the stop"
    after = Remembers(set())
    await Dispatcher(engine, clock, {"console": after}).drain()  # at once: no lease to wait
    assert [d.key for d in after.sent] == ["cy:1", "cy:2"]


async def test_a_message_for_a_platform_not_connected_waits_and_says_why(engine, clock):
    _fan_out(engine, clock, 1)
    dispatcher = Dispatcher(engine, clock, {}, max_attempts=2)
    assert await dispatcher.drain() == 0
    row = _rows(engine)["nudge:0"]
    assert (row.status, row.attempts) == ("pending", 1), "not a dead letter at the first try"
    assert row.last_error == "no console connection is running"
    platform = FakePlatform()
    dispatcher.add_platform(platform)  # the connection comes up
    clock.advance(timedelta(seconds=33))
    assert await dispatcher.drain() == 1
    assert [d.key for d in platform.sent] == ["nudge:0"]


def _to_ana(engine: Engine, clock: ManualClock, *keys: str) -> None:
    with UnitOfWork(engine) as uow:
        for key in keys:
            uow.enqueue(key, say(key), platform="console", created_at=clock.now(), user_id="ana")
        uow.commit()


async def test_a_cancelled_message_never_goes_and_the_next_one_does(engine, clock, caplog):
    _to_ana(engine, clock, "ana:1", "ana:2")
    platform = Raising(Cancelled("unsubscribed " + "x" * 300))
    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        delivered = await Dispatcher(engine, clock, {"console": platform}).drain()
    assert [d.key for d in platform.sent] == ["ana:2"], "the next one did not go"
    assert delivered == 1, "a cancelled message counted as delivered"
    row = _rows(engine)["ana:1"]
    assert row.status == CANCELLED and row.last_error == ("unsubscribed " + "x" * 300)[:200]
    assert any(m.startswith("cancelled ana:1: unsubscribed xxx") for m in caplog.messages)
    clock.advance(timedelta(hours=2))
    await Dispatcher(engine, clock, {"console": platform}).drain()
    assert [d.key for d in platform.sent] == ["ana:2"], "a cancelled message was sent"


async def test_a_person_who_cannot_be_reached_is_held_not_retried(engine, clock, caplog):
    _to_ana(engine, clock, "ana:1", "ana:2")
    platform = Raising(Unreachable("closed their DMs " + "y" * 300))
    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        delivered = await Dispatcher(engine, clock, {"console": platform}).drain()
    assert delivered == 1, "a held message counted as delivered"
    assert [d.key for d in platform.sent] == ["ana:2"], "a held message blocked the next one"
    row = _rows(engine)["ana:1"]
    assert (row.status, row.attempts) == (HELD, 1)
    assert row.last_error == ("closed their DMs " + "y" * 300)[:200]
    assert any(m.startswith("holding ana:1: closed their DMs yyy") for m in caplog.messages)
    clock.advance(timedelta(hours=2))
    await Dispatcher(engine, clock, {"console": platform}).drain()
    assert "ana:1" not in [d.key for d in platform.sent], "a held message was retried"


async def test_a_limit_on_one_target_holds_only_that_target(engine, clock):
    calls: list[str] = []

    def limit_ana(_kind: str, target: str) -> Exception | None:
        calls.append(target)
        return RateLimited(20, scope="dm:ana") if target == "ana" and len(calls) == 1 else None

    platform = FakePlatform()
    platform.fail_when = limit_ana
    _to_ana(engine, clock, "ana:1", "ana:2")
    _fan_out(engine, clock, 2)
    dispatcher = Dispatcher(engine, clock, {"console": platform}, concurrency=1)
    await dispatcher.drain()
    assert sorted(d.key for d in platform.sent) == ["nudge:0", "nudge:1"]
    clock.advance(timedelta(seconds=19))
    await dispatcher.drain()
    assert len(platform.sent) == 2, "sent to her before her 20 s were up"
    clock.advance(timedelta(seconds=1))
    await dispatcher.drain()
    assert [d.key for d in platform.sent[2:]] == ["ana:1", "ana:2"]


async def test_a_delivered_message_records_its_platform_id_and_when_it_went(engine, clock):
    _to_ana(engine, clock, "ana:1")
    with UnitOfWork(engine) as uow:
        uow.enqueue("post:1", say("hi"), platform="console", created_at=clock.now(), channel_id="c")
        uow.commit()
    platform = FakePlatform()
    clock.advance(timedelta(minutes=3))
    assert await Dispatcher(engine, clock, {"console": platform}).drain() == 2
    rows = _rows(engine)
    ids = {d.key: f"m{n}" for n, d in enumerate(platform.sent, start=1)}
    for key in ("ana:1", "post:1"):
        row = rows[key]
        assert (row.status, row.message_id, row.lease_until) == ("sent", ids[key], None)
        assert row.sent_at is not None and _aware(row.sent_at) == clock.now()
    assert {(d.kind, d.target, d.key) for d in platform.sent} == {
        ("dm", "ana", "ana:1"),
        ("post", "c", "post:1"),
    }


async def test_by_default_a_message_is_tried_five_times_30_seconds_apart_at_first(engine, clock):
    _to_ana(engine, clock, "ana:1")
    platform = Raising(*(DeliveryError("timed out") for _ in range(9)))
    dispatcher = Dispatcher(engine, clock, {"console": platform})
    for n in range(4):
        await dispatcher.drain()
        row = _rows(engine)["ana:1"]
        wait = (_aware(row.next_attempt_at) - clock.now()) / timedelta(seconds=30 * 2**n)
        assert row.status == "pending" and 0.9 <= wait < 1.1, (n, wait)
        clock.set(_aware(row.next_attempt_at))
    await dispatcher.drain()
    row = _rows(engine)["ana:1"]
    assert (row.status, row.attempts) == ("dead", 5)
