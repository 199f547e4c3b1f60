"""Slack payloads -> the core's neutral `Inbound` interactions (pure functions, no I/O).

Nothing here knows a /cop verb: a slash command's text, a button's action and value, a
form's answers go to the core as they are, so every verb the core offers works on Slack.
"""

from __future__ import annotations

import re
from typing import Any

from bot.commands import Actor, Inbound

from .render import VIEW_PREFIX, form_values, parse_action_id, unpack_metadata

PLATFORM = "slack"
COMMAND = "/cop"
#: 🎉 on a member's message offers to celebrate it as a win (the author is asked first).
WIN_REACTION = "tada"
WIN_FROM_REACTION = "win.from_reaction"

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def neutral_text(text: str) -> str:
    """Slack's formatted text -> the core's plain text.

    `<@U123|ana>` becomes the core's mention form `<@U123>`; channel references and links
    become their readable text; `&amp;` `&lt;` `&gt;` are unescaped. Special mentions
    (`<!here>`, `<!channel>`, `<!subteam^…>`) are left as they are, so the core refuses them.
    """
    text = _USER.sub(lambda m: f"<@{m.group(1)}>", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def community_channel(channel_id: str | None) -> str | None:
    """The channel as the core sees it: None for a direct message (the core then finds the
    person's community by membership)."""
    if not channel_id or channel_id.startswith("D"):
        return None
    return channel_id


def _key(team_id: str | None, delivery_id: str | None) -> str | None:
    """The de-duplication key of one delivery: team and Slack's event or trigger id."""
    if not delivery_id:
        return None
    return f"{team_id or '-'}:{delivery_id}"


def actor(user_id: str, name: str, channel_id: str | None) -> Actor:
    return Actor(PLATFORM, user_id, name or user_id, community_channel(channel_id))


def command_inbound(body: dict[str, Any], name: str) -> Inbound:
    """`/cop <text>` -> a text interaction."""
    text = neutral_text(str(body.get("text") or "")).strip()
    return Inbound(
        actor(str(body["user_id"]), name, body.get("channel_id")),
        "text",
        text=f"{COMMAND} {text}".rstrip(),
        event_id=_key(body.get("team_id"), body.get("trigger_id")),
    )


def action_inbound(body: dict[str, Any], action: dict[str, Any], name: str) -> Inbound | None:
    """A button press on one of copbot's messages -> a button interaction."""
    action_name = parse_action_id(str(action.get("action_id", "")))
    if action_name is None:
        return None
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    team = (body.get("team") or {}).get("id")
    delivery = body.get("trigger_id") or action.get("action_ts")
    return Inbound(
        actor(str(body["user"]["id"]), name, channel),
        "button",
        action=action_name,
        value=str(action.get("value") or ""),
        event_id=_key(team, f"{delivery}:{action.get('action_id')}"),
    )


def view_inbound(body: dict[str, Any], name: str) -> tuple[Inbound, str | None] | None:
    """A submitted modal -> a form interaction, and the channel it was opened from."""
    view = body.get("view") or {}
    callback = str(view.get("callback_id", ""))
    if not callback.startswith(VIEW_PREFIX):
        return None
    metadata, channel = unpack_metadata(str(view.get("private_metadata") or ""))
    team = (body.get("team") or {}).get("id")
    inbound = Inbound(
        actor(str(body["user"]["id"]), name, channel),
        "form",
        form_id=callback.removeprefix(VIEW_PREFIX),
        metadata=metadata,
        values=form_values((view.get("state") or {}).get("values") or {}),
        event_id=_key(team, body.get("trigger_id") or view.get("id")),
    )
    return inbound, channel


def reaction_inbound(body: dict[str, Any], name: str) -> Inbound | None:
    """🎉 on someone's message in a channel -> the core's 'celebrate this as a win?' button.

    The value is `<author user id>:<channel id>:<message ts>`; the core asks the author
    before anything is shared. A reaction on one's own message is offered too (the core
    decides). Other reactions, and reactions on non-messages, are ignored.
    """
    event = body.get("event") or {}
    item = event.get("item") or {}
    if event.get("reaction") != WIN_REACTION or item.get("type") != "message":
        return None
    author = event.get("item_user")
    channel = item.get("channel")
    if not author or not channel or community_channel(channel) is None:
        return None
    return Inbound(
        actor(str(event["user"]), name, channel),
        "button",
        action=WIN_FROM_REACTION,
        value=f"{author}:{channel}:{item.get('ts', '')}",
        event_id=_key(body.get("team_id"), body.get("event_id")),
    )


def join_inbound(body: dict[str, Any], name: str, bot_user_id: str | None) -> Inbound | None:
    """Someone joined a channel -> the core's 'join' (it welcomes new members of a community
    channel, once). copbot's own joining is not a member joining."""
    event = body.get("event") or {}
    user, channel = event.get("user"), event.get("channel")
    if not user or not channel or user == bot_user_id or community_channel(channel) is None:
        return None
    return Inbound(
        actor(str(user), name, str(channel)),
        "join",
        event_id=_key(body.get("team_id"), body.get("event_id")),
    )
