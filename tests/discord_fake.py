"""A loopback fake of Discord: REST API and gateway on 127.0.0.1, enough for discord.py 2.7.

The unmodified discord.py client logs in, opens the gateway (HELLO, IDENTIFY -> READY,
GUILD_CREATE, heartbeats, zlib-stream frames), syncs application commands, and receives
INTERACTION_CREATE events shaped as in Discord's documentation (application command,
autocomplete, message component, modal submit). Everything it sends back is recorded and
checked against Discord's documented limits (embeds, components, custom_id <= 100, modals);
a payload Discord would reject gets Discord's 400 answer and is listed in `rejected`.

Switches for tests: `closed_dms` (users whose DMs fail with 50007), `rate_limit(...)` (the
next matching request gets a 429 with retry_after JSON and X-RateLimit headers).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yarl
from aiohttp import WSMsgType, web

APP_ID = 1100000000000000001
BOT_ID = 1100000000000000002
GUILD_ID = 1100000000000000003
CHANNEL_ID = 1100000000000000004
DISCORD_EPOCH_MS = 1420070400000
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
EPHEMERAL = 1 << 6

BODY = web.RequestKey("body", object)
FILES = web.RequestKey("files", list)
JSON = {"Content-Type": "application/json"}  # exactly: discord.py rejects a charset suffix


def _now() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, name: str) -> dict[str, Any]:
    """A Discord user object."""
    return {
        "id": str(user_id),
        "username": name.lower(),
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "public_flags": 0,
    }


# ---- Discord's limits ------------------------------------------------------------------


def embed_problems(embeds: list[dict[str, Any]]) -> list[str]:
    problems = []
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds (max 10)")
    total = 0
    for index, embed in enumerate(embeds):
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        fields = embed.get("fields") or []
        limits = [("title", title, 256), ("description", description, 4096)]
        limits += [("footer", footer, 2048), ("author", author, 256)]
        for name, value, limit in limits:
            if len(value) > limit:
                problems.append(f"embed {index} {name} is {len(value)} long (max {limit})")
        if len(fields) > 25:
            problems.append(f"embed {index} has {len(fields)} fields (max 25)")
        for item in fields:
            if len(item.get("name", "")) > 256 or len(item.get("value", "")) > 1024:
                problems.append(f"embed {index} has a field over its limits")
        total += len(title) + len(description) + len(footer) + len(author)
        total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in fields)
    if total > 6000:
        problems.append(f"embeds total {total} characters (max 6000)")
    return problems


def component_problems(rows: list[dict[str, Any]]) -> list[str]:
    problems = []
    if len(rows) > 5:
        problems.append(f"{len(rows)} action rows (max 5)")
    seen: set[str] = set()
    for row in rows:
        children = row.get("components", [])
        if row.get("type") != 1 or not 1 <= len(children) <= 5:
            problems.append("an action row must hold 1 to 5 components")
        for child in children:
            custom_id = child.get("custom_id", "")
            if not 1 <= len(custom_id) <= 100:
                problems.append(f"custom_id {custom_id!r} must be 1-100 characters")
            if custom_id in seen:
                problems.append(f"custom_id {custom_id!r} is used twice")
            seen.add(custom_id)
            if len(child.get("label") or "") > 80:
                problems.append("a button label is over 80 characters")
    return problems


def message_problems(payload: dict[str, Any]) -> list[str]:
    problems = embed_problems(payload.get("embeds") or [])
    problems += component_problems(payload.get("components") or [])
    if len(payload.get("content") or "") > 2000:
        problems.append("content over 2000 characters")
    if not (payload.get("content") or payload.get("embeds") or payload.get("components")):
        problems.append("cannot send an empty message")
    return problems


def modal_problems(data: dict[str, Any]) -> list[str]:
    problems = []
    if not 1 <= len(data.get("custom_id", "")) <= 100:
        problems.append("modal custom_id must be 1-100 characters")
    if not 1 <= len(data.get("title", "")) <= 45:
        problems.append("modal title must be 1-45 characters")
    components = data.get("components", [])
    if not 1 <= len(components) <= 5:
        problems.append(f"a modal holds 1 to 5 components, not {len(components)}")
    for label in components:
        if label.get("type") != 18:
            problems.append("modal components should be labels")
            continue
        if not 1 <= len(label.get("label", "")) <= 45:
            problems.append("a label must be 1-45 characters")
        if len(label.get("description") or "") > 100:
            problems.append("a label description is over 100 characters")
        inner = label.get("component", {})
        if not 1 <= len(inner.get("custom_id", "")) <= 100:
            problems.append("a modal input custom_id must be 1-100 characters")
        if inner.get("type") == 4:
            if int(inner.get("max_length") or 4000) > 4000:
                problems.append("text input max_length over 4000")
            if len(inner.get("value") or "") > 4000 or len(inner.get("placeholder") or "") > 100:
                problems.append("text input value or placeholder too long")
        elif inner.get("type") == 3:
            options = inner.get("options", [])
            if not 1 <= len(options) <= 25:
                problems.append("a select needs 1 to 25 options")
            for option in options:
                if len(option.get("label", "")) > 100 or len(option.get("value", "")) > 100:
                    problems.append("a select option is over 100 characters")
        else:
            problems.append(f"unexpected modal component type {inner.get('type')}")
    return problems


def command_problems(commands: list[dict[str, Any]]) -> list[str]:
    problems = []
    for command in commands:
        if not re.fullmatch(r"[-_\w]{1,32}", command.get("name", "")):
            problems.append(f"bad command name {command.get('name')!r}")
        if not 1 <= len(command.get("description", "")) <= 100:
            problems.append(f"/{command.get('name')} description must be 1-100 characters")
        options = command.get("options", [])
        if len(options) > 25:
            problems.append(f"/{command.get('name')} has {len(options)} options (max 25)")
        problems += command_problems([o for o in options if o.get("type") in (1, 2)])
        for option in options:
            if option.get("type") not in (1, 2) and not 1 <= len(option["description"]) <= 100:
                problems.append(f"option {option['name']} description must be 1-100 characters")
    return problems


# ---- records ---------------------------------------------------------------------------


@dataclass
class Exchange:
    """One interaction sent to the bot, and everything the bot answered."""

    id: int
    token: str
    payload: dict[str, Any]
    callback: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    #: The messages the answer created, as Discord shows them (ids, flags, components).
    messages: list[dict[str, Any]] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    sent_at: float = 0.0  # time.monotonic() when the fake sent INTERACTION_CREATE
    answered_after: float | None = None  # seconds from sending to the first callback
    late: bool = False  # the callback came after `answer_deadline` and was refused

    @property
    def modal(self) -> dict[str, Any] | None:
        if self.callback and self.callback.get("type") == 9:
            return self.callback["data"]
        return None

    @property
    def text(self) -> str:
        return "\n".join(text_of(m) for m in self.messages)

    @property
    def ephemeral(self) -> bool:
        return all((m.get("flags") or 0) & EPHEMERAL for m in self.messages)


def text_of(message: dict[str, Any]) -> str:
    """A message's visible text: content, then each embed's title, description and footer."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row.get("components", [])]


@dataclass
class Posted:
    """A message the bot created in a channel (or a DM), with the files it carried."""

    channel_id: int
    payload: dict[str, Any]
    message: dict[str, Any]
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, bytes)

    @property
    def text(self) -> str:
        return text_of(self.payload)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return buttons_of(self.payload)


@dataclass
class RateLimit:
    method: str
    path: re.Pattern[str]
    retry_after: float
    cloudflare: bool = False


# ---- the fake --------------------------------------------------------------------------


class FakeDiscord:
    """Discord's REST API and gateway, in-process, on a random loopback port."""

    def __init__(self) -> None:
        self._last_id = 1200000000000000000
        self._gateway_request: web.Request | None = None
        #: Like Discord: an interaction not answered (or deferred) within this many seconds
        #: of being sent gets 10062 Unknown interaction. None: no limit.
        self.answer_deadline: float | None = None
        #: Seconds each message creation takes (a slow network or a busy Discord).
        self.message_delay = 0.0
        #: When set, message creations wait until it is set (a Discord that hangs).
        self.message_gate: asyncio.Event | None = None
        #: When set, the login (GET /users/@me) waits until it is set.
        self.login_gate: asyncio.Event | None = None
        self.bot = {**user(BOT_ID, "copbot"), "bot": True}
        self.channels = {CHANNEL_ID: "wound-care"}
        self.dm_channels: dict[int, int] = {}  # dm channel id -> user id
        self.closed_dms: set[int] = set()
        self.messages: dict[int, dict[str, Any]] = {}
        self.posts: list[Posted] = []
        self.exchanges: dict[int, Exchange] = {}
        self.by_token: dict[str, Exchange] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []
        self.rejected: list[tuple[str, list[str]]] = []
        self.rate_limits: list[RateLimit] = []
        self.identifies: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.sessions = 0
        self._socket: web.WebSocketResponse | None = None
        self._compress: Any = None
        self._seq = 0
        self._identified = asyncio.Event()
        self._posted = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    def reset(self) -> None:
        """Forget what earlier tests recorded (the server and its connections stay up)."""
        self.posts.clear()
        self.exchanges.clear()
        self.by_token.clear()
        self.requests.clear()
        self.rejected.clear()
        self.rate_limits.clear()
        self.closed_dms.clear()
        self.identifies.clear()
        self.commands.clear()
        self.heartbeats = 0

    def sent_payloads(self) -> list[dict[str, Any]]:
        """Every message payload the bot sent: posts, DMs, interaction answers, follow-ups."""
        found = []
        for method, path, body in self.requests:
            if method != "POST" or not isinstance(body, dict):
                continue
            if path.endswith("/messages") or "/webhooks/" in path:
                found.append(body)
            elif path.endswith("/callback") and body.get("type") in (4, 7):
                found.append(body.get("data") or {})
        return found

    # ---- server ----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        api = "/api/v10"
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get(api + "/users/@me", self._me)
        app.router.add_get(api + "/oauth2/applications/@me", self._application)
        app.router.add_get(api + "/gateway", self._gateway_url)
        app.router.add_put(api + "/applications/{app}/commands", self._sync)
        app.router.add_put(api + "/applications/{app}/guilds/{guild}/commands", self._sync)
        app.router.add_post(api + "/channels/{channel}/messages", self._create_message)
        app.router.add_post(api + "/users/@me/channels", self._create_dm)
        app.router.add_post(api + "/interactions/{id}/{token}/callback", self._callback)
        app.router.add_post(api + "/webhooks/{app}/{token}", self._followup)
        app.router.add_patch(api + "/webhooks/{app}/{token}/messages/@original", self._edit)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def install(self, monkeypatch: Any) -> None:
        """Point discord.py at this fake (REST base and first gateway URL)."""
        import discord.gateway
        import discord.http

        monkeypatch.setattr(discord.http.Route, "BASE", self.api_base)
        monkeypatch.setattr(
            discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url)
        )

    def snowflake(self) -> int:
        """A new id; like Discord's, it carries the time it was made (ms since 2015)."""
        stamp = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(stamp, self._last_id + 1)
        return self._last_id

    async def close_gateway(self, code: int) -> None:
        """Close the gateway connection with `code` (e.g. 4004: authentication failed)."""
        assert self._socket is not None, "no client is connected"
        await self._socket.close(code=code, message=b"closed by the fake")

    def drop_gateway(self) -> None:
        """Cut the gateway connection without a close frame (the client sees 1006)."""
        assert self._gateway_request is not None and self._gateway_request.transport
        self._gateway_request.transport.abort()

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None):
        return web.Response(
            body=json.dumps(data).encode(), status=status, headers={**JSON, **(headers or {})}
        )

    def _reject(self, where: str, problems: list[str]) -> web.Response:
        self.rejected.append((where, problems))
        return self._json(
            {"code": 50035, "message": "Invalid Form Body", "errors": problems}, status=400
        )

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = None
        files: list[tuple[str, bytes]] = []
        if request.can_read_body and request.content_type == "application/json":
            body = await request.json()
        elif request.can_read_body and request.content_type == "multipart/form-data":
            form = await request.post()  # payload_json + files[n], as discord.py sends files
            body = json.loads(str(form.get("payload_json") or "{}"))
            for name, value in form.items():
                if name.startswith("files[") and isinstance(value, web.FileField):
                    files.append((value.filename, value.file.read()))
        self.requests.append((request.method, request.path, body))
        for limit in self.rate_limits:
            if limit.method == request.method and limit.path.search(request.path):
                self.rate_limits.remove(limit)
                if limit.cloudflare:
                    return web.Response(
                        status=429,
                        text="error code: 1015",
                        content_type="text/html",
                        headers={"Retry-After": str(int(limit.retry_after))},
                    )
                return self._json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": limit.retry_after,
                        "global": False,
                    },
                    status=429,
                    headers={
                        "Via": "1.1 google",
                        "Retry-After": str(max(1, round(limit.retry_after))),
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": str(limit.retry_after),
                        "X-RateLimit-Bucket": "fake-bucket",
                        "X-RateLimit-Scope": "user",
                    },
                )
        request[BODY] = body
        request[FILES] = files
        return await handler(request)

    def cloudflare_ban(self, method: str, path: str, retry_after: int) -> None:
        """The next request matching `path` gets Cloudflare's own 429: text/html, a
        Retry-After header, no JSON and no Via header."""
        self.rate_limits.append(RateLimit(method, re.compile(path), retry_after, cloudflare=True))

    def rate_limit(self, method: str, path: str, retry_after: float) -> None:
        """The next request matching `path` (a regex) gets a 429."""
        self.rate_limits.append(RateLimit(method, re.compile(path), retry_after))

    # ---- REST ------------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        if self.login_gate is not None:  # a Discord that does not answer the login
            await self.login_gate.wait()
        return self._json(self.bot)

    async def _gateway_url(self, request: web.Request) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _application(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "id": str(APP_ID),
                "name": "copbot",
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": user(APP_ID + 100, "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        commands = request[BODY]
        problems = command_problems(commands)
        if problems:
            return self._reject("commands", problems)
        scope = request.match_info.get("guild", "global")
        answer = []
        for command in commands:
            answer.append(
                {
                    **command,
                    "id": str(self.snowflake()),
                    "application_id": str(APP_ID),
                    "version": str(self.snowflake()),
                    "type": command.get("type", 1),
                    "default_member_permissions": None,
                    **({"guild_id": scope} if scope != "global" else {}),
                }
            )
        self.commands[scope] = answer
        return self._json(answer)

    def _message(
        self, channel_id: int, payload: dict[str, Any], flags: int = 0, kind: int = 0
    ) -> dict[str, Any]:
        message = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "type": kind,
            "content": payload.get("content") or "",
            "author": self.bot,
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "flags": flags | (payload.get("flags") or 0),
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "pinned": False,
        }
        if payload.get("nonce") is not None:
            message["nonce"] = payload["nonce"]
        self.messages[int(message["id"])] = message
        return message

    async def _create_message(self, request: web.Request) -> web.Response:
        if self.message_delay:
            await asyncio.sleep(self.message_delay)
        if self.message_gate is not None:
            await self.message_gate.wait()
        payload = request[BODY] or {}
        channel_id = int(request.match_info["channel"])
        if channel_id not in self.channels and channel_id not in self.dm_channels:
            return self._json({"code": 10003, "message": "Unknown Channel"}, status=404)
        if self.dm_channels.get(channel_id) in self.closed_dms:
            return self._json(
                {"code": 50007, "message": "Cannot send messages to this user"}, status=403
            )
        problems = message_problems(payload)
        if problems:
            return self._reject(f"channel {channel_id}", problems)
        nonce = payload.get("nonce")
        if payload.get("enforce_nonce") and nonce is not None:
            for post in self.posts:
                if post.channel_id == channel_id and post.payload.get("nonce") == nonce:
                    return self._json(post.message)  # Discord returns the original
        message = self._message(channel_id, payload)
        files = request[FILES]
        message["attachments"] = [
            {
                "id": str(self.snowflake()),
                "filename": name,
                "size": len(data),
                "url": f"https://cdn.fake.test/{name}",
                "proxy_url": f"https://media.fake.test/{name}",
            }
            for name, data in files
        ]
        async with self._posted:
            self.posts.append(Posted(channel_id, payload, message, files))
            self._posted.notify_all()
        return self._json(message)

    async def _create_dm(self, request: web.Request) -> web.Response:
        recipient = int(request[BODY]["recipient_id"])
        channel_id = next((c for c, u in self.dm_channels.items() if u == recipient), None)
        if channel_id is None:
            channel_id = self.snowflake()
            self.dm_channels[channel_id] = recipient
        return self._json(
            {
                "id": str(channel_id),
                "type": 1,
                "last_message_id": None,
                "recipients": [user(recipient, f"user{recipient}")],
            }
        )

    async def _callback(self, request: web.Request) -> web.Response:
        interaction_id = int(request.match_info["id"])
        exchange = self.exchanges.get(interaction_id)
        if exchange is None or exchange.token != request.match_info["token"]:
            return self._json({"code": 10062, "message": "Unknown interaction"}, status=404)
        exchange.answered_after = time.monotonic() - exchange.sent_at
        if self.answer_deadline is not None and exchange.answered_after > self.answer_deadline:
            exchange.late = True
            exchange.answered.set()
            return self._json({"code": 10062, "message": "Unknown interaction"}, status=404)
        if exchange.callback is not None:
            return self._json(
                {"code": 40060, "message": "Interaction has already been acknowledged."},
                status=400,
            )
        body = request[BODY] or {}
        kind = body.get("type")
        data = body.get("data") or {}
        problems = []
        if kind in (4, 7):
            problems = message_problems(data)
        elif kind == 9:
            problems = modal_problems(data)
        elif kind == 8:
            choices = data.get("choices", [])
            if len(choices) > 25 or any(
                not 1 <= len(c["name"]) <= 100 or len(str(c["value"])) > 100 for c in choices
            ):
                problems = ["autocomplete choices over Discord's limits"]
        elif kind not in (5, 6):
            problems = [f"unknown callback type {kind}"]
        if problems:
            return self._reject("interaction callback", problems)
        exchange.callback = body
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(interaction_id),
                "type": exchange.payload["type"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
            }
        }
        if kind == 4:
            message = self._message(int(exchange.payload["channel_id"]), data, kind=20)
            exchange.messages.append(message)
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": 4, "message": message}
        else:
            answer["resource"] = {"type": kind}
        exchange.answered.set()
        return self._json(answer)

    async def _followup(self, request: web.Request) -> web.Response:
        exchange = self.by_token.get(request.match_info["token"])
        if exchange is None:
            return self._json({"code": 10015, "message": "Unknown Webhook"}, status=404)
        if exchange.callback is None:
            return self._json({"code": 40060, "message": "Not acknowledged"}, status=400)
        payload = request[BODY] or {}
        problems = message_problems(payload)
        if problems:
            return self._reject("follow-up", problems)
        exchange.followups.append(payload)
        message = self._message(int(exchange.payload["channel_id"]), payload)
        exchange.messages.append(message)
        return self._json(message)

    async def _edit(self, request: web.Request) -> web.Response:
        exchange = self.by_token.get(request.match_info["token"])
        if exchange is None:
            return self._json({"code": 10015, "message": "Unknown Webhook"}, status=404)
        payload = request[BODY] or {}
        exchange.followups.append(payload)
        message = self._message(int(exchange.payload["channel_id"]), payload)
        exchange.messages.append(message)
        return self._json(message)

    # ---- gateway ---------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._gateway_request = request
        compress = request.query.get("compress")
        self._compress = zlib.compressobj() if compress == "zlib-stream" else None
        self._socket = socket
        await self._send(socket, {"op": 10, "d": {"heartbeat_interval": 41250}})
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            op = message.get("op")
            if op == 1:
                self.heartbeats += 1
                await self._send(socket, {"op": 11})
            elif op == 2:
                await self._identify(socket, message["d"])
            elif op == 6:
                await self._send(socket, {"op": 9, "d": False})  # sessions don't resume here
        if self._socket is socket:
            self._socket = None
            self._identified.clear()
        return socket

    async def _send(self, socket: web.WebSocketResponse, message: dict[str, Any]) -> None:
        data = json.dumps({"s": None, "t": None, **message}).encode()
        if self._compress is None:
            await socket.send_str(data.decode())
        else:
            await socket.send_bytes(
                self._compress.compress(data) + self._compress.flush(zlib.Z_SYNC_FLUSH)
            )

    async def _identify(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.identifies.append(data)
        if data.get("intents", 0) & PRIVILEGED_INTENTS:
            await socket.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.sessions += 1
        self._seq = 0
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": self.bot,
                "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                "session_id": f"session{self.sessions}",
                "resume_gateway_url": self.gateway_url,
                "shard": [0, 1],
                "application": {"id": str(APP_ID), "flags": 0},
            },
        )
        await self.dispatch("GUILD_CREATE", self.guild())
        self._identified.set()

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to the connected client."""
        assert self._socket is not None, "no client is connected"
        self._seq += 1
        await self._send(self._socket, {"op": 0, "s": self._seq, "t": event, "d": data})

    async def connected(self) -> None:
        await asyncio.wait_for(self._identified.wait(), 10)

    def guild(self) -> dict[str, Any]:
        return {
            "id": str(GUILD_ID),
            "name": "Wound care network",
            "icon": None,
            "owner_id": str(APP_ID + 100),
            "unavailable": False,
            "member_count": 2,
            "large": False,
            "joined_at": _now(),
            "features": [],
            "roles": [
                {
                    "id": str(GUILD_ID),
                    "name": "@everyone",
                    "permissions": "2248473465835073",
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [
                {
                    "id": str(channel_id),
                    "type": 0,
                    "guild_id": str(GUILD_ID),
                    "name": name,
                    "position": index,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "topic": None,
                    "parent_id": None,
                    "last_message_id": None,
                    "rate_limit_per_user": 0,
                    "flags": 0,
                }
                for index, (channel_id, name) in enumerate(self.channels.items())
            ],
            "members": [
                {
                    "user": self.bot,
                    "roles": [],
                    "joined_at": _now(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            ],
            "threads": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    # ---- interactions ----------------------------------------------------------------

    def _interaction(
        self, kind: int, who: dict[str, Any], data: dict[str, Any], channel_id: int | None
    ) -> dict[str, Any]:
        interaction_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "token": f"token-{interaction_id}",
            "version": 1,
            "app_permissions": "277025508352",
            "locale": "en-GB",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "attachment_size_limit": 10485760,
        }
        if channel_id is None or channel_id in self.dm_channels:
            dm = channel_id or next(
                (c for c, u in self.dm_channels.items() if u == int(who["id"])), None
            )
            dm = dm or self.snowflake()
            self.dm_channels.setdefault(dm, int(who["id"]))
            payload.update(
                user=who,
                context=1,
                channel_id=str(dm),
                channel={"id": str(dm), "type": 1, "recipients": [who]},
            )
        else:
            payload.update(
                guild_id=str(GUILD_ID),
                guild={"id": str(GUILD_ID), "locale": "en-GB", "features": []},
                guild_locale="en-GB",
                context=0,
                channel_id=str(channel_id),
                channel={
                    "id": str(channel_id),
                    "type": 0,
                    "guild_id": str(GUILD_ID),
                    "name": self.channels.get(channel_id, "channel"),
                },
                member={
                    "user": who,
                    "roles": [],
                    "joined_at": _now(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "nick": None,
                    "permissions": "2248473465835073",
                },
            )
        return payload

    async def interact(self, payload: dict[str, Any]) -> Exchange:
        """Send INTERACTION_CREATE and wait until the bot has answered it (the callback)."""
        exchange = Exchange(int(payload["id"]), payload["token"], payload)
        self.exchanges[exchange.id] = exchange
        self.by_token[exchange.token] = exchange
        exchange.sent_at = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", payload)
        await asyncio.wait_for(exchange.answered.wait(), 10)
        return exchange

    async def interact_all(self, payloads: list[dict[str, Any]]) -> list[Exchange]:
        """Send several INTERACTION_CREATE events back to back (as many people pressing at
        once), then wait until each is answered."""
        exchanges = [Exchange(int(p["id"]), p["token"], p) for p in payloads]
        for exchange in exchanges:
            self.exchanges[exchange.id] = exchange
            self.by_token[exchange.token] = exchange
            exchange.sent_at = time.monotonic()
            await self.dispatch("INTERACTION_CREATE", exchange.payload)
        await asyncio.wait_for(asyncio.gather(*(e.answered.wait() for e in exchanges)), 30)
        return exchanges

    def press_payload(self, who: dict[str, Any], message: dict[str, Any], label: str):
        """The INTERACTION_CREATE of `who` pressing `label` on `message` (not sent)."""
        button = next((b for b in buttons_of(message) if b.get("label") == label), None)
        assert button is not None, f"no button {label!r} in {buttons_of(message)}"
        data = {"custom_id": button["custom_id"], "component_type": 2}
        payload = self._interaction(3, who, data, int(message["channel_id"]))
        payload["message"] = message
        return payload

    def _command(self, line: str, focused: bool = False) -> dict[str, Any]:
        """The data of `/cop <line>` as Discord sends it: `/cop` takes one text, `command`."""
        registered = next(iter(self.commands.values()), [])
        command = next((c for c in registered if c["name"] == "cop"), None)
        assert command is not None, "/cop was never registered"
        [option] = command["options"]
        assert (option["name"], option["type"], option["required"]) == ("command", 3, True)
        value: dict[str, Any] = {"name": "command", "type": 3, "value": line}
        if focused:
            value["focused"] = True
        return {"id": command["id"], "name": "cop", "type": 1, "options": [value]}

    async def slash(
        self,
        who: dict[str, Any],
        verb: str,
        text: str | None = None,
        channel_id: int | None = CHANNEL_ID,
    ) -> Exchange:
        """`/cop <verb> [text]` typed by `who` in a channel (None: in a DM with the bot)."""
        data = self._command(f"{verb} {text or ''}".strip())
        if channel_id is not None:
            data["guild_id"] = str(GUILD_ID)
        return await self.interact(self._interaction(2, who, data, channel_id))

    async def autocomplete(self, who: dict[str, Any], typed: str) -> list[str]:
        """What the bot suggests while `who` has typed `typed` after /cop."""
        data = self._command(typed, focused=True)
        exchange = await self.interact(self._interaction(4, who, data, CHANNEL_ID))
        assert exchange.callback is not None
        return [c["value"] for c in exchange.callback["data"]["choices"]]

    async def press(self, who: dict[str, Any], message: dict[str, Any], label: str) -> Exchange:
        """`who` presses the button labelled `label` on a message the bot sent."""
        button = next((b for b in buttons_of(message) if b.get("label") == label), None)
        assert button is not None, f"no button {label!r} in {buttons_of(message)}"
        channel_id = int(message["channel_id"])
        data = {"custom_id": button["custom_id"], "component_type": 2}
        payload = self._interaction(3, who, data, channel_id)
        payload["message"] = message
        return await self.interact(payload)

    async def submit(
        self, who: dict[str, Any], modal: dict[str, Any], values: dict[str, str]
    ) -> Exchange:
        """`who` fills in a modal the bot opened and presses Submit."""
        components = []
        for label in modal["components"]:
            inner = label["component"]
            if inner["type"] == 3:  # a select: the chosen value, else the one shown as default
                defaults = [o["value"] for o in inner["options"] if o.get("default")]
                value = values.get(inner["custom_id"], defaults[0] if defaults else None)
                chosen = [] if value is None else [value]
                answer = {"type": 3, "custom_id": inner["custom_id"], "values": chosen}
            else:
                value = values.get(inner["custom_id"], inner.get("value") or "")
                answer = {"type": 4, "custom_id": inner["custom_id"], "value": value}
            components.append({"type": 18, "id": len(components) + 1, "component": answer})
        data = {"custom_id": modal["custom_id"], "components": components}
        return await self.interact(self._interaction(5, who, data, CHANNEL_ID))

    # ---- waiting for posts -----------------------------------------------------------

    def posts_to(self, channel_id: int) -> list[Posted]:
        return [p for p in self.posts if p.channel_id == channel_id]

    def dms_to(self, user_id: int) -> list[Posted]:
        return [p for p in self.posts if self.dm_channels.get(p.channel_id) == user_id]

    async def wait_for_post(self, channel_id: int, count: int = 1) -> list[Posted]:
        """Wait (bounded) until `count` messages reached the channel."""
        async with self._posted:
            await asyncio.wait_for(
                self._posted.wait_for(lambda: len(self.posts_to(channel_id)) >= count), 10
            )
        return self.posts_to(channel_id)
