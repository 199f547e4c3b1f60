"""Start the console workspace on a simulated clock, which a restart keeps."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from adapters.health import Health, HealthServer
from bot.bootstrap import build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.storage.tables import AppSetting

from .mailbox import ConsoleMailbox
from .platform import FILES_DIR, ButtonBoard, ConsolePlatform
from .workspace import ConsoleWorkspace, stdin_lines

CLOCK_KEY = "console_clock"


def files_dir(database_url: str) -> Path:
    """Where the console saves files: `copbot-files/` beside a SQLite database file, else
    in the current folder."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent / FILES_DIR
    return FILES_DIR


def load_clock(engine: Engine) -> datetime | None:
    """The simulated time the console had reached when it last stopped, if any."""
    with Session(engine) as session:
        row = session.get(AppSetting, CLOCK_KEY)
    if row is None:
        return None
    try:
        moment = datetime.fromisoformat(row.value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def save_clock(engine: Engine, moment: datetime) -> None:
    """Remember the simulated time for the next start."""
    with Session(engine) as session:
        row = session.get(AppSetting, CLOCK_KEY)
        if row is None:
            row = AppSetting(key=CLOCK_KEY, value="")
        row.value = moment.astimezone(UTC).isoformat()
        session.add(row)
        session.commit()


async def run_console(settings: Settings, health_port: int | None = None) -> int:
    """Run the console workspace on standard input until it ends or /quit (answering
    `/healthz` on `health_port` meanwhile, if given)."""
    clock = ManualClock(datetime.now(UTC).replace(second=0, microsecond=0))
    board = ButtonBoard()
    console = [c for c in settings.communities if c.platform == "console"]
    folder = files_dir(settings.database_url)
    platform = ConsolePlatform(print, clock, console[0].timezone, board, files_dir=folder)
    mailbox = ConsoleMailbox(print, clock, platform.stamp)
    app = build_app(settings, {"console": platform, "email": mailbox}, clock=clock)
    mailbox.bind(app.engine)
    app.bus.email = True  # the mailbox stands in for email: invite people to try it

    async def remember(moment: datetime) -> None:
        await asyncio.to_thread(save_clock, app.engine, moment)

    health = HealthServer(Health(app, [])) if health_port is not None else None
    try:
        if health is not None:
            await health.start("127.0.0.1", health_port or 0)
        saved = await asyncio.to_thread(load_clock, app.engine)
        if saved is not None and saved > clock.now():
            clock.set(saved)
        workspace = ConsoleWorkspace(app, platform, board, remember_clock=remember, mailbox=mailbox)
        workspace.greet()
        await workspace.start()
        await workspace.run(stdin_lines(), echo=not sys.stdin.isatty())
        await remember(clock.now())
    finally:
        if health is not None:
            await health.stop()
        app.close()
    return 0
