"""A loopback fake of Slack: its Web API, response URLs and a Socket Mode server, plus a
`SlackSide` that sends copbot signed requests exactly as Slack does.

The fake records every call, rejects payloads Slack would reject (`invalid_blocks`: too
many blocks, texts too long, bad element shapes…), notices anything that would ping
people (`<!here>`, `<@U…>` in what copbot sends), and enforces chat.postMessage's rate
limit (one message a second per channel, by the fake's clock) with HTTP 429 + Retry-After.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from adapters.slack import SlackAdapter
from bot.bootstrap import build_app
from bot.clock import ManualClock
from bot.config import Settings, parse_settings
from tests.conftest import community

BOT_USER = "UBOT"
TEAM = "T0TEAM"
ALL_SCOPES = (
    "commands,chat:write,im:write,files:write,users:read,reactions:read,channels:read,groups:read,"
    "channels:history,groups:history,im:history"
)
PING = re.compile(r"<[@!#][^>]*>")


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class Upload:
    """A file shared in a conversation (files.getUploadURLExternal, the upload, then
    files.completeUploadExternal)."""

    channel: str
    filename: str
    title: str
    data: bytes


@dataclass
class Post:
    """A message as Slack shows it (a channel post, DM, ephemeral or response)."""

    kind: str  # "post", "ephemeral", "response"
    channel: str | None
    user: str | None
    text: str
    blocks: list[dict[str, Any]]
    ts: str = ""
    metadata: dict[str, Any] | None = None

    @property
    def plain(self) -> str:
        """Every text in the blocks, in order, as a person would read it."""
        return blocks_text(self.blocks)

    def buttons(self) -> list[dict[str, Any]]:
        return [e for b in self.blocks if b.get("type") == "actions" for e in b.get("elements", [])]

    def button(self, label: str) -> dict[str, Any]:
        found = [b for b in self.buttons() if b["text"]["text"] == label]
        assert found, f"no button {label!r} in {[b['text']['text'] for b in self.buttons()]}"
        return found[0]


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for block in blocks:
        for text in _texts(block):
            lines.append(text)
    return "\n".join(lines)


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            text = node["text"]
            if node["type"] == "mrkdwn":
                text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            return [text]
        return [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return []


# ---- Block Kit validation, as strict as Slack -------------------------------------------


class Invalid(Exception):
    pass


def _text_object(obj: Any, where: str, limit: int, kinds: tuple[str, ...] = ("plain_text",)):
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        raise Invalid(f"{where}: must be a {' or '.join(kinds)} text object")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        raise Invalid(f"{where}: text must be a non-empty string")
    if len(text) > limit:
        raise Invalid(f"{where}: must be less than {limit + 1} characters")
    extra = set(obj) - {"type", "text", "emoji", "verbatim"}
    if extra:
        raise Invalid(f"{where}: unknown fields {sorted(extra)}")


def _element(element: Any, where: str, action_ids: set[str]) -> None:
    kind = element.get("type")
    action_id = element.get("action_id")
    if action_id is not None:
        if not isinstance(action_id, str) or not 0 < len(action_id) <= 255:
            raise Invalid(f"{where}.action_id: 1 to 255 characters")
        if action_id in action_ids:
            raise Invalid(f"{where}.action_id: duplicate {action_id!r}")
        action_ids.add(action_id)
    if kind == "button":
        _text_object(element.get("text"), f"{where}.text", 75)
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 2000):
            raise Invalid(f"{where}.value: 1 to 2000 characters")
        if element.get("style") not in (None, "primary", "danger"):
            raise Invalid(f"{where}.style: primary or danger")
    elif kind == "plain_text_input":
        maximum = element.get("max_length", 3000)
        if not isinstance(maximum, int) or not 0 < maximum <= 3000:
            raise Invalid(f"{where}.max_length: 1 to 3000")
        if len(element.get("initial_value", "")) > maximum:
            raise Invalid(f"{where}.initial_value: longer than max_length")
    elif kind in ("static_select", "radio_buttons"):
        options = element.get("options") or []
        if not 0 < len(options) <= (10 if kind == "radio_buttons" else 100):
            raise Invalid(f"{where}.options: wrong number of options")
        for i, option in enumerate(options):
            _text_object(option.get("text"), f"{where}.options[{i}].text", 75)
            value = option.get("value")
            if not isinstance(value, str) or not 0 < len(value) <= 150:
                raise Invalid(f"{where}.options[{i}].value: 1 to 150 characters")
        initial = element.get("initial_option")
        if initial is not None and initial not in options:
            raise Invalid(f"{where}.initial_option: not one of the options")
    else:
        raise Invalid(f"{where}: unsupported element {kind!r}")


def validate_blocks(blocks: Any, limit: int) -> None:
    if not isinstance(blocks, list):
        raise Invalid("blocks must be a list")
    if len(blocks) > limit:
        raise Invalid(f"no more than {limit} items allowed")
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"[{i}]"
        kind = block.get("type")
        if "block_id" in block and not 0 < len(block["block_id"]) <= 255:
            raise Invalid(f"{where}.block_id: 1 to 255 characters")
        if kind == "header":
            _text_object(block.get("text"), f"{where}.text", 150)
        elif kind == "section":
            _text_object(block.get("text"), f"{where}.text", 3000, ("plain_text", "mrkdwn"))
        elif kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10:
                raise Invalid(f"{where}.elements: 1 to 10")
            for j, e in enumerate(elements):
                _text_object(e, f"{where}.elements[{j}]", 3000, ("plain_text", "mrkdwn"))
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 25:
                raise Invalid(f"{where}.elements: 1 to 25")
            for j, e in enumerate(elements):
                _element(e, f"{where}.elements[{j}]", action_ids)
        elif kind == "input":
            _text_object(block.get("label"), f"{where}.label", 2000)
            _element(block.get("element") or {}, f"{where}.element", set())
        elif kind == "divider":
            pass
        else:
            raise Invalid(f"{where}: unsupported block type {kind!r}")


def validate_view(view: Any) -> None:
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise Invalid("view.type: modal or home")
    if view["type"] == "modal":
        _text_object(view.get("title"), "view.title", 24)
        for key in ("submit", "close"):
            if key in view:
                _text_object(view[key], f"view.{key}", 24)
        if len(view.get("callback_id", "")) > 255:
            raise Invalid("view.callback_id: at most 255 characters")
    if len(view.get("private_metadata", "")) > 3000:
        raise Invalid("view.private_metadata: at most 3000 characters")
    validate_blocks(view.get("blocks"), 100)


# ---- the fake server ---------------------------------------------------------------------


@dataclass
class FakeSlack:
    """Slack's Web API, response URLs and Socket Mode on 127.0.0.1 (random port)."""

    clock: Callable[[], float] = time.monotonic
    min_interval: float = 1.0
    scopes: str = ALL_SCOPES
    users: dict[str, str] = field(default_factory=dict)  # id -> display name
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)  # views.open
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)  # views.publish
    rejected: list[tuple[str, str]] = field(default_factory=list)
    pings: list[str] = field(default_factory=list)
    rate_limited: list[str] = field(default_factory=list)
    fail_next: dict[str, list[str]] = field(default_factory=dict)  # method -> errors
    throttle_next: list[float] = field(default_factory=list)  # forced 429 Retry-After
    delays: dict[str, float] = field(default_factory=dict)  # method -> seconds before answering
    expired_response_urls: bool = False  # response URLs answer 404 expired_url
    triggers: set[str] = field(default_factory=set)
    acks: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)  # files completed into a conversation
    port: int = 0

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._last_post: dict[str, float] = {}
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connected = asyncio.Event()
        self._pending_files: dict[str, dict[str, Any]] = {}  # file id -> name, length, bytes

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def add_channel(self, channel_id: str, name: str, *, member: bool = True) -> None:
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_archived": False,
            "members": {BOT_USER} if member else set(),
        }

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- helpers for tests -----------------------------------------------------------

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def call_args(self, method: str) -> dict[str, Any]:
        """The arguments of the last call to `method`."""
        return [c.args for c in self.calls if c.method == method][-1]

    def channel_posts(self, channel: str | None = None) -> list[Post]:
        return [
            p
            for p in self.posts
            if p.kind == "post"
            and channel in (None, p.channel)
            and not (p.channel or "D").startswith("D")
        ]

    def dms(self, user: str | None = None) -> list[Post]:
        return [
            p
            for p in self.posts
            if p.kind == "post"
            and (p.channel or "").startswith("D")
            and user in (None, (p.channel or "")[1:])
        ]

    def private_to(self, user: str) -> list[Post]:
        """What only `user` saw: ephemerals and responses to their commands."""
        return [p for p in self.posts if p.kind in ("ephemeral", "response") and p.user == user]

    def new_trigger(self) -> str:
        trigger = f"{next(self._ts)}.{uuid.uuid4().hex[:12]}"
        self.triggers.add(trigger)
        return trigger

    def response_url(self, user: str, channel: str | None) -> str:
        return f"{self.url}/response/{user}:{channel or '-'}:{uuid.uuid4().hex[:8]}"

    # ---- Web API -----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        self.calls.append(Call(method, args, token))
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        failures = self.fail_next.get(method)
        if failures:
            return self._error(failures.pop(0))
        if method == "apps.connections.open":
            if not str(token).startswith("xapp-"):
                return self._error("not_allowed_token_type")
            return self._ok(url=f"ws://127.0.0.1:{self.port}/socket")
        if not str(token).startswith("xoxb-"):
            return self._error("invalid_auth")
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error("unknown_method")
        try:
            return await handler(args)
        except Invalid as problem:
            self.rejected.append((method, str(problem)))
            return self._error("invalid_blocks", errors=[str(problem)])

    def _ok(self, headers: dict[str, str] | None = None, **data: Any) -> web.Response:
        return web.Response(
            text=json.dumps({"ok": True, **data}),
            content_type="application/json",
            headers=headers,
        )

    def _error(self, error: str, **data: Any) -> web.Response:
        return web.Response(
            text=json.dumps({"ok": False, "error": error, **data}),
            content_type="application/json",
        )

    def _check_pings(self, *texts: str) -> None:
        for text in texts:
            self.pings.extend(PING.findall(text))

    def _message_args(self, args: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text = str(args.get("text") or "")
        blocks = args.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if not text and not blocks:
            raise Invalid("no_text")
        if len(text) > 40_000:
            raise Invalid("msg_too_long")
        validate_blocks(blocks, 50)
        mrkdwn = [
            node["text"]
            for node in _walk(blocks)
            if isinstance(node, dict) and node.get("type") == "mrkdwn"
        ]
        self._check_pings(text, *mrkdwn)
        return text, blocks

    async def _m_auth_test(self, _args: dict[str, Any]) -> web.Response:
        return self._ok(
            headers={"x-oauth-scopes": self.scopes},
            url="https://fake.slack.test/",
            team="Fake NHS",
            user="copbot",
            team_id=TEAM,
            user_id=BOT_USER,
            bot_id="B0BOT",
        )

    async def _m_chat_postMessage(self, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel", ""))
        if channel.startswith("D"):
            if channel[1:] not in self.users:
                return self._error("channel_not_found")
        elif channel not in self.channels:
            return self._error("channel_not_found")
        elif BOT_USER not in self.channels[channel]["members"]:
            return self._error("not_in_channel")
        if self.throttle_next:
            return self._throttled(channel, self.throttle_next.pop(0))
        now = self.clock()
        last = self._last_post.get(channel)
        if last is not None and now - last < self.min_interval:
            return self._throttled(channel, self.min_interval - (now - last))
        text, blocks = self._message_args(args)
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata is not None and (
            not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload"), dict)
        ):
            return self._error("invalid_metadata_format")
        self._last_post[channel] = now
        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        self.posts.append(Post("post", channel, None, text, blocks, ts, metadata))
        return self._ok(channel=channel, ts=ts, message={"text": text})

    def _throttled(self, channel: str, wait: float) -> web.Response:
        self.rate_limited.append(channel)
        return web.Response(
            status=429,
            text=json.dumps({"ok": False, "error": "ratelimited"}),
            content_type="application/json",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )

    async def _m_chat_postEphemeral(self, args: dict[str, Any]) -> web.Response:
        channel, user = str(args.get("channel", "")), str(args.get("user", ""))
        if channel not in self.channels:
            return self._error("channel_not_found")
        text, blocks = self._message_args(args)
        self.posts.append(Post("ephemeral", channel, user, text, blocks))
        return self._ok(message_ts=f"{1_700_000_000 + next(self._ts)}.000200")

    async def _m_conversations_history(self, args: dict[str, Any]) -> web.Response:
        """The channel's latest messages, newest first; metadata only when asked for."""
        channel = str(args.get("channel", ""))
        if not channel.startswith("D") and channel not in self.channels:
            return self._error("channel_not_found")
        needs = "im:history" if channel.startswith("D") else "channels:history"
        if needs not in self.scopes.split(","):
            return self._error("missing_scope", needed=needs)
        limit = int(args.get("limit") or 100)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [p for p in self.posts if p.kind == "post" and p.channel == channel]
        messages = []
        for post in reversed(found[-limit:]):
            item: dict[str, Any] = {"type": "message", "ts": post.ts, "text": post.text}
            if with_metadata and post.metadata is not None:
                item["metadata"] = post.metadata
            messages.append(item)
        return self._ok(messages=messages, has_more=len(found) > limit)

    async def _m_conversations_open(self, args: dict[str, Any]) -> web.Response:
        user = str(args.get("users", ""))
        if user not in self.users:
            return self._error("user_not_found")
        return self._ok(channel={"id": f"D{user}"})

    async def _m_users_info(self, args: dict[str, Any]) -> web.Response:
        user = str(args.get("user", ""))
        if user not in self.users:
            return self._error("user_not_found")
        name = self.users[user]
        return self._ok(
            user={
                "id": user,
                "name": name.lower().replace(" ", "."),
                "real_name": name,
                "profile": {"display_name": name, "real_name": name},
            }
        )

    async def _m_conversations_info(self, args: dict[str, Any]) -> web.Response:
        channel = self.channels.get(str(args.get("channel", "")))
        if channel is None:
            return self._error("channel_not_found")
        info = {k: v for k, v in channel.items() if k != "members"}
        return self._ok(channel={**info, "is_member": BOT_USER in channel["members"]})

    async def _m_conversations_members(self, args: dict[str, Any]) -> web.Response:
        channel = self.channels.get(str(args.get("channel", "")))
        if channel is None:
            return self._error("channel_not_found")
        return self._ok(members=sorted(channel["members"]), response_metadata={"next_cursor": ""})

    async def _m_views_open(self, args: dict[str, Any]) -> web.Response:
        trigger = str(args.get("trigger_id", ""))
        if trigger not in self.triggers:
            return self._error("invalid_trigger_id")
        self.triggers.discard(trigger)  # a trigger opens one view
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        validate_view(view)
        view = {**view, "id": f"V{next(self._ts)}"}
        self.views.append(view)
        return self._ok(view=view)

    async def _m_views_publish(self, args: dict[str, Any]) -> web.Response:
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        validate_view(view)
        self.homes[str(args.get("user_id"))] = view
        return self._ok(view=view)

    async def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> web.Response:
        if "files:write" not in self.scopes.split(","):
            return self._error("missing_scope", needed="files:write")
        filename, length = str(args.get("filename") or ""), str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) < 1:
            return self._error("invalid_arguments")
        file_id = f"F{next(self._ts):08d}"
        self._pending_files[file_id] = {"filename": filename, "length": int(length), "data": None}
        return self._ok(upload_url=f"{self.url}/upload/{file_id}", file_id=file_id)

    async def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> web.Response:
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        channel = str(args.get("channel_id") or "")
        if channel and not channel.startswith("D") and channel not in self.channels:
            return self._error("channel_not_found")
        done = []
        for item in files or []:
            pending = self._pending_files.pop(str(item.get("id")), None)
            if pending is None or pending["data"] is None:
                return self._error("file_upload_not_found")
            if channel:
                title = str(item.get("title") or pending["filename"])
                self.uploads.append(Upload(channel, pending["filename"], title, pending["data"]))
            done.append({"id": item["id"], "name": pending["filename"], "title": item.get("title")})
        if not done:
            return self._error("invalid_arguments")
        return self._ok(files=done)

    async def _upload(self, request: web.Request) -> web.Response:
        pending = self._pending_files.get(request.match_info["file_id"])
        data = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"]}, None))
        if pending is None or len(data) != pending["length"]:
            return web.Response(status=400, text="bad upload")
        pending["data"] = data
        return web.Response(text="OK - " + str(len(data)))

    # ---- response URLs ---------------------------------------------------------------

    async def _response(self, request: web.Request) -> web.Response:
        user, channel, _ = request.match_info["id"].split(":")
        body = await request.json()
        self.calls.append(Call("response_url", body, None))
        if self.expired_response_urls:
            return web.Response(status=404, text="expired_url")
        try:
            text = str(body.get("text") or "")
            blocks = body.get("blocks") or []
            validate_blocks(blocks, 50)
            self._check_pings(text)
        except Invalid as problem:
            self.rejected.append(("response_url", str(problem)))
            return web.Response(status=400, text="invalid_blocks")
        kind = "response" if body.get("response_type", "ephemeral") == "ephemeral" else "post"
        self.posts.append(Post(kind, None if channel == "-" else channel, user, text, blocks))
        return web.Response(text="ok")

    # ---- Socket Mode -----------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0APP"},
            }
        )
        self._connected.set()
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            self.acks.append(data)
            waiter = self._waiting.pop(str(data.get("envelope_id")), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(data)
        return ws

    async def wait_connected(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def envelope(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send one Socket Mode envelope; return the client's acknowledgement."""
        envelope_id = str(uuid.uuid4())
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[envelope_id] = waiter
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        await self._sockets[-1].send_json(envelope)
        return await asyncio.wait_for(waiter, timeout)


def _walk(node: Any):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


# ---- Slack's side: signed requests to copbot ---------------------------------------------


@dataclass
class SlackSide:
    """Builds Slack's payloads and sends them to copbot's endpoint, signed as Slack signs."""

    fake: FakeSlack
    endpoint: str  # http://127.0.0.1:PORT/slack/events
    secret: str
    session: Any  # aiohttp.ClientSession
    sent: int = 0

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=stamp, body=body)
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        signed: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        all_headers = {"Content-Type": content_type, **(signed or self.sign(body))}
        all_headers.update(headers or {})
        async with self.session.post(self.endpoint, data=body, headers=all_headers) as reply:
            self.sent += 1
            return reply.status, await reply.text()

    @staticmethod
    def command_body(fake: FakeSlack, user: str, text: str, channel: str) -> dict[str, str]:
        return {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "fake-nhs",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "cop",
            "user_id": user,
            "user_name": fake.users.get(user, user).lower(),
            "command": "/cop",
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "false",
            "response_url": fake.response_url(user, channel),
            "trigger_id": fake.new_trigger(),
        }

    async def command(self, user: str, text: str, channel: str) -> tuple[int, str]:
        body = urllib.parse.urlencode(self.command_body(self.fake, user, text, channel))
        return await self.send(body, "application/x-www-form-urlencoded")

    @staticmethod
    def action_body(
        fake: FakeSlack, user: str, button: dict[str, Any], channel: str | None, message_ts: str
    ) -> dict[str, Any]:
        action = {
            "type": "button",
            "action_id": button["action_id"],
            "block_id": "b1",
            "text": button["text"],
            "action_ts": f"{time.time():.6f}",
        }
        if "value" in button:
            action["value"] = button["value"]
        body: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "fake-nhs"},
            "user": {"id": user, "username": fake.users.get(user, user).lower(), "team_id": TEAM},
            "api_app_id": "A0APP",
            "token": "legacy",
            "trigger_id": fake.new_trigger(),
            "actions": [action],
        }
        if channel is not None:
            body["channel"] = {"id": channel, "name": "cop"}
            body["container"] = {"type": "message", "channel_id": channel, "message_ts": message_ts}
            body["message"] = {"ts": message_ts, "text": "…"}
            body["response_url"] = fake.response_url(user, channel)
        else:
            body["container"] = {"type": "view", "view_id": "VHOME"}
        return body

    async def press(
        self, user: str, button: dict[str, Any], channel: str | None, message_ts: str = "1.0"
    ) -> tuple[int, str]:
        payload = self.action_body(self.fake, user, button, channel, message_ts)
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.send(body, "application/x-www-form-urlencoded")

    @staticmethod
    def submission_body(
        fake: FakeSlack, user: str, view: dict[str, Any], values: dict[str, str]
    ) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for block in view["blocks"]:
            if block.get("type") != "input":
                continue
            name, element = block["block_id"], block["element"]
            answer = values.get(name)
            if element["type"] in ("static_select", "radio_buttons"):
                option = next((o for o in element["options"] if o["value"] == answer), None)
                state[name] = {"value": {"type": element["type"], "selected_option": option}}
            else:
                state[name] = {"value": {"type": "plain_text_input", "value": answer}}
        return {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "fake-nhs"},
            "user": {"id": user, "username": fake.users.get(user, user).lower(), "team_id": TEAM},
            "api_app_id": "A0APP",
            "token": "legacy",
            "trigger_id": fake.new_trigger(),
            "view": {**view, "state": {"values": state}, "hash": "h1"},
        }

    async def submit(self, user: str, view: dict[str, Any], **values: str) -> tuple[int, str]:
        payload = self.submission_body(self.fake, user, view, values)
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.send(body, "application/x-www-form-urlencoded")

    @staticmethod
    def event_body(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        return {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0
    ) -> tuple[int, str]:
        body = json.dumps(self.event_body(event, event_id))
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        return await self.send(body, "application/json", headers=headers)


# ---- a whole Slack workspace around one copbot -----------------------------------------


class SlackWorld:
    """The fake Slack, copbot's Slack adapter (HTTP mode, loopback) and its core."""

    def __init__(
        self, fake: FakeSlack, adapter: Any, app: Any, side: SlackSide, session: Any
    ) -> None:
        self.fake, self.adapter, self.app, self.side, self.session = (
            fake,
            adapter,
            app,
            side,
            session,
        )

    async def settle(self, pause: float = 2.0) -> None:
        """Let copbot finish what it received; then `pause` simulated seconds pass (as between
        two people's clicks), so what it caused is delivered at Slack's pace."""
        await self.adapter.settle()
        if pause:
            await self.app.advance(self.app.clock.now() + timedelta(seconds=pause))
        else:
            await self.app.dispatcher.drain()

    def _seen(self, user: str) -> int:
        return len(self.fake.private_to(user))

    async def cop(self, user: str, text: str, channel: str = "C0COP", *, pause: float = 2.0) -> str:
        """`/cop text` typed by `user`; the private answer's text."""
        before = self._seen(user)
        status, body = await self.side.command(user, text, channel)
        assert (status, body) == (200, ""), (status, body)
        await self.settle(pause)
        return "\n".join(p.plain for p in self.fake.private_to(user)[before:])

    async def press(self, user: str, post: Post, label: str, channel: str | None = "C0COP") -> str:
        before = self._seen(user)
        status, _ = await self.side.press(user, post.button(label), channel, post.ts or "1.0")
        assert status == 200
        await self.settle()
        return "\n".join(p.plain for p in self.fake.private_to(user)[before:])

    async def submit(self, user: str, view: dict[str, Any], **values: str) -> str:
        before = self._seen(user)
        status, _ = await self.side.submit(user, view, **values)
        assert status == 200
        await self.settle()
        return "\n".join(p.plain for p in self.fake.private_to(user)[before:])


CHANNEL = "C0COP"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PEOPLE = {"UCORA": "Cora", "UANA": "Ana", "UBEN": "Ben", "UKIT": "Kit", "UDEE": "Dee"}


def slack_settings(fake: FakeSlack, *, app_token: str | None = None, **overrides: Any) -> Settings:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
    }
    if app_token:
        env["SLACK_APP_TOKEN"] = app_token
    settings = community(
        platform="slack", channel=CHANNEL, conveners=["UCORA"], keepers=["UKIT"], **overrides
    )
    return parse_settings({"communities": [settings]}, env)


def seconds(clock: ManualClock) -> float:
    return clock.now().timestamp()


@asynccontextmanager
async def slack_world(
    engine: Engine,
    clock: ManualClock,
    *,
    limiter: bool = True,
    core_threads: int | None = 2,
    **overrides: Any,
) -> AsyncIterator[SlackWorld]:
    """A running world; Slack's and copbot's rate clocks follow the simulated clock."""
    fake = FakeSlack(clock=lambda: seconds(clock), users=dict(PEOPLE))
    fake.add_channel(CHANNEL, "wound-care")
    await fake.start()
    settings = slack_settings(fake, **overrides)
    adapter = SlackAdapter(
        settings,
        mode="http",
        http_port=0,
        http_host="127.0.0.1",
        platform_clock=lambda: seconds(clock),
        **({} if core_threads is None else {"core_threads": core_threads}),
    )
    if not limiter:
        adapter.platform._min_interval = 0.0
    app = build_app(settings, {"slack": adapter.platform}, clock=clock, engine=engine)
    await adapter.start(app)
    session = aiohttp.ClientSession()
    side = SlackSide(fake, f"http://127.0.0.1:{adapter.http_port}/slack/events", SECRET, session)
    try:
        yield SlackWorld(fake, adapter, app, side, session)
    finally:
        await session.close()
        await adapter.stop()
        await fake.stop()
