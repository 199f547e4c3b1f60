"""Restarting the real `copbot run` in the middle of a 200-message fan-out.

100 private messages to Slack members and 100 to Discord members are queued (as a check-in
opening for a large community would), each platform taking a while over every message. The
process is stopped part-way — politely (SIGTERM) or not at all (kill -9) — and started
again on the same database: every message arrives, and none arrives twice.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from adapters.discord.platform import nonce
from bot.messages import say
from bot.storage.uow import UnitOfWork
from tests.copbot_process import CONFIG, copbot_run
from tests.discord_fake import FakeDiscord
from tests.slack_fake import CHANNEL as SLACK_CHANNEL
from tests.slack_fake import PEOPLE, FakeSlack

pytestmark = pytest.mark.asyncio
EACH = 100  # messages per platform
SLOW = 0.1  # seconds each platform takes over one message
SLACK_MEMBERS = {f"U{1000 + n}": f"Member {n}" for n in range(EACH)}
DISCORD_MEMBERS = [str(1100000000000003000 + n) for n in range(EACH)]
#: A short lease, so the kill -9 test need not wait the default 30 s for the dead claims.
QUICK_LEASE = CONFIG + "\n[outbox]\nlease_seconds = 2\n"


async def _fakes() -> tuple[FakeSlack, FakeDiscord]:
    slack = FakeSlack(users={**PEOPLE, **SLACK_MEMBERS})
    slack.add_channel(SLACK_CHANNEL, "wound-care")
    slack.delays["chat.postMessage"] = SLOW
    discord = FakeDiscord()
    discord.message_delay = SLOW
    await slack.start()
    await discord.start()
    return slack, discord


def _queue_fan_out(database_url: str) -> list[str]:
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


def _arrived(slack: FakeSlack, discord: FakeDiscord, keys: list[str]) -> Counter[str]:
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


async def _until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("how", ["SIGTERM", "kill -9"])
async def test_a_restart_mid_fan_out_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, how: str
):
    database_url = f"sqlite:///{tmp_path / 'copbot.db'}"
    slack, discord = await _fakes()
    try:
        async with copbot_run(
            database_url, tmp_path, settings=QUICK_LEASE, fakes=(slack, discord)
        ) as first:
            keys = await asyncio.to_thread(_queue_fan_out, database_url)
            await _until(
                lambda: sum(_arrived(slack, discord, keys).values()) >= 30, 60, "the fan-out"
            )
            if how == "SIGTERM":
                first.process.send_signal(signal.SIGTERM)
            else:
                first.process.kill()
            await asyncio.wait_for(first.process.wait(), 30)
            stopped_with = first.process.returncode
            log = list(first.log)
        before = _arrived(slack, discord, keys)
        assert 0 < sum(before.values()) < len(keys), "the stop did not land mid-fan-out"
        if how == "SIGTERM":
            assert stopped_with == 0, "\n".join(log)
            assert not [line for line in log if "Traceback" in line], "\n".join(log)

        async with copbot_run(
            database_url, tmp_path, settings=QUICK_LEASE, fakes=(slack, discord)
        ) as second:
            await _until(
                lambda: set(_arrived(slack, discord, keys)) == set(keys), 90, "every message"
            )
            await asyncio.sleep(0.5)  # anything about to be sent twice would go now
        assert second.process.returncode == 0, "\n".join(second.log)
        counts = _arrived(slack, discord, keys)
        lost = [key for key in keys if counts[key] == 0]
        twice = [key for key, count in counts.items() if count > 1]
        assert lost == [], f"lost after {how}: {lost[:5]}"
        assert twice == [], f"sent twice after {how}: {twice[:5]}"
    finally:
        await discord.close()
        await slack.stop()


async def test_sigterm_while_a_send_hangs_still_exits_and_the_message_arrives_once(
    tmp_path: Path,
):
    """Discord stops answering mid-send: SIGTERM still ends the process (status 0) after
    a short grace; the message, which Discord did create in the end, is not posted twice."""
    database_url = f"sqlite:///{tmp_path / 'copbot.db'}"
    slack, discord = await _fakes()
    discord.message_delay = 0
    discord.message_gate = asyncio.Event()
    try:
        async with copbot_run(
            database_url, tmp_path, settings=QUICK_LEASE, fakes=(slack, discord)
        ) as first:
            keys = await asyncio.to_thread(_queue_fan_out, database_url)

            def hanging() -> bool:
                return any(path.endswith("/messages") for _, path, _ in discord.requests)

            await _until(hanging, 60, "a send to hang")
            first.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(first.process.wait(), 30)
            assert first.process.returncode == 0, "\n".join(first.log)
            assert any("send(s) under way" in line for line in first.log), "\n".join(first.log)
        discord.message_gate.set()  # Discord finishes what it was doing: those messages exist
        await asyncio.sleep(0.2)
        discord.message_gate = None
        async with copbot_run(database_url, tmp_path, settings=QUICK_LEASE, fakes=(slack, discord)):
            await _until(
                lambda: set(_arrived(slack, discord, keys)) == set(keys), 90, "every message"
            )
            await asyncio.sleep(0.5)
        counts = _arrived(slack, discord, keys)
        assert [key for key, count in counts.items() if count > 1] == []
    finally:
        await discord.close()
        await slack.stop()
