"""The Discord adapter: copbot in a Discord server, on discord.py, no privileged intents.

`make_adapter(settings, args)` is what `copbot run` calls (adapters.registry). Settings:
DISCORD_BOT_TOKEN (required); DISCORD_API_URL (another API base, e.g. a test fake);
DISCORD_GUILD_ID or `copbot run --guild-id` registers /cop on that one server at once
(development), otherwise everywhere (production).
"""

from __future__ import annotations

import argparse
import os

from adapters.registry import AdapterUnavailable
from bot.config import Settings, reveal

from .adapter import DiscordAdapter
from .invite import invite_url


def make_adapter(settings: Settings, args: argparse.Namespace) -> DiscordAdapter:
    """The Discord adapter for `copbot run`."""
    if not settings.discord_bot_token:
        raise AdapterUnavailable("DISCORD_BOT_TOKEN is not set")
    raw = str(getattr(args, "guild_id", None) or os.environ.get("DISCORD_GUILD_ID") or "").strip()
    if raw and not raw.isdigit():
        raise AdapterUnavailable(f"the Discord server id '{raw}' should be digits only")
    workers = 1 if settings.database_url.startswith("sqlite") else 4
    return DiscordAdapter(
        reveal(settings.discord_bot_token) or "",
        guild_id=int(raw) if raw else None,
        workers=workers,
        api_url=settings.discord_api_url,
    )


__all__ = ["DiscordAdapter", "invite_url", "make_adapter"]
