"""Health: `/healthz` says ready only when the database answers and every platform is
connected, with the outbox's figures and the scheduler's last pass; `copbot status` prints
the same from the database and says whether a running copbot answers."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import text
from sqlmodel import Session

from adapters.health import Health, HealthServer
from bot import cli
from bot.bootstrap import build_app
from bot.storage.tables import OutboxMessage
from tests.conftest import make_settings
from tests.copbot_process import copbot_run

HEALTH_LINE = re.compile(r"copbot health: GET /healthz on \S+:(\d+)")


@dataclass
class Platform:
    name: str
    connected: bool


def _add_outbox(engine, statuses: list[str]) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        for n, status in enumerate(statuses):
            session.add(
                OutboxMessage(
                    key=f"health-{n}",
                    platform="console",
                    channel_id="wound-care",
                    payload="{}",
                    status=status,
                    next_attempt_at=now + timedelta(hours=1),
                    created_at=now,
                )
            )
        session.commit()


async def test_ready_with_the_outbox_figures_and_the_platforms(sqlite_engine):
    app = build_app(make_settings(), {}, engine=sqlite_engine)
    _add_outbox(sqlite_engine, ["pending", "pending", "sending", "dead", "sent"])
    passed = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    health = Health(app, [Platform("slack", True), Platform("discord", True)], lambda: passed)
    try:
        ready, body = await health.report()
        assert ready and body["status"] == "ready"
        assert body["outbox"] == {"backlog": 3, "dead_letters": 1}
        assert body["platforms"] == {"slack": "connected", "discord": "connected"}
        assert body["last_scheduler_pass"] == passed.isoformat()
        assert body["database"] == "ok"
    finally:
        app.close()


async def test_not_ready_while_a_platform_is_disconnected(sqlite_engine):
    app = build_app(make_settings(), {}, engine=sqlite_engine)
    health = Health(app, [Platform("slack", True), Platform("discord", False)])
    server = HealthServer(health)
    await server.start("127.0.0.1", 0)
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{server.port}/healthz") as answer,
        ):
            body = await answer.json()
        assert answer.status == 503
        assert body["status"] == "not ready"
        assert body["platforms"]["discord"] == "not connected"
    finally:
        await server.stop()
        app.close()


async def test_not_ready_when_the_database_does_not_answer_in_time(postgres_engine):
    app = build_app(make_settings(), {}, engine=postgres_engine)
    health = Health(app, [Platform("slack", True)], timeout=0.5)
    try:
        with postgres_engine.connect() as locker:
            locker.execute(text("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            ready, body = await health.report()
            waited = time.monotonic() - started
            again, _ = await health.report()  # shares the look still under way
            locker.rollback()
        assert not ready and not again
        assert body["status"] == "not ready"
        assert body["database"] == "no answer within 0.5 s"
        assert waited < 5  # answered, not stuck behind the lock
        ready, body = await health.report()  # the lock is gone: ready again
        assert ready, body
    finally:
        app.close()


def _config(tmp_path, database: str) -> str:
    config = tmp_path / "config.toml"
    config.write_text(
        f'database_url = "{database}"\n'
        '[[communities]]\nname = "wound-care"\nplatform = "console"\nchannel = "cop"\n'
        'timezone = "Europe/London"\n',
        encoding="utf-8",
    )
    return str(config)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_copbot_status_prints_the_figures_and_asks_the_running_process(tmp_path, capsys):
    database = f"sqlite:///{tmp_path / 'copbot.db'}"
    config = _config(tmp_path, database)
    app = build_app(cli.load_settings(config), {})
    _add_outbox(app.engine, ["pending", "dead", "dead"])
    nobody = _free_port()
    assert await asyncio.to_thread(cli.main, ["--config", config, "status"]) == 0
    out = capsys.readouterr().out
    assert "database: answers" in out
    assert "outbox: 1 waiting to be sent, 2 dead letters" in out
    assert (
        await asyncio.to_thread(
            cli.main, ["--config", config, "status", "--health-port", str(nobody)]
        )
        == 1
    )
    assert f"no copbot answers on port {nobody}" in capsys.readouterr().out

    server = HealthServer(Health(app, [Platform("discord", False)]))
    await server.start("127.0.0.1", 0)
    try:
        code = await asyncio.to_thread(
            cli.main, ["--config", config, "status", "--health-port", str(server.port)]
        )
    finally:
        await server.stop()
        app.close()
    out = capsys.readouterr().out
    assert code == 1
    assert f"copbot on port {server.port}: not ready" in out
    assert "discord not connected" in out


async def test_status_says_plainly_when_the_database_cannot_be_reached(tmp_path, capsys):
    missing = tmp_path / "no-such-folder" / "copbot.db"
    config = _config(tmp_path, f"sqlite:///{missing}")
    assert await asyncio.to_thread(cli.main, ["--config", config, "status"]) == 1
    out = capsys.readouterr().out
    assert "database: does not answer" in out
    assert "Traceback" not in out


async def test_copbot_run_serves_healthz_on_its_health_port(tmp_path):
    database = f"sqlite:///{tmp_path / 'copbot.db'}"
    async with copbot_run(database, tmp_path, extra_args=["--health-port", "0"]) as copbot:
        found = [m for line in copbot.log if (m := HEALTH_LINE.search(line))]
        assert found, copbot.log
        port = int(found[0][1])
        async with copbot.session.get(f"http://127.0.0.1:{port}/healthz") as answer:
            body = await answer.json()
        assert answer.status == 200, body
        assert body["status"] == "ready"
        assert body["platforms"] == {"slack": "connected", "discord": "connected"}
        assert body["outbox"] == {"backlog": 0, "dead_letters": 0}
        assert body["last_scheduler_pass"] is not None
        # Slack's HTTP port keeps its own /healthz, with the same report.
        async with copbot.session.get(copbot.health_url) as answer:
            same = await answer.json()
        assert answer.status == 200 and same["status"] == "ready"
        assert same["platforms"] == body["platforms"]


async def test_the_console_workspace_answers_healthz_while_it_waits_for_typing(tmp_path):
    """The console waits for the next line without stopping the event loop: /healthz answers
    while nobody types."""
    from tests.copbot_process import COPBOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'copbot.db'}")
    process = await asyncio.create_subprocess_exec(
        COPBOT,
        "run",
        "--config",
        config,
        "--health-port",
        "0",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**env, "COPBOT_SECRET_KEY": "a long random test key, not used anywhere else"},
    )
    assert process.stdin is not None and process.stdout is not None
    lines: list[str] = []
    port: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def read_stderr() -> None:
        """Keep reading, so the child never blocks on a full pipe."""
        assert process.stderr is not None
        while line := await process.stderr.readline():
            lines.append(line.decode())
            found = HEALTH_LINE.search(lines[-1])
            if found and not port.done():
                port.set_result(found[1])

    async def read_stdout() -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            lines.append(line.decode())
            if "copbot helps" in lines[-1] and not answered.done():
                answered.set_result(None)

    readers = [asyncio.create_task(read_stderr()), asyncio.create_task(read_stdout())]
    try:
        try:
            health_port = await asyncio.wait_for(asyncio.shield(port), 90)
            # One command typed and answered: the console is now idle, waiting for the next line.
            process.stdin.write(b"/cop help\n")
            await process.stdin.drain()
            await asyncio.wait_for(asyncio.shield(answered), 60)
            await asyncio.sleep(0.3)
        except TimeoutError:
            message = "the console never got ready:\n" + "".join(lines)
            raise AssertionError(message) from None
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as client,
                client.get(f"http://127.0.0.1:{health_port}/healthz") as answer,
            ):
                body = await answer.json()
        except TimeoutError:
            raise AssertionError("/healthz did not answer while the console waited") from None
        assert answer.status == 200 and body["status"] == "ready"
        assert body["platforms"] == {}
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 60)
        finally:
            if process.returncode is None:
                process.kill()
            for reader in readers:
                reader.cancel()
    assert process.returncode == 0
