"""Every command the README documents works on Discord as `/cop <verb>`, is offered while
typing, and `/cop help` there lists the same commands (real discord.py against the fake)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from adapters.discord.adapter import DiscordAdapter
from bot.bootstrap import build_app
from tests.conftest import community, make_settings
from tests.discord_fake import CHANNEL_ID, FakeDiscord, user

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[1]
CORA = user(1100000000000000500, "Cora")  # a convener and keeper: sees every command
NOT_VERBS = {"verbs"}  # "its /cop verbs" in the layout section is prose, not a command


def documented_verbs() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    return set(re.findall(r"/cop ([a-z][a-z-]*)", readme)) - NOT_VERBS


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    with pytest.MonkeyPatch.context() as patch:
        server.install(patch)
        yield server
    await server.close()


async def test_every_documented_verb_works_as_cop_verb_on_discord(fake_discord, engine, clock):
    fake_discord.reset()
    settings = make_settings(
        community(
            platform="discord",
            channel=str(CHANNEL_ID),
            conveners=[CORA["id"]],
            keepers=[CORA["id"]],
        )
    )
    adapter = DiscordAdapter("fake-token")
    app = build_app(settings, {"discord": adapter.platform}, clock=clock, engine=engine)
    await adapter.start(app)
    try:
        verbs = documented_verbs()
        assert {"digest", "story", "stories", "export", "forget-me"} <= verbs
        help_text = (await fake_discord.slash(CORA, "help")).text
        for verb in sorted(verbs):
            assert verb in await fake_discord.autocomplete(CORA, verb), verb
            answer = await fake_discord.slash(CORA, verb)
            await adapter.settled()
            assert "I don't know" not in answer.text, verb
            assert "Sorry, something went wrong" not in answer.text, verb
            assert f"/cop {verb}" in help_text, verb
        # And help lists nothing the README leaves out.
        listed = set(re.findall(r"/cop ([a-z][a-z-]*)", help_text))
        assert listed <= verbs, listed - verbs
        assert fake_discord.rejected == []
    finally:
        await adapter.stop()
