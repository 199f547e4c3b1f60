"""A 200-message fan-out over the Slack and Discord fakes, for restart tests and benchmarks:
queue it in a database, count what reached each person."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import create_engine

from adapters.discord.platform import nonce
from bot.messages import say
from bot.storage.uow import UnitOfWork
from tests.copbot_process import CONFIG
from tests.discord_fake import FakeDiscord
from tests.slack_fake import CHANNEL as SLACK_CHANNEL
from tests.slack_fake import PEOPLE, FakeSlack

EACH = 100  # messages per platform
SLOW = 0.1  # seconds each platform takes over one message
SLACK_MEMBERS = {f"U{1000 + n}": f"Member {n}" for n in range(EACH)}
DISCORD_MEMBERS = [str(1100000000000003000 + n) for n in range(EACH)]
#: A short lease, so the kill -9 test need not wait the default 30 s for the dead claims.
QUICK_LEASE = CONFIG + "\n[outbox]\nlease_seconds = 2\n"


async def fakes(slow: float = SLOW) -> tuple[FakeSlack, FakeDiscord]:
    """Both fakes, started, taking `slow` seconds over each message."""
    slack = FakeSlack(users={**PEOPLE, **SLACK_MEMBERS})
    slack.add_channel(SLACK_CHANNEL, "wound-care")
    slack.delays["chat.postMessage"] = slow
    discord = FakeDiscord()
    discord.message_delay = slow
    await slack.start()
    await discord.start()
    return slack, discord


def queue_fan_out(database_url: str) -> list[str]:
    """Queue the 200 private messages; returns their keys."""
    engine = create_engine(database_url)
    keys: list[str] = []
    try:
        with UnitOfWork(engine) as uow:
            now = datetime.now(UTC)
            for user_id in SLACK_MEMBERS:
                key = f"fanout:slack:{user_id}"
                uow.enqueue(
                    key, say(f"Hello {user_id}"), platform="slack", created_at=now, user_id=user_id
                )
                keys.append(key)
            for user_id in DISCORD_MEMBERS:
                key = f"fanout:discord:{user_id}"
                uow.enqueue(
                    key,
                    say(f"Hello {user_id}"),
                    platform="discord",
                    created_at=now,
                    user_id=user_id,
                )
                keys.append(key)
            uow.commit()
    finally:
        engine.dispose()
    return keys


def arrived(slack: FakeSlack, discord: FakeDiscord, keys: list[str]) -> Counter[str]:
    """How many times each message reached its person."""
    counts: Counter[str] = Counter()
    for post in slack.dms():
        key = ((post.metadata or {}).get("event_payload") or {}).get("key")
        if key in keys:
            counts[key] += 1
    by_nonce = {nonce(key, 0): key for key in keys if key.startswith("fanout:discord:")}
    for posted in discord.posts:
        key = by_nonce.get(str(posted.payload.get("nonce")))
        if key is not None:
            counts[key] += 1
    return counts


async def until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
