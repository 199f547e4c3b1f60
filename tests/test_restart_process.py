"""Restarting the real `copbot run` in the middle of a 200-message fan-out.

100 private messages to Slack members and 100 to Discord members are queued (as a check-in
opening for a large community would), each platform taking a while over every message. The
process is stopped part-way — politely (SIGTERM) or not at all (kill -9) — and started
again on the same database: every message arrives, and none arrives twice.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.copbot_process import copbot_run
from tests.fan_out import QUICK_LEASE, arrived, fakes, queue_fan_out, until


@pytest.mark.parametrize("how", ["SIGTERM", "kill -9"])
async def test_a_restart_mid_fan_out_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, how: str
):
    database_url = f"sqlite:///{tmp_path / 'copbot.db'}"
    slack, discord = await fakes()
    try:
        async with copbot_run(
            database_url, tmp_path, settings=QUICK_LEASE, fakes=(slack, discord)
        ) as first:
            keys = await asyncio.to_thread(queue_fan_out, database_url)
            await until(
                lambda: sum(arrived(slack, discord, keys).values()) >= 30, 60, "the fan-out"
            )
            if how == "SIGTERM":
                first.process.send_signal(signal.SIGTERM)
            else:
                first.process.kill()
            await asyncio.wait_for(first.process.wait(), 30)
            stopped_with = first.process.returncode
            log = list(first.log)
        before = arrived(slack, discord, keys)
        assert 0 < sum(before.values()) < len(keys), "the stop did not land mid-fan-out"
        if how == "SIGTERM":
            assert stopped_with == 0, "\n".join(log)
            assert not [line for line in log if "Traceback" in line], "\n".join(log)

        async with copbot_run(
            database_url, tmp_path, settings=QUICK_LEASE, fakes=(slack, discord)
        ) as second:
            await until(
                lambda: set(arrived(slack, discord, keys)) == set(keys), 90, "every message"
            )
            await asyncio.sleep(0.5)  # anything about to be sent twice would go now
        assert second.process.returncode == 0, "\n".join(second.log)
        counts = arrived(slack, discord, keys)
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
    slack, discord = await fakes()
    discord.message_delay = 0
    discord.message_gate = asyncio.Event()
    try:
        async with copbot_run(
            database_url, tmp_path, settings=QUICK_LEASE, fakes=(slack, discord)
        ) as first:
            keys = await asyncio.to_thread(queue_fan_out, database_url)

            def hanging() -> bool:
                return any(path.endswith("/messages") for _, path, _ in discord.requests)

            await until(hanging, 60, "a send to hang")
            first.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(first.process.wait(), 30)
            assert first.process.returncode == 0, "\n".join(first.log)
            assert any("send(s) under way" in line for line in first.log), "\n".join(first.log)
        discord.message_gate.set()  # Discord finishes what it was doing: those messages exist
        await asyncio.sleep(0.2)
        discord.message_gate = None
        async with copbot_run(database_url, tmp_path, settings=QUICK_LEASE, fakes=(slack, discord)):
            await until(
                lambda: set(arrived(slack, discord, keys)) == set(keys), 90, "every message"
            )
            await asyncio.sleep(0.5)
        counts = arrived(slack, discord, keys)
        assert [key for key, count in counts.items() if count > 1] == []
    finally:
        await discord.close()
        await slack.stop()
