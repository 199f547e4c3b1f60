"""The console as a chat platform: posts and DMs are printed, buttons get numbers, files are
saved to a folder.

Buttons are numbered per message, from 1: typing `2` presses the second button of the
latest message with buttons that the person acting could see (a channel post, a private
message to them, or an answer only they saw), so a script can press them.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.messages import Attachment, Button, OutMessage

#: Where the console saves files when nobody says otherwise.
FILES_DIR = Path("copbot-files")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class ButtonBoard:
    """The latest buttons each person could press, by the number shown beside them."""

    channel: tuple[int, tuple[Button, ...]] = (0, ())
    private: dict[str, tuple[int, tuple[Button, ...]]] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def show(self, buttons: tuple[Button, ...], viewer: str | None) -> None:
        """`buttons` were just shown: in the channel (`viewer` None) or to one person."""
        if not buttons:
            return
        entry = (next(self.counter), buttons)
        if viewer is None:
            self.channel = entry
        else:
            self.private[viewer] = entry

    def pressable(self, viewer: str) -> tuple[Button, ...]:
        """The buttons `viewer` would press by number: the latest message they saw."""
        return self.latest(viewer)[1]

    def latest(self, viewer: str) -> tuple[int, tuple[Button, ...]]:
        """(its number, its buttons): the latest message with buttons `viewer` saw."""
        return max(self.channel, self.private.get(viewer, (0, ())), key=lambda e: e[0])

    def button(self, viewer: str, number: int) -> Button | None:
        buttons = self.pressable(viewer)
        return buttons[number - 1] if 1 <= number <= len(buttons) else None


def render(message: OutMessage, board: ButtonBoard, viewer: str | None = None) -> list[str]:
    """The message as indented plain-text lines, its buttons numbered from 1."""
    lines = [f"  {line}" for line in message.as_text().splitlines()]
    if message.buttons:
        board.show(message.buttons, viewer)
        labels = [f"[{n}] {b.label}" for n, b in enumerate(message.buttons, 1)]
        lines.append("  " + "   ".join(labels))
    return lines


def safe_filename(name: str) -> str:
    """A file name that stays inside the folder: no path, only plain characters."""
    base = _UNSAFE.sub("-", Path(name.replace("\\", "/")).name).strip(".-")
    return base[:120] or "copbot-file"


def save_file(folder: Path, attachment: Attachment) -> Path:
    """Write the attachment into `folder` (never over an existing file); its path."""
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(safe_filename(attachment.filename))
    path = folder / name
    for number in itertools.count(2):
        try:
            with path.open("xb") as handle:
                handle.write(attachment.body)
            return path
        except FileExistsError:
            path = folder / f"{name.stem}-{number}{name.suffix}"
    raise AssertionError("unreachable")


class ConsolePlatform:
    """Delivers messages by printing them; a file goes into `files_dir`."""

    name = "console"

    def __init__(
        self,
        write: Callable[[str], None],
        clock: Clock,
        timezone: str,
        board: ButtonBoard,
        files_dir: Path = FILES_DIR,
    ) -> None:
        self._write = write
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._board = board
        self._ids = itertools.count(1)
        self.files_dir = files_dir
        self.names: dict[str, str] = {}

    def stamp(self, when: datetime | None = None) -> str:
        moment = (when or self._clock.now()).astimezone(self._zone)
        return moment.strftime("%a %-d %b %H:%M")

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        self._write(f"[{self.stamp()}] #{channel_id} · copbot")
        await self._show(message, None)
        return f"c{next(self._ids)}"

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        self._write(f"[{self.stamp()}] private message to {self.names.get(user_id, user_id)}")
        await self._show(message, user_id)
        return f"d{next(self._ids)}"

    async def _show(self, message: OutMessage, viewer: str | None) -> None:
        for line in render(message, self._board, viewer):
            self._write(line)
        if message.attachment is not None:
            path = await asyncio.to_thread(save_file, self.files_dir, message.attachment)
            self._write(f"  (file saved: {path})")
