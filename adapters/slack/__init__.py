"""Slack: Socket Mode or HTTP through Bolt (AsyncApp); Block Kit out; manifest and doctor."""

from __future__ import annotations

import argparse

from adapters.registry import SLACK_HTTP_PORT, AdapterUnavailable
from bot.config import Settings

from .adapter import SlackAdapter
from .doctor import doctor
from .manifest import manifest, manifest_yaml
from .platform import SlackPlatform

DEFAULT_HTTP_PORT = SLACK_HTTP_PORT


def make_adapter(settings: Settings, args: argparse.Namespace) -> SlackAdapter:
    """Socket Mode when SLACK_APP_TOKEN is set and no --http-port is given; else HTTP."""
    if not settings.slack_bot_token:
        raise AdapterUnavailable("Slack needs SLACK_BOT_TOKEN in the environment")
    http_port = getattr(args, "http_port", None)
    threads = 1 if settings.database_url.startswith("sqlite") else 4  # SQLite: one writer
    if http_port is None and settings.slack_app_token:
        return SlackAdapter(settings, mode="socket", core_threads=threads)
    if not settings.slack_signing_secret:
        raise AdapterUnavailable(
            "Slack over HTTP needs SLACK_SIGNING_SECRET in the environment "
            "(or set SLACK_APP_TOKEN to use Socket Mode, which needs no public URL)"
        )
    port = DEFAULT_HTTP_PORT if http_port is None else http_port  # 0: any free port
    return SlackAdapter(settings, mode="http", http_port=port, core_threads=threads)


__all__ = [
    "SlackAdapter",
    "SlackPlatform",
    "doctor",
    "make_adapter",
    "manifest",
    "manifest_yaml",
]
