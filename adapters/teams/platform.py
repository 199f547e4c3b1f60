"""Teams as the dispatcher's ChatPlatform: channel posts and 1:1 messages as Adaptive Cards.

A channel post goes into the channel as a new conversation; a private message goes into
the person's 1:1 chat with copbot, which is opened first if copbot has never written
there (Teams allows it once the app is installed for them or in a team they are in).
When Teams will not let copbot open it, the message is held (Unreachable): conveners see
it in /cop undelivered, and the person gets it the next time they use copbot.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import TYPE_CHECKING

from bot.messages import OutMessage
from bot.ports import DeliveryError, Unreachable

from . import addresses as a
from .cards import render_message, summary
from .connector import CANNOT_OPEN, Connector, _Partial, card_activity
from .files import consent_activity

if TYPE_CHECKING:
    from .adapter import TeamsAdapter

PAGE_MEMORY = 1_000
NEVER_MET = (
    "copbot has never been in touch with anyone in this Teams organisation yet: add the "
    "copbot app to the community's team first"
)
NO_CHANNEL = (
    "copbot cannot post in this Teams channel: add the copbot app to the team, then "
    "@mention copbot once in the channel"
)


class TeamsPlatform:
    """Delivers outbox messages to Teams."""

    name = "teams"

    def __init__(self, adapter: TeamsAdapter) -> None:
        self._adapter = adapter
        #: Outbox key -> ids of the cards already sent (a retry sends only the rest).
        self._sent: OrderedDict[str, list[str]] = OrderedDict()

    @property
    def connector(self) -> Connector:
        return self._adapter.connector

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        engine = self._adapter.app.engine
        address = await asyncio.to_thread(a.find, engine, a.CHANNEL, channel_id)
        if address is None:
            address = await asyncio.to_thread(a.any_route, engine)
            if address is None:
                raise DeliveryError(NO_CHANNEL, transient=False)
        try:
            return await self.send(address.service_url, channel_id, address.tenant_id, message, key)
        except DeliveryError as error:
            if "answered 403" in str(error) or "answered 404" in str(error):
                raise DeliveryError(f"{error}; {NO_CHANNEL}", transient=False) from None
            raise

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        service_url, conversation, tenant = await self.chat_with(user_id)
        return await self.send(service_url, conversation, tenant, message, key, private=True)

    async def chat_with(self, user_id: str) -> tuple[str, str, str | None]:
        """The person's 1:1 chat with copbot (service URL, conversation id, tenant),
        opened now if there is none yet."""
        app = self._adapter.app
        address = await asyncio.to_thread(a.find, app.engine, a.USER, user_id)
        if address is not None and address.conversation_id:
            return address.service_url, address.conversation_id, address.tenant_id
        route = address or await asyncio.to_thread(a.any_route, app.engine)
        if route is None:
            raise Unreachable(NEVER_MET)
        tenant = route.tenant_id or self._adapter.tenant_id
        if not tenant:
            raise Unreachable(CANNOT_OPEN)
        conversation = await self.connector.open_chat(route.service_url, user_id, tenant)
        await asyncio.to_thread(
            a.remember,
            app.engine,
            app.clock.now(),
            a.USER,
            user_id,
            service_url=route.service_url,
            conversation_id=conversation,
            tenant_id=tenant,
        )
        return route.service_url, conversation, tenant

    async def send(
        self,
        service_url: str,
        conversation_id: str,
        tenant_id: str | None,
        message: OutMessage,
        key: str,
        *,
        private: bool = False,
    ) -> str:
        """The message's cards, in order (and, in a 1:1 chat, the consent card for its
        file); cards a failed try already sent are not sent again. Returns the first id."""
        seal = self._adapter.seal
        activities = [card_activity(c, summary(message)) for c in render_message(message, seal)]
        if private and message.attachment is not None:
            activities.append(consent_activity(key, message.attachment, seal.seal({"file": key})))
        sent = self._sent.get(key, [])
        rest = activities[len(sent) :]
        try:
            ids = await self.connector.send(service_url, conversation_id, tenant_id, rest)
        except _Partial as partial:
            self._remember(key, sent + partial.sent)
            raise partial.error from None
        self._sent.pop(key, None)
        return (sent + ids)[0] if sent + ids else ""

    def _remember(self, key: str, sent: list[str]) -> None:
        self._sent[key] = sent
        if len(self._sent) > PAGE_MEMORY:
            self._sent.popitem(last=False)
