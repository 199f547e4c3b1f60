"""The outbox's smaller rules: pictures drawn just before sending (or the page itself when
they cannot be), and sends paced at a platform's declared rate limit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot import outbox, outbox_rows
from bot.clock import ManualClock
from bot.messages import Attachment, OutMessage
from bot.outbox import LEASE, Dispatcher, Pacer
from bot.ports import DeliveryError, RateLimited
from bot.storage.tables import OutboxMessage
from bot.storage.uow import UnitOfWork
from tests.fakes import FakePlatform
from tests.test_outbox_restart import until

NOTE = "(I couldn't draw the picture here, so this is the page itself.)"
PAGE = "<h1>Who took part</h1>"


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


async def test_without_a_way_to_draw_the_page_itself_goes_with_a_line_saying_so(engine, clock):
    message = await _deliver(engine, clock, _chart_message(), None)
    assert message.attachment == Attachment(
        filename="digest.2026-W53.html", content=PAGE, mime="text/html"
    )
    assert message.footer == NOTE


async def test_a_failed_drawing_sends_the_page_and_keeps_the_footer(engine, clock, caplog):
    def broken(_html: str) -> bytes:
        raise RuntimeError("no browser installed")

    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        message = await _deliver(engine, clock, _chart_message(footer="Sent weekly."), broken)
    assert message.attachment == Attachment(
        filename="digest.2026-W53.html", content=PAGE, mime="text/html"
    )
    assert message.footer == f"Sent weekly. {NOTE}"
    assert "could not draw digest.2026-W53.html: no browser installed" in caplog.text


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
    assert any(m.startswith("retrying nudge:0 in ") for m in caplog.messages)
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


class Gate(FakePlatform):
    """Sends wait until the gate opens; `started` counts arrivals."""

    def __init__(self) -> None:
        super().__init__()
        self.open = asyncio.Event()
        self.started = 0

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        self.started += 1
        await self.open.wait()
        return await super().dm(user_id, message, key)


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
