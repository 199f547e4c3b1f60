"""Answering the person who acted on Slack: their name, a modal, an ephemeral message.

A mixin of SlackAdapter (it uses the adapter's client, platform, session and tasks).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import App
from bot.commands import Inbound
from bot.messages import OutMessage, Response, Section

from . import translate as t
from .platform import SlackPlatform
from .render import FormTooBig, render_form, render_message, view_blocks

log = logging.getLogger(__name__)

MAX_RESPONSE_PAGES = 5  # a response_url takes at most 5 messages
NAME_CACHE = 10_000
#: How long a first interaction waits for the person's name (users.info) before the core
#: goes ahead with the name in the payload.
NAME_WAIT = 0.5

#: What the Home tab asks the core, in order, as the person opening it.
HOME_ASKS = ("/cop me", "/cop pledges", "/cop digest")
HOME_INTRO = OutMessage(
    title="copbot",
    sections=(
        Section(
            text="copbot keeps our community of practice going between meetings. "
            "Type /cop help in your community's channel to see what it can do."
        ),
    ),
)


class Answering:
    """Names (users.info, cached), modals and private answers."""

    client: AsyncWebClient
    platform: SlackPlatform
    _session: aiohttp.ClientSession | None
    _tasks: set[asyncio.Task[None]]
    _names: OrderedDict[str, str]
    _app: App | None

    async def handle(self, inbound: Inbound) -> Response:
        raise NotImplementedError

    async def _home(self, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        user_id = str(event["user"])
        view = {"type": "home", "blocks": view_blocks(await self.home_messages(user_id))}
        try:
            await self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as error:
            log.warning("could not publish the Home tab: %s", error.response.get("error"))

    async def home_messages(self, user_id: str) -> list[OutMessage]:
        """What the Home tab shows: the core's answers to HOME_ASKS, asked as this person.

        Asks only for verbs the core offers. The first answer is always shown (for someone
        not yet in a community it says how to start); later ones only if they are titled
        answers, not refusals (e.g. the digest, for keepers only).
        """
        assert self._app is not None
        name = await self.display_name(user_id)
        verbs = self._app.bus.router.verbs
        messages = [HOME_INTRO]
        for index, text in enumerate(HOME_ASKS):
            if text.split()[1] not in verbs:
                continue
            response = await self.handle(Inbound(t.actor(user_id, name, None), "text", text=text))
            message = response.message
            if message is not None and (index == 0 or message.title):
                messages.append(message)
        return messages

    async def display_name(self, user_id: str, fallback: str | None = None) -> str:
        """The person's display name (users.info, cached), else the payload's name.

        A lookup slower than NAME_WAIT is not waited for (a modal's trigger expires 3 s
        after the click): it goes on in the background and fills the cache for next time.
        """
        cached = self._names.get(user_id)
        if cached is not None:
            return cached
        lookup = asyncio.ensure_future(self._look_up_name(user_id, fallback))
        try:
            return await asyncio.wait_for(asyncio.shield(lookup), NAME_WAIT)
        except TimeoutError:
            self._tasks.add(lookup)  # type: ignore[arg-type]
            lookup.add_done_callback(self._tasks.discard)  # type: ignore[arg-type]
            return fallback or user_id

    async def _look_up_name(self, user_id: str, fallback: str | None) -> str:
        name = ""
        try:
            found = await self.client.users_info(user=user_id)
            user = found.get("user") or {}
            profile = user.get("profile") or {}
            name = (
                profile.get("display_name")
                or profile.get("real_name")
                or user.get("real_name")
                or user.get("name")
                or ""
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.info("users.info failed for %s: %s", user_id, error)
            return fallback or user_id
        name = name.strip()[:100] or fallback or user_id
        self._names[user_id] = name
        if len(self._names) > NAME_CACHE:
            self._names.popitem(last=False)
        return name

    # ---- answering the person who acted ------------------------------------------------

    async def _answer(
        self,
        response: Response,
        *,
        user_id: str,
        channel_id: str | None,
        response_url: str | None,
        trigger_id: str | None,
    ) -> None:
        message = response.message
        if response.form is not None:
            problem = await self._open_form(response, channel_id, trigger_id)
            if problem:
                message = OutMessage(sections=(Section(text=problem),))
        if message is not None:
            await self._tell(message, user_id, channel_id, response_url)

    async def _open_form(
        self, response: Response, channel_id: str | None, trigger_id: str | None
    ) -> str | None:
        """Open the core's form as a modal; a sentence for the person if it cannot be."""
        assert response.form is not None
        if not trigger_id:
            return "Please use /cop in your community's channel to fill this in."
        try:
            view = render_form(response.form, t.community_channel(channel_id))
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except FormTooBig:
            return "Sorry, that form is too big to show in Slack."
        except SlackApiError as error:
            log.warning("views.open failed: %s", error.response.get("error"))
            return "Sorry, the form didn't open in time. Please try again."
        return None

    async def _tell(
        self, message: OutMessage, user_id: str, channel_id: str | None, response_url: str | None
    ) -> None:
        """Show `message` to one person only."""
        pages = render_message(message)[:MAX_RESPONSE_PAGES]
        for page in pages:
            try:
                if response_url:
                    await self._post_response_url(response_url, page.text, page.blocks)
                elif t.community_channel(channel_id) is not None:
                    await self.client.chat_postEphemeral(
                        channel=channel_id, user=user_id, text=page.text, blocks=page.blocks
                    )
                else:
                    channel = await self.platform.dm_channel(user_id)
                    await self.client.chat_postMessage(
                        channel=channel, text=page.text, blocks=page.blocks
                    )
            except Exception as error:
                if response_url and await self._ephemeral_instead(user_id, channel_id, page):
                    response_url = None  # the rest goes the same way
                    continue
                log.warning("could not answer %s privately: %s", user_id, type(error).__name__)
                return

    async def _ephemeral_instead(self, user_id: str, channel_id: str | None, page: Any) -> bool:
        """A response_url that failed: show the page with chat.postEphemeral instead."""
        if not channel_id:
            return False
        try:
            await self.client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=page.text, blocks=page.blocks
            )
        except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError):
            return False
        return True

    async def _post_response_url(self, url: str, text: str, blocks: list[Any]) -> None:
        assert self._session is not None
        body = {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": text,
            "blocks": blocks,
        }
        async with self._session.post(url, json=body) as reply:
            if reply.status >= 400:
                raise RuntimeError(f"response_url answered HTTP {reply.status}")
