"""Benchmark `slack`: copbot's Slack path per event against a bare Bolt listener.

Both receive the same mix of requests, signed exactly as Slack signs them, over loopback
HTTP: `/cop me` (reads), `/cop reply success …` (writes), a Cheer button press and a 🎉
`reaction_added` event. The bare Bolt app verifies, parses, routes and acknowledges, and
does nothing else. copbot's adapter acknowledges the same way, then translates the payload,
runs the core's transaction (SQLite, WAL) and sends the person's private answer to the
response_url (the loopback fake of Slack). Slack's Web API is a loopback fake.

Figures:
- ack: time from sending the request to Slack getting its HTTP response (what Slack's
  3-second rule is about), one request at a time, for both.
- whole: copbot's time until the event is fully handled and answered, one at a time, set
  against the bare listener's ack (the whole of its work).
- events/s: N requests with C in flight, until all are acknowledged (bare) or fully handled
  and answered (copbot).
The servers run in a child process and this process plays Slack, as over a network.
Outbox delivery (channel posts, paced at one a second per channel) is not part of the path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import multiprocessing
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bench.harness import percentile, sqlite_database, table, verdict

DEFAULT_EVENTS = 2_000
DEFAULT_CONCURRENCY = 20
DEFAULT_MEMBERS = 200
TARGET_RATIO = 1.5
SECRET = "bench-signing-secret"
CHANNEL = "C0BENCH"
TEAM = "T0BENCH"
KINDS = ("me", "reply", "cheer", "reaction")
ANSWER_TIMEOUT = 2.0


# ---- a minimal loopback Slack Web API (answers what the path calls) ----------------------


class QuietSlack:
    """auth.test, users.info, chat.*, conversations.open and response URLs; counts answers
    (response URL posts and ephemerals) so the client knows when an event was handled."""

    def __init__(self) -> None:
        self.port = 0
        self.answers = 0
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def answered(self, count: int, timeout: float) -> bool:
        """Wait until `count` answers have arrived in all; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.answers < count:
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return True

    def _answer(self) -> None:
        self.answers += 1
        self._changed.set()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        data: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            data.update(team="Bench", user="copbot", team_id=TEAM, user_id="UBOT", bot_id="B1")
        elif method == "users.info":
            user = request.query.get("user", "U?")
            data["user"] = {"id": user, "name": user, "profile": {"display_name": f"M {user}"}}
        elif method in ("chat.postMessage", "chat.postEphemeral"):
            await request.read()
            if method == "chat.postEphemeral":
                self._answer()
            data.update(ts="1.0", channel=CHANNEL)
        elif method == "conversations.open":
            data["channel"] = {"id": "DBENCH"}
        return web.json_response(data)

    async def _response(self, request: web.Request) -> web.Response:
        await request.read()
        self._answer()
        return web.Response(text="ok")


# ---- the request mix -------------------------------------------------------------------


@dataclass
class Mix:
    """Builds signed requests: commands, button presses and events, each one unique."""

    slack_url: str
    members: int
    win_id: int = 1
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def request(self, index: int) -> tuple[str, str, str]:
        """(kind, content type, body) of request number `index`."""
        kind = KINDS[index % len(KINDS)]
        n = next(self.counter)
        user = f"UM{index % self.members:05d}"
        if kind in ("me", "reply"):
            text = "me" if kind == "me" else f"reply success Tried something new, step {n}"
            fields = {
                "team_id": TEAM,
                "channel_id": CHANNEL,
                "user_id": user,
                "user_name": user.lower(),
                "command": "/cop",
                "text": text,
                "response_url": f"{self.slack_url}/response/{n}",
                "trigger_id": f"{n}.bench",
            }
            return kind, "application/x-www-form-urlencoded", urllib.parse.urlencode(fields)
        if kind == "cheer":
            payload = {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": user, "username": user.lower()},
                "channel": {"id": CHANNEL},
                "container": {"type": "message", "channel_id": CHANNEL, "message_ts": "1.0"},
                "trigger_id": f"{n}.bench",
                "response_url": f"{self.slack_url}/response/{n}",
                "actions": [
                    {
                        "type": "button",
                        "action_id": "copbot:0:win.cheer",
                        "value": str(self.win_id),
                        "action_ts": f"{n}.0",
                    }
                ],
            }
            body = urllib.parse.urlencode({"payload": json.dumps(payload)})
            return kind, "application/x-www-form-urlencoded", body
        event = {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A1",
            "event_id": f"Ev{n:08d}",
            "event_time": 1,
            "event": {
                "type": "reaction_added",
                "user": user,
                "reaction": "tada",
                "item_user": "UM00000",
                "item": {"type": "message", "channel": CHANNEL, "ts": f"{n}.000100"},
            },
        }
        return kind, "application/json", json.dumps(event)


def signed(body: str, content_type: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


# ---- the two servers -------------------------------------------------------------------


def bare_bolt(slack_api: str) -> AsyncApp:
    """A Bolt app that acknowledges everything copbot listens to, and does nothing else."""
    bolt = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=slack_api),
        signing_secret=SECRET,
        process_before_response=True,
    )

    async def just_ack(ack: Callable[[], Awaitable[None]]) -> None:
        await ack()

    bolt.command("/cop")(just_ack)
    bolt.action(re.compile("^copbot:"))(just_ack)
    bolt.view(re.compile("^copbot:"))(just_ack)
    for event in ("reaction_added", "app_home_opened", "member_joined_channel"):
        bolt.event(event)(just_ack)
    return bolt


async def serve_bolt(bolt: AsyncApp) -> tuple[web.AppRunner, int]:
    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


# ---- the servers' process (as Slack and copbot are on different machines) ----------------


def serve(connection: Any, slack_url: str, database_url: str) -> None:
    """Child process: copbot's adapter and the bare Bolt app, until told to stop."""
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_serve(connection, slack_url, database_url))


async def _serve(connection: Any, slack_url: str, database_url: str) -> None:
    from adapters.slack import SlackAdapter
    from bot.bootstrap import build_app
    from bot.commands import Actor, Inbound
    from bot.config import parse_settings

    settings = parse_settings(
        {
            "database_url": database_url,
            "log_level": "ERROR",
            "communities": [
                {
                    "name": "bench",
                    "platform": "slack",
                    "channel": CHANNEL,
                    "conveners": ["UM00000"],
                    "checkin": {"schedule": "off", "open_for": "5 days", "remind_after": "3 days"},
                }
            ],
        },
        {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_url + "/api/",
        },
    )
    adapter = SlackAdapter(settings, mode="http", http_port=0, http_host="127.0.0.1")
    app = build_app(settings, {"slack": adapter.platform})
    await adapter.start(app)
    convener = Actor("slack", "UM00000", "Convener", CHANNEL)
    app.bus.handle(Inbound(convener, "text", text="/cop checkin open"))
    app.bus.handle(Inbound(convener, "text", text="/cop win We opened the bench clinic"))
    bolt_runner, bolt_port = await serve_bolt(bare_bolt(slack_url + "/api/"))
    connection.send((adapter.http_port, bolt_port))
    await asyncio.to_thread(connection.recv)  # "stop"
    await adapter.stop()
    replies = app.bus.handle(Inbound(convener, "text", text="/cop checkin"))
    await bolt_runner.cleanup()
    app.close()
    connection.send(replies.message.as_text() if replies.message else "")


# ---- running ---------------------------------------------------------------------------


@dataclass
class Result:
    events: int
    concurrency: int
    by_kind: dict[str, int]
    bare_ack_ns: list[int]
    copbot_ack_ns: list[int]
    copbot_whole_ns: list[int]
    bare_per_s: float
    copbot_per_s: float
    answered: int
    unanswered: int


async def run_slack_path(
    database_url: str,
    *,
    events: int = DEFAULT_EVENTS,
    concurrency: int = DEFAULT_CONCURRENCY,
    members: int = DEFAULT_MEMBERS,
) -> Result:
    """Run the same request mix through a bare Bolt listener and through copbot (both in a
    child process; this process plays Slack)."""
    slack = QuietSlack()
    await slack.start()
    slack_url = f"http://127.0.0.1:{slack.port}"
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=serve, args=(theirs, slack_url, database_url), daemon=True)
    child.start()
    copbot_port, bolt_port = await asyncio.to_thread(ours.recv)
    copbot_url = f"http://127.0.0.1:{copbot_port}/slack/events"
    bare_url = f"http://127.0.0.1:{bolt_port}/slack/events"
    mix = Mix(slack_url, members)
    by_kind: dict[str, int] = dict.fromkeys(KINDS, 0)
    unanswered = 0
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:

            async def send(url: str, index: int) -> int:
                _kind, content_type, body = mix.request(index)
                start = time.perf_counter_ns()
                async with session.post(url, data=body, headers=signed(body, content_type)) as r:
                    await r.read()
                    assert r.status == 200, (r.status, await r.text())
                return time.perf_counter_ns() - start

            expected = 0
            for index in range(min(100, events)):  # warm up both (auth.test, caches)
                await send(bare_url, index)
                await send(copbot_url, index)
                expected += 1
                if not await slack.answered(expected, ANSWER_TIMEOUT):
                    expected = slack.answers

            half = events // 2
            bare_ack: list[int] = []
            copbot_ack: list[int] = []
            copbot_whole: list[int] = []
            for index in range(half):  # one at a time, interleaved
                by_kind[KINDS[index % len(KINDS)]] += 1
                bare_ack.append(await send(bare_url, index))
                start = time.perf_counter_ns()
                copbot_ack.append(await send(copbot_url, index))
                expected += 1
                if await slack.answered(expected, ANSWER_TIMEOUT):
                    copbot_whole.append(time.perf_counter_ns() - start)
                else:
                    unanswered += 1
                    expected = slack.answers

            async def flood(url: str) -> None:
                gate = asyncio.Semaphore(concurrency)

                async def one(index: int) -> None:
                    async with gate:
                        await send(url, index)

                await asyncio.gather(*(one(i) for i in range(half, events)))

            start = time.perf_counter_ns()
            await flood(bare_url)
            bare_per_s = (events - half) / ((time.perf_counter_ns() - start) / 1e9)
            start = time.perf_counter_ns()
            await flood(copbot_url)
            expected += events - half
            if not await slack.answered(expected, ANSWER_TIMEOUT * 10):
                unanswered += expected - slack.answers
            copbot_per_s = (events - half) / ((time.perf_counter_ns() - start) / 1e9)
    finally:
        ours.send("stop")
        await asyncio.to_thread(ours.recv)
        child.join(10)
        await slack.stop()
    return Result(
        events=events,
        concurrency=concurrency,
        by_kind=by_kind,
        bare_ack_ns=bare_ack,
        copbot_ack_ns=copbot_ack,
        copbot_whole_ns=copbot_whole,
        bare_per_s=bare_per_s,
        copbot_per_s=copbot_per_s,
        answered=slack.answers,
        unanswered=unanswered,
    )


def _ms(ns: float) -> str:
    return f"{ns / 1e6:.2f}"


def report(result: Result, where: str) -> str:
    """The figures as a table."""
    rows = []
    for name, samples in (
        ("bare Bolt: ack", result.bare_ack_ns),
        ("copbot: ack", result.copbot_ack_ns),
        ("copbot: whole (handled + answered)", result.copbot_whole_ns),
    ):
        rows.append(
            [
                name,
                _ms(percentile(samples, 50)),
                _ms(percentile(samples, 99)),
                _ms(sum(samples) / len(samples)),
            ]
        )
    bare_mean = sum(result.bare_ack_ns) / len(result.bare_ack_ns)
    ack_ratio = (sum(result.copbot_ack_ns) / len(result.copbot_ack_ns)) / bare_mean
    whole_ratio = (sum(result.copbot_whole_ns) / len(result.copbot_whole_ns)) / bare_mean
    mix = ", ".join(f"{k} {v}" for k, v in result.by_kind.items())
    lines = [
        f"slack: copbot's Slack path vs a bare Bolt listener, {where}",
        f"  {result.events} signed requests over loopback HTTP (mix: {KINDS}); one at a time "
        f"for latency ({mix}), then {result.concurrency} in flight for events/s",
        "",
        table(["per event (ms)", "p50", "p99", "mean"], rows),
        "",
        f"ack ratio copbot/bare (mean):   {ack_ratio:.2f}x  (target <= {TARGET_RATIO}x: "
        f"{verdict(ack_ratio <= TARGET_RATIO)})",
        f"whole ratio copbot/bare (mean): {whole_ratio:.2f}x  (copbot also runs the core's "
        "transaction and answers the person)",
        f"events/s with {result.concurrency} in flight: bare Bolt {result.bare_per_s:,.0f} "
        f"(acknowledged) · copbot {result.copbot_per_s:,.0f} (handled and answered)",
        f"private answers received by the fake Slack: {result.answered:,} "
        f"(events left unanswered: {result.unanswered})",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """copbot's Slack path (signed HTTP → Bolt → copbot → ack) vs a bare Bolt listener."""
    parser = argparse.ArgumentParser(prog="python -m bench slack", description=__doc__)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS)
    args = parser.parse_args(list(argv or []))
    with sqlite_database() as url:
        result = asyncio.run(
            run_slack_path(
                url, events=args.events, concurrency=args.concurrency, members=args.members
            )
        )
    print(report(result, "SQLite (WAL)"))
    return 0
