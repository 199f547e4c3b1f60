"""Discord as the dispatcher's ChatPlatform: posts and DMs, with Discord's errors translated.

discord.py already waits out short rate limits (HTTP 429) itself; a wait longer than
`max_ratelimit_timeout` comes back as RateLimited, so the outbox waits instead. A member
who closed their DMs (error 50007) makes the DM Unreachable: the core holds it and shows it
to them the next time they use copbot.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.messages import Attachment, OutMessage
from bot.ports import DeliveryError, RateLimited, Unreachable

from .render import render

if TYPE_CHECKING:
    from .adapter import DiscordAdapter

log = logging.getLogger(__name__)

CANNOT_DM = 50007
LOGIN_WAIT = 30.0


def nonce(key: str, part: int) -> str:
    """A 24-character nonce from the outbox key: Discord drops a resend with the same one."""
    return hashlib.blake2b(f"{key}#{part}".encode(), digest_size=12).hexdigest()


def retry_after(error: discord.HTTPException) -> float:
    """Seconds a 429 asks us to wait: its Retry-After header (Cloudflare's 429 has no JSON),
    else its JSON retry_after, else a minute."""
    headers = getattr(error.response, "headers", None) or {}
    for value in (headers.get("Retry-After"), headers.get("X-RateLimit-Reset-After")):
        try:
            if value is not None and float(value) >= 0:
                return max(float(value), 0.5)
        except ValueError:
            continue
    return 60.0


def rate_limit_scope(error: discord.HTTPException, bucket: str | None) -> str | None:
    """None when the 429 limits all of Discord (global, or Cloudflare's own HTML answer);
    else the route bucket it names (or `bucket`, the route this send used)."""
    headers = getattr(error.response, "headers", None) or {}
    content_type = str(headers.get("Content-Type", ""))
    is_global = headers.get("X-RateLimit-Global") == "true"
    if is_global or headers.get("X-RateLimit-Scope") == "global" or "json" not in content_type:
        return None
    named = headers.get("X-RateLimit-Bucket")
    return f"discord:{named}" if named else bucket


def translate(error: Exception, what: str, bucket: str | None = None) -> DeliveryError:
    """A discord.py or network error as the core's DeliveryError. `bucket` is the route the
    send used (e.g. one channel's messages), held alone when Discord limits only it."""
    if isinstance(error, discord.RateLimited):
        return RateLimited(error.retry_after, scope=bucket)
    if isinstance(error, discord.HTTPException) and error.status == 429:
        return RateLimited(retry_after(error), scope=rate_limit_scope(error, bucket))
    if isinstance(error, discord.Forbidden) and error.code == CANNOT_DM:
        return Unreachable(f"{what}: this member does not accept private messages")
    if isinstance(error, discord.DiscordServerError):
        return DeliveryError(f"{what}: Discord is having trouble ({error.status})")
    if isinstance(error, discord.HTTPException):
        detail = f"{error.status} {error.code}: {error.text}"[:150]
        return DeliveryError(f"{what}: Discord refused ({detail})", transient=False)
    if isinstance(error, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return DeliveryError(f"{what}: could not reach Discord ({type(error).__name__})")
    return DeliveryError(f"{what}: {type(error).__name__}: {error}"[:200])


def as_file(attachment: Attachment) -> discord.File:
    """The message's attachment as a file Discord uploads with the message."""
    return discord.File(io.BytesIO(attachment.body), filename=attachment.filename)


class DiscordPlatform:
    """Delivers outbox messages through the adapter's discord.py client."""

    name = "discord"

    def __init__(self, adapter: DiscordAdapter) -> None:
        self._adapter = adapter

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        client = await self._client()
        if not channel_id.isdigit():
            raise DeliveryError(f"'{channel_id}' is not a Discord channel id", transient=False)
        channel = client.get_partial_messageable(int(channel_id))
        return await self._send(channel, message, key, f"discord:channel:{channel_id}")

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        client = await self._client()
        if not user_id.isdigit():
            raise DeliveryError(f"'{user_id}' is not a Discord user id", transient=False)
        try:
            channel = await client.create_dm(discord.Object(int(user_id)))
        except Exception as error:
            raise translate(error, "opening a private conversation") from error
        return await self._send(channel, message, key, f"discord:channel:{channel.id}")

    async def _client(self) -> discord.Client:
        try:
            await asyncio.wait_for(self._adapter.logged_in.wait(), LOGIN_WAIT)
        except TimeoutError:
            raise DeliveryError("not connected to Discord yet") from None
        assert self._adapter.client is not None
        return self._adapter.client

    async def _send(
        self, channel: discord.abc.Messageable, message: OutMessage, key: str, bucket: str
    ) -> str:
        ids: list[str] = []
        parts = render([message])
        for index, part in enumerate(parts):
            options: dict[str, Any] = {
                "embeds": part.embeds,
                "nonce": nonce(key, index),
                "allowed_mentions": discord.AllowedMentions.none(),
            }
            view = part.view()
            if view is not None:
                options["view"] = view
            if message.attachment is not None and index == len(parts) - 1:
                options["file"] = as_file(message.attachment)
            try:
                sent = await channel.send(**options)
            except Exception as error:
                raise translate(error, "sending", bucket) from error
            ids.append(str(sent.id))
        return ids[0]
