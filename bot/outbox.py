"""The outbox dispatcher: delivers what handlers committed, once, in order, with retries.

Rows are claimed (status 'sending' with a lease) before sending, in PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so several processes share the work without overlap. Messages
to one target go in order; a failure holds that target's later messages for the round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.messages import OutMessage
from bot.ports import ChatPlatform, DeliveryError, RateLimited
from bot.storage.tables import OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)


class Dispatcher:
    """Sends due outbox rows through the right platform."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        platforms: Mapping[str, ChatPlatform],
        *,
        max_attempts: int = 5,
        first_retry: timedelta = timedelta(seconds=30),
        batch: int = 200,
        concurrency: int = 8,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._platforms = platforms
        self._max_attempts = max_attempts
        self._first_retry = first_retry
        self._batch = batch
        self._concurrency = concurrency
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Ask the background loop to look for work now."""
        self._wake.set()

    async def run_forever(self, poll_seconds: float = 1.0) -> None:
        """Deliver as work appears; poll too, so rows written by other processes go out."""
        while True:
            try:
                await self.drain()
            except Exception:
                log.exception("the dispatcher hit an error; it will try again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)
            self._wake.clear()

    async def drain(self) -> int:
        """Send everything due now; returns how many messages were delivered."""
        delivered = 0
        while True:
            rows = self._claim()
            if not rows:
                return delivered
            delivered += await self._send_all(rows)

    def next_due(self) -> datetime | None:
        """When the next pending message becomes due (for simulated clocks)."""
        with Session(self._engine) as session:
            return session.exec(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.status == "pending"
                )
            ).one()

    def _claim(self) -> list[OutboxMessage]:
        now = self._clock.now()
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
                        )
                    )
                    .order_by(col(OutboxMessage.id))
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                ).all()
            )
            waiting = _waiting_targets(session, now) if rows else {}
            rows = [row for row in rows if row.id < waiting.get(_target(row), row.id + 1)]
            for row in rows:
                row.status = "sending"
                row.lease_until = now + LEASE
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
            if row.channel_id is not None:
                message_id = await platform.post(row.channel_id, message, row.key)
            else:
                assert row.user_id is not None
                message_id = await platform.dm(row.user_id, message, row.key)
        except RateLimited as limited:
            self._finish(row, status="pending", wait=timedelta(seconds=limited.retry_after))
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
        with Session(self._engine) as session:
            session.execute(
                update(OutboxMessage).where(col(OutboxMessage.id) == row.id).values(**values)
            )
            session.commit()

    def _release(self, rows: list[OutboxMessage]) -> None:
        """Hand back claimed rows unsent; `_claim` holds them behind the failed one."""
        if not rows:
            return
        with Session(self._engine) as session:
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_([r.id for r in rows]))
                .values(status="pending", lease_until=None)
            )
            session.commit()


def _target(row: OutboxMessage) -> tuple[str, str]:
    return (row.platform, row.channel_id or f"@{row.user_id}")


def _waiting_targets(session: Session, now: datetime) -> dict[tuple[str, str], int]:
    """Targets with a message waiting for a retry, and that message's id: later messages
    to the same target wait behind it, so a channel never sees them out of order."""
    rows = session.exec(
        select(
            OutboxMessage.platform,
            OutboxMessage.channel_id,
            OutboxMessage.user_id,
            func.min(OutboxMessage.id),
        )
        .where(OutboxMessage.status == "pending", col(OutboxMessage.next_attempt_at) > now)
        .group_by(
            col(OutboxMessage.platform), col(OutboxMessage.channel_id), col(OutboxMessage.user_id)
        )
    ).all()
    return {(platform, channel or f"@{user}"): first for platform, channel, user, first in rows}
