"""Slack as a `ChatPlatform`: the outbox dispatcher delivers posts and DMs through it.

- Never sleeps: Slack's 429 becomes `RateLimited(Retry-After)`, and a small per-channel
  limiter (about one message a second, as Slack asks) raises `RateLimited` with the time
  left, so the dispatcher reschedules instead of blocking.
- Errors become `DeliveryError`: permanent for what a retry cannot fix (no such channel,
  not in the channel…), transient otherwise.
- Idempotency: every chat.postMessage carries message `metadata` (event_type
  `copbot_message`, payload `{"key": <outbox key>, "part": n}`), so a message resent after
  a crash can be recognised in the channel's history (`already_sent`, with the
  `*:history` scopes). A message split into several pages remembers, within the process,
  which pages went out, so a retry resumes where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Attachment, OutMessage
from bot.ports import DeliveryError, RateLimited

from .render import Page, render_message

log = logging.getLogger(__name__)

METADATA_EVENT = "copbot_message"
#: Errors a retry cannot fix: the message goes straight to the undelivered list.
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "too_many_attachments",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "cannot_dm_bot",
        "user_not_found",
        "user_not_visible",
        "user_disabled",
        "users_not_found",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "ekm_access_denied",
        "team_access_not_granted",
        "channel_type_not_supported",
        "not_allowed_token_type",
    }
)
MIN_INTERVAL = 1.0  # seconds between two messages to one channel
DM_CACHE = 5_000
PAGE_MEMORY = 1_000
#: How many of a conversation's latest messages are searched for one cut short by a restart.
HISTORY_LOOK = 100


class SlackPlatform:
    """Delivers copbot's messages to Slack channels and people."""

    name = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        now: Callable[[], float] = time.monotonic,
        min_interval: float = MIN_INTERVAL,
    ) -> None:
        self.client = client
        self._now = now
        self._min_interval = min_interval
        self._last_post: dict[str, float] = {}
        self._dm_channels: OrderedDict[str, str] = OrderedDict()
        self._pages_sent: OrderedDict[str, list[str]] = OrderedDict()

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        """Post `message` in a channel; returns the ts of its first page."""
        return await self._deliver(channel_id, message, key)

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        """Send `message` privately to a person (conversations.open, then post)."""
        channel = await self.dm_channel(user_id)
        return await self._deliver(channel, message, key)

    async def already_sent(
        self, channel_id: str | None, user_id: str | None, message: OutMessage, key: str
    ) -> str | None:
        """After a send was cut short: look in the conversation's recent history for this
        message's pages (by their metadata). All there: the first page's ts. Some there: they
        are remembered, so the next send resumes after them. Slack cannot tell (no history
        scope, an error): None, and the message is sent again."""
        try:
            channel = channel_id or await self.dm_channel(str(user_id))
            response = await self._call(
                "conversations_history",
                channel=channel,
                limit=HISTORY_LOOK,
                include_all_metadata=True,
            )
        except DeliveryError as error:
            log.info("could not check whether %s arrived: %s", key, error)
            return None
        found: dict[int, str] = {}
        for item in response.get("messages") or []:
            metadata = item.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_EVENT and payload.get("key") == key:
                part = payload.get("part", 1)
                if isinstance(part, int):
                    found[part] = str(item.get("ts") or "")
        arrived: list[str] = []
        while len(arrived) + 1 in found:
            arrived.append(found[len(arrived) + 1])
        if not arrived:
            return None
        pages = len(render_message(message))
        if len(arrived) >= pages and message.attachment is None:
            return arrived[0]
        self._remember(key, arrived[:pages])  # the rest (and any file) goes on the next send
        return None

    async def dm_channel(self, user_id: str) -> str:
        """The direct-message channel with a person (cached)."""
        cached = self._dm_channels.get(user_id)
        if cached is not None:
            self._dm_channels.move_to_end(user_id)
            return cached
        response = await self._call("conversations_open", users=user_id)
        channel = str(response["channel"]["id"])
        self._dm_channels[user_id] = channel
        if len(self._dm_channels) > DM_CACHE:
            self._dm_channels.popitem(last=False)
        return channel

    async def _deliver(self, channel: str, message: OutMessage, key: str) -> str:
        pages = render_message(message)
        sent = self._pages_sent.get(key, [])
        for number, page in enumerate(pages):
            if number < len(sent):
                continue
            self._pace(channel)
            ts = await self._post_page(channel, page, key, number)
            sent.append(ts)
            self._remember(key, sent)
        if message.attachment is not None and len(sent) == len(pages):
            await self._upload(channel, message.attachment)
        self._pages_sent.pop(key, None)
        return sent[0]

    async def _upload(self, channel: str, attachment: Attachment) -> None:
        """The message's file, in the same conversation (files_upload_v2: files:write)."""
        await self._call(
            "files_upload_v2",
            channel=channel,
            filename=attachment.filename,
            content=attachment.body,
            title=attachment.filename,
        )

    def _pace(self, channel: str) -> None:
        """About one message a second per channel: raise with the wait, never sleep."""
        last = self._last_post.get(channel)
        if last is not None:
            wait = last + self._min_interval - self._now()
            if wait > 0:
                raise RateLimited(wait, scope=channel)

    async def _post_page(self, channel: str, page: Page, key: str, number: int) -> str:
        payload: dict[str, Any] = {"key": key}
        if number:
            payload["part"] = number + 1
        self._last_post[channel] = self._now()
        response = await self._call(
            "chat_postMessage",
            scope=channel,
            channel=channel,
            text=page.text,
            blocks=page.blocks,
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": payload},
        )
        return str(response.get("ts") or "")

    def _remember(self, key: str, sent: list[str]) -> None:
        self._pages_sent[key] = sent
        if len(self._pages_sent) > PAGE_MEMORY:
            self._pages_sent.popitem(last=False)

    async def _call(self, method: str, *, scope: str | None = None, **kwargs: Any) -> Any:
        """Call a Web API method; a 429 holds `scope` (a channel), or all of Slack if None."""
        try:
            return await getattr(self.client, method)(**kwargs)
        except SlackApiError as error:
            raise delivery_error(error, scope) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise DeliveryError(f"could not reach Slack ({type(error).__name__})") from None
        except SlackRequestError as error:  # e.g. a file upload the upload URL refused
            raise DeliveryError(f"Slack refused the request ({str(error)[:120]})") from None


def delivery_error(error: SlackApiError, scope: str | None = None) -> DeliveryError:
    """Slack's error -> RateLimited, or a transient/permanent DeliveryError."""
    response = error.response
    status = getattr(response, "status_code", None)
    code = str(response.get("error", "")) if response is not None else ""
    if status == 429 or code == "ratelimited":
        headers = getattr(response, "headers", None) or {}
        try:
            retry_after = float(headers.get("Retry-After", 1))
        except (TypeError, ValueError):
            retry_after = 1.0
        return RateLimited(max(retry_after, 0.5), scope=scope)
    reason = f"Slack said {code or f'HTTP {status}'}"
    if code == "not_in_channel":
        reason += " (invite copbot to the channel: /invite @copbot)"
    return DeliveryError(reason, transient=code not in PERMANENT)
