"""The outbox dispatcher: delivers what handlers committed, once, in order, with retries.

Rows are claimed (status 'sending' with a short lease) before sending, in PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so several processes share the work without overlap. A live
process renews its leases (a heartbeat), so a claim outlives its process by one lease at
most. Messages to one target go in order; a failure holds that target's later messages for
the round. A send that was cut short is checked with the platform, where it can tell,
before it goes again. Every database statement runs in a worker thread (bot.outbox_rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import Engine

from bot import outbox_rows as rows_db
from bot.clock import Clock
from bot.messages import Attachment, OutMessage
from bot.notices import HELD
from bot.outbox_rows import CANCELLED
from bot.ports import Cancelled, ChatPlatform, DeliveryError, RateLimited, Unreachable
from bot.storage.tables import OutboxMessage

log = logging.getLogger(__name__)

#: How long a claim lasts without its process renewing it (it renews every third of this).
LEASE = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
#: How long a stopping dispatcher lets sends already under way finish.
STOP_GRACE = 5.0

__all__ = ["CANCELLED", "LEASE", "Dispatcher", "Pacer"]


class _Outcome(Enum):
    """What one send came to, for the rest of its target's queue."""

    SENT = "sent"  # delivered: counted, and the next message may go
    GONE = "gone"  # cancelled: never goes, not counted; the next message may go
    STOPPED = "stopped"  # waits (a limit, a retry, held): the target's later messages wait too


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
        batch: int = 50,
        concurrency: int = 8,
        lease: timedelta = LEASE,
        pictures: Callable[[str], bytes] | None = None,
    ) -> None:
        #: Draws an HTML attachment as a PNG (bot.pictures.html_to_png): blocking, so it
        #: runs in a worker thread. None: such attachments go as the HTML itself.
        self._pictures = pictures
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
        self._claimed: set[int] = set()  # claims this dispatcher holds (renewed while alive)
        self._sending: set[int] = set()  # of those, the ones whose send is under way
        self._uncertain: set[int] = set()  # claimed after a send of them was cut short
        self._stopping = False

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
        """Deliver as work appears; poll too, so rows written by other processes go out.
        Ends when `stop` is called; on cancellation it hands back what it had claimed."""
        self._loop, self._loop_thread = asyncio.get_running_loop(), threading.get_ident()
        heartbeat = asyncio.create_task(self._heartbeat(), name="copbot-outbox-heartbeat")
        try:
            while not self._stopping:
                try:
                    await self.drain()
                except Exception:
                    log.exception("the dispatcher hit an error; it will try again")
                if self._stopping:
                    break
                # asyncio.timeout, unlike wait_for on 3.11, never swallows a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._pause(poll_seconds)):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            await self._hand_back()

    async def stop(self, task: asyncio.Task[None], grace: float = STOP_GRACE) -> None:
        """Stop `task` (this dispatcher's `run_forever`) gracefully: claim nothing more, let
        sends under way finish for up to `grace` seconds, hand back every claimed message not
        yet sent. A send still going after `grace` is cut short: the next dispatcher checks
        with the platform whether it arrived before sending it again."""
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except asyncio.CancelledError:
            task.cancel()
            raise

    async def drain(self) -> int:
        """Send everything due now; returns how many messages were delivered."""
        delivered = 0
        while not self._stopping:
            rows = await self._claim()
            if not rows:
                return delivered
            delivered += await self._send_all(rows)
        return delivered

    def next_due(self, after: datetime) -> datetime | None:
        """When the next pending message waiting past `after` becomes due (simulated clocks).
        Rows already due but held behind an earlier one wait for that one's time."""
        return rows_db.next_due(self._engine, after)

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

    async def _claim(self) -> list[OutboxMessage]:
        held = [name for name in self._held if self._held_until(name) is not None]
        now = self._clock.now()
        claimed, uncertain = await asyncio.to_thread(
            rows_db.claim, self._engine, now, self._lease, self._batch, held
        )
        self._claimed.update(row.id for row in claimed if row.id is not None)
        self._uncertain |= uncertain
        return claimed

    async def _heartbeat(self) -> None:
        """Renew this dispatcher's claims while it lives (a dead process's claims lapse)."""
        period = max(self._lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            if self._claimed:
                try:
                    until = self._clock.now() + self._lease
                    await asyncio.to_thread(rows_db.renew, self._engine, set(self._claimed), until)
                except Exception:
                    log.exception("could not renew the outbox's claims; it will try again")

    async def _hand_back(self) -> None:
        """Stopping: claimed messages not yet sent go back to the queue; sends that were
        under way end their claim now, to be checked before they go again."""
        cut, unsent = set(self._sending), self._claimed - self._sending
        self._claimed.clear()
        self._sending.clear()
        now = self._clock.now()
        try:
            await asyncio.to_thread(rows_db.release, self._engine, unsent)
            await asyncio.to_thread(rows_db.cut_short, self._engine, cut, now)
        except Exception:
            log.exception("could not hand back the outbox's claims (their leases will lapse)")
        if cut:
            log.warning("stopped with %d send(s) under way: they will be checked", len(cut))

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
                    if self._stopping or until is not None:  # these wait for the next turn
                        await self._release(queue[index:], until)
                        break
                    outcome = await self._send(row)
                    if outcome is _Outcome.STOPPED:
                        await self._release(queue[index + 1 :])  # keep the target's order
                        break
                    sent += outcome is _Outcome.SENT
                return sent

        results = await asyncio.gather(*(one_target(q) for q in by_target.values()))
        return sum(results)

    async def _send(self, row: OutboxMessage) -> _Outcome:
        assert row.id is not None
        platform = self._platforms.get(row.platform)
        message = OutMessage.model_validate_json(row.payload)
        if message.attachment is not None and message.attachment.picture_of_html:
            # Drawn before the send is under way: stopping meanwhile hands it back unsent.
            message = await self._picture(message)
        self._sending.add(row.id)
        try:
            if platform is None:
                raise DeliveryError(f"no {row.platform} connection is running", transient=True)
            message_id = await self._arrived(platform, row, message)
            if message_id is None:
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
            await self._finish(row, status="pending", wait=timedelta(seconds=limited.retry_after))
            return _Outcome.STOPPED
        except Cancelled as error:  # e.g. unsubscribed meanwhile: it must not go at all
            log.info("cancelled %s: %s", row.key, error)
            await self._finish(row, status=CANCELLED, error=str(error)[:200])
            return _Outcome.GONE
        except Unreachable as error:  # shown to the person when they next use copbot
            log.info("holding %s: %s", row.key, error)
            await self._finish(row, status=HELD, attempts=row.attempts + 1, error=str(error)[:200])
            return _Outcome.STOPPED
        except Exception as error:
            await self._failed(row, error)
            return _Outcome.STOPPED
        await self._finish(row, status="sent", message_id=message_id)
        return _Outcome.SENT

    async def _arrived(
        self, platform: ChatPlatform, row: OutboxMessage, message: OutMessage
    ) -> str | None:
        """For a message whose earlier send was cut short: its id if the platform shows it
        arrived (None when it did not, or the platform cannot tell)."""
        if row.id not in self._uncertain:
            return None
        check = getattr(platform, "already_sent", None)
        if check is None:
            self._uncertain.discard(row.id)  # type: ignore[arg-type]
            return None
        found: str | None = await check(row.channel_id, row.user_id, message, row.key)
        self._uncertain.discard(row.id)  # type: ignore[arg-type]  (checked: a retry needs none)
        if found is not None:
            log.info("%s had arrived before the restart: not sent again", row.key)
        return found

    async def _picture(self, message: OutMessage) -> OutMessage:
        """The message with its HTML attachment drawn as a PNG, or (no browser here) with
        the HTML page itself and a line saying so."""
        attachment = message.attachment
        assert attachment is not None
        stem = attachment.filename.rsplit(".", 1)[0]
        try:
            if self._pictures is None:
                raise RuntimeError("no way to draw pictures is set up")
            png = await asyncio.to_thread(self._pictures, attachment.content)
        except Exception as error:
            log.warning("could not draw %s: %s", attachment.filename, error)
            page = Attachment(filename=f"{stem}.html", content=attachment.content, mime="text/html")
            note = "(I couldn't draw the picture here, so this is the page itself.)"
            footer = f"{message.footer} {note}" if message.footer else note
            return message.model_copy(update={"attachment": page, "footer": footer})
        picture = Attachment(filename=f"{stem}.png", data=png, mime="image/png")
        return message.model_copy(update={"attachment": picture})

    async def _failed(self, row: OutboxMessage, error: Exception) -> None:
        transient = error.transient if isinstance(error, DeliveryError) else True
        attempts = row.attempts + 1
        reason = str(error)[:200] or type(error).__name__
        if not transient or attempts >= self._max_attempts:
            log.error("dead letter %s after %d tries: %s", row.key, attempts, reason)
            await self._finish(row, status="dead", attempts=attempts, error=reason)
        else:
            backoff = min(self._first_retry * 2 ** (attempts - 1), MAX_BACKOFF)
            backoff = min(backoff * _jitter(row.key, attempts), MAX_BACKOFF)
            log.warning("retrying %s in %s (try %d): %s", row.key, backoff, attempts, reason)
            await self._finish(row, status="pending", attempts=attempts, wait=backoff, error=reason)

    async def _finish(
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
        assert row.id is not None
        await asyncio.to_thread(rows_db.finish, self._engine, row.id, values)
        self._claimed.discard(row.id)
        self._sending.discard(row.id)

    async def _release(self, rows: list[OutboxMessage], until: datetime | None = None) -> None:
        """Hand back claimed rows unsent; `_claim` holds them behind the failed one (and,
        with `until`, until the platform's rate limit ends)."""
        ids = {row.id for row in rows if row.id is not None}
        if not ids:
            return
        await asyncio.to_thread(rows_db.release, self._engine, ids, until)
        self._claimed -= ids


def _jitter(key: str, attempts: int) -> float:
    """A factor in [0.9, 1.1), fixed per message and try: messages that failed together
    (one outage) come back spread out, not all in the same second."""
    digest = hashlib.blake2b(f"{key}#{attempts}".encode(), digest_size=8).digest()
    return 0.9 + 0.2 * int.from_bytes(digest) / 2**64


def _target(row: OutboxMessage) -> tuple[str, str]:
    return (row.platform, row.channel_id or f"@{row.user_id}")
