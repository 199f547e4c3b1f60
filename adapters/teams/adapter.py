"""The Teams adapter: the Microsoft 365 Agents SDK in (aiohttp, CloudAdapter), the core
in the middle, Adaptive Cards out.

POST /api/messages: the request's JWT is checked first (auth.TokenCheck: 401 and nothing
else when it fails); then the SDK's CloudAdapter turns the body into a turn and calls
copbot's agent, which only notes the activity and acknowledges (Teams wants an answer
within seconds). The work follows in a background task: remember where the activity came
from (for proactive messages), let the core handle it in a worker thread, then answer
privately in the person's 1:1 chat. A repeated activity (same conversation and id) is
handled once: the core records each delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any

from aiohttp import web
from microsoft_agents.activity import Activity, InvokeResponse
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext

from bot import notices
from bot.bootstrap import App
from bot.commands import Actor, Inbound
from bot.config import Settings, reveal
from bot.messages import OutMessage, Response, say

from . import addresses as a
from . import files
from . import translate as t
from .auth import ClientCredentials, TokenCheck, token_url
from .cards import render_form, render_message, summary
from .connector import Connector, _Partial, card_activity
from .platform import TeamsPlatform
from .seal import Seal

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
HEALTH_PATH = "/healthz"
DEFAULT_PORT = 3978
STOP_GRACE = 10.0
CORE_THREADS = 4
NOT_OURS = "Sorry, I can't use that card: it isn't one of mine, or it is out of date."
DONE = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": "Done"}


class CopAgent:
    """The SDK's Agent: every turn goes to the adapter."""

    def __init__(self, adapter: TeamsAdapter) -> None:
        self._adapter = adapter

    async def on_turn(self, context: TurnContext) -> None:
        await self._adapter.on_turn(context)


class TeamsAdapter:
    """Serves copbot's Teams communities (runtime.Adapter)."""

    name = "teams"

    def __init__(
        self,
        settings: Settings,
        *,
        http_port: int = DEFAULT_PORT,
        http_host: str = "0.0.0.0",
        core_threads: int = CORE_THREADS,
    ) -> None:
        assert settings.teams_app_id and settings.teams_app_password
        self.settings = settings
        self.app_id = settings.teams_app_id
        self.tenant_id = settings.teams_tenant_id
        self.http_port = http_port
        self.http_host = http_host
        self.core_threads = max(1, core_threads)
        self.check = TokenCheck(self.app_id, self.tenant_id, settings.teams_openid_url)
        self.credentials = ClientCredentials(
            self.app_id,
            reveal(settings.teams_app_password) or "",
            settings.teams_token_url or token_url(self.tenant_id),
        )
        self.cloud = CloudAdapter(connection_manager=self.credentials)  # type: ignore[arg-type]
        # The SDK's default would post the error's text into the conversation: errors
        # come back to copbot instead (a DeliveryError for the outbox, a log line).
        self.cloud.on_turn_error = None
        self.connector = Connector(self.cloud, self.app_id)
        self.agent = CopAgent(self)
        self.platform = TeamsPlatform(self)
        self._app: App | None = None
        self.seal = Seal(b"")
        self._executor: ThreadPoolExecutor | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def app(self) -> App:
        assert self._app is not None, "the adapter has not been started"
        return self._app

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self, app: App) -> None:
        """Start listening on POST /api/messages."""
        self._app = app
        self.seal = Seal(app.secret)
        self._executor = ThreadPoolExecutor(self.core_threads, thread_name_prefix="copbot-teams")
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.http_host, self.http_port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.http_port = sockets[0].getsockname()[1]
        log.warning("Teams endpoint: POST %s on port %d", MESSAGES_PATH, self.http_port)

    @property
    def connected(self) -> bool:
        return self._runner is not None

    async def stop(self) -> None:
        """Finish what is in flight (briefly), then stop listening."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settle(), STOP_GRACE)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def settle(self) -> None:
        """Wait until every activity received so far has been handled and answered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def web_app(self) -> web.Application:
        web_app = web.Application()
        web_app.router.add_post(MESSAGES_PATH, self._messages)
        web_app.router.add_get(HEALTH_PATH, self._health)
        return web_app

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": self._app is not None})

    async def _messages(self, request: web.Request) -> web.Response:
        identity = await self.check.identity(request.headers.get("Authorization"))
        if identity is None:
            return web.json_response({"error": "not a valid Bot Framework token"}, status=401)
        with warnings.catch_warnings():  # the SDK reads this plain string key
            warnings.simplefilter("ignore")
            request["claims_identity"] = identity
        try:
            response = await self.cloud.process(request, self.agent)
        except ValueError:  # the SDK could not read the activity
            return web.json_response({"error": "not an activity"}, status=400)
        return response or web.Response(status=HTTPStatus.ACCEPTED)

    # ---- a turn: note it, acknowledge, work in the background -------------------------

    async def on_turn(self, context: TurnContext) -> None:
        activity: dict[str, Any] = context.activity.model_dump(
            by_alias=True, exclude_none=True, mode="json"
        )
        claimed = context.identity.get_claim_value("serviceurl") if context.identity else None
        if claimed and str(claimed).rstrip("/") != str(activity.get("serviceUrl", "")).rstrip("/"):
            log.warning("refused a Teams activity whose service URL is not the token's")
            raise PermissionError("service URL mismatch")
        if activity.get("type") == "invoke":
            await context.send_activity(
                Activity(type="invokeResponse", value=InvokeResponse(status=200, body=DONE))
            )
        self._start(self._work(activity))

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("a Teams activity failed after it was acknowledged")

    async def _work(self, activity: dict[str, Any]) -> None:
        here = t.where(activity)
        await asyncio.to_thread(self._remember, activity, here)
        kind = activity.get("type")
        if kind in ("conversationUpdate", "installationUpdate"):
            await self._installed(activity, here)
            return
        if kind == "invoke" and activity.get("name") == files.INVOKE:
            await files.answer_consent(self, activity, here)
            return
        try:
            inbound = t.message_inbound(activity, self.seal)
        except t.Refused as refused:
            log.warning("refused a Teams card submit: %s", refused)
            await self._answer(activity, here, [say(NOT_OURS)], [])
            return
        if inbound is None:
            return
        await self._respond(activity, here, inbound)

    def _remember(self, activity: dict[str, Any], here: t.Where) -> None:
        """Keep the references proactive messages need (in a worker thread)."""
        engine, now = self.app.engine, self.app.clock.now()
        user = str((activity.get("from") or {}).get("id") or "")
        if here.kind == "personal" and user:
            a.remember(
                engine,
                now,
                a.USER,
                user,
                service_url=here.service_url,
                conversation_id=here.conversation_id,
                tenant_id=here.tenant_id,
            )
        elif user and not user.startswith("28:"):
            a.remember(
                engine, now, a.USER, user, service_url=here.service_url, tenant_id=here.tenant_id
            )
        if here.channel_id:
            a.remember(
                engine,
                now,
                a.CHANNEL,
                here.channel_id,
                service_url=here.service_url,
                conversation_id=here.channel_id,
                tenant_id=here.tenant_id,
                team_id=here.team_id,
            )

    async def _respond(self, activity: dict[str, Any], here: t.Where, inbound: Inbound) -> None:
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        response, held = await loop.run_in_executor(self._executor, self._handle, inbound)
        self.app.dispatcher.wake()
        messages: list[OutMessage] = []
        if response.message is not None:
            messages.append(response.message)
        messages += notices.introduce(held)
        try:
            await self._answer(activity, here, messages, [response.form] if response.form else [])
        except Exception:
            notices.put_back(self.app.engine, held)
            raise

    def cards_for(self, message: OutMessage) -> list[Activity]:
        """A message as the card activities that show it."""
        return [card_activity(c, summary(message)) for c in render_message(message, self.seal)]

    def _handle(self, inbound: Inbound) -> tuple[Response, list[notices.Held]]:
        """In a worker thread: the core's answer, and the person's held messages."""
        app = self.app
        response = app.bus.handle(inbound)
        held = notices.take_held(app.engine, app.clock, self.name, inbound.actor.user_id)
        return response, held

    async def _answer(
        self, activity: dict[str, Any], here: t.Where, messages: list[OutMessage], forms: list
    ) -> None:
        """Show the answer to the person who acted, in their 1:1 chat with copbot."""
        came_from = here.channel_id
        cards = [c for m in messages for c in render_message(m, self.seal, came_from)]
        cards += [render_form(f, self.seal, came_from) for f in forms]
        if not cards:
            return
        texts = [summary(m) for m in messages] + [f.title for f in forms]
        user = str((activity.get("from") or {}).get("id") or "")
        if here.kind == "personal":
            service_url, conversation, tenant = (
                here.service_url,
                here.conversation_id,
                here.tenant_id,
            )
        else:
            service_url, conversation, tenant = await self.platform.chat_with(user)
        activities = [
            card_activity(c, texts[min(i, len(texts) - 1)] if texts else "copbot")
            for i, c in enumerate(cards)
        ]
        try:
            await self.connector.send(service_url, conversation, tenant, activities)
        except _Partial as partial:
            raise partial.error from None

    # ---- installs and new members -----------------------------------------------------

    async def _installed(self, activity: dict[str, Any], here: t.Where) -> None:
        """The app was installed (for a person, or in a team), or someone joined a team
        where it is: welcome each new person once, through the core."""
        bot_id = (activity.get("recipient") or {}).get("id")
        if activity.get("type") == "installationUpdate":
            if activity.get("action") not in ("add", "add-upgrade") or here.kind != "personal":
                return
            added = [activity.get("from") or {}]
        else:
            added = [m for m in activity.get("membersAdded") or [] if isinstance(m, dict)]
            if here.kind == "personal" and any(m.get("id") == bot_id for m in added):
                added = [activity.get("from") or {}]
        channel = await self._community_channel(here)
        for person in added:
            user = str(person.get("id") or "")
            if not user or user == bot_id or user.startswith("28:"):
                continue
            key = t.event_key(activity)
            inbound = Inbound(
                Actor(t.PLATFORM, user, str(person.get("name") or "")[:100] or user, channel),
                "join",
                event_id=f"{key}:{user}"[:200] if key else None,
            )
            await self._respond(activity, here, inbound)

    async def _community_channel(self, here: t.Where) -> str | None:
        """The community channel a join is for: the channel of the activity, a community
        channel in its team, or (a personal install) the one Teams community there is."""
        ours = [c.channel for c in self.settings.communities if c.platform == t.PLATFORM]
        if here.channel_id in ours:
            return here.channel_id
        if here.team_id:
            known = await asyncio.to_thread(a.channels_in_team, self.app.engine, here.team_id)
            for channel in known:
                if channel in ours:
                    return channel
            return here.channel_id
        return ours[0] if len(ours) == 1 else None
