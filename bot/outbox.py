"""The outbox dispatcher: delivers what handlers committed, once, in order, with retries.

Rows are claimed (status 'sending' with a lease) before sending, in PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so several processes share the work without overlap. Messages
to one target go in order; a failure holds that target's later messages for the round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.messages import OutMessage
from bot.notices import HELD
from bot.ports import Cancelled, ChatPlatform, DeliveryError, RateLimited, Unreachable
from bot.storage.tables import OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
#: A message that must not go any more (bot.ports.Cancelled, bot.contact.cancel_queued).
CANCELLED = "cancelled"
MAX_BACKOFF = timedelta(hours=1)


class Pacer:
    """Paces sends to a platform that declares its rate limit (`rate_limit = (per_second,
    burst)` on the adapter), so a fan-out flows at that rate instead of provoking 429s.
    A generic cell-rate algorithm on the event loop's monotonic clock: each send reserves
    its slot before waiting, so concurrent senders never overtake the limit. Bursts use half
    the platform's allowance, leaving it slack for network jitter (one 429 with a whole
    second's Retry-After would cost more than the half burst gains)."""

    def __init__(self, per_second: float, burst: int) -> None:
        self._interval = 1.0 / per_second
        self._tolerance = max(burst // 2 - 1, 0) * self._interval
        self._due = 0.0  # the theoretical arrival time of the next send

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        due = max(self._due, now)
        self._due = due + self._interval
        if due - self._tolerance > now:
            await asyncio.sleep(due - self._tolerance - now)


class Dispatcher:
    """Sends due outbox rows through the right platform."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        platforms: dict[str, ChatPlatform],
        *,
        max_attempts: int = 5,
        first_retry: timedelta = timedelta(seconds=30),
        batch: int = 200,
        concurrency: int = 8,
        lease: timedelta = LEASE,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._platforms = platforms
        self._max_attempts = max_attempts
        self._first_retry = first_retry
        self._batch = batch
        self._concurrency = concurrency
        self._lease = lease
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        #: platform -> until when it asked us to wait (a 429): nothing more goes to it till then.
        self._held: dict[str, datetime] = {}
        self._pacers = {
            name: Pacer(*limit)
            for name, platform in platforms.items()
            if (limit := getattr(platform, "rate_limit", None))
        }

    def add_platform(self, platform: ChatPlatform) -> None:
        """Deliver to `platform` too (paced at its declared rate limit, if any)."""
        self._platforms[platform.name] = platform
        if limit := getattr(platform, "rate_limit", None):
            self._pacers[platform.name] = Pacer(*limit)

    def wake(self) -> None:
        """Ask the background loop to look for work now (safe from any thread)."""
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread:
            loop.call_soon_threadsafe(self._wake.set)
        else:
            self._wake.set()

    async def run_forever(self, poll_seconds: float = 1.0) -> None:
        """Deliver as work appears; poll too, so rows written by other processes go out."""
        self._loop, self._loop_thread = asyncio.get_running_loop(), threading.get_ident()
        while True:
            try:
                await self.drain()
            except Exception:
                log.exception("the dispatcher hit an error; it will try again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._pause(poll_seconds))
            self._wake.clear()

    async def drain(self) -> int:
        """Send everything due now; returns how many messages were delivered."""
        delivered = 0
        while True:
            rows = await asyncio.to_thread(self._claim)
            if not rows:
                return delivered
            delivered += await self._send_all(rows)

    def next_due(self, after: datetime) -> datetime | None:
        """When the next pending message waiting past `after` becomes due (simulated clocks).
        Rows already due but held behind an earlier one wait for that one's time."""
        with Session(self._engine) as session:
            return session.exec(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.status == "pending", col(OutboxMessage.next_attempt_at) > after
                )
            ).one()

    def _pause(self, poll_seconds: float) -> float:
        """How long to wait for work: the poll, or less when a platform's hold ends sooner."""
        now = self._clock.now()
        ends = [(until - now).total_seconds() for until in self._held.values() if until > now]
        return max(min([poll_seconds, *ends]), 0.0)

    def _hold(self, platform: str, seconds: float) -> datetime:
        """A platform said 'wait': send it nothing more until then (no hammering)."""
        until = self._clock.now() + timedelta(seconds=seconds)
        self._held[platform] = max(until, self._held.get(platform, until))
        return self._held[platform]

    def _held_until(self, platform: str) -> datetime | None:
        until = self._held.get(platform)
        return until if until is not None and until > self._clock.now() else None

    def _claim(self) -> list[OutboxMessage]:
        now = self._clock.now()
        held = [name for name in self._held if self._held_until(name) is not None]
        with Session(self._engine, expire_on_commit=False) as session:
            session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.status).in_(("pending", "sending")),
                    col(OutboxMessage.expires_at).is_not(None),
                    col(OutboxMessage.expires_at) <= now,
                )
                .values(status="expired", lease_until=None)
            )
            rows = list(
                session.exec(
                    select(OutboxMessage)
                    .where(
                        or_(
                            (col(OutboxMessage.status) == "pending")
                            & (col(OutboxMessage.next_attempt_at) <= now),
                            (col(OutboxMessage.status) == "sending")
                            & (col(OutboxMessage.lease_until) <= now),
                        ),
                        col(OutboxMessage.platform).not_in(held),
                    )
                    .order_by(col(OutboxMessage.id))
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                ).all()
            )
            rows = _in_order(session, rows)
            for row in rows:
                row.status = "sending"
                row.lease_until = now + self._lease
                session.add(row)
            session.commit()
            return rows

    async def _send_all(self, rows: list[OutboxMessage]) -> int:
        by_target: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_target[_target(row)].append(row)
        limiter = asyncio.Semaphore(self._concurrency)

        async def one_target(queue: list[OutboxMessage]) -> int:
            async with limiter:
                sent = 0
                for index, row in enumerate(queue):
                    until = self._held_until(row.platform)
                    if until is not None:  # rate limited meanwhile: these wait till it ends
                        self._release(queue[index:], until)
                        break
                    if not await self._send(row):
                        self._release(queue[index + 1 :])  # keep the target's order
                        break
                    sent += 1
                return sent

        results = await asyncio.gather(*(one_target(q) for q in by_target.values()))
        return sum(results)

    async def _send(self, row: OutboxMessage) -> bool:
        platform = self._platforms.get(row.platform)
        message = OutMessage.model_validate_json(row.payload)
        try:
            if platform is None:
                raise DeliveryError(f"no {row.platform} connection is running", transient=True)
            if (pacer := self._pacers.get(row.platform)) is not None:
                await pacer.wait()
            if row.channel_id is not None:
                message_id = await platform.post(row.channel_id, message, row.key)
            else:
                assert row.user_id is not None
                message_id = await platform.dm(row.user_id, message, row.key)
        except RateLimited as limited:
            if limited.scope is None:  # the whole platform asked us to wait
                self._hold(row.platform, limited.retry_after)
            # Otherwise only this target waits: its later messages queue behind this one.
            self._finish(row, status="pending", wait=timedelta(seconds=limited.retry_after))
            return False
        except Cancelled as error:  # e.g. unsubscribed meanwhile: it must not go at all
            log.info("cancelled %s: %s", row.key, error)
            self._finish(row, status=CANCELLED, error=str(error)[:200])
            return True
        except Unreachable as error:  # shown to the person when they next use copbot
            log.info("holding %s: %s", row.key, error)
            self._finish(row, status=HELD, attempts=row.attempts + 1, error=str(error)[:200])
            return False
        except Exception as error:
            self._failed(row, error)
            return False
        self._finish(row, status="sent", message_id=message_id)
        return True

    def _failed(self, row: OutboxMessage, error: Exception) -> None:
        transient = error.transient if isinstance(error, DeliveryError) else True
        attempts = row.attempts + 1
        reason = str(error)[:200] or type(error).__name__
        if not transient or attempts >= self._max_attempts:
            log.error("dead letter %s after %d tries: %s", row.key, attempts, reason)
            self._finish(row, status="dead", attempts=attempts, error=reason)
        else:
            backoff = min(self._first_retry * 2 ** (attempts - 1), MAX_BACKOFF)
            log.warning("retrying %s in %s (try %d): %s", row.key, backoff, attempts, reason)
            self._finish(row, status="pending", attempts=attempts, wait=backoff, error=reason)

    def _finish(
        self,
        row: OutboxMessage,
        *,
        status: str,
        attempts: int | None = None,
        wait: timedelta | None = None,
        message_id: str | None = None,
        error: str | None = None,
    ) -> None:
        now = self._clock.now()
        values: dict[str, object] = {"status": status, "lease_until": None}
        if attempts is not None:
            values["attempts"] = attempts
        if wait is not None:
            values["next_attempt_at"] = now + wait
        if message_id is not None:
            values["message_id"], values["sent_at"] = message_id, now
        if error is not None:
            values["last_error"] = error
        with self._engine.begin() as connection:  # one small Core UPDATE: no ORM session
            connection.execute(
                update(OutboxMessage).where(col(OutboxMessage.id) == row.id).values(**values)
            )

    def _release(self, rows: list[OutboxMessage], until: datetime | None = None) -> None:
        """Hand back claimed rows unsent; `_claim` holds them behind the failed one (and,
        with `until`, until the platform's rate limit ends)."""
        if not rows:
            return
        values: dict[str, object] = {"status": "pending", "lease_until": None}
        if until is not None:
            values["next_attempt_at"] = until
        with Session(self._engine) as session:
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_([r.id for r in rows]))
                .values(**values)
            )
            session.commit()


def _target(row: OutboxMessage) -> tuple[str, str]:
    return (row.platform, row.channel_id or f"@{row.user_id}")


def _in_order(session: Session, rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Of the rows just claimed, those that are next in line for their target.

    A message waits while an earlier one to the same channel or person is unfinished:
    waiting for a retry or for quiet hours to end, or being sent by another process (its
    row locked, or claimed with a live lease). So no target ever sees messages out of order.
    """
    if not rows:
        return rows
    mine = {row.id for row in rows}
    unfinished = session.exec(
        select(
            OutboxMessage.id,
            OutboxMessage.platform,
            OutboxMessage.channel_id,
            OutboxMessage.user_id,
        )
        .where(
            col(OutboxMessage.status).in_(("pending", "sending")),
            col(OutboxMessage.id) <= max(mine),  # type: ignore[type-var]
        )
        .order_by(col(OutboxMessage.id))
    ).all()
    blocked: set[tuple[str, str]] = set()
    ready: set[int] = set()
    for row_id, platform, channel, user in unfinished:
        target = (platform, channel or f"@{user}")
        if target in blocked:
            continue
        if row_id in mine:
            ready.add(row_id)
        else:
            blocked.add(target)
    return [row for row in rows if row.id in ready]
