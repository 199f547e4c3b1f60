"""Mentions in what copbot says become the person's name: `<@U123>` reads "@Ana" everywhere.

Members' text keeps the platforms' mention form (`<@ID>`, the core's normal form, or
`<@ID|label>`) so commands can find who was meant. Before a message leaves the core, each
mention is replaced by the name copbot knows for that person in the community, else by the
label the platform gave, else by "someone". Renderers then get plain words: nothing pings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlmodel import Session, col, select

from bot.messages import Button, OutMessage, Response, Section
from bot.storage.tables import Member

MENTION = re.compile(r"<@!?([A-Za-z0-9._-]{1,80})(?:\|([^<>|]{0,80}))?>")
NOBODY_KNOWN = "someone"


def _texts(message: OutMessage) -> list[str]:
    texts = [message.title or "", message.footer or ""]
    for section in message.sections:
        texts += [section.heading or "", section.text, *section.items]
    texts += [b.label for b in message.buttons]
    return texts


def mentioned(message: OutMessage) -> set[str]:
    """The platform user ids mentioned anywhere in the message."""
    return {m.group(1) for text in _texts(message) for m in MENTION.finditer(text)}


def name_text(text: str, names: Mapping[str, str]) -> str:
    """`text` with each mention replaced by "@" and the person's name."""

    def name(match: re.Match[str]) -> str:
        label = names.get(match.group(1)) or (match.group(2) or "").strip() or NOBODY_KNOWN
        return f"@{label}"

    return MENTION.sub(name, text) if "<@" in text else text


def name_mentions(message: OutMessage, names: Mapping[str, str]) -> OutMessage:
    """The message with every mention shown as a name."""
    if not any("<@" in text for text in _texts(message)):
        return message

    def n(text: str | None) -> str | None:
        return None if text is None else name_text(text, names)

    sections = tuple(
        Section(
            heading=n(s.heading),
            text=name_text(s.text, names),
            items=tuple(name_text(i, names) for i in s.items),
        )
        for s in message.sections
    )
    buttons = tuple(
        Button(label=name_text(b.label, names), action=b.action, value=b.value, style=b.style)
        for b in message.buttons
    )
    return message.model_copy(
        update={
            "title": n(message.title),
            "footer": n(message.footer),
            "sections": sections,
            "buttons": buttons,
        }
    )


def member_names(session: Session, community_id: int | None, ids: set[str]) -> dict[str, str]:
    """The display names of the community's members among `ids`."""
    if community_id is None or not ids:
        return {}
    rows = session.exec(
        select(Member.platform_user_id, Member.display_name).where(
            Member.community_id == community_id, col(Member.platform_user_id).in_(sorted(ids))
        )
    ).all()
    return {user: name for user, name in rows if name}


def with_names(session: Session, community_id: int | None, message: OutMessage) -> OutMessage:
    """`message` with its mentions named from the community's members."""
    ids = mentioned(message)
    if not ids:
        return message
    return name_mentions(message, member_names(session, community_id, ids))


def response_with_names(session: Session, community_id: int | None, response: Response) -> Response:
    """A Response whose message mentions people by name."""
    if response.message is None:
        return response
    named = with_names(session, community_id, response.message)
    return response if named is response.message else response.model_copy(update={"message": named})
