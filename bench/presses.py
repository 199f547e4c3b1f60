"""Benchmark `presses`: 100 members pressing the same button at once, from receipt.

The real `copbot run` process serves the loopback Discord fake (from tests/). A check-in is
opened and 100 members press "Not this time" on its post back to back, as a channel does
when a check-in lands. Two figures per press, both counted from the moment the fake sent the
interaction (its receipt): the first answer (Discord's 3-second rule: a reply or a
"thinking…" defer) and the whole answer (the person's private reply). On SQLite and, when it
answers, PostgreSQL. Beside them, in the same run and against the same fake: a bare discord.py
client that answers every interaction at once with a fixed message (no database at all).

Run: `python -m bench presses [--postgres URL]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import discord
import discord.gateway
import discord.http
import yarl

from bench.harness import percentile, postgres_database, postgres_problem, table
from tests.copbot_process import CORA, copbot_run
from tests.discord_fake import CHANNEL_ID, Exchange, FakeDiscord, user
from tests.slack_fake import CHANNEL as SLACK_CHANNEL
from tests.slack_fake import PEOPLE, FakeSlack

PRESSERS = [user(1100000000000004000 + n, f"Presser {n}") for n in range(100)]
BUTTON = "Not this time"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _figures(exchanges: list[Exchange], whole: dict[int, float]) -> list[str]:
    first = [e.answered_after or 99.0 for e in exchanges]
    done = [whole.get(e.id, 99.0) for e in exchanges]
    late = sum(1 for e in exchanges if e.late)
    return [
        f"{percentile(first, 50) * 1000:.0f}",
        f"{percentile(first, 99) * 1000:.0f}",
        f"{percentile(done, 50) * 1000:.0f}",
        f"{percentile(done, 99) * 1000:.0f}",
        str(late),
    ]


async def _watch_whole(exchanges: list[Exchange], seconds: float = 30) -> dict[int, float]:
    """Seconds from receipt until each exchange carries its answer's text."""
    whole: dict[int, float] = {}
    deadline = time.monotonic() + seconds
    while len(whole) < len(exchanges) and time.monotonic() < deadline:
        for exchange in exchanges:
            if exchange.id not in whole and exchange.text:
                whole[exchange.id] = time.monotonic() - exchange.sent_at
        await asyncio.sleep(0.01)
    return whole


async def _copbot_presses(database_url: str, fake: FakeDiscord, folder: Path) -> list[str]:
    slack = FakeSlack(users=dict(PEOPLE))
    slack.add_channel(SLACK_CHANNEL, "wound-care")
    await slack.start()
    try:
        async with copbot_run(database_url, folder, fakes=(slack, fake)):
            before = len(fake.posts_to(CHANNEL_ID))
            opened = await fake.slash(CORA, "checkin open")
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                posts = [p for p in fake.posts_to(CHANNEL_ID)[before:] if BUTTON in str(p)]
                if posts:
                    break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"copbot never posted the check-in: {opened.text!r}")
            payloads = [fake.press_payload(who, posts[0].message, BUTTON) for who in PRESSERS]
            exchanges = await fake.interact_all(payloads)
            whole = await _watch_whole(exchanges)
            return _figures(exchanges, whole)
    finally:
        await slack.stop()


async def _bare_presses(fake: FakeDiscord) -> list[str]:
    """A bare discord.py client: every interaction answered at once, nothing else."""
    original_base = discord.http.Route.BASE
    original_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    client = discord.Client(intents=discord.Intents.none())

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Thanks", ephemeral=True)

    sessions = fake.sessions
    try:
        await client.login("fake-token")
        running = asyncio.create_task(client.connect(reconnect=False))
        deadline = time.monotonic() + 15
        while fake.sessions == sessions and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # READY handled
        message = fake._message(
            CHANNEL_ID,
            {
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {"type": 2, "style": 2, "label": BUTTON, "custom_id": "bare:press"}
                        ],
                    }
                ]
            },
        )
        payloads = [fake.press_payload(who, message, BUTTON) for who in PRESSERS]
        exchanges = await fake.interact_all(payloads)
        whole = await _watch_whole(exchanges)
        return _figures(exchanges, whole)
    finally:
        await client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running, 5)
        discord.http.Route.BASE = original_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = original_gateway


@contextlib.asynccontextmanager
async def _fresh_discord() -> AsyncIterator[FakeDiscord]:
    """A Discord fake of its own for each run (Discord keeps nonces: the same check-in's
    post from a second database would be taken for a resend)."""
    fake = FakeDiscord()
    fake.answer_deadline = 3.0  # later first answers are refused, as on Discord
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


async def run_presses(postgres_url: str | None) -> list[list[str]]:
    rows: list[list[str]] = []
    async with _fresh_discord() as fake:
        rows.append(["bare discord.py (no database)", *await _bare_presses(fake)])
    with tempfile.TemporaryDirectory(prefix="copbot-presses-") as folder:
        url = f"sqlite:///{Path(folder) / 'copbot.db'}"
        async with _fresh_discord() as fake:
            rows.append(["copbot run, SQLite", *await _copbot_presses(url, fake, Path(folder))])
        if postgres_url is not None:
            with postgres_database(postgres_url, "copbot_bench_presses") as pg_url:
                async with _fresh_discord() as fake:
                    figures = await _copbot_presses(pg_url, fake, Path(folder))
                rows.append(["copbot run, PostgreSQL", *figures])
    return rows


def report(rows: list[list[str]]) -> str:
    header = ["100 presses at once", "first p50 ms", "first p99", "whole p50", "whole p99", "late"]
    return "\n".join(
        [
            "presses: 100 members press one button at once; times from receipt (Discord fake)",
            table(header, rows),
            "first: the reply or 'thinking…' defer Discord needs within 3 s ('late': refused);",
            "whole: the person's private answer.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """100 presses at once on the real process: p50/p99 from receipt, beside bare discord.py."""
    parser = argparse.ArgumentParser(prog="python -m bench presses", description=__doc__)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL ('' to skip)")
    args = parser.parse_args(list(argv or []))
    postgres = args.postgres or None
    if postgres is not None and (problem := postgres_problem(postgres)):
        print(f"PostgreSQL skipped: {problem}")
        postgres = None
    print(report(asyncio.run(run_presses(postgres))))
    return 0
