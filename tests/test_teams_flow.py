"""copbot on Microsoft Teams, end to end: the Microsoft 365 Agents SDK's real code (the
aiohttp CloudAdapter, its JWT validator and connector client) against a loopback fake of
the Bot Connector, the token endpoint and the OpenID/JWKS metadata (tests/teams_fake.py),
on SQLite and PostgreSQL, with a simulated clock for the core."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import Session, select

from adapters.teams import TeamsAdapter
from bot.bootstrap import App, build_app
from bot.config import parse_settings
from bot.storage.tables import InboundEvent, OutboxMessage
from tests.conftest import community
from tests.teams_fake import CHANNEL_ID, FakeTeams, Sent, person

pytestmark = pytest.mark.asyncio(loop_scope="module")

CORA = person("cora", "Cora")  # a convener
ANA = person("ana", "Ana")
BEN = person("ben", "Ben")
DEE = person("dee", "Dee")


def teams_settings(fake: FakeTeams, **overrides: Any):
    raw = {
        "communities": [
            community(
                platform="teams",
                channel=CHANNEL_ID,
                conveners=[CORA["id"]],
                keepers=[],
                **overrides,
            )
        ]
    }
    return parse_settings(raw, fake.environment())


@dataclass
class World:
    fake: FakeTeams
    adapter: TeamsAdapter
    app: App

    async def send(self, activity: dict[str, Any], **kw: Any) -> int:
        status, _ = await self.fake.send(activity, **kw)
        await self.adapter.settle()
        return status

    async def type(self, who: dict, text: str, *, channel: str | None = None) -> list[Sent]:
        """Type `text` to copbot; the private answers it got in their 1:1 chat."""
        before = len(self.fake.to_user(who))
        status = await self.send(self.fake.typed(who, text, channel=channel))
        assert status in (200, 202), status
        return self.fake.to_user(who)[before:]

    async def deliver(self) -> None:
        await self.app.dispatcher.drain()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeTeams]:
    server = FakeTeams()
    await server.start()
    yield server
    await server.close()


@pytest_asyncio.fixture(loop_scope="module")
async def teams_world(
    fake: FakeTeams, engine, clock
) -> AsyncIterator[Callable[..., Awaitable[World]]]:
    fake.reset()
    worlds: list[World] = []

    async def start(settings=None) -> World:
        config = settings or teams_settings(fake)
        adapter = TeamsAdapter(config, http_port=0, http_host="127.0.0.1", core_threads=1)
        app = build_app(config, {"teams": adapter.platform}, clock=clock, engine=engine)
        await adapter.start(app)
        fake.bot_url = f"http://127.0.0.1:{adapter.http_port}/api/messages"
        world = World(fake, adapter, app)
        worlds.append(world)
        return world

    yield start
    for world in worlds:
        await world.adapter.stop()
        world.app.close()


def _effects(app: App) -> tuple[int, int]:
    with Session(app.engine) as session:
        return (
            len(session.exec(select(OutboxMessage)).all()),
            len(session.exec(select(InboundEvent)).all()),
        )


async def test_a_command_typed_in_the_one_to_one_chat_is_answered_there(teams_world):
    world = await teams_world()
    fake = world.fake
    [answer] = await world.type(CORA, "/cop checkin open")
    assert "opened" in answer.text
    # The answer went into Cora's own chat through the SDK, with the fake's token.
    assert fake.token_requests and fake.token_requests[0]["scope"] == (
        "https://api.botframework.com/.default"
    )
    assert fake.refused == []
    # The check-in itself is posted in the community's channel, with its buttons.
    await world.deliver()
    [post] = fake.channel_posts()
    assert "What has happened for you since we last met?" in post.text
    assert [a["title"] for a in post.actions] == [
        "Share a success",
        "Share a challenge",
        "Share a learning",
        "Not this time",
    ]


@pytest.mark.parametrize(
    "forgery",
    ["signed by a stranger", "wrong audience", "expired", "unknown issuer", "no token", "garbage"],
)
async def test_a_request_without_a_valid_token_is_refused_and_changes_nothing(teams_world, forgery):
    world = await teams_world()
    fake = world.fake
    tokens = {
        "signed by a stranger": fake.token(key=fake.stranger),
        "wrong audience": fake.token(aud="someone-else"),
        "expired": fake.token(exp=1_000_000, nbf=999_000, iat=999_000),
        "unknown issuer": fake.token(iss="https://login.example.org/evil"),
    }
    before = _effects(world.app)
    activity = fake.typed(CORA, "/cop checkin open")
    if forgery == "no token":
        status = await world.send(activity, auth="")
    elif forgery == "garbage":
        status = await world.send(activity, auth="Bearer not.a.token")
    else:
        status = await world.send(activity, token=tokens[forgery])
    assert status == 401
    await world.deliver()
    assert _effects(world.app) == before
    assert fake.sent == [] and fake.token_requests == []
