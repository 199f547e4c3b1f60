"""Sending to Teams through the SDK: continue a stored conversation, or open a 1:1 chat.

Both go through the CloudAdapter (its connector client, with copbot's token), and every
failure comes back as the core's DeliveryError: 429 as RateLimited for that conversation
only (Retry-After honoured), a person copbot may not open a chat with as Unreachable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from microsoft_agents.activity import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
)
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext

from bot.ports import DeliveryError, RateLimited, Unreachable

from .auth import TokenRefused

log = logging.getLogger(__name__)

CHANNEL = "msteams"
AUDIENCE = "https://api.botframework.com"
#: Answers from Teams that retrying cannot fix.
PERMANENT = {400, 401, 403, 404, 413}
CANNOT_OPEN = (
    "copbot cannot open a private chat with this person in Teams: ask them to add the "
    "copbot app for themselves (Apps → copbot → Add), or to use /cop once"
)


def retry_after(headers: Any) -> float:
    """Seconds a 429 asks us to wait (Retry-After), at least half a second."""
    try:
        return max(float((headers or {}).get("Retry-After", 1)), 0.5)
    except (TypeError, ValueError):
        return 1.0


def delivery_error(error: Exception, conversation_id: str, what: str) -> DeliveryError:
    """An SDK or network error as the core's DeliveryError."""
    scope = f"teams:{conversation_id}"
    if isinstance(error, aiohttp.ClientResponseError):
        if error.status == 429:
            return RateLimited(retry_after(error.headers), scope=scope)
        detail = f"{what}: Teams answered {error.status}"
        return DeliveryError(detail, transient=error.status not in PERMANENT)
    if isinstance(error, TokenRefused):
        return DeliveryError(f"{what}: {error} (check TEAMS_APP_ID and TEAMS_APP_PASSWORD)")
    if isinstance(error, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return DeliveryError(f"{what}: could not reach Teams ({type(error).__name__})")
    return DeliveryError(f"{what}: {type(error).__name__}: {error}"[:200])


def card_activity(card: dict[str, Any], summary: str) -> Activity:
    return Activity(
        type="message",
        summary=summary,
        attachments=[Attachment(content_type=card["contentType"], content=card["content"])],
    )


class Connector:
    """The SDK's CloudAdapter, used for copbot's outgoing messages."""

    def __init__(self, cloud: CloudAdapter, app_id: str) -> None:
        self.cloud = cloud
        self.app_id = app_id
        self.bot = ChannelAccount(id=f"28:{app_id}", name="copbot")

    def _continuation(
        self, service_url: str, conversation_id: str, tenant_id: str | None
    ) -> Activity:
        return Activity(
            type="event",
            name="ContinueConversation",
            channel_id=CHANNEL,
            service_url=service_url,
            conversation=ConversationAccount(id=conversation_id, tenant_id=tenant_id),
            recipient=self.bot,
            from_property=self.bot,
        )

    async def send(
        self,
        service_url: str,
        conversation_id: str,
        tenant_id: str | None,
        activities: Sequence[Activity],
    ) -> list[str]:
        """Send `activities` in order into the conversation; their ids."""
        ids: list[str] = []

        async def callback(context: TurnContext) -> None:
            for activity in activities:
                sent = await context.send_activity(activity)
                ids.append(str(getattr(sent, "id", "") or ""))

        continuation = self._continuation(service_url, conversation_id, tenant_id)
        try:
            await self.cloud.continue_conversation(self.app_id, continuation, callback)
        except Exception as error:
            raise _Partial(ids, delivery_error(error, conversation_id, "sending")) from error
        return ids

    async def open_chat(self, service_url: str, user_id: str, tenant_id: str | None) -> str:
        """Create (or find: Teams returns the existing one) the 1:1 chat with `user_id`."""
        found: list[str] = []

        async def callback(context: TurnContext) -> None:
            found.append(str(context.activity.conversation.id))

        parameters = ConversationParameters(
            is_group=False,
            bot=self.bot,
            members=[ChannelAccount(id=user_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}} if tenant_id else None,
        )
        try:
            await self.cloud.create_conversation(
                self.app_id, CHANNEL, service_url, AUDIENCE, parameters, callback
            )
        except aiohttp.ClientResponseError as error:
            if error.status in (403, 404):
                raise Unreachable(CANNOT_OPEN) from None
            raise delivery_error(error, f"@{user_id}", "opening a private chat") from error
        except Exception as error:
            raise delivery_error(error, f"@{user_id}", "opening a private chat") from error
        return found[0]


class _Partial(Exception):
    """Some activities went before one failed: their ids, and the failure."""

    def __init__(self, sent: list[str], error: DeliveryError) -> None:
        super().__init__(str(error))
        self.sent = sent
        self.error = error
