"""The Slack app manifest: create copbot's Slack app in one step, with exactly what it needs."""

from __future__ import annotations

import urllib.parse
from typing import Any

import yaml

from .adapter import EVENTS_PATH

#: Bot scopes copbot uses, and why (`copbot doctor` names what is missing).
SCOPES: dict[str, str] = {
    "commands": "the /cop command",
    "chat:write": "posting in the community's channel and answering privately",
    "im:write": "opening private messages (reminders, consent questions)",
    "files:write": "sending files: your data from /cop mydata, exports, the digest's chart",
    "users:read": "members' display names",
    "reactions:read": "noticing a 🎉 reaction, to offer celebrating a message as a win",
    "channels:read": "welcoming people who join a public community channel; copbot doctor",
    "groups:read": "welcoming people who join a private community channel; copbot doctor",
    "channels:history": "after a restart, checking whether a post was already made",
    "groups:history": "the same, in a private community channel",
    "im:history": "the same, for a private message (copbot looks only for its own messages)",
}
EVENTS = ("app_home_opened", "reaction_added", "member_joined_channel")
COMMAND = {
    "command": "/cop",
    "description": "copbot: check-ins, wins, pledges and more for our community",
    "usage_hint": "help · checkin · reply success … · me",
    "should_escape": True,  # mentions arrive as <@U…>, so /cop role @someone works
}


class BadURL(ValueError):
    """copbot's public URL for HTTP mode is not one Slack will send requests to."""


def check_http_url(url: str) -> str:
    """`url` if it is an absolute https:// URL with a host, else BadURL saying why."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme != "https":
        raise BadURL(f"'{url}' must start with https:// (Slack only sends requests over HTTPS)")
    try:
        port = parsed.port
    except ValueError:
        port = -1
    host = parsed.hostname or ""
    if not host or " " in url.strip() or port == -1 or parsed.query or parsed.fragment:
        raise BadURL(f"'{url}' is not a web address like https://copbot.example.org")
    return url.strip()


def manifest(http_url: str | None = None, name: str = "copbot") -> dict[str, Any]:
    """The app manifest. With `http_url` (copbot's public base URL, e.g.
    https://copbot.example.org) Slack sends requests there; without it, Socket Mode."""
    command = dict(COMMAND)
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": list(EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": http_url is None,
        "token_rotation_enabled": False,
    }
    if http_url is not None:
        endpoint = http_url.rstrip("/") + EVENTS_PATH
        command["url"] = endpoint
        settings["event_subscriptions"]["request_url"] = endpoint
        settings["interactivity"]["request_url"] = endpoint
    return {
        "display_information": {
            "name": name,
            "description": "Keeps our community of practice going between meetings.",
            "background_color": "#2c5f4a",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": list(SCOPES)}},
        "settings": settings,
    }


def manifest_yaml(http_url: str | None = None) -> str:
    """The manifest as YAML, ready to paste into https://api.slack.com/apps → From a manifest."""
    mode = f"HTTP, requests to {http_url}" if http_url else "Socket Mode, no public URL"
    header = (
        f"# copbot's Slack app ({mode}). Paste at https://api.slack.com/apps → Create New App.\n"
    )
    return header + yaml.safe_dump(manifest(http_url), sort_keys=False, allow_unicode=True)
