"""`copbot discord invite-url`: the link a server admin opens to add copbot to a server."""

from __future__ import annotations

import argparse
import os
import sys

import discord

#: What copbot needs in its community channel, and nothing more.
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    use_application_commands=True,
)
SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int, guild_id: int | None = None) -> str:
    """The OAuth2 URL adding the bot with copbot's permissions and its slash commands."""
    return discord.utils.oauth_url(
        application_id,
        permissions=PERMISSIONS,
        scopes=SCOPES,
        guild=discord.Object(guild_id) if guild_id else discord.utils.MISSING,
    )


def _snowflake(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def main(args: argparse.Namespace) -> int:
    """Print the invite URL; the application id comes from --application-id or the env."""
    raw = getattr(args, "application_id", None) or os.environ.get("DISCORD_APPLICATION_ID")
    application_id = _snowflake(raw)
    if application_id is None:
        print(
            "copbot: give the Discord application id with --application-id or "
            "DISCORD_APPLICATION_ID (Developer Portal → your application → General "
            "Information → Application ID).",
            file=sys.stderr,
        )
        return 2
    guild_id = _snowflake(getattr(args, "guild_id", None) or os.environ.get("DISCORD_GUILD_ID"))
    print(invite_url(application_id, guild_id))
    return 0
