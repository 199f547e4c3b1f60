"""The email platform the outbox delivers through: private messages to members ("member:<id>")
and the newsletter to a community's mailing list ("mailing-list:<community id>").

The address is looked up when the message is sent (an unsubscribed or erased member's queued
emails are cancelled, not sent), the email composed and sent over SMTP, all in worker
threads. The platform declares its rate limit (`per_second`), which the dispatcher paces.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from adapters.email.compose import compose, compose_for_list
from adapters.email.smtp import SmtpSender
from bot import contact
from bot.bootstrap import App
from bot.clock import Clock
from bot.config_email import EmailSettings
from bot.features.email_digest import LIST_CHANNEL
from bot.links import Links
from bot.messages import OutMessage
from bot.ports import Cancelled, DeliveryError
from bot.storage.tables import Community

log = logging.getLogger(__name__)

T = TypeVar("T")
INVITATION = "email-invite:"


@dataclass(frozen=True)
class _Core:
    engine: Engine
    links: Links
    secret: bytes
    clock: Clock
    app: App


class EmailPlatform:
    """Delivers outbox rows as email."""

    name = contact.EMAIL

    def __init__(
        self,
        settings: EmailSettings,
        *,
        threads: int = 4,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        #: (per second, burst): the dispatcher paces sends to this.
        self.rate_limit = (settings.per_second, 2)
        self._sender = SmtpSender(settings, tls=tls)
        self._threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._core: _Core | None = None
        self._ready = asyncio.Event()

    def bind(self, app: App) -> None:
        """Start sending for `app` (its database, links and secret key)."""
        if app.links is None:
            raise ValueError("email needs the [web] section: every email links to the page")
        self._core = _Core(app.engine, app.links, app.secret, app.clock, app)
        self._ready.set()

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        return await self._run(self._to_member, user_id, message, key)

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        return await self._run(self._to_list, channel_id, message, key)

    def close(self) -> None:
        """Close the connections and the worker threads."""
        self._sender.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        await self._ready.wait()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="copbot-mail")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, work, *args)

    # ---- in a worker thread ------------------------------------------------------------

    def _to_member(self, user_id: str, message: OutMessage, key: str) -> str:
        core = self._bound()
        with Session(core.engine) as session:
            found = contact.recipient(session, user_id)
        if found is None:
            raise Cancelled("no address to send to any more (unsubscribed or erased)")
        if not found.confirmed and not key.startswith(INVITATION):
            raise Cancelled("the address is not confirmed yet")
        email = compose(
            message,
            key,
            found,
            settings=self.settings,
            links=core.links,
            secret=core.secret,
            now=core.clock.now(),
        )
        return self._send(email, found.address)

    def _to_list(self, channel_id: str, message: OutMessage, key: str) -> str:
        core = self._bound()
        prefix, _, number = channel_id.partition(":")
        if prefix != LIST_CHANNEL or not number.isdigit():
            raise DeliveryError(f"email has no channel {channel_id[:40]!r}", transient=False)
        with Session(core.engine) as session:
            community = session.get(Community, int(number))
            settings = core.app.bus.settings_of(community) if community is not None else None
        if community is None or settings is None or not settings.mailing_list:
            raise Cancelled("the community has no mailing list any more")
        email = compose_for_list(
            message,
            key,
            community.name,
            settings.mailing_list,
            settings=self.settings,
            secret=core.secret,
            now=core.clock.now(),
        )
        return self._send(email, settings.mailing_list)

    def _send(self, email: EmailMessage, address: str) -> str:
        self._sender.send(email, [address])
        return str(email["Message-ID"])[:100]

    def _bound(self) -> _Core:
        if self._core is None:
            raise DeliveryError("email is not started yet")
        return self._core


class EmailAdapter:
    """Email as one of `copbot run`'s adapters: it only sends (replies come by the web page)."""

    name = contact.EMAIL

    def __init__(self, settings: EmailSettings, *, tls: ssl.SSLContext | None = None) -> None:
        self.platform = EmailPlatform(settings, tls=tls)

    async def start(self, app: App) -> None:
        self.platform.bind(app)

    async def stop(self) -> None:
        await asyncio.to_thread(self.platform.close)
