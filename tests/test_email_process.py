"""The real `copbot run` sending email: killed with SIGKILL in the middle of a 500-email
fan-out and started again, every member gets their email, and none gets two different ones
(counted by Message-ID at the SMTP server: a resend of a message the dead process had just
handed over carries the same Message-ID, so it is the same email to the member's mailbox)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.copbot_process import COPBOT, _read_log, _until
from tests.smtp_server import SmtpServer, smtp_server

MEMBERS = 500
START_TIMEOUT = 60.0
SENT_TIMEOUT = 120.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own (the process migrates it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'copbot.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"copbot_test_mail_{os.getpid()}_{request.getfixturevalue('worker_id')}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as connection:
        connection.execute(drop)
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(drop)
        admin.dispose()


def addresses() -> list[str]:
    return [f"member{n:03d}@example.org" for n in range(MEMBERS)]


def config(server: SmtpServer) -> str:
    invited = ", ".join(f'"{a}"' for a in addresses())
    now = datetime.now(UTC)  # quiet hours far from now: the invitations go at once
    quiet = f"{(now + timedelta(hours=6)):%H}:00-{(now + timedelta(hours=7)):%H}:00"
    return f"""\
log_level = "WARNING"
outbox = {{ lease_seconds = 2, first_retry = "1 minute" }}

[email]
smtp_host = "127.0.0.1"
smtp_port = {server.port}
starttls = false
from_address = "copbot@example.org"
per_second = 150

[web]
base_url = "http://127.0.0.1:8080"
port = 0

[[communities]]
name = "carers"
platform = "email"
timezone = "UTC"
quiet_hours = "{quiet}"
conveners = ["cora@example.org"]
invite = [{invited}]
checkin = {{ schedule = "off" }}
"""


@asynccontextmanager
async def copbot(folder: Path, database_url: str) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "COPBOT_DATABASE_URL": database_url,
        "COPBOT_SECRET_KEY": "a long random test key, not used anywhere else",
    }
    process = await asyncio.create_subprocess_exec(
        COPBOT,
        "run",
        "--config",
        str(folder / "copbot.toml"),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = asyncio.ensure_future(_read_log(process.stderr, lines))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        await _until(process, lines, re.compile("copbot is serving email"), deadline)
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader, 5)
        errors = [line for line in lines if "Traceback" in line]
        assert errors == [], "\n".join(lines)


async def until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def ids_by_recipient(server: SmtpServer) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for received in server.received:
        for address in received.recipients:
            found[address].add(received.message_id)
    return found


async def test_kill_9_during_a_500_email_fan_out_loses_none_and_sends_none_twice(
    tmp_path: Path, database_url: str
) -> None:
    with smtp_server() as server:
        (tmp_path / "copbot.toml").write_text(config(server), encoding="utf-8")
        everyone = {*addresses(), "cora@example.org"}
        async with copbot(tmp_path, database_url) as first:
            await until(lambda: len(server.received) >= 60, SENT_TIMEOUT)
            first.kill()  # SIGKILL: no chance to finish or hand anything back
            await first.wait()
        before = len(ids_by_recipient(server))
        assert before < len(everyone), "the fan-out ended before the kill"
        async with copbot(tmp_path, database_url):
            await until(lambda: ids_by_recipient(server).keys() >= everyone, SENT_TIMEOUT)
            await asyncio.sleep(3)  # anything a second time would arrive meanwhile
        received = ids_by_recipient(server)
        assert received.keys() == everyone  # 0 lost
        assert {a: ids for a, ids in received.items() if len(ids) != 1} == {}  # 0 twice
        ids = [r.message_id for r in server.received]
        assert len(set(ids)) == len(everyone)
        subjects = {str(r.message["Subject"]) for r in server.received}
        assert subjects == {"You are invited to join carers"}
