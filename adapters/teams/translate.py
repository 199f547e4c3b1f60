"""Teams activities (as JSON dicts) -> the core's neutral `Inbound` (pure functions).

Text typed to copbot: in a channel Teams only delivers messages that @mention copbot; the
mention is removed, other people's mentions become the core's `<@id>` form, and `/cop` may
be left out (the command menu sends the verb alone). A submitted card carries copbot's
sealed data: a button, or a form with its inputs; data that is not copbot's is refused.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from typing import Any

from bot.commands import Actor, Inbound

from .cards import DATA_KEY, FIELD_PREFIX
from .seal import Seal

PLATFORM = "teams"
COMMAND = "/cop"
_AT = re.compile(r"</?at>", re.IGNORECASE)
_SPACE = re.compile(r"[\u00a0\s]+")


@dataclass(frozen=True)
class Where:
    """Where an activity happened: its conversation, the community channel (None in a 1:1
    or group chat), the team, tenant and service URL to answer through."""

    conversation_id: str
    kind: str  # 'personal' | 'channel' | 'groupChat'
    channel_id: str | None
    team_id: str | None
    tenant_id: str | None
    service_url: str


def where(activity: dict[str, Any]) -> Where:
    conversation = activity.get("conversation") or {}
    data = activity.get("channelData") or {}
    kind = str(conversation.get("conversationType") or "personal")
    channel = (data.get("channel") or {}).get("id") if kind == "channel" else None
    tenant = conversation.get("tenantId") or (data.get("tenant") or {}).get("id")
    return Where(
        conversation_id=str(conversation.get("id") or ""),
        kind=kind,
        channel_id=str(channel) if channel else None,
        team_id=(data.get("team") or {}).get("id"),
        tenant_id=str(tenant) if tenant else None,
        service_url=str(activity.get("serviceUrl") or ""),
    )


def event_key(activity: dict[str, Any]) -> str | None:
    """One delivery's de-duplication key: its conversation and activity id (hashed, as a
    channel thread's conversation id can be long)."""
    activity_id = activity.get("id")
    if not activity_id:
        return None
    conversation = str((activity.get("conversation") or {}).get("id") or "")
    digest = hashlib.sha256(f"{conversation}\n{activity_id}".encode()).hexdigest()[:40]
    return f"teams:{digest}"


def actor(activity: dict[str, Any]) -> Actor:
    person = activity.get("from") or {}
    user_id = str(person.get("id") or "")
    return Actor(
        PLATFORM,
        user_id,
        str(person.get("name") or "")[:100] or user_id,
        where(activity).channel_id,
    )


def command_text(activity: dict[str, Any]) -> str:
    """The typed text as the core reads it: `/cop …`, copbot's mention removed."""
    text = str(activity.get("text") or "")
    bot_id = (activity.get("recipient") or {}).get("id")
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned") or {}
        shown = str(entity.get("text") or "")
        if not shown:
            continue
        replacement = "" if mentioned.get("id") == bot_id else f"<@{mentioned.get('id', '')}>"
        text = text.replace(shown, replacement, 1)
    text = _SPACE.sub(" ", html.unescape(_AT.sub("", text))).strip()
    if text.lower() == COMMAND or text.lower().startswith(COMMAND + " "):
        text = text[len(COMMAND) :].strip()
    return f"{COMMAND} {text}".rstrip()


class Refused(Exception):
    """A submitted card whose data copbot did not seal (tampered, or not copbot's)."""


def submitted(activity: dict[str, Any]) -> dict[str, Any] | None:
    """The data of a submitted card: a message's `value` (Action.Submit) or an invoke's
    action data (Action.Execute); None if this is not a card submit."""
    if activity.get("type") == "invoke":
        if activity.get("name") != "adaptiveCard/action":
            return None
        action = (activity.get("value") or {}).get("action") or {}
        data = action.get("data")
        return data if isinstance(data, dict) else {}
    value = activity.get("value")
    return value if isinstance(value, dict) else None


def submit_inbound(activity: dict[str, Any], data: dict[str, Any], seal: Seal) -> Inbound:
    """A submitted card -> a button press or a form; Refused if the data is not copbot's."""
    sealed = seal.unseal(data.get(DATA_KEY))
    if sealed is None:
        raise Refused("the card's data is not copbot's")
    who = actor(activity)
    if who.channel_id is None and isinstance(sealed.get("ch"), str):
        who = Actor(who.platform, who.user_id, who.display_name, sealed["ch"])
    key = event_key(activity)
    if "a" in sealed:
        return Inbound(
            who, "button", action=str(sealed["a"]), value=str(sealed.get("v", "")), event_id=key
        )
    if "form" in sealed:
        names = [str(n) for n in sealed.get("fields") or []]
        values = tuple((n, _answer(data.get(FIELD_PREFIX + n))) for n in names)
        return Inbound(
            who,
            "form",
            form_id=str(sealed["form"]),
            metadata=str(sealed.get("meta", "")),
            values=values,
            event_id=key,
        )
    raise Refused("the card's data names neither a button nor a form")


def _answer(value: object) -> str:
    return "" if value is None else str(value)[:10_000]


def message_inbound(activity: dict[str, Any], seal: Seal) -> Inbound | None:
    """A message or card submit -> the core's Inbound (None: nothing for copbot)."""
    data = submitted(activity)
    if data is not None:
        return submit_inbound(activity, data, seal)
    if activity.get("type") != "message":
        return None
    return Inbound(
        actor(activity), "text", text=command_text(activity), event_id=event_key(activity)
    )
