"""The real `copbot run` honours signals at every moment and never dies silently.

A platform that hangs at start-up cannot keep the process from stopping; a token the
gateway refuses ends the process with status 1 and one clear line (so systemd or Docker
restarts it and someone looks); a dropped connection is logged, reconnected and served.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from tests.copbot_process import CORA, copbot_run, spawn
from tests.discord_fake import FakeDiscord
from tests.slack_fake import CHANNEL as SLACK_CHANNEL
from tests.slack_fake import PEOPLE, FakeSlack

#: Far longer than any stop should take: reaching it means the signal was not honoured.
HANG = 30.0


async def _fakes() -> tuple[FakeSlack, FakeDiscord]:
    slack = FakeSlack(users=dict(PEOPLE))
    slack.add_channel(SLACK_CHANNEL, "wound-care")
    discord = FakeDiscord()
    await slack.start()
    await discord.start()
    return slack, discord


async def _wait_for_line(lines: list[str], text: str, seconds: float = HANG) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(text in line for line in lines):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never logged {text!r}:\n" + "\n".join(lines))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("hanging", ["slack", "discord"])
async def test_a_signal_while_a_platform_hangs_at_start_up_stops_the_process(
    tmp_path: Path, signum: signal.Signals, hanging: str
):
    slack, discord = await _fakes()
    if hanging == "slack":
        slack.delays["auth.test"] = 600.0  # Slack never answers copbot's first call
    else:
        discord.login_gate = asyncio.Event()  # Discord never answers the login
    try:
        process, lines, reader = await spawn(
            f"sqlite:///{tmp_path / 'copbot.db'}", tmp_path, slack, discord
        )
        try:
            if hanging == "slack":
                await _until_called(lambda: "auth.test" in slack.methods())
            else:
                await _until_called(
                    lambda: any(p.endswith("/users/@me") for _, p, _ in discord.requests)
                )
            assert process.returncode is None
            process.send_signal(signum)
            await asyncio.wait_for(process.wait(), HANG)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await asyncio.wait_for(reader, 5)
        assert process.returncode == 0, "\n".join(lines)
        assert not [line for line in lines if "Traceback" in line], "\n".join(lines)
    finally:
        if discord.login_gate is not None:
            discord.login_gate.set()
        await discord.close()
        await slack.stop()


async def _until_called(condition, seconds: float = HANG) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the platform was never called")


async def test_a_token_the_gateway_refuses_ends_the_process_with_one_clear_line(tmp_path: Path):
    slack, discord = await _fakes()
    try:
        async with copbot_run(
            f"sqlite:///{tmp_path / 'copbot.db'}", tmp_path, fakes=(slack, discord)
        ) as copbot:
            await discord.close_gateway(4004)
            await asyncio.wait_for(copbot.process.wait(), HANG)
            lines = list(copbot.log)
        assert copbot.process.returncode == 1, "\n".join(lines)
        stopped = [line for line in lines if "copbot stopped" in line]
        assert len(stopped) == 1 and "4004" in stopped[0] and "token" in stopped[0], lines
        assert not [line for line in lines if "Traceback" in line], "\n".join(lines)
    finally:
        await discord.close()
        await slack.stop()


async def test_a_dropped_gateway_connection_is_logged_and_served_again(tmp_path: Path):
    slack, discord = await _fakes()
    try:
        async with copbot_run(
            f"sqlite:///{tmp_path / 'copbot.db'}", tmp_path, fakes=(slack, discord)
        ) as copbot:
            sessions = discord.sessions
            discord.drop_gateway()  # no close frame: the client sees 1006
            await _until_called(lambda: discord.sessions > sessions)
            await _wait_for_line(copbot.log, "lost the connection")
            answer = await discord.slash(CORA, "me")
            assert "Cora" in answer.text
            assert copbot.process.returncode is None
        assert copbot.process.returncode == 0
    finally:
        await discord.close()
        await slack.stop()
