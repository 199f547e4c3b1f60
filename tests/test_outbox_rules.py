"""The outbox's smaller rules: pictures drawn just before sending (or the page itself when
they cannot be), and sends paced at a platform's declared rate limit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import outbox
from bot.clock import ManualClock
from bot.messages import Attachment, OutMessage
from bot.outbox import Dispatcher, Pacer
from bot.storage.uow import UnitOfWork
from tests.fakes import FakePlatform

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
