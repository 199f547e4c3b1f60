"""copbot on Microsoft Teams, end to end: the Microsoft 365 Agents SDK's real code (the
aiohttp CloudAdapter, its JWT validator and connector client) against a loopback fake of
the Bot Connector, the token endpoint and the OpenID/JWKS metadata (tests/teams_fake.py),
on SQLite and PostgreSQL, with a simulated clock for the core."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from tests.teams_fake import FakeTeams
from tests.teams_world import CORA, World, start_world, stop_world

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeTeams]:
    server = FakeTeams()
    await server.start()
    yield server
    await server.close()


@pytest_asyncio.fixture(loop_scope="module")
async def teams_world(fake, engine, clock) -> AsyncIterator[Callable[..., Awaitable[World]]]:
    fake.reset()
    worlds: list[World] = []

    async def start(settings=None) -> World:
        world = await start_world(fake, engine, clock, settings)
        worlds.append(world)
        return world

    yield start
    for world in worlds:
        await stop_world(world)


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
    before = world.effects()
    activity = fake.typed(CORA, "/cop checkin open")
    if forgery == "no token":
        status = await world.send(activity, auth="")
    elif forgery == "garbage":
        status = await world.send(activity, auth="Bearer not.a.token")
    else:
        status = await world.send(activity, token=tokens[forgery])
    assert status == 401
    await world.deliver()
    assert world.effects() == before
    assert fake.sent == [] and fake.token_requests == []
