"""The Slack adapter: Bolt (AsyncApp) in, the core in the middle, Block Kit out.

Every listener acknowledges first (Slack wants an answer within 3 seconds) and hands the
rest to a background task: translate the payload to an `Inbound`, let the core handle it
(in a worker thread, so a slow database never holds up other acknowledgements), then show
the core's private answer: an ephemeral message (via the response_url or
chat.postEphemeral), a modal (views.open with the trigger_id), or a direct message.

Slack retries events it thinks were lost; each delivery carries its event id (or, for
commands, buttons and forms, its trigger id) to the core, which records it and acts once,
across replicas.

Two ways in: Socket Mode (an app-level token; no public URL) or HTTP (`POST /slack/events`
for events, commands and interactivity, `GET /healthz`), with Slack's signature checked
on every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import astuple
from typing import Any, Literal

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.runtime import AdapterFatal
from bot.bootstrap import App
from bot.commands import Inbound
from bot.config import Settings, reveal
from bot.messages import Response

from . import translate as t
from .answers import Answering
from .inbound import Refusal, check_signature, parse_body
from .platform import SlackPlatform
from .render import field_block

log = logging.getLogger(__name__)

Mode = Literal["socket", "http"]
DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
STOP_GRACE = 10.0
#: A submitted form waits this long for the core before Slack is answered (Slack's limit
#: is 3 s): a quick refusal keeps the form open, with the reason beside the field.
FORM_BUDGET = 2.0
#: Worker threads for the core (bounded: a slow database queues work, never the loop).
CORE_THREADS = 4
#: Work listeners hand over while a request is being answered: started only once Slack
#: has its acknowledgement, so the work never delays the acknowledgement itself.
_after_ack: ContextVar[list[Coroutine[Any, Any, None]] | None] = ContextVar(
    "copbot_after_ack", default=None
)


def api_url(settings: Settings) -> str:
    """Slack's Web API base URL (SLACK_API_URL overrides it, e.g. for a proxy or tests)."""
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


class SlackAdapter(Answering):
    """Serves copbot's Slack communities through Bolt, in Socket Mode or over HTTP."""

    name = "slack"

    def __init__(
        self,
        settings: Settings,
        *,
        mode: Mode,
        http_port: int = 3000,
        http_host: str = "0.0.0.0",
        platform_clock: Callable[[], float] | None = None,
        core_threads: int = CORE_THREADS,
    ) -> None:
        self.settings = settings
        #: The core runs in this many worker threads, never on the event loop, so a slow
        #: database never delays acknowledgements.
        self.core_threads = max(1, core_threads)
        self.mode = mode
        self.http_host = http_host
        self.http_port = http_port
        self.client = AsyncWebClient(
            token=reveal(settings.slack_bot_token), base_url=api_url(settings)
        )
        self.platform = (
            SlackPlatform(self.client, now=platform_clock)
            if platform_clock
            else SlackPlatform(self.client)
        )
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=reveal(settings.slack_signing_secret) or "",
            process_before_response=True,  # we ack first ourselves, then work in a task
            name="copbot",
        )
        self._listen(self.bolt)
        self._app: App | None = None
        #: The process's health check (set by the runtime): answers GET /healthz here too.
        self.health: Any = None
        self._executor: ThreadPoolExecutor | None = None
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._socket: Any = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._names: OrderedDict[str, str] = OrderedDict()

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self, app: App) -> None:
        """Connect (Socket Mode) or start listening (HTTP)."""
        self._app = app
        self._executor = ThreadPoolExecutor(self.core_threads, thread_name_prefix="copbot-slack")
        self._session = aiohttp.ClientSession()
        self.client.session = self._session
        await self._verify_token()
        if self.mode == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            adapter = self

            class AckFirst(AsyncSocketModeHandler):  # type: ignore[misc]
                async def handle(self, client: Any, req: Any) -> None:
                    await adapter._acknowledge_then_work(super().handle(client, req))

            self._socket = AckFirst(
                self.bolt, reveal(self.settings.slack_app_token), web_client=self.client
            )
            self._socket.client.on_close_listeners.append(self._socket_lost)
            try:  # Socket Mode would retry a refused token for ever: ask once first
                await self.client.apps_connections_open(
                    app_token=reveal(self.settings.slack_app_token)
                )
            except SlackApiError as error:
                code = error.response.get("error")
                self._socket = None  # nothing to close
                raise AdapterFatal(f"Slack refused the app-level token ({code})") from None
            await self._socket.connect_async()
        else:
            self._runner = web.AppRunner(self.web_app(), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.http_host, self.http_port)
            await site.start()
            sockets = getattr(site._server, "sockets", None) or []
            if sockets:
                self.http_port = sockets[0].getsockname()[1]
            log.warning(
                "Slack HTTP endpoint: POST %s on port %d (health: %s)",
                EVENTS_PATH,
                self.http_port,
                HEALTH_PATH,
            )

    @property
    def connected(self) -> bool:
        """True while Slack can reach copbot: the Socket Mode connection is open, or the
        HTTP endpoint is listening (for health checks)."""
        if self._socket is not None:
            session = getattr(self._socket.client, "current_session", None)
            return session is not None and not session.closed
        return self._runner is not None

    async def _socket_lost(self, _message: Any) -> None:
        log.error("lost the Socket Mode connection to Slack; reconnecting")

    async def _verify_token(self) -> None:
        """Call auth.test now, so the first request does not wait for it (Bolt would call it
        then); a token Slack refuses stops the start-up with one clear line."""
        try:
            result = await self.client.auth_test()
        except SlackApiError as error:
            code = error.response.get("error")
            if code in ("invalid_auth", "not_authed", "token_revoked", "account_inactive"):
                raise AdapterFatal(f"Slack refused the bot token ({code})") from None
            log.error("Slack's auth.test failed (%s); will retry on the first request", code)
            return
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            log.error("could not reach Slack to check the token (%s)", type(error).__name__)
            return
        for middleware in self.bolt._async_middleware_list:
            if isinstance(middleware, AsyncSingleTeamAuthorization):
                middleware.auth_test_result = result

    async def stop(self) -> None:
        """Finish what is in flight (briefly), then disconnect."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settle(), STOP_GRACE)
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def settle(self) -> None:
        """Wait until every interaction received so far has been handled and answered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def web_app(self) -> web.Application:
        """The HTTP endpoints: POST /slack/events (all of Slack's requests), GET /healthz."""
        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, self._http_events)
        web_app.router.add_get(HEALTH_PATH, self._http_health)
        return web_app

    async def _http_events(self, request: web.Request) -> web.Response:
        raw = await request.read()
        secret = reveal(self.settings.slack_signing_secret) or ""
        checked = check_signature(raw, request.headers, secret) or parse_body(
            raw, request.headers.get("Content-Type")
        )
        if isinstance(checked, Refusal):
            log.warning("refused a request to %s (HTTP %d): %s", EVENTS_PATH, *astuple(checked))
            return web.Response(status=checked.status, text=checked.reason)
        # Verified and parsed above: Bolt gets the body as an object (as in Socket Mode,
        # where it does not check signatures again).
        bolt_request = AsyncBoltRequest(
            body=checked,
            query=request.query_string,
            headers=dict(request.headers),
            mode="socket_mode",
        )

        async def answer() -> web.Response:
            try:
                bolt_response = await self.bolt.async_dispatch(bolt_request)
            except Exception as error:
                log.error("Slack request not understood (HTTP 400): %s", type(error).__name__)
                bolt_response = BoltResponse(status=400, body="not understood")
            response = await to_aiohttp_response(bolt_response)
            await response.prepare(request)
            await response.write_eof()  # Slack has its acknowledgement now
            return response

        return await self._acknowledge_then_work(answer())

    async def _acknowledge_then_work(self, acknowledge: Coroutine[Any, Any, Any]) -> Any:
        """Run `acknowledge` (Bolt and the answer to Slack); only then start the work that
        the listeners handed over."""
        pending: list[Coroutine[Any, Any, None]] = []
        token = _after_ack.set(pending)
        try:
            result = await acknowledge
        except BaseException:
            for work in pending:
                work.close()
            raise
        finally:
            _after_ack.reset(token)
        for work in pending:
            self._start(work)
        return result

    async def _http_health(self, request: web.Request) -> web.Response:
        if self.health is not None:
            return await self.health.handle(request)
        return web.json_response({"ok": self._app is not None})

    # ---- listeners: acknowledge, then work in the background ---------------------------

    def _listen(self, bolt: AsyncApp) -> None:
        bolt.command(t.COMMAND)(self._on_command)
        bolt.action(re.compile(r"^copbot:"))(self._on_action)
        bolt.view(re.compile(r"^copbot:"))(self._on_view)
        bolt.event("app_home_opened")(self._on_home)
        bolt.event("reaction_added")(self._on_reaction)
        bolt.event("member_joined_channel")(self._on_join)

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._command(body))

    async def _on_action(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._action(body))

    async def _on_view(self, ack: Any, body: dict[str, Any]) -> None:
        """A submitted form: answered before the acknowledgement when the core is quick
        (so a refused answer keeps the form open, the reason beside the field), else
        acknowledged at FORM_BUDGET and answered afterwards."""
        work = asyncio.ensure_future(self._view_response(body))
        try:
            found = await asyncio.wait_for(asyncio.shield(work), FORM_BUDGET)
        except TimeoutError:
            await ack()
            self._spawn(self._view_later(work, body))
            return
        if found is not None:
            block = field_block(body.get("view") or {}, found[1].field)
            if found[1].field_error and block:
                await ack(response_action="errors", errors={block: found[1].field_error[:150]})
                return
        await ack()
        if found is not None:
            self._spawn(self._view_answer(body, *found))

    async def _on_home(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._home(body))

    async def _on_reaction(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._reaction(body))

    async def _on_join(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        self._spawn(self._join(body, context.get("bot_user_id")))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        pending = _after_ack.get()
        if pending is not None:
            pending.append(work)
        else:
            self._start(work)

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("a Slack interaction failed after it was acknowledged")

    # ---- the work ------------------------------------------------------------------------

    async def _command(self, body: dict[str, Any]) -> None:
        name = await self.display_name(str(body["user_id"]), body.get("user_name"))
        inbound = t.command_inbound(body, name)
        response = await self.handle(inbound)
        await self._answer(
            response,
            user_id=inbound.actor.user_id,
            channel_id=body.get("channel_id"),
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
        )

    async def _action(self, body: dict[str, Any]) -> None:
        user = body["user"]
        name = await self.display_name(str(user["id"]), user.get("username") or user.get("name"))
        for action in body.get("actions") or []:
            inbound = t.action_inbound(body, action, name)
            if inbound is None:
                continue
            response = await self.handle(inbound)
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
                "channel_id"
            )
            await self._answer(
                response,
                user_id=inbound.actor.user_id,
                channel_id=channel,
                response_url=body.get("response_url"),
                trigger_id=body.get("trigger_id"),
            )

    async def _view_response(self, body: dict[str, Any]) -> tuple[Inbound, Response] | None:
        user = body["user"]
        name = await self.display_name(str(user["id"]), user.get("username") or user.get("name"))
        found = t.view_inbound(body, name)
        if found is None:
            return None
        return found[0], await self.handle(found[0])

    async def _view_later(
        self, work: asyncio.Future[tuple[Inbound, Response] | None], body: dict[str, Any]
    ) -> None:
        found = await work
        if found is not None:
            await self._view_answer(body, *found)

    async def _view_answer(
        self, body: dict[str, Any], inbound: Inbound, response: Response
    ) -> None:
        await self._answer(
            response,
            user_id=inbound.actor.user_id,
            channel_id=inbound.actor.channel_id,
            response_url=None,
            trigger_id=body.get("trigger_id"),
        )

    async def _reaction(self, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if event.get("reaction") != t.WIN_REACTION or not event.get("user"):
            return
        name = await self.display_name(str(event["user"]))
        inbound = t.reaction_inbound(body, name)
        if inbound is None:
            return
        response = await self.handle(inbound)
        await self._answer(
            response,
            user_id=inbound.actor.user_id,
            channel_id=(event.get("item") or {}).get("channel"),
            response_url=None,
            trigger_id=None,
        )

    async def _join(self, body: dict[str, Any], bot_user_id: str | None) -> None:
        event = body.get("event") or {}
        if not event.get("user") or event.get("user") == bot_user_id:
            return
        name = await self.display_name(str(event["user"]))
        inbound = t.join_inbound(body, name, bot_user_id)
        if inbound is None:
            return
        response = await self.handle(inbound)
        if response.message is not None:
            await self._tell(response.message, inbound.actor.user_id, None, None)

    async def handle(self, inbound: Inbound) -> Response:
        """Let the core handle one interaction (in a worker thread), then wake the outbox."""
        assert self._app is not None and self._executor is not None
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(self._executor, self._app.bus.handle, inbound)
        self._app.dispatcher.wake()
        return response
