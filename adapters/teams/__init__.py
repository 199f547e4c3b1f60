"""Microsoft Teams: the Microsoft 365 Agents SDK (aiohttp); Adaptive Cards out.

Settings: TEAMS_APP_ID and TEAMS_APP_PASSWORD (the Azure Bot registration's app id and
client secret), TEAMS_TENANT_ID (the bot's Microsoft Entra tenant); `copbot run
--http-port` (default 3978) for POST /api/messages.
"""

from __future__ import annotations

import argparse

from adapters.registry import AdapterUnavailable
from bot.config import Settings

from .adapter import DEFAULT_PORT, TeamsAdapter
from .platform import TeamsPlatform


def make_adapter(settings: Settings, args: argparse.Namespace) -> TeamsAdapter:
    """The Teams adapter for `copbot run`."""
    if not settings.teams_app_id or not settings.teams_app_password:
        raise AdapterUnavailable(
            "Teams needs TEAMS_APP_ID and TEAMS_APP_PASSWORD in the environment"
        )
    port = getattr(args, "http_port", None)
    threads = 1 if settings.database_url.startswith("sqlite") else 4
    return TeamsAdapter(
        settings, http_port=DEFAULT_PORT if port is None else port, core_threads=threads
    )


__all__ = ["TeamsAdapter", "TeamsPlatform", "make_adapter"]
