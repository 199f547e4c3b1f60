"""The console as a chat platform: posts and DMs are printed, buttons get numbers."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.messages import Button, OutMessage


@dataclass
class ButtonBoard:
    """Every button shown so far, by the number a person types to press it."""

    buttons: dict[int, Button] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def number(self, button: Button) -> int:
        number = next(self.counter)
        self.buttons[number] = button
        return number


def render(message: OutMessage, board: ButtonBoard) -> list[str]:
    """The message as indented plain-text lines, buttons numbered."""
    lines = [f"  {line}" for line in message.as_text().splitlines()]
    if message.buttons:
        labels = [f"[{board.number(b)}] {b.label}" for b in message.buttons]
        lines.append("  " + "   ".join(labels))
    return lines


class ConsolePlatform:
    """Delivers messages by printing them."""

    name = "console"

    def __init__(
        self, write: Callable[[str], None], clock: Clock, timezone: str, board: ButtonBoard
    ) -> None:
        self._write = write
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._board = board
        self._ids = itertools.count(1)
        self.names: dict[str, str] = {}

    def stamp(self, when: datetime | None = None) -> str:
        moment = (when or self._clock.now()).astimezone(self._zone)
        return moment.strftime("%a %-d %b %H:%M")

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        self._write(f"[{self.stamp()}] #{channel_id} · copbot")
        for line in render(message, self._board):
            self._write(line)
        return f"c{next(self._ids)}"

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        self._write(f"[{self.stamp()}] private message to {self.names.get(user_id, user_id)}")
        for line in render(message, self._board):
            self._write(line)
        return f"d{next(self._ids)}"
