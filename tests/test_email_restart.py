"""kill -9 in the middle of a 500-email fan-out, then a restart, against a real SMTP server.

An email-only community invites 500 addresses from its settings: copbot sends the 500
invitations at start-up. The process is killed (SIGKILL) part-way through and started again
on the same database. Every address gets its invitation. SMTP gives no way to ask whether a
message arrived, so one handed over at the very moment of the kill can go again: it then
carries the same Message-ID (mail programs show it once), and at most the few that were
being sent at that moment go again.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.copbot_process import COPBOT, _read_log, _until
from tests.smtp_server import free_port, smtp_server

ADDRESSES = [f"member{n:03d}@example.org" for n in range(500)]
IN_FLIGHT = 16  # the outbox sends at most 8 at once; two claims' worth at the most


def _config(port: int, web_port: int) -> str:
    invited = ", ".join(f'"{a}"' for a in ADDRESSES)
    now = datetime.now(UTC)  # quiet hours far from now: the invitations go at once
    quiet = f"{(now + timedelta(hours=6)):%H}:00-{(now + timedelta(hours=7)):%H}:00"
    return f"""\
log_level = "WARNING"

[email]
smtp_host = "127.0.0.1"
smtp_port = {port}
starttls = false
from_address = "copbot@example.org"
per_second = 200

[web]
base_url = "http://127.0.0.1:{web_port}"
port = {web_port}

[outbox]
lease_seconds = 2

[[communities]]
name = "carers"
platform = "email"
timezone = "UTC"
quiet_hours = "{quiet}"
conveners = ["cora@example.org"]
invite = [{invited}]
"""


async def _start(config: Path, database_url: str):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "COPBOT_DATABASE_URL": database_url,
        "COPBOT_SECRET_KEY": "a long random test key, not used anywhere else",
    }
    process = await asyncio.create_subprocess_exec(
        COPBOT, "run", "--config", str(config), env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    lines: list[str] = []
    assert process.stderr is not None
    reader = asyncio.ensure_future(_read_log(process.stderr, lines))
    await _until(process, lines, re.compile("copbot is serving email"), time.monotonic() + 60)
    return process, lines, reader


async def _until_received(server, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while len({r.recipients[0] for r in server.received}) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(server.received)} emails arrived")
        await asyncio.sleep(0.05)


async def test_kill_9_mid_fan_out_loses_no_email(tmp_path: Path):
    database_url = f"sqlite:///{tmp_path / 'copbot.db'}"
    with smtp_server() as server:
        config = tmp_path / "copbot.toml"
        config.write_text(_config(server.port, free_port()), encoding="utf-8")
        process, lines, reader = await _start(config, database_url)
        try:
            await _until_received(server, 120, 120)
            process.kill()
            await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            reader.cancel()
        before = len(server.received)
        assert before < len(ADDRESSES), "the kill did not land mid-fan-out"

        process, lines, reader = await _start(config, database_url)
        try:
            await _until_received(server, len(ADDRESSES) + 1, 180)  # and Cora's
            await asyncio.sleep(1.0)
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
            reader.cancel()
        assert process.returncode == 0, "\n".join(lines)

    received = server.received
    got = {r.recipients[0] for r in received}
    assert set(ADDRESSES) <= got, f"lost: {sorted(set(ADDRESSES) - got)[:5]}"
    by_address: dict[str, set[str]] = {}
    for email in received:
        by_address.setdefault(email.recipients[0], set()).add(email.message_id)
    assert all(len(ids) == 1 for ids in by_address.values()), "a resend had a new Message-ID"
    twice = len(received) - len(by_address)
    assert twice <= IN_FLIGHT, f"{twice} emails went twice: more than were being sent"
