"""Files in Teams (your data, exports, the digest's chart): sent the way Teams lets a bot
send a file, in the person's 1:1 chat. copbot offers the file with a consent card; when the
person allows it, Teams gives an upload address in their OneDrive, copbot puts the file
there and shows it in the chat. Declining sends nothing. The card carries only a sealed
reference to the outbox message; the file itself is read from there when it is allowed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from microsoft_agents.activity import Activity
from microsoft_agents.activity import Attachment as CardAttachment
from sqlmodel import Session, select

from bot.messages import Attachment, OutMessage, say
from bot.storage.tables import OutboxMessage

from . import translate as t

if TYPE_CHECKING:
    from .adapter import TeamsAdapter

log = logging.getLogger(__name__)

CONSENT = "application/vnd.microsoft.teams.card.file.consent"
INFO = "application/vnd.microsoft.teams.card.file.info"
INVOKE = "fileConsent/invoke"
UPLOAD_TIMEOUT = 60.0
GONE = "Sorry, that file is no longer available. Ask for it again with /cop."


def consent_card(key: str, attachment: Attachment, sealed: str) -> dict[str, Any]:
    """The card asking to put `attachment` in the person's OneDrive (Teams' file consent)."""
    return {
        "contentType": CONSENT,
        "name": attachment.filename,
        "content": {
            "description": f"{attachment.filename} from copbot",
            "sizeInBytes": attachment.size,
            "acceptContext": {"cop": sealed},
            "declineContext": {"cop": sealed},
        },
    }


def consent_activity(key: str, attachment: Attachment, sealed: str) -> Activity:
    card = consent_card(key, attachment, sealed)
    return Activity(
        type="message",
        summary=attachment.filename,
        attachments=[
            CardAttachment(
                content_type=card["contentType"], name=card["name"], content=card["content"]
            )
        ],
    )


def _file_of(engine: Any, key: str, user_id: str) -> Attachment | None:
    """The attachment of the outbox message `key`, if it was for `user_id`."""
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()
        if row is None or row.user_id != user_id:
            return None
        try:
            return OutMessage.model_validate_json(row.payload).attachment
        except ValueError:
            return None


async def answer_consent(adapter: TeamsAdapter, activity: dict[str, Any], here: t.Where) -> None:
    """The person allowed (or declined) a file: upload it and show it, or do nothing."""
    value = activity.get("value") or {}
    context = value.get("context") or {}
    sealed = adapter.seal.unseal(context.get("cop")) if isinstance(context, dict) else None
    user = str((activity.get("from") or {}).get("id") or "")
    if sealed is None or "file" not in sealed:
        log.warning("refused a Teams file consent that is not copbot's")
        return
    if value.get("action") != "accept":
        return
    info = value.get("uploadInfo") or {}
    upload_url = info.get("uploadUrl")
    attachment = await asyncio.to_thread(_file_of, adapter.app.engine, str(sealed["file"]), user)
    send = adapter.connector.send
    if attachment is None or not isinstance(upload_url, str):
        cards = adapter.cards_for(say(GONE))
        await send(here.service_url, here.conversation_id, here.tenant_id, cards)
        return
    body = attachment.body
    headers = {
        "Content-Length": str(len(body)),
        "Content-Range": f"bytes 0-{len(body) - 1}/{len(body)}",
    }
    timeout = aiohttp.ClientTimeout(total=UPLOAD_TIMEOUT)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.put(upload_url, data=body, headers=headers) as reply,
    ):
        if reply.status >= 300:
            log.warning("uploading a file to Teams failed (HTTP %d)", reply.status)
            cards = adapter.cards_for(say("Sorry, the file didn't upload. Please try again."))
            await send(here.service_url, here.conversation_id, here.tenant_id, cards)
            return
    shown = Activity(
        type="message",
        attachments=[
            CardAttachment(
                content_type=INFO,
                content_url=str(info.get("contentUrl") or ""),
                name=str(info.get("name") or attachment.filename),
                content={"uniqueId": info.get("uniqueId"), "fileType": info.get("fileType")},
            )
        ],
    )
    await send(here.service_url, here.conversation_id, here.tenant_id, [shown])
