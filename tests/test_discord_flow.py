"""copbot on Discord, end to end: the unmodified discord.py client against a loopback fake
of Discord (tests/discord_fake.py), on SQLite and PostgreSQL, with a simulated clock.

Members type /cop commands, press buttons and fill in modals exactly as Discord delivers
them; what they see is what the fake recorded. One fake server serves the whole module.
"""

from __future__ import annotations

import asyncio
from argparse import Namespace
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import Session, select

from adapters import registry
from adapters.discord import DiscordAdapter
from adapters.discord.adapter import SLOW_FORM
from adapters.runtime import serve
from bot.bootstrap import App, build_app
from bot.commands import Actor, Inbound
from bot.config import parse_settings
from bot.messages import OutMessage
from bot.storage.tables import OutboxMessage
from tests.conftest import START, community, make_settings
from tests.discord_fake import (
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    PRIVILEGED_INTENTS,
    Exchange,
    FakeDiscord,
    buttons_of,
    user,
)
from tests.fakes import FakePlatform

pytestmark = pytest.mark.asyncio(loop_scope="module")

CORA = user(1100000000000000500, "Cora")  # a convener
ANA = user(1100000000000000501, "Ana")
BEN = user(1100000000000000502, "Ben")
DEE = user(1100000000000000503, "Dee")


def settings(**overrides: Any):
    return make_settings(
        community(
            platform="discord",
            channel=str(CHANNEL_ID),
            conveners=[CORA["id"]],
            keepers=[],
            **overrides,
        )
    )


@dataclass
class World:
    """A running copbot on the fake Discord."""

    fake: FakeDiscord
    adapter: DiscordAdapter
    app: App

    async def slash(self, who: dict, verb: str, text: str | None = None, **kw: Any) -> Exchange:
        exchange = await self.fake.slash(who, verb, text, **kw)
        await self.adapter.settled()
        return exchange

    async def press(self, who: dict, message: dict, label: str) -> Exchange:
        exchange = await self.fake.press(who, message, label)
        await self.adapter.settled()
        return exchange

    async def submit(self, who: dict, modal: dict | None, **values: str) -> Exchange:
        assert modal is not None, "no form was opened"
        exchange = await self.fake.submit(who, modal, values)
        await self.adapter.settled()
        return exchange

    async def deliver(self) -> None:
        await self.app.dispatcher.drain()

    async def stop(self) -> None:
        await self.adapter.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    with pytest.MonkeyPatch.context() as patch:
        server.install(patch)
        yield server
    await server.close()


@pytest_asyncio.fixture(loop_scope="module")
async def discord_world(
    fake: FakeDiscord, engine, clock
) -> AsyncIterator[Callable[..., Awaitable[World]]]:
    fake.reset()
    worlds: list[World] = []

    async def start(config=None, **options: Any) -> World:
        adapter = DiscordAdapter("fake-token", **options)
        app = build_app(
            config or settings(), {"discord": adapter.platform}, clock=clock, engine=engine
        )
        await adapter.start(app)
        world = World(fake, adapter, app)
        worlds.append(world)
        return world

    yield start
    for world in worlds:
        await world.stop()


def _allowed_mentions_are_off(fake: FakeDiscord) -> None:
    payloads = fake.sent_payloads()
    assert payloads
    assert all(p.get("allowed_mentions", {}).get("parse") == [] for p in payloads)


# ---- tests -----------------------------------------------------------------------------


async def test_connects_without_privileged_intents_and_offers_every_verb(discord_world):
    world = await discord_world()
    fake = world.fake
    [identify] = fake.identifies
    assert identify["intents"] & PRIVILEGED_INTENTS == 0
    assert fake.heartbeats >= 1
    [cop] = fake.commands["global"]
    [option] = cop["options"]
    assert option["name"] == "command" and option["autocomplete"] is True
    # Every verb is offered while typing, each by its own prefix.
    for verb in {v.name for v in world.app.bus.router.verbs.values()} | {"help"}:
        assert verb in await fake.autocomplete(ANA, verb[:3]), verb
    assert await fake.autocomplete(ANA, "checkin ") == ["checkin open", "checkin close"]
    assert await fake.autocomplete(ANA, "digest l") == ["digest l", "digest last-week"]
    help_text = (await world.slash(ANA, "help", "reply")).text
    assert "Usage: /cop reply" in help_text


async def test_a_whole_checkin_cycle(discord_world, clock):
    world = await discord_world()
    fake = world.fake
    for someone in (ANA, BEN, DEE):
        await world.slash(someone, "me")
    opened = await world.slash(CORA, "checkin", "open")
    assert "opened" in opened.text and opened.ephemeral
    await world.deliver()
    [post] = fake.posts_to(CHANNEL_ID)
    assert "What has happened for you since we last met?" in post.text
    assert [b["label"] for b in post.buttons] == [
        "Share a success",
        "Share a challenge",
        "Share a learning",
        "Not this time",
    ]

    # Ana replies through the button and the modal, named; then edits it the same way.
    form = await world.press(ANA, post.message, "Share a success")
    assert form.modal is not None and form.modal["custom_id"].startswith("copf:checkin.reply:")
    thanks = await world.submit(ANA, form.modal, text="Fewer missed visits", share="named")
    assert "with your name" in thanks.text and thanks.ephemeral
    form = await world.press(ANA, post.message, "Share a success")
    assert form.modal["components"][0]["component"]["value"] == "Fewer missed visits"
    await world.submit(ANA, form.modal, text="A third fewer missed visits", share="named")
    # Ben shares a challenge anonymously by typing; Dee says "not this time".
    typed = await world.slash(BEN, "reply", "challenge anonymously Discharge letters arrive late")
    assert "anonymously" in typed.text
    skipped = await world.press(DEE, post.message, "Not this time")
    assert "no reminder" in skipped.text

    # One reminder, privately, to the one member who has neither replied nor skipped: Cora.
    await world.app.advance(START + timedelta(days=3, minutes=1))
    assert [d.text for d in fake.dms_to(int(DEE["id"]))] == []
    [reminder] = fake.dms_to(int(CORA["id"]))
    assert "gentle nudge" in reminder.text

    # The summary, in the channel, once: named and anonymous as each chose.
    await world.app.advance(START + timedelta(days=6))
    summary = fake.posts_to(CHANNEL_ID)[-1]
    assert "Our check-in has closed" in summary.text
    assert "A third fewer missed visits — Ana" in summary.text
    assert "Discharge letters arrive late — (shared anonymously)" in summary.text
    assert "Ben" not in summary.text
    assert len(fake.posts_to(CHANNEL_ID)) == 2
    assert fake.rejected == []
    _allowed_mentions_are_off(fake)


async def test_buttons_still_work_after_a_restart(discord_world):
    first = await discord_world()
    await first.slash(CORA, "checkin", "open")
    await first.deliver()
    [post] = first.fake.posts_to(CHANNEL_ID)
    await first.stop()

    second = await discord_world()  # a new client and a new App, the same database
    assert second.fake.sessions >= 2
    form = await second.press(ANA, post.message, "Share a learning")
    assert form.modal is not None
    done = await second.submit(ANA, form.modal, text="Ask about pain first", share="anonymous")
    assert "anonymously" in done.text


async def test_a_rate_limit_is_waited_out_and_a_long_one_left_to_the_outbox(discord_world, clock):
    world = await discord_world()
    fake = world.fake
    fake.rate_limit("POST", rf"/channels/{CHANNEL_ID}/messages", retry_after=0.01)
    await world.slash(CORA, "checkin", "open")
    await world.deliver()
    limited = [r for r in fake.requests if r[1].endswith(f"/channels/{CHANNEL_ID}/messages")]
    assert len(limited) == 2  # the 429, then the retry
    assert len(fake.posts_to(CHANNEL_ID)) == 1

    # Longer than discord.py's max_ratelimit_timeout: the outbox waits, then delivers once.
    fake.rate_limit("POST", rf"/channels/{CHANNEL_ID}/messages", retry_after=120)
    await world.slash(CORA, "checkin", "close")
    await world.deliver()
    assert len(fake.posts_to(CHANNEL_ID)) == 1
    with Session(world.app.engine) as session:
        summary = session.exec(
            select(OutboxMessage).where(OutboxMessage.key.endswith(":summary"))  # type: ignore[union-attr]
        ).one()
    assert summary.status == "pending" and summary.attempts == 0
    await world.app.advance(clock.now() + timedelta(seconds=121))
    assert len(fake.posts_to(CHANNEL_ID)) == 2
    assert fake.rejected == []


async def test_everyone_in_member_text_pings_nobody(discord_world):
    world = await discord_world()
    await world.slash(CORA, "checkin", "open")
    refused = await world.slash(ANA, "reply", "success @everyone we did it")
    assert "would notify everyone" in refused.text
    saved = await world.slash(ANA, "reply", "success <@!1100000000000000502> helped a lot")
    assert "saved" in saved.text
    await world.slash(CORA, "checkin", "close")
    await world.deliver()
    summary = world.fake.posts_to(CHANNEL_ID)[-1]
    assert "helped a lot" in summary.text
    assert "<@1100000000000000502>" not in summary.text  # shown, never a live mention
    _allowed_mentions_are_off(world.fake)


async def test_closed_dms_are_shown_at_the_next_interaction(discord_world, clock):
    world = await discord_world()
    fake = world.fake
    await world.slash(ANA, "me")
    fake.closed_dms.add(int(ANA["id"]))
    await world.slash(CORA, "checkin", "open")
    await world.app.advance(START + timedelta(days=3, minutes=1))  # the reminder is due
    assert fake.dms_to(int(ANA["id"])) == []
    with Session(world.app.engine) as session:
        held = session.exec(select(OutboxMessage).where(OutboxMessage.status == "held")).all()
    assert [row.user_id for row in held] == [ANA["id"]]

    answer = await world.slash(ANA, "checkin")
    assert answer.ephemeral
    assert "private messages are closed" in answer.text
    assert "gentle nudge" in answer.text
    reminder = next(m for m in answer.messages if "gentle nudge" in str(m))
    assert "Share a success" in [b["label"] for b in buttons_of(reminder)]
    again = await world.slash(ANA, "checkin")
    assert "gentle nudge" not in again.text  # shown once
    assert fake.rejected == []


async def test_a_slow_answer_is_deferred_then_followed_up(discord_world):
    world = await discord_world(ack_budget=0)
    answer = await world.slash(CORA, "checkin", "open")
    assert answer.callback == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert "opened" in answer.text
    assert all(f["flags"] & EPHEMERAL for f in answer.followups)
    await world.deliver()
    [post] = world.fake.posts_to(CHANNEL_ID)
    late = await world.press(ANA, post.message, "Share a success")
    assert late.modal is None and SLOW_FORM in late.text


async def test_a_command_in_a_private_conversation_finds_the_community(discord_world):
    world = await discord_world()
    await world.slash(ANA, "me", "quiet 21:00-07:00")
    answer = await world.slash(ANA, "me", channel_id=None)
    assert "21:00" in answer.text
    stranger = await world.slash(user(1100000000000000999, "Sol"), "me", channel_id=None)
    assert "community's channel" in stranger.text


async def test_wins_pledges_polls_nudges_and_the_newsletter_work_through_discord(
    discord_world, clock
):
    world = await discord_world()
    fake = world.fake
    for someone in (ANA, BEN):
        await world.slash(someone, "me")

    # A win, posted in the channel, cheered with its button.
    assert "Posted in the channel" in (await world.slash(ANA, "win", "Shared care plans live")).text
    await world.deliver()
    win = fake.posts_to(CHANNEL_ID)[-1]
    assert "Shared care plans live" in win.text and "Ana" in win.text
    assert "1 cheer" in (await world.press(BEN, win.message, "Cheer")).text

    # A pledge, private, followed up by a private message on its date; answered by button.
    pledged = await world.slash(ANA, "pledge", "Try the dressing checklist by in 2 weeks")
    assert "only you can see it" in pledged.text and pledged.ephemeral

    # A poll with a button per option; the result is posted when it closes.
    await world.slash(CORA, "poll", 'open "Which problem next?" "Caseloads" "Isolation"')
    await world.deliver()
    poll = fake.posts_to(CHANNEL_ID)[-1]
    assert [b["label"] for b in poll.buttons] == ["1. Caseloads", "2. Isolation"]
    assert "vote is saved" in (await world.press(ANA, poll.message, "2. Isolation")).text

    # A convener's nudge: previewed privately with Save / Cancel, then posted on time.
    preview = await world.slash(CORA, "nudge", 'add "tomorrow 10:00" Bring one story')
    assert "Saved as nudge" in (await world.press(CORA, preview.messages[0], "Save")).text
    newsletter = await world.slash(CORA, "newsletter", "preview")
    assert "1 open pledge" in newsletter.text

    await world.app.advance(START + timedelta(days=15))
    posted = [p.text for p in fake.posts_to(CHANNEL_ID)]
    assert any("Bring one story" in text for text in posted)
    assert any("Poll 1 has closed" in text and "Isolation" in text for text in posted)
    [follow_up] = [p for p in fake.dms_to(int(ANA["id"])) if "How did your pledge go?" in p.text]
    form = await world.press(ANA, follow_up.message, "Done")
    first_field = form.modal["components"][0]["component"]["custom_id"]
    done = await world.submit(ANA, form.modal, **{first_field: "Fewer dressing errors"})
    assert "Well done!" in done.text and done.ephemeral
    assert fake.rejected == []
    _allowed_mentions_are_off(fake)


class StandInSlack:
    """The Slack side of `copbot run`, reduced to what runtime.serve needs."""

    name = "slack"

    def __init__(self) -> None:
        self.platform = RecordingPlatform(name="slack")
        self.app: App | None = None
        self.started = asyncio.Event()
        self.stopped = False

    async def start(self, app: App) -> None:
        self.app = app
        self.started.set()

    async def stop(self) -> None:
        self.stopped = True


@dataclass
class RecordingPlatform(FakePlatform):
    """A FakePlatform one can wait on."""

    def __post_init__(self) -> None:
        self.arrived = asyncio.Event()

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        self.arrived.set()
        return await super().post(channel_id, message, key)


async def test_one_process_serves_a_slack_and_a_discord_community(fake, tmp_path):
    fake.reset()
    config = parse_settings(
        {
            "database_url": f"sqlite:///{tmp_path / 'copbot.db'}",
            "communities": [
                community(
                    name="wound-care",
                    platform="discord",
                    channel=str(CHANNEL_ID),
                    conveners=[CORA["id"]],
                ),
                community(name="falls", platform="slack", channel="C0FALLS", conveners=["U0SAM"]),
            ],
        },
        {"DISCORD_BOT_TOKEN": "fake-token", "SLACK_BOT_TOKEN": "xoxb-fake"},
    )
    assert config.platforms_with_tokens() == {"slack", "discord"}
    discord_side = registry.make_adapter("discord", config, Namespace(guild_id=str(GUILD_ID)))
    slack_side = StandInSlack()
    stop = asyncio.Event()
    running = asyncio.create_task(serve(config, [discord_side, slack_side], stop))
    try:
        await fake.connected()
        assert [c["name"] for c in fake.commands[str(GUILD_ID)]] == ["cop"]  # synced at once
        await asyncio.wait_for(slack_side.started.wait(), 10)  # started after Discord
        assert slack_side.app is not None
        opened = await fake.slash(CORA, "checkin", "open")
        await discord_side.settled()
        assert "opened" in opened.text
        [post] = await fake.wait_for_post(CHANNEL_ID)  # delivered by the running dispatcher
        assert "since we last met" in post.text

        sam = Actor("slack", "U0SAM", "Sam", "C0FALLS")
        answer = slack_side.app.handle(Inbound(sam, "text", text="/cop checkin open"))
        assert "opened" in (answer.message.as_text() if answer.message else "")
        await asyncio.wait_for(slack_side.platform.arrived.wait(), 10)
        [slack_post] = slack_side.platform.posts()
        assert slack_post.target == "C0FALLS"
        assert len(fake.posts_to(CHANNEL_ID)) == 1  # nothing crossed over
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    assert slack_side.stopped and discord_side.client is not None
    assert discord_side.client.is_closed()


async def test_a_refused_form_answer_is_offered_again_with_what_was_typed(discord_world):
    """Discord cannot keep a modal open: the refusal says why and "Try again" reopens the
    same form, filled in, for that person only."""
    world = await discord_world()
    opened = await world.slash(CORA, "checkin", "open")
    assert "opened" in opened.text
    await world.deliver()
    [post] = world.fake.posts_to(CHANNEL_ID)[-1:]
    form = await world.press(ANA, post.message, "Share a success")
    typed = "We started a falls huddle at handover and it stuck"
    refused = await world.submit(ANA, form.modal, text=typed, share="sideways")
    assert "with your name or anonymously" in refused.text and refused.ephemeral
    [again] = [b for m in refused.messages for b in buttons_of(m) if b["label"] == "Try again"]

    reply_message = refused.messages[-1]
    stranger = await world.fake.press(BEN, reply_message, "Try again")  # not Ben's form
    assert stranger.modal is None and "expired" in stranger.text
    reopened = await world.fake.press(ANA, reply_message, "Try again")
    assert reopened.modal is not None
    assert reopened.modal["components"][0]["component"]["value"] == typed  # kept, not retyped
    thanks = await world.submit(ANA, reopened.modal, text=typed, share="named")
    assert "with your name" in thanks.text
    used = await world.fake.press(ANA, reply_message, "Try again")  # once only
    assert used.modal is None and "expired" in used.text
    assert again["style"] == 1  # primary
