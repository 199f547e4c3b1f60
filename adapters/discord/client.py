"""discord.py's client for copbot: who acted, the buttons (by custom_id) and the forms.

Every copbot button is one DynamicItem whatever message it is on, and every form is found
by its modal's custom_id, so both keep working after a restart. The client hands what it
receives to the adapter (adapters.discord.adapter), which runs the core.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.commands import Actor, Inbound

from . import render
from .commands import build_group
from .retry import RETRY

if TYPE_CHECKING:
    from .adapter import DiscordAdapter

LEGACY_MENTION = re.compile(r"<@!(\d+)>")


def normalise(text: str) -> str:
    """Discord's legacy nickname mentions <@!123> become <@123>, as the core expects."""
    return LEGACY_MENTION.sub(r"<@\1>", text)


def actor_of(interaction: discord.Interaction) -> Actor:
    """Who acted, and in which community channel (a thread counts as its parent channel)."""
    channel_id: str | None = None
    if interaction.guild_id is not None:
        channel = interaction.channel
        if isinstance(channel, discord.Thread) and channel.parent_id:
            channel_id = str(channel.parent_id)
        elif interaction.channel_id is not None:
            channel_id = str(interaction.channel_id)
    user = interaction.user
    return Actor("discord", str(user.id), user.display_name, channel_id)


class CopButton(discord.ui.DynamicItem[discord.ui.Button], template=render.BUTTON_ID):
    """Every copbot button, whatever message it is on: its custom_id says what to do."""

    def __init__(self, item: discord.ui.Button, action: str, value: str) -> None:
        super().__init__(item)
        self.action, self.value = action, value

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CopButton:
        assert isinstance(item, discord.ui.Button)
        return cls(item, match["action"], match["value"])

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        assert isinstance(client, CopClient)
        if self.action == RETRY:  # the adapter's own: reopen a refused form, filled in
            await client.adapter.reopen(interaction, self.value)
            return
        inbound = Inbound(
            actor_of(interaction),
            "button",
            action=self.action,
            value=self.value,
            event_id=f"i{interaction.id}",
        )
        await client.adapter.respond(interaction, inbound)


class CopClient(discord.Client):
    """discord.py's client with copbot's commands, buttons and forms; no privileged intent."""

    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.members = intents.presences = intents.message_content = False
        options.setdefault("max_ratelimit_timeout", 30.0)
        super().__init__(
            intents=intents, allowed_mentions=discord.AllowedMentions.none(), **options
        )
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(CopButton)
        self.tree.add_command(build_group(self.adapter.app.bus.router, self.adapter.on_command))
        await self.adapter.sync_commands(self.tree)

    async def on_disconnect(self) -> None:
        self.adapter.disconnected()

    async def on_connect(self) -> None:
        self.adapter.reconnected()

    async def on_resumed(self) -> None:
        self.adapter.reconnected()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        found = render.FORM_ID.fullmatch(str(data.get("custom_id", "")))
        if found is None:
            return
        inbound = Inbound(
            actor_of(interaction),
            "form",
            form_id=found["form"],
            metadata=found["meta"],
            values=tuple(render.submitted_values(data.get("components", []))),
            event_id=f"i{interaction.id}",
        )
        await self.adapter.respond(interaction, inbound)
