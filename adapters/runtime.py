"""Serve real platforms: one process, any number of platform adapters, one core.

Each adapter receives events and hands the core `Inbound` interactions (`app.handle`), and
provides the `ChatPlatform` the outbox dispatcher delivers through. The dispatcher loop and
the APScheduler timers run beside them until the process is asked to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol

from adapters.health import Health, HealthServer
from adapters.web import make_web_page
from bot.bootstrap import App, build_app
from bot.config import Settings
from bot.ports import ChatPlatform
from jobs.scheduler import JobScheduler

log = logging.getLogger(__name__)

#: How long a stop lets the outbox finish the sends under way (then they are cut short).
STOP_GRACE = 4.0
#: How long the adapters may take to disconnect before the process goes on without them.
ADAPTER_STOP_WAIT = 3.0


class AdapterFatal(Exception):
    """A platform connection that cannot recover (e.g. the token was refused): the process
    ends with a non-zero status, so systemd or Docker restarts it and someone looks."""


class Adapter(Protocol):
    """A connection to one chat platform."""

    name: str
    platform: ChatPlatform

    async def start(self, app: App) -> None:
        """Connect and begin handing interactions to `app.handle`."""
        ...

    async def stop(self) -> None:
        """Disconnect."""
        ...


async def serve(
    settings: Settings,
    adapters: Sequence[Adapter],
    stop: asyncio.Event | None = None,
    health_port: int | None = None,
    health_host: str = "127.0.0.1",
) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM); `/healthz` on `health_port` if given."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    app = build_app(settings, {adapter.name: adapter.platform for adapter in adapters})
    scheduler = JobScheduler(app)
    dispatcher = asyncio.create_task(app.dispatcher.run_forever(), name="copbot-dispatcher")
    started: list[Adapter] = []
    page = make_web_page(app)
    health = Health(app, adapters, lambda: scheduler.last_pass)
    for adapter in adapters:
        if hasattr(adapter, "health"):
            adapter.health = health  # e.g. Slack's HTTP port answers /healthz too
    health_server = HealthServer(health) if health_port is not None else None
    try:
        if not await _unless_stopped(scheduler.begin(), stop):
            return
        scheduler.watch()
        if health_server is not None:
            await health_server.start(health_host, health_port or 0)
        if page is not None and settings.web is not None:
            await page.start(settings.web.host, settings.web.port)
            log.warning(
                "copbot is serving the web page on %s:%s (%s)",
                settings.web.host,
                page.port,
                settings.web.base_url,
            )
        for adapter in adapters:
            # An adapter still connecting when a signal comes is simply stopped: SIGTERM is
            # honoured at start-up too (a platform that hangs cannot keep the process alive).
            started.append(adapter)
            if not await _unless_stopped(adapter.start(app), stop):
                return
            log.warning("copbot is serving %s", adapter.name)
        await _until_stopped(stop, adapters)
    finally:
        # Stop in the order that loses nothing and sends nothing twice: no new timers; the
        # dispatcher finishes the sends under way and hands back the rest, while the
        # adapters' connections are still open; then the connections close.
        scheduler.shutdown()
        try:
            await app.dispatcher.stop(dispatcher, STOP_GRACE)
        except Exception:  # the connections still close, and the database with them
            log.exception("the dispatcher did not stop cleanly")
        if started:
            stops = asyncio.gather(*(a.stop() for a in started), return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(stops, ADAPTER_STOP_WAIT)
        if page is not None:
            with contextlib.suppress(Exception):
                await page.stop()
        if health_server is not None:
            await health_server.stop()
        app.close()


async def _unless_stopped(work: Coroutine[Any, Any, object], stop: asyncio.Event) -> bool:
    """Run `work` unless `stop` is set first (then `work` is cancelled): True if it ran."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if task.done():
        task.result()  # an adapter that failed to start says why
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    log.warning("stopping before start-up finished")
    return False


async def _until_stopped(stop: asyncio.Event, adapters: Sequence[Adapter]) -> None:
    """Wait for `stop`; raise AdapterFatal as soon as an adapter's `fatal` event is set."""
    watched = {
        asyncio.ensure_future(event.wait()): adapter
        for adapter in adapters
        if isinstance(event := getattr(adapter, "fatal", None), asyncio.Event)
    }
    stopped = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({stopped, *watched}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in (stopped, *watched):
            waiter.cancel()
    for waiter in done:
        if waiter in watched:
            adapter = watched[waiter]
            raise AdapterFatal(getattr(adapter, "fatal_reason", "") or f"{adapter.name} failed")
