"""Start the console workspace on a simulated clock."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from bot.bootstrap import build_app
from bot.clock import ManualClock
from bot.config import Settings

from .platform import ButtonBoard, ConsolePlatform
from .workspace import ConsoleWorkspace, stdin_lines


async def run_console(settings: Settings) -> int:
    """Run the console workspace on standard input until it ends or /quit."""
    clock = ManualClock(datetime.now(UTC).replace(second=0, microsecond=0))
    board = ButtonBoard()
    console = [c for c in settings.communities if c.platform == "console"]
    platform = ConsolePlatform(print, clock, console[0].timezone, board)
    app = build_app(settings, {"console": platform}, clock=clock)
    try:
        workspace = ConsoleWorkspace(app, platform, board)
        workspace.greet()
        await workspace.start()
        await workspace.run(stdin_lines(), echo=not sys.stdin.isatty())
    finally:
        app.close()
    return 0
