"""The real `copbot run` as a child process, serving Slack (HTTP mode) and Discord, both
loopback fakes run by the test; plus a way to hold the database's write lock meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.discord_fake import CHANNEL_ID as DISCORD_CHANNEL
from tests.discord_fake import GUILD_ID, FakeDiscord, user
from tests.slack_fake import CHANNEL as SLACK_CHANNEL
from tests.slack_fake import PEOPLE, SECRET, FakeSlack, SlackSide

CORA = user(1100000000000000500, "Cora")
COPBOT = str(Path(sys.executable).with_name("copbot"))
PORT_LINE = re.compile(r"Slack HTTP endpoint: POST \S+ on port (\d+)")
START_TIMEOUT = 30.0

CONFIG = f"""\
log_level = "WARNING"

[[communities]]
name = "wound-care"
platform = "slack"
channel = "{SLACK_CHANNEL}"
timezone = "Europe/London"
conveners = ["UCORA"]
keepers = ["UKIT"]
checkin = {{ schedule = "off", open_for = "5 days", remind_after = "3 days" }}
welcome = {{ enabled = false }}

[[communities]]
name = "tissue-viability"
platform = "discord"
channel = "{DISCORD_CHANNEL}"
timezone = "Europe/London"
conveners = ["{CORA["id"]}"]
checkin = {{ schedule = "off", open_for = "5 days", remind_after = "3 days" }}
welcome = {{ enabled = false }}
"""


@dataclass
class Copbot:
    """A running `copbot run`: the fakes it talks to, and Slack's side of its endpoint."""

    process: asyncio.subprocess.Process
    slack: FakeSlack
    discord: FakeDiscord
    side: SlackSide
    session: aiohttp.ClientSession
    port: int
    log: list[str] = field(default_factory=list)

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"

    def errors(self) -> list[str]:
        return [line for line in self.log if " ERROR " in line or "Traceback" in line]


async def _read_log(stream: asyncio.StreamReader, lines: list[str]) -> None:
    while raw := await stream.readline():
        lines.append(raw.decode(errors="replace").rstrip())


async def _until(
    process: asyncio.subprocess.Process,
    lines: list[str],
    pattern: re.Pattern[str],
    deadline: float,
) -> re.Match[str]:
    while time.monotonic() < deadline and process.returncode is None:
        for line in lines:
            if found := pattern.search(line):
                return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"copbot never logged {pattern.pattern!r}:\n" + "\n".join(lines))


async def spawn(
    database_url: str,
    folder: Path,
    slack: FakeSlack,
    discord: FakeDiscord,
    *,
    settings: str = CONFIG,
    extra_args: Sequence[str] = (),
    extra_env: dict[str, str] | None = None,
) -> tuple[asyncio.subprocess.Process, list[str], asyncio.Future[None]]:
    """Start `copbot run --http-port 0` against the fakes (not waiting for it to be ready):
    the process, the lines of its log as they come, and the task reading them."""
    config = folder / "copbot.toml"
    config.write_text(settings, encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "COPBOT_DATABASE_URL": database_url,
        "COPBOT_SECRET_KEY": "a long random test key, not used anywhere else",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "DISCORD_BOT_TOKEN": "fake-token",
        "DISCORD_API_URL": discord.api_base,
        "DISCORD_GUILD_ID": str(GUILD_ID),
        **(extra_env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        COPBOT,
        "run",
        "--config",
        str(config),
        "--http-port",
        "0",
        *extra_args,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = asyncio.ensure_future(_read_log(process.stderr, lines))
    return process, lines, reader


@asynccontextmanager
async def copbot_run(
    database_url: str,
    folder: Path,
    extra_args: Sequence[str] = (),
    *,
    settings: str = CONFIG,
    fakes: tuple[FakeSlack, FakeDiscord] | None = None,
    extra_env: dict[str, str] | None = None,
    ready: Sequence[str] = ("slack", "discord"),
) -> AsyncIterator[Copbot]:
    """Start both fakes (or use `fakes`, left running) and `copbot run --http-port 0` (and
    `extra_args`) against them with `settings`; stop it with SIGTERM."""
    if fakes is None:
        slack = FakeSlack(users=dict(PEOPLE))
        slack.add_channel(SLACK_CHANNEL, "wound-care")
        await slack.start()
        discord = FakeDiscord()
        await discord.start()
    else:
        slack, discord = fakes
    process, lines, reader = await spawn(
        database_url,
        folder,
        slack,
        discord,
        settings=settings,
        extra_args=extra_args,
        extra_env=extra_env,
    )
    session = aiohttp.ClientSession()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        port = int((await _until(process, lines, PORT_LINE, deadline))[1])
        for name in ready:
            await _until(process, lines, re.compile(f"copbot is serving {name}"), deadline)
        side = SlackSide(slack, f"http://127.0.0.1:{port}/slack/events", SECRET, session)
        yield Copbot(process, slack, discord, side, session, port, lines)
    finally:
        await session.close()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader, 5)
        if fakes is None:
            await discord.close()
            await slack.stop()


@contextmanager
def write_lock(database_url: str) -> Iterator[None]:
    """Another connection holds the write lock meanwhile: SQLite's (BEGIN IMMEDIATE on the
    file) or, on PostgreSQL, an EXCLUSIVE lock on the tables every interaction writes to
    (reading them is still allowed, as under a long transaction elsewhere)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        locker = sqlite3.connect(str(url.database), isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE inbound_event, member IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                connection.rollback()
    finally:
        engine.dispose()


async def timed(work: Any) -> tuple[float, Any]:
    """(seconds taken, result) of awaiting `work`."""
    started = time.monotonic()
    result = await work
    return time.monotonic() - started, result
