"""Mentions in what members wrote are shown as the person's name on every platform, and
never ping: checked in the payloads Slack and Discord receive (loopback fakes) and in the
console."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from adapters.discord.adapter import DiscordAdapter
from bot.bootstrap import build_app
from bot.mentions import name_mentions
from bot.messages import Button, OutMessage, Section
from tests.conftest import community, make_settings
from tests.discord_fake import CHANNEL_ID, FakeDiscord, user
from tests.slack_fake import CHANNEL, slack_world

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_core_names_mentions_and_falls_back_to_the_label_or_someone():
    message = OutMessage(
        title="Thanks <@U1>",
        sections=(Section(heading="<@U2|kit.j>", text="<@!U3> and <@U1>", items=("<@U9>",)),),
        buttons=(Button(label="Cheer <@U1>", action="a"),),
        footer="by <@U1|old-label>",
    )
    named = name_mentions(message, {"U1": "Ana", "U3": "Ben"})
    assert named.title == "Thanks @Ana"
    assert named.sections[0].heading == "@kit.j"
    assert named.sections[0].text == "@Ben and @Ana"
    assert named.sections[0].items == ("@someone",)
    assert named.buttons[0].label == "Cheer @Ana" and named.footer == "by @Ana"
    assert "<@" not in named.model_dump_json()


async def test_a_mention_reads_as_a_name_on_slack_and_pings_nobody(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        await world.cop("UBEN", "help")  # Ben is a member, known as Ben
        await world.cop("UCORA", "checkin open")
        # Slack sends mentions in slash commands as <@ID|handle> (should_escape).
        said = await world.cop("UANA", "reply success Thanks <@UBEN|ben.j> and <@UZED|zed> a lot")
        assert "saved" in said
        await world.cop("UCORA", "checkin close")
        summary = fake.channel_posts(CHANNEL)[-1]
        assert "Thanks @Ben and @someone a lot — Ana" in summary.plain
        raw = json.dumps(summary.blocks) + summary.text
        assert "<@" not in raw and "&lt;@" not in raw
        assert fake.pings == []


ANA = user(1100000000000000501, "Ana")
BEN = user(1100000000000000502, "Ben")
CORA = user(1100000000000000500, "Cora")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    with pytest.MonkeyPatch.context() as patch:
        server.install(patch)
        yield server
    await server.close()


async def test_a_mention_reads_as_a_name_on_discord_and_pings_nobody(fake_discord, engine, clock):
    fake_discord.reset()
    settings = make_settings(
        community(platform="discord", channel=str(CHANNEL_ID), conveners=[CORA["id"]])
    )
    adapter = DiscordAdapter("fake-token")
    app = build_app(settings, {"discord": adapter.platform}, clock=clock, engine=engine)
    await adapter.start(app)
    try:
        for who, verb, text in (
            (BEN, "me", None),
            (CORA, "checkin", "open"),
            (ANA, "reply", f"success Thanks <@!{BEN['id']}> and <@1100000000000000999> a lot"),
            (CORA, "checkin", "close"),
        ):
            await fake_discord.slash(who, verb, text)
            await adapter.settled()
        await app.dispatcher.drain()
        summary = fake_discord.posts_to(CHANNEL_ID)[-1]
        assert "Thanks @Ben and @someone a lot — Ana" in summary.text
        raw = json.dumps(summary.payload)
        assert "<@" not in raw and "\\u200b" not in raw
        assert summary.payload["allowed_mentions"]["parse"] == []
    finally:
        await adapter.stop()


async def test_a_mention_reads_as_a_name_in_the_console(sqlite_engine):
    from tests.test_console import run_script

    script = """\
/as Ben
/cop me
/as Cora
/cop checkin open
/as Ana
/cop reply success Thanks @Ben and @nobody a lot
/as Cora
/cop checkin close
"""
    out = "\n".join(await run_script(sqlite_engine, script))
    summary = out[out.index("Our check-in has closed") :]
    assert "Thanks @Ben and @someone a lot — Ana" in summary
    assert "<@" not in summary
