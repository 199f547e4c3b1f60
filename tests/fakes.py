"""Fakes with real behaviour: a platform that records what it was asked to deliver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.messages import OutMessage
from bot.ports import DeliveryError, RateLimited


@dataclass
class Delivered:
    kind: str  # "post" or "dm"
    target: str
    message: OutMessage
    key: str

    @property
    def text(self) -> str:
        return self.message.as_text()


@dataclass
class FakePlatform:
    """Records every post and DM. `failures` makes the next sends fail on purpose."""

    name: str = "console"
    sent: list[Delivered] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    fail_when: Callable[[str, str], Exception | None] | None = None

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        return self._deliver("post", channel_id, message, key)

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        return self._deliver("dm", user_id, message, key)

    def _deliver(self, kind: str, target: str, message: OutMessage, key: str) -> str:
        if self.failures:
            raise self.failures.pop(0)
        if self.fail_when is not None:
            error = self.fail_when(kind, target)
            if error is not None:
                raise error
        self.sent.append(Delivered(kind, target, message, key))
        return f"m{len(self.sent)}"

    def posts(self) -> list[Delivered]:
        return [d for d in self.sent if d.kind == "post"]

    def dms(self, user_id: str | None = None) -> list[Delivered]:
        return [d for d in self.sent if d.kind == "dm" and user_id in (None, d.target)]

    def titled(self, start: str) -> list[Delivered]:
        return [d for d in self.sent if (d.message.title or "").startswith(start)]


__all__ = ["Delivered", "DeliveryError", "FakePlatform", "RateLimited"]
