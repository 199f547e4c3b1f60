"""The Discord adapter: discord.py's client in, the core's Inbound out, replies rendered back.

Slash commands, button presses and form submissions all take one road (`_respond`): the
core handles the Inbound in a worker thread; if it answers within the acknowledgement
budget the reply goes straight back (a private message, or a modal for a form), otherwise
the interaction is deferred first and the answer follows (adapters.discord.client receives
them). Private messages copbot could not deliver are shown with the person's next reply; a
refused form answer is offered again, filled in (adapters.discord.retry).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from adapters.runtime import AdapterFatal
from bot import notices
from bot.bootstrap import App
from bot.commands import Inbound
from bot.messages import OutMessage, Response, say

from . import render
from .client import CopClient, actor_of, normalise
from .platform import DiscordPlatform
from .retry import EXPIRED, FormRetries

log = logging.getLogger(__name__)

#: Discord wants a first answer within 3 s of sending the interaction; this long after it
#: was created (its id carries the time), the interaction is deferred.
ACK_BUDGET = 2.0
#: An interaction whose work has not even started this long after its creation (it waits
#: behind others for a worker) is deferred then, not at ACK_BUDGET: when many people press
#: at once, their deferrals are spread out instead of all going out in the last moment.
START_BUDGET = 1.0
#: Gateway close codes after which reconnecting cannot help (a bad token, bad intents…).
FATAL_CLOSES = {
    4004: "the bot token was refused",
    4010: "invalid shard",
    4011: "sharding required",
    4012: "invalid API version",
    4013: "invalid intents",
    4014: "privileged intents are not enabled in the developer portal",
}
SLOW_FORM = "Sorry, that took me a moment: please press the button again to open the form."
BROKEN_FORM = "Sorry, I can't show that form on Discord. Please use the /cop command instead."
DONE = "Done."


def _set_from_thread(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    """Set `event` (of `loop`) from a worker thread; nothing if the loop has closed."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(event.set)


class DiscordAdapter:
    """Connects copbot to Discord (runtime.Adapter)."""

    name = "discord"

    def __init__(
        self,
        token: str,
        *,
        guild_id: int | None = None,
        ack_budget: float = ACK_BUDGET,
        workers: int = 1,
        client_options: dict[str, Any] | None = None,
        api_url: str | None = None,
    ) -> None:
        self._token = token
        #: Another base URL for Discord's REST API (a proxy, or a test fake).
        self.api_url = api_url.rstrip("/") if api_url else None
        self.guild_id = guild_id
        self.ack_budget = ack_budget
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="copbot-discord"
        )
        self._client_options = dict(client_options or {})
        self.platform = DiscordPlatform(self)
        #: Forms shown lately, to offer again filled in when an answer is refused.
        self.retries = FormRetries()
        self.client: CopClient | None = None
        self.logged_in = asyncio.Event()
        self._app: App | None = None
        self._task: asyncio.Task[None] | None = None
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        #: Set when the connection is lost for good; runtime.serve then ends the process.
        self.fatal = asyncio.Event()
        self.fatal_reason = ""
        self._stopping = False
        self._online = False
        self._lost = False  # the connection dropped and has not come back yet

    @property
    def connected(self) -> bool:
        """True while the gateway session is up (for health checks)."""
        client = self.client
        return self._online and client is not None and not client.is_closed()

    @property
    def app(self) -> App:
        assert self._app is not None, "the adapter has not been started"
        return self._app

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self, app: App) -> None:
        """Log in (syncing /cop), connect to the gateway, return once the session is up."""
        self._app = app
        self.client = CopClient(self, **self._client_options)
        if self.api_url:
            discord.http.Route.BASE = self.api_url  # discord.py reads it for every request
        await self.client.login(self._token)
        if self.api_url:
            found = await self.client.http.request(discord.http.Route("GET", "/gateway"))
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(found["url"])
        self.logged_in.set()
        connected = self.client.wait_for("connect")
        self._task = asyncio.create_task(self.client.connect(reconnect=True), name="copbot-discord")
        waiting = asyncio.ensure_future(connected)
        done, _ = await asyncio.wait({self._task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            waiting.cancel()
            raise AdapterFatal(self._why_closed(self._task))
        self._online = True
        self._task.add_done_callback(self._gateway_ended)

    def _why_closed(self, task: asyncio.Task[None]) -> str:
        error = None if task.cancelled() else task.exception()
        code = getattr(error, "code", None)
        if isinstance(error, discord.PrivilegedIntentsRequired):
            code = 4014
        if code in FATAL_CLOSES:
            return f"the Discord gateway closed with {code}: {FATAL_CLOSES[code]}"
        what = f"{type(error).__name__}: {error}" if error else "it closed"
        return f"the Discord connection ended for good ({what})"[:300]

    def _gateway_ended(self, task: asyncio.Task[None]) -> None:
        """discord.py gave up reconnecting: say why, once, and end the process."""
        self._online = False
        if self._stopping:
            return
        self.fatal_reason = self._why_closed(task)
        log.error("%s", self.fatal_reason)
        self.fatal.set()

    def disconnected(self) -> None:
        self._online = False
        if not self._stopping:
            self._lost = True
            log.error("lost the connection to the Discord gateway; reconnecting")

    def reconnected(self) -> None:
        if self._lost and not self._stopping:
            log.warning("reconnected to the Discord gateway")
        self._online, self._lost = True, False

    async def stop(self) -> None:
        """Disconnect."""
        self._stopping = True
        self.logged_in.clear()
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=False)

    async def sync_commands(self, tree: app_commands.CommandTree) -> None:
        """Register /cop: on one server at once (development), or everywhere (production)."""
        try:
            if self.guild_id is not None:
                guild = discord.Object(self.guild_id)
                tree.copy_global_to(guild=guild)
                synced = await tree.sync(guild=guild)
                log.warning("registered /cop on Discord server %s", self.guild_id)
            else:
                synced = await tree.sync()
                log.warning("registered /cop on every server (may take up to an hour to show)")
            log.info("/cop has %d subcommands", len(synced[0].options) if synced else 0)
        except discord.HTTPException as error:
            log.error(
                "could not register /cop (%s); is the bot invited with the "
                "applications.commands scope? Buttons still work.",
                error,
            )

    async def settled(self) -> None:
        """Wait until every interaction under way has been answered (for tests)."""
        await self._idle.wait()

    # ---- interactions ----------------------------------------------------------------

    async def on_command(self, interaction: discord.Interaction, text: str) -> None:
        inbound = Inbound(
            actor_of(interaction), "text", text=normalise(text), event_id=f"i{interaction.id}"
        )
        await self.respond(interaction, inbound)

    async def respond(self, interaction: discord.Interaction, inbound: Inbound) -> None:
        """Hand the interaction to the core and answer it in time, privately."""
        self._busy += 1
        self._idle.clear()
        try:
            await self._respond(interaction, inbound)
        except Exception:
            log.exception("could not answer a Discord %s interaction", inbound.kind)
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    def time_left(self, interaction: discord.Interaction, budget: float | None = None) -> float:
        """Seconds left of the acknowledgement budget (or `budget`), counted from when
        Discord created the interaction (its id's timestamp), not from when this handler
        started."""
        age = time.time() - interaction.created_at.timestamp()
        allowed = self.ack_budget if budget is None else min(budget, self.ack_budget)
        return max(0.0, allowed - max(0.0, age))

    async def _in_time(
        self, interaction: discord.Interaction, work: asyncio.Future[Any], started: asyncio.Event
    ) -> bool:
        """Wait for `work` while it can still be the first answer: True if it is done in
        time; False (defer now) once the budget is spent, or sooner if the work has not
        started within START_BUDGET."""
        try:
            waiting = asyncio.ensure_future(started.wait())
            try:
                await asyncio.wait_for(
                    asyncio.shield(waiting), self.time_left(interaction, START_BUDGET)
                )
            finally:
                waiting.cancel()
            await asyncio.wait_for(asyncio.shield(work), self.time_left(interaction))
        except TimeoutError:
            return False
        return True

    def _handle(
        self, inbound: Inbound, started: Callable[[], None] = lambda: None
    ) -> tuple[Response, list[notices.Held]]:
        """In a worker thread: the core's answer, and the person's held messages."""
        started()
        app = self.app
        response = app.bus.handle(inbound)
        held: list[notices.Held] = []
        if response.form is None:  # a modal can't carry them; the submission will
            held = notices.take_held(app.engine, app.clock, self.name, inbound.actor.user_id)
        return response, held

    async def _respond(self, interaction: discord.Interaction, inbound: Inbound) -> None:
        loop = asyncio.get_running_loop()
        started = asyncio.Event()
        work = loop.run_in_executor(
            self._executor, self._handle, inbound, partial(_set_from_thread, loop, started)
        )
        deferred = not await self._in_time(interaction, work, started)
        if deferred:
            await interaction.response.defer(ephemeral=True, thinking=True)
        response, held = await work
        self.app.dispatcher.wake()

        messages: list[OutMessage] = []
        user_id = inbound.actor.user_id
        if response.form is not None:
            dialog = None if deferred else render.modal(response.form)
            if dialog is not None:
                await interaction.response.send_modal(dialog)
                self.retries.shown(user_id, response.form)
                return
            messages.append(say(SLOW_FORM if deferred else BROKEN_FORM))
        elif inbound.kind == "form" and response.field_error is not None:
            typed = dict(inbound.values)
            offer = self.retries.offer(
                user_id, inbound.form_id, inbound.metadata, typed, response.message
            )
            if offer is not None:
                messages.append(offer)
        elif response.message is not None:
            messages.append(response.message)
        messages += notices.introduce(held)
        try:
            await self._reply(interaction, messages, deferred)
        except Exception:
            notices.put_back(self.app.engine, held)
            raise

    async def reopen(self, interaction: discord.Interaction, token: str) -> None:
        """Reopen a refused form ("Try again"): the same form, holding what they typed."""
        form = self.retries.take(token, actor_of(interaction).user_id)
        dialog = render.modal(form) if form is not None else None
        if form is not None and dialog is not None:
            await interaction.response.send_modal(dialog)
            self.retries.shown(actor_of(interaction).user_id, form)
            return
        await interaction.response.send_message(
            EXPIRED, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    async def _reply(
        self, interaction: discord.Interaction, messages: list[OutMessage], deferred: bool
    ) -> None:
        quiet = discord.AllowedMentions.none()
        if not messages:
            if deferred:
                await interaction.followup.send(DONE, ephemeral=True, allowed_mentions=quiet)
            elif interaction.type is discord.InteractionType.application_command:
                await interaction.response.send_message(
                    DONE, ephemeral=True, allowed_mentions=quiet
                )
            else:
                await interaction.response.defer()  # a button with nothing to say
            return
        for part in render.render(messages):
            options: dict[str, Any] = {
                "embeds": part.embeds,
                "ephemeral": True,
                "allowed_mentions": quiet,
            }
            view = part.view()
            if view is not None:
                options["view"] = view
            if not interaction.response.is_done():
                await interaction.response.send_message(**options)
            else:
                await interaction.followup.send(**options)
