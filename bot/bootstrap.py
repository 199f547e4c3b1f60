"""The one place that wires copbot together. No globals: everything hangs off `App`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session, col

from bot import outbox_rows
from bot.bus import Bus
from bot.clock import Clock, ManualClock, SystemClock
from bot.commands import Inbound
from bot.config import Settings, reveal
from bot.domain import when
from bot.features import FEATURES
from bot.features.email_members import invite_configured
from bot.links import Links
from bot.messages import Response
from bot.outbox import Dispatcher
from bot.pictures import html_to_png
from bot.ports import ChatPlatform
from bot.router import Router
from bot.scheduling import STARTUP_LOOKBACK, RunReport, Timeline
from bot.secret_key import load_secret
from bot.storage.database import make_engine, upgrade
from bot.storage.sync import sync_communities
from bot.storage.tables import InboundEvent
from bot.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

#: Schedule claims older than this are dropped: no catch-up looks back that far
#: (STARTUP_LOOKBACK), so no occurrence could run twice for want of its claim.
KEEP_CLAIMS = STARTUP_LOOKBACK * 8


@dataclass
class App:
    """A running copbot: the core plus the platforms it delivers to."""

    settings: Settings
    engine: Engine
    clock: Clock
    bus: Bus
    timeline: Timeline
    dispatcher: Dispatcher
    platforms: dict[str, ChatPlatform] = field(default_factory=dict)
    cursor: datetime | None = None
    #: The secret key (never in the database), for what adapters sign (the web page's forms).
    secret: bytes = field(default=b"", repr=False)
    #: Signed links to the web page; None unless a `[web]` section gives its address.
    links: Links | None = None
    #: Called (from any thread) after each interaction: e.g. the timer looks again at once,
    #: so a nudge saved for two minutes' time is not left to the next periodic look.
    on_handled: list[Callable[[], None]] = field(default_factory=list)

    def handle(self, inbound: Inbound) -> Response:
        """Handle one interaction and nudge the dispatcher to deliver what it caused."""
        response = self.bus.handle(inbound)
        self.dispatcher.wake()
        for listener in self.on_handled:
            try:
                listener()
            except Exception:
                log.exception("a listener of handled interactions failed")
        return response

    def run_due(self) -> RunReport:
        """Run every occurrence due since the last look (at start: the last 7 days)."""
        now = self.clock.now()
        start = self.cursor or now - STARTUP_LOOKBACK
        report = self.timeline.run_due(start, now)
        retry = report.retry_from - timedelta(microseconds=1) if report.retry_from else now
        self.cursor = min(now, retry)
        self.dispatcher.wake()
        return report

    async def advance(self, to: datetime) -> RunReport:
        """Simulated time: move a ManualClock to `to`, running every occurrence and delivering
        every message that falls due on the way, in order."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("only a simulated clock can be moved")
        total = RunReport()
        if self.cursor is None:
            _merge(total, self.run_due())
        await self.dispatcher.drain()
        while True:
            now = clock.now()
            candidates = [
                t
                for t in (self.timeline.next_due(now, to), self.dispatcher.next_due(now))
                if t is not None and now < t <= to
            ]
            if not candidates:
                break
            clock.set(min(candidates))
            _merge(total, self.run_due())
            await self.dispatcher.drain()
        clock.set(to)
        _merge(total, self.run_due())
        await self.dispatcher.drain()
        return total

    def forget_old_events(self, keep: timedelta = timedelta(days=7)) -> int:
        """Drop the record of platform events older than `keep` (platforms retry within
        minutes): the de-duplication table stays small. Returns how many were dropped."""
        cutoff = self.clock.now() - keep
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(InboundEvent).where(col(InboundEvent.received_at) < cutoff)
            )
        return result.rowcount or 0

    def tidy(self) -> int:
        """Housekeeping (in a worker thread): forget old platform events, the text of private
        messages delivered more than `outbox.keep_sent` ago, and schedule claims far older
        than any catch-up looks back. Returns how many rows it changed."""
        keep_sent = when.parse_duration(self.settings.outbox.keep_sent)
        changed = self.forget_old_events()
        return changed + outbox_rows.prune(self.engine, self.clock.now(), keep_sent, KEEP_CLAIMS)

    def close(self) -> None:
        self.engine.dispose()


def _merge(total: RunReport, part: RunReport) -> None:
    total.ran += part.ran
    total.missed += part.missed
    total.already += part.already
    total.failed += part.failed


def build_app(
    settings: Settings,
    platforms: Mapping[str, ChatPlatform] | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    migrate: bool = True,
    pictures: Callable[[str], bytes] | None = html_to_png,
) -> App:
    """Wire copbot: engine, migrations, config sync, secret, bus, timeline, dispatcher."""
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    with Session(engine) as session:
        sync_communities(session, settings, clock.now())
        secret = load_secret(session, reveal(settings.secret_key), settings.secret_key_file)

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(engine)

    bus = Bus(uow_factory, clock, secret, Router(FEATURES), email=settings.email is not None)
    invite_configured(uow_factory, bus, clock, secret)
    timeline = Timeline(uow_factory, bus, clock)
    delivery = dict(platforms or {})
    dispatcher = Dispatcher(
        engine,
        clock,
        delivery,
        max_attempts=settings.outbox.max_attempts,
        first_retry=when.parse_duration(settings.outbox.first_retry),
        lease=timedelta(seconds=settings.outbox.lease_seconds),
        pictures=pictures,
    )
    links = Links(secret, settings.web.base_url, clock) if settings.web else None
    return App(
        settings, engine, clock, bus, timeline, dispatcher, delivery, secret=secret, links=links
    )
