"""Microsoft Teams: the Microsoft 365 Agents SDK (aiohttp); Adaptive Cards out.

Settings: TEAMS_APP_ID and TEAMS_APP_PASSWORD (the Azure Bot registration's app id and
client secret), TEAMS_TENANT_ID (the bot's Microsoft Entra tenant); `copbot run
--teams-port` (else `--http-port`, default 3978) for POST /api/messages.
"""

from __future__ import annotations

import argparse

from adapters.registry import SLACK_HTTP_PORT, AdapterUnavailable
from bot.config import Settings

from .adapter import DEFAULT_PORT, TeamsAdapter
from .platform import TeamsPlatform


def make_adapter(settings: Settings, args: argparse.Namespace) -> TeamsAdapter:
    """The Teams adapter for `copbot run`."""
    if not settings.teams_app_id or not settings.teams_app_password:
        raise AdapterUnavailable(
            "Teams needs TEAMS_APP_ID and TEAMS_APP_PASSWORD in the environment"
        )
    port = teams_port(settings, args)
    threads = 1 if settings.database_url.startswith("sqlite") else 4
    return TeamsAdapter(settings, http_port=port, core_threads=threads)


def teams_port(settings: Settings, args: argparse.Namespace) -> int:
    """Where Teams listens: --teams-port; else --http-port, unless Slack is served over HTTP
    in the same process (it has that port), then 3978. One port for both is refused."""
    teams = getattr(args, "teams_port", None)
    http = getattr(args, "http_port", None)
    platform = getattr(args, "platform", None)
    slack_too = platform in (None, "slack") and any(
        c.platform == "slack" for c in settings.communities
    )
    slack_on_http = slack_too and (http is not None or not settings.slack_app_token)
    if teams is None:
        teams = http if http is not None and not slack_on_http else DEFAULT_PORT
    if slack_on_http and teams != 0 and teams == (SLACK_HTTP_PORT if http is None else http):
        raise AdapterUnavailable(
            f"Slack and Teams cannot both listen on port {teams}: give Teams its own "
            "with --teams-port"
        )
    return teams


__all__ = ["TeamsAdapter", "TeamsPlatform", "make_adapter"]
