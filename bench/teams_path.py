"""Benchmark `teams`: copbot's Teams path per activity against a bare Agents SDK handler.

Both receive the same activities over loopback HTTP, each with a Bot Framework JWT signed
by this process's key (published through loopback OpenID metadata and JWKS): `/cop me`
typed in the 1:1 chat (reads), `/cop reply success …` (writes), `/cop me` with an @mention
in the channel, and a Cheer card submit. The bare handler checks the token with the SDK's
validator, runs the SDK's CloudAdapter and an agent that does nothing. copbot does the same,
then (in the background) runs the core's transaction (SQLite, WAL) and sends the person's
private answer to the loopback Bot Connector.

Figures:
- ack: time from sending the activity to its HTTP response (what the Bot Connector waits
  for), one at a time, for both.
- whole: copbot's time until the answer has reached the Bot Connector, one at a time.
- events/s: N activities with C in flight, until all are acknowledged (bare) or handled and
  answered (copbot).
The servers run in a child process; this process plays Teams.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import multiprocessing
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bench.harness import percentile, sqlite_database, table, verdict

DEFAULT_EVENTS = 1_000
DEFAULT_CONCURRENCY = 20
DEFAULT_MEMBERS = 200
TARGET_RATIO = 1.5
APP_ID = "5b1c0de0-0000-4000-8000-0000000be4c0"
PASSWORD = "bench-secret"
TENANT = "5b1c0de0-0000-4000-8000-000000000001"
CHANNEL = "19:bench@thread.tacv2"
KINDS = ("me", "reply", "channel", "cheer")
ANSWER_TIMEOUT = 5.0


class QuietTeams:
    """OpenID metadata, JWKS, the token endpoint and the Bot Connector; counts answers."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.port = 0
        self.answers = 0
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/openid", self._openid)
        app.router.add_get("/keys", self._keys)
        app.router.add_post("/token", self._token)
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._activity)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://api.botframework.com",
            "aud": APP_ID,
            "nbf": now - 10,
            "exp": now + 3600,
            "serviceurl": self.base + "/",
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "bench"})

    async def answered(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.answers < count:
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return True

    async def _openid(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {"issuer": "https://api.botframework.com", "jwks_uri": f"{self.base}/keys"}
        )

    async def _keys(self, _request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": "bench", "use": "sig", "alg": "RS256"})
        return web.json_response({"keys": [jwk]})

    async def _token(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "bench-" + secrets.token_hex(4), "expires_in": 3600}
        )

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"id": "a:" + body["members"][0]["id"]}, status=201)

    async def _activity(self, request: web.Request) -> web.Response:
        await request.read()
        self.answers += 1
        self._changed.set()
        return web.json_response({"id": "1"}, status=201)


@dataclass
class Mix:
    """Builds activities: typed in the 1:1 chat or the channel, and card submits."""

    service_url: str
    members: int
    cheer: dict[str, Any]
    counter: itertools.count[int]

    def activity(self, index: int) -> dict[str, Any]:
        kind = KINDS[index % len(KINDS)]
        n = next(self.counter)
        user = {"id": f"29:m{index % self.members:05d}", "name": f"M {index % self.members}"}
        base: dict[str, Any] = {
            "type": "message",
            "id": f"{n}",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": user,
            "recipient": {"id": f"28:{APP_ID}", "name": "copbot"},
            "conversation": {
                "id": "a:" + user["id"],
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "channelData": {"tenant": {"id": TENANT}},
        }
        if kind == "me":
            base["text"] = "/cop me"
        elif kind == "reply":
            base["text"] = f"/cop reply success Tried something new, step {n}"
        elif kind == "channel":
            base["text"] = "<at>copbot</at> me"
            base["entities"] = [
                {
                    "type": "mention",
                    "text": "<at>copbot</at>",
                    "mentioned": {"id": f"28:{APP_ID}", "name": "copbot"},
                }
            ]
            base["conversation"] = {
                "id": f"{CHANNEL};messageid={n}",
                "conversationType": "channel",
                "tenantId": TENANT,
            }
            base["channelData"] = {
                "channel": {"id": CHANNEL},
                "team": {"id": CHANNEL},
                "tenant": {"id": TENANT},
            }
        else:
            base["value"] = self.cheer
            base["conversation"] = {
                "id": f"{CHANNEL};messageid={n}",
                "conversationType": "channel",
                "tenantId": TENANT,
            }
            base["channelData"] = {
                "channel": {"id": CHANNEL},
                "team": {"id": CHANNEL},
                "tenant": {"id": TENANT},
            }
        return base


def serve(connection: Any, base: str, database_url: str) -> None:
    """Child process: copbot's Teams adapter and a bare SDK handler, until told to stop."""
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_serve(connection, base, database_url))


async def _bare(base: str) -> tuple[web.AppRunner, int]:
    """The SDK alone: the token checked by its validator, its CloudAdapter, an idle agent."""
    from microsoft_agents.hosting.aiohttp import CloudAdapter

    from adapters.teams.auth import ClientCredentials, TokenCheck

    check = TokenCheck(APP_ID, TENANT, f"{base}/openid")
    cloud = CloudAdapter(connection_manager=ClientCredentials(APP_ID, PASSWORD, f"{base}/token"))

    class Idle:
        async def on_turn(self, _context: Any) -> None:
            return None

    agent = Idle()

    async def messages(request: web.Request) -> web.Response:
        identity = await check.identity(request.headers.get("Authorization"))
        if identity is None:
            return web.Response(status=401)
        request["claims_identity"] = identity
        return await cloud.process(request, agent) or web.Response(status=202)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def _serve(connection: Any, base: str, database_url: str) -> None:
    import warnings

    from adapters.teams import TeamsAdapter
    from adapters.teams.cards import render_message
    from bot.bootstrap import build_app
    from bot.commands import Actor, Inbound
    from bot.config import parse_settings
    from bot.messages import Button, OutMessage

    warnings.simplefilter("ignore")
    settings = parse_settings(
        {
            "database_url": database_url,
            "log_level": "ERROR",
            "communities": [
                {
                    "name": "bench",
                    "platform": "teams",
                    "channel": CHANNEL,
                    "conveners": ["29:m00000"],
                    "checkin": {"schedule": "off", "open_for": "5 days", "remind_after": "3 days"},
                }
            ],
        },
        {
            "TEAMS_APP_ID": APP_ID,
            "TEAMS_APP_PASSWORD": PASSWORD,
            "TEAMS_TENANT_ID": TENANT,
            "TEAMS_OPENID_URL": f"{base}/openid",
            "TEAMS_TOKEN_URL": f"{base}/token",
        },
    )
    adapter = TeamsAdapter(settings, http_port=0, http_host="127.0.0.1")
    app = build_app(settings, {"teams": adapter.platform})
    await adapter.start(app)
    convener = Actor("teams", "29:m00000", "Convener", CHANNEL)
    app.bus.handle(Inbound(convener, "text", text="/cop checkin open"))
    app.bus.handle(Inbound(convener, "text", text="/cop win We opened the bench clinic"))
    [card] = render_message(
        OutMessage(buttons=(Button(label="Cheer", action="win.cheer", value="1"),)),
        adapter.seal,
    )
    cheer = card["content"]["body"][0]["actions"][0]["data"]
    bare_runner, bare_port = await _bare(base)
    connection.send((adapter.http_port, bare_port, cheer))
    await asyncio.to_thread(connection.recv)  # "stop"
    await adapter.stop()
    await bare_runner.cleanup()
    app.close()
    connection.send("stopped")


@dataclass
class Result:
    events: int
    concurrency: int
    bare_ack_ns: list[int]
    copbot_ack_ns: list[int]
    copbot_whole_ns: list[int]
    bare_per_s: float
    copbot_per_s: float
    answered: int
    unanswered: int


async def run_teams_path(
    database_url: str,
    *,
    events: int = DEFAULT_EVENTS,
    concurrency: int = DEFAULT_CONCURRENCY,
    members: int = DEFAULT_MEMBERS,
) -> Result:
    """The same activities through a bare SDK handler and through copbot."""
    teams = QuietTeams()
    await teams.start()
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=serve, args=(theirs, teams.base, database_url), daemon=True)
    child.start()
    copbot_port, bare_port, cheer = await asyncio.to_thread(ours.recv)
    copbot_url = f"http://127.0.0.1:{copbot_port}/api/messages"
    bare_url = f"http://127.0.0.1:{bare_port}/api/messages"
    mix = Mix(teams.base + "/", members, cheer, itertools.count(1))
    headers = {"Authorization": f"Bearer {teams.token()}"}
    unanswered = 0
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:

            async def send(url: str, index: int) -> int:
                start = time.perf_counter_ns()
                async with session.post(url, json=mix.activity(index), headers=headers) as r:
                    await r.read()
                    assert r.status in (200, 202), (r.status, await r.text())
                return time.perf_counter_ns() - start

            expected = 0
            for index in range(min(40, events)):  # warm up (keys, tokens, caches)
                await send(bare_url, index)
                await send(copbot_url, index)
                expected += 1
                if not await teams.answered(expected, ANSWER_TIMEOUT):
                    expected = teams.answers
            half = events // 2
            bare_ack: list[int] = []
            copbot_ack: list[int] = []
            copbot_whole: list[int] = []
            for index in range(half):
                bare_ack.append(await send(bare_url, index))
                start = time.perf_counter_ns()
                copbot_ack.append(await send(copbot_url, index))
                expected += 1
                if await teams.answered(expected, ANSWER_TIMEOUT):
                    copbot_whole.append(time.perf_counter_ns() - start)
                else:
                    unanswered += 1
                    expected = teams.answers

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
            if not await teams.answered(expected, ANSWER_TIMEOUT * 10):
                unanswered += expected - teams.answers
            copbot_per_s = (events - half) / ((time.perf_counter_ns() - start) / 1e9)
    finally:
        ours.send("stop")
        await asyncio.to_thread(ours.recv)
        child.join(10)
        await teams.stop()
    return Result(
        events,
        concurrency,
        bare_ack,
        copbot_ack,
        copbot_whole,
        bare_per_s,
        copbot_per_s,
        teams.answers,
        unanswered,
    )


def _ms(ns: float) -> str:
    return f"{ns / 1e6:.2f}"


def _mean(samples: Sequence[int]) -> float:
    return sum(samples) / max(len(samples), 1)


def report(result: Result, where: str) -> str:
    rows = [
        [name, _ms(percentile(s, 50)), _ms(percentile(s, 99)), _ms(_mean(s))]
        for name, s in (
            ("bare SDK handler: ack", result.bare_ack_ns),
            ("copbot: ack", result.copbot_ack_ns),
            ("copbot: whole (handled + answered)", result.copbot_whole_ns),
        )
        if s
    ]
    ack_ratio = _mean(result.copbot_ack_ns) / _mean(result.bare_ack_ns)
    return "\n".join(
        [
            f"teams: copbot's Teams path vs a bare Agents SDK handler, {where}",
            f"  {result.events} activities with Bot Framework tokens over loopback HTTP "
            f"(mix: {KINDS}); one at a time for latency, then {result.concurrency} in flight",
            "",
            table(["per activity (ms)", "p50", "p99", "mean"], rows),
            "",
            f"ack ratio copbot/bare (mean): {ack_ratio:.2f}x  (target <= {TARGET_RATIO}x: "
            f"{verdict(ack_ratio <= TARGET_RATIO)})",
            f"events/s with {result.concurrency} in flight: bare SDK {result.bare_per_s:,.0f} "
            f"(acknowledged) · copbot {result.copbot_per_s:,.0f} (handled and answered)",
            f"answers received by the fake Bot Connector: {result.answered:,} "
            f"(activities left unanswered: {result.unanswered})",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """copbot's Teams path (JWT → SDK → copbot → ack) vs a bare Agents SDK handler."""
    parser = argparse.ArgumentParser(prog="python -m bench teams", description=__doc__)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS)
    args = parser.parse_args(list(argv or []))
    with sqlite_database() as url:
        result = asyncio.run(
            run_teams_path(
                url, events=args.events, concurrency=args.concurrency, members=args.members
            )
        )
    print(report(result, "SQLite (WAL)"))
    return 0
