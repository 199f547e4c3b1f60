"""Email in the console: members reached by email get a mailbox instead of real mail.

The console's "email" platform keeps each email (and the newsletter to a mailing list) and
prints one line saying it arrived; `/mail NAME` in the workspace prints that member's emails
with their links numbered, and typing a number opens the link: it does what the button does,
as that member (as the web page would).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot import contact
from bot.clock import Clock
from bot.messages import OutMessage
from bot.ports import Cancelled

#: Where the newsletter to a mailing list is kept.
LIST = "mailing list"


@dataclass(frozen=True)
class Mail:
    """One email as the member would read it."""

    to: str
    name: str
    message: OutMessage
    at: datetime


class ConsoleMailbox:
    """Delivers email by keeping it (the console's pretend email)."""

    name = contact.EMAIL

    def __init__(self, write: Callable[[str], None], clock: Clock, stamp: Callable[[], str]):
        self._write = write
        self._clock = clock
        self._stamp = stamp
        self._ids = itertools.count(1)
        self._engine: Engine | None = None
        #: member id (or LIST) -> their emails, oldest first.
        self.boxes: dict[int | str, list[Mail]] = defaultdict(list)

    def bind(self, engine: Engine) -> None:
        """Look addresses up in this database."""
        self._engine = engine

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        assert self._engine is not None, "bind the mailbox first"
        found = await asyncio.to_thread(_recipient, self._engine, user_id)
        if found is None:
            raise Cancelled("no address to send to any more (unsubscribed or erased)")
        if not found.confirmed and not key.startswith("email-invite:"):
            raise Cancelled("the address is not confirmed yet")
        self.boxes[found.member_id].append(
            Mail(found.address, found.name, message, self._clock.now())
        )
        self._write(
            f"[{self._stamp()}] email to {found.name}: {message.title or '(no subject)'}"
            f"  (/mail {found.name} to read it)"
        )
        return f"m{next(self._ids)}"

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        self.boxes[LIST].append(Mail(LIST, LIST, message, self._clock.now()))
        self._write(f"[{self._stamp()}] email to the {LIST}: {message.title or '(no subject)'}")
        return f"m{next(self._ids)}"


def _recipient(engine: Engine, user_id: str) -> contact.Recipient | None:
    with Session(engine) as session:
        return contact.recipient(session, user_id)
