"""`copbot doctor` for Slack: are the tokens, scopes and channels right? Says what is missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, reveal
from bot.domain.text import plural

from .adapter import api_url
from .manifest import SCOPES

MAX_MEMBER_PAGES = 20


async def doctor(
    settings: Settings, *, http: bool | None = None, write: Callable[[str], None] = print
) -> int:
    """Check Slack's side of copbot's setup; 0 if all is well, 1 if something is missing."""
    problems = 0

    def ok(text: str) -> None:
        write(f"  ok       {text}")

    def problem(text: str) -> None:
        nonlocal problems
        problems += 1
        write(f"  PROBLEM  {text}")

    write("Slack")
    communities = [c for c in settings.communities if c.platform == "slack"]
    if not settings.slack_bot_token:
        problem(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from "
            "your app's OAuth & Permissions page into the environment."
        )
        return problems and 1
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(
            token=reveal(settings.slack_bot_token), base_url=api_url(settings), session=session
        )
        try:
            auth = await client.auth_test()
        except SlackApiError as error:
            problem(
                f"the bot token was refused ({_error(error)}): check SLACK_BOT_TOKEN, or "
                "reinstall the app to your workspace and copy the new token."
            )
            return 1
        except aiohttp.ClientError as error:
            problem(f"cannot reach Slack at {api_url(settings)} ({error}).")
            return 1
        bot_user = str(auth.get("user_id") or "")
        ok(f"bot token works: workspace {auth.get('team')}, bot user @{auth.get('user')}")
        granted = {s.strip() for s in str(auth.headers.get("x-oauth-scopes", "")).split(",")}
        missing = [s for s in SCOPES if s not in granted]
        if missing:
            for scope in missing:
                problem(f"missing scope {scope} (needed for {SCOPES[scope]})")
            write(
                "           add them under OAuth & Permissions → Bot Token Scopes (or create "
                "the app again from `copbot slack manifest`), then reinstall the app."
            )
        else:
            ok("every scope copbot needs is granted")

        use_http = http if http is not None else not settings.slack_app_token
        if use_http:
            if settings.slack_signing_secret:
                ok("SLACK_SIGNING_SECRET is set (HTTP mode)")
            else:
                problem(
                    "SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information "
                    "→ App Credentials → Signing Secret), or set SLACK_APP_TOKEN for Socket "
                    "Mode."
                )
        elif settings.slack_app_token:
            try:
                await client.apps_connections_open(app_token=reveal(settings.slack_app_token))
                ok("SLACK_APP_TOKEN works (Socket Mode)")
            except SlackApiError as error:
                problem(
                    f"the app-level token was refused ({_error(error)}): create one with "
                    "the connections:write scope under Basic Information → App-Level "
                    "Tokens, and turn Socket Mode on."
                )

        if not communities:
            write("  (no community in the settings file is on Slack)")
        for community in communities:
            problems += await _check_channel(
                client, community.name, community.channel, bot_user, ok, problem
            )
    write("All good." if not problems else f"{plural(problems, 'problem')} to fix.")
    return 1 if problems else 0


async def _check_channel(
    client: AsyncWebClient,
    name: str,
    channel: str,
    bot_user: str,
    ok: Callable[[str], None],
    problem: Callable[[str], None],
) -> int:
    where = f"{name}: channel {channel}"
    try:
        info = (await client.conversations_info(channel=channel)).get("channel") or {}
    except SlackApiError as error:
        code = _error(error)
        if code == "channel_not_found":
            problem(
                f"{where} was not found: check the channel id in the settings file "
                "(in Slack: channel name → About → Channel ID); for a private channel, "
                "invite copbot first (/invite @copbot)."
            )
        else:
            problem(f"{where}: Slack said {code}.")
        return 1
    label = f"{where} (#{info.get('name', '?')})"
    if info.get("is_archived"):
        problem(f"{label} is archived: unarchive it or choose another channel.")
        return 1
    member = info.get("is_member")
    if member is None:
        member = await _in_members(client, channel, bot_user)
    if not member:
        problem(f"{label}: copbot is not in this channel. Type /invite @copbot in it.")
        return 1
    ok(f"{label}: copbot is in the channel")
    return 0


async def _in_members(client: AsyncWebClient, channel: str, bot_user: str) -> bool:
    cursor: str | None = None
    for _ in range(MAX_MEMBER_PAGES):
        page: Any = await client.conversations_members(channel=channel, cursor=cursor, limit=1000)
        if bot_user in (page.get("members") or []):
            return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return False
    return False


def _error(error: SlackApiError) -> str:
    return str(error.response.get("error", "an error")) if error.response else "an error"
