"""Restarting `copbot run` mid fan-out: exit time, first send after restart, lost, sent twice.

The real `copbot run` process serves loopback Slack and Discord fakes (from tests/) that take
a little while over each message. 200 private messages are queued; the process is stopped
when about a third have arrived — by SIGTERM, or by kill -9 — and started again on the same
database. Beside them, in the same run, the baseline: a clean start with the same queue
(how soon its first message goes, how long the whole fan-out takes).

Run: `python -m bench restart [--slow 0.02]`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.harness import table
from tests.copbot_process import CONFIG, copbot_run
from tests.fan_out import arrived, fakes, queue_fan_out, until


@dataclass
class Outcome:
    mode: str
    exit_s: float | None  # from the signal to the process's end
    first_send_s: float  # from the (re)start being ready to the next message arriving
    all_sent_s: float  # from the (re)start being ready to the last message arriving
    lost: int
    twice: int
    history_checks: int  # Slack conversations.history calls: sends cut short, checked


async def _one(mode: str, slow: float, folder: Path, lease: float | None) -> Outcome:
    database_url = f"sqlite:///{folder / 'copbot.db'}"
    slack, discord = await fakes(slow)
    # The default lease (30 s) is what a real crash costs; a shorter one for a quick look.
    settings = CONFIG if lease is None else f"{CONFIG}\n[outbox]\nlease_seconds = {lease}\n"
    exit_s: float | None = None
    try:
        keys: list[str] = []
        if mode != "clean start":
            async with copbot_run(
                database_url, folder, settings=settings, fakes=(slack, discord)
            ) as first:
                keys = await asyncio.to_thread(queue_fan_out, database_url)
                await until(
                    lambda: sum(arrived(slack, discord, keys).values()) >= 60, 120, "a third"
                )
                stopping = time.monotonic()
                if mode == "SIGTERM":
                    first.process.send_signal(signal.SIGTERM)
                else:
                    first.process.kill()  # SIGKILL: no clean-up at all
                await asyncio.wait_for(first.process.wait(), 60)
                exit_s = time.monotonic() - stopping
        before = sum(arrived(slack, discord, keys).values()) if keys else 0
        async with copbot_run(database_url, folder, settings=settings, fakes=(slack, discord)):
            ready = time.monotonic()
            if not keys:
                keys = await asyncio.to_thread(queue_fan_out, database_url)

            def sent_more() -> bool:  # (or there was nothing left to send)
                return sum(arrived(slack, discord, keys).values()) > min(before, len(keys) - 1)

            await until(sent_more, 120, "a send")
            first_send_s = time.monotonic() - ready
            await until(lambda: set(arrived(slack, discord, keys)) == set(keys), 180, "all")
            all_sent_s = time.monotonic() - ready
            await asyncio.sleep(1.0)  # anything about to go twice goes now
        counts = arrived(slack, discord, keys)
        return Outcome(
            mode,
            exit_s,
            first_send_s,
            all_sent_s,
            lost=sum(1 for key in keys if counts[key] == 0),
            twice=sum(1 for count in counts.values() if count > 1),
            history_checks=slack.methods().count("conversations.history"),
        )
    finally:
        await discord.close()
        await slack.stop()


def run_restart(slow: float, lease: float | None = None) -> list[Outcome]:
    outcomes = []
    for mode in ("clean start", "SIGTERM", "kill -9"):
        with tempfile.TemporaryDirectory(prefix="copbot-restart-") as folder:
            outcomes.append(asyncio.run(_one(mode, slow, Path(folder), lease)))
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    rows = [
        [
            o.mode,
            "-" if o.exit_s is None else f"{o.exit_s:.2f}",
            f"{o.first_send_s:.2f}",
            f"{o.all_sent_s:.2f}",
            str(o.lost),
            str(o.twice),
            str(o.history_checks),
        ]
        for o in outcomes
    ]
    header = ["run", "exit s", "first send s", "all sent s", "lost", "twice", "checked"]
    lines = [
        "restart mid fan-out: 200 private messages (100 Slack, 100 Discord), copbot run",
        table(header, rows),
        "first send / all sent: from the (re)start being ready; 'checked': Slack history",
        "look-ups for sends cut short (Discord's nonce needs none). kill -9 uses the default",
        "30 s lease: the messages it was sending wait for it; the rest go at once.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] = ()) -> int:
    """Restart mid fan-out (SIGTERM, kill -9): lost, sent twice, first send after restart."""
    parser = argparse.ArgumentParser(prog="python -m bench restart")
    parser.add_argument("--slow", type=float, default=0.02, help="seconds per message")
    args = parser.parse_args(list(argv))
    print(report(run_restart(args.slow)))
    return 0
