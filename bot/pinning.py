"""Buttons and forms in private messages carry their community ("pinned").

In a channel, the channel says which community a click belongs to. In a private message
it doesn't, and a person may belong to several communities on one platform, so the
button's value (or the form's metadata) starts with `c<community id>|`. The bus reads and
strips it before anything else sees the value.
"""

from __future__ import annotations

import dataclasses
import re

from bot.commands import Inbound
from bot.domain.text import read_number
from bot.errors import UserError
from bot.messages import OutMessage, Response

_PIN = re.compile(r"^c([0-9]+)\|")


def _pinned(value: str, community_id: int) -> str:
    return value if _PIN.match(value) else f"c{community_id}|{value}"


def pin_message(message: OutMessage, community_id: int) -> OutMessage:
    """The message with every button pinned to the community."""
    if not message.buttons:
        return message
    buttons = tuple(
        b.model_copy(update={"value": _pinned(b.value, community_id)}) for b in message.buttons
    )
    return message.model_copy(update={"buttons": buttons})


def pin_response(response: Response, community_id: int) -> Response:
    """A private answer with its buttons and form pinned to the community."""
    update: dict[str, object] = {}
    if response.message is not None and response.message.buttons:
        update["message"] = pin_message(response.message, community_id)
    if response.form is not None:
        metadata = _pinned(response.form.metadata, community_id)
        update["form"] = response.form.model_copy(update={"metadata": metadata})
    return response.model_copy(update=update) if update else response


def unpin(inbound: Inbound) -> tuple[Inbound, int | None]:
    """The interaction with its pin removed, and the community it named (if any)."""
    field = {"button": "value", "form": "metadata"}.get(inbound.kind)
    if field is None:
        return inbound, None
    found = _PIN.match(getattr(inbound, field))
    if found is None:
        return inbound, None
    stripped = getattr(inbound, field)[found.end() :]
    community = read_number(found.group(1))
    if community is None:
        raise UserError("That button is out of date. Try /cop help.")
    return dataclasses.replace(inbound, **{field: stripped}), community
