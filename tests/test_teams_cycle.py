"""What members do in Teams, through the real SDK and the fake Teams: a whole check-in
cycle by cards, wins, a ranked poll, a pledge follow-up, the welcome on install, a held
private message, repeated activities and a storm of 429s."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlmodel import Session, select

from bot.messages import OutMessage, Section
from bot.ports import RateLimited
from bot.storage.tables import OutboxMessage
from tests.conftest import START
from tests.teams_fake import CHANNEL_ID, FakeTeams, chat_id
from tests.teams_world import (
    ANA,
    BEN,
    CORA,
    DEE,
    World,
    start_world,
    stop_world,
    teams_settings,
)

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


def _mentions_nobody(fake: FakeTeams) -> None:
    """No message copbot sent carries a mention entity (so nobody is ever pinged)."""
    assert fake.sent
    for sent in fake.sent:
        assert not any(e.get("type") == "mention" for e in sent.body.get("entities") or [])
        assert "<at>" not in str(sent.body)


async def test_a_whole_checkin_cycle_through_cards(teams_world):
    world = await teams_world()
    fake = world.fake
    for someone in (ANA, BEN, DEE):
        await world.type(someone, "me", channel=CHANNEL_ID)
    [opened] = await world.type(CORA, "checkin open", channel=CHANNEL_ID)
    assert "opened" in opened.text  # answered in Cora's 1:1 chat, not in the channel
    await world.deliver()
    [post] = fake.channel_posts()
    assert "What has happened for you since we last met?" in post.text

    # Ana presses "Share a success" in the channel: the form arrives in her 1:1 chat.
    [form] = await world.press(ANA, post, "Share a success")
    assert form.conversation_id == chat_id(ANA)
    assert [i["id"] for i in form.inputs] == ["f_text", "f_share"]
    [thanks] = await world.press(ANA, form, "Send", text="Fewer missed visits", share="named")
    assert "with your name" in thanks.text
    # Ben shares a challenge anonymously through the card; Dee says "not this time".
    [form] = await world.press(BEN, post, "Share a challenge")
    [thanks] = await world.press(
        BEN, form, "Send", text="Discharge letters arrive late", share="anonymous"
    )
    assert "anonymously" in thanks.text
    [skipped] = await world.press(DEE, post, "Not this time")
    assert "no reminder" in skipped.text
    # A third reply, named, by typing in the 1:1 chat.
    [typed] = await world.type(CORA, "reply learning Ask the ward clerk first")
    assert "saved" in typed.text

    # No reminder for those who replied with their name or skipped.
    await world.app.advance(START + timedelta(days=3, minutes=1))
    for someone in (ANA, DEE, CORA):
        assert not any("gentle nudge" in s.text for s in fake.to_user(someone)), someone

    await world.app.advance(START + timedelta(days=6))
    summary = fake.channel_posts()[-1]
    assert "Our check-in has closed" in summary.text
    assert "Fewer missed visits — Ana" in summary.text
    assert "Discharge letters arrive late — (shared anonymously)" in summary.text
    assert "Ben" not in summary.text
    assert len(fake.channel_posts()) == 2
    assert fake.refused == []
    _mentions_nobody(fake)


async def test_the_reminder_reaches_who_has_not_replied(teams_world):
    world = await teams_world()
    fake = world.fake
    await world.type(ANA, "me", channel=CHANNEL_ID)
    await world.type(CORA, "checkin open")
    await world.app.advance(START + timedelta(days=3, minutes=1))
    [reminder] = [s for s in fake.to_user(ANA) if "gentle nudge" in s.text]
    assert "Share a success" in [a["title"] for a in reminder.actions]
    # Her chat was opened for it, with the tenant Teams needs.
    assert any(c["members"] == [{"id": ANA["id"]}] and c["tenantId"] for c in fake.created)


async def test_a_win_cheered_twice_by_one_member_counts_once(teams_world):
    world = await teams_world()
    fake = world.fake
    await world.type(BEN, "me", channel=CHANNEL_ID)
    [posted] = await world.type(ANA, "win Shared care plans live", channel=CHANNEL_ID)
    assert "Posted in the channel" in posted.text
    await world.deliver()
    win = fake.channel_posts()[-1]
    assert "Shared care plans live" in win.text and "Ana" in win.text
    [first] = await world.press(BEN, win, "Cheer")
    assert "1 cheer" in first.text
    [again] = await world.press(BEN, win, "Cheer")
    assert "already cheered this one: 1 cheer so far" in again.text
    [listed] = await world.type(BEN, "wins")
    assert "1 cheer" in listed.text and "2 cheers" not in listed.text


async def test_a_ranked_poll_through_cards(teams_world):
    world = await teams_world()
    fake = world.fake
    for someone in (ANA, BEN, DEE):
        await world.type(someone, "me", channel=CHANNEL_ID)
    await world.type(
        CORA,
        'poll open "Which topic next?" "Caseloads" "Isolation" "Voice" --ranked',
        channel=CHANNEL_ID,
    )
    await world.deliver()
    poll = fake.channel_posts()[-1]
    [form] = await world.press(ANA, poll, "Rank the options")
    assert "favourite first" in str(form.inputs)
    [saved] = await world.press(ANA, form, "Vote", choices="1 2")
    assert "saved" in saved.text
    await world.type(BEN, "vote 1 1")
    await world.type(DEE, "vote 1 3 1")
    await world.type(CORA, "vote 1 1 3")
    await world.type(CORA, "poll close 1", channel=CHANNEL_ID)
    await world.deliver()
    result = fake.channel_posts()[-1]
    assert "Chosen: Caseloads, with 3 of 4 votes" in result.text


async def test_a_pledge_is_followed_up_privately_and_answered_by_card(teams_world):
    world = await teams_world()
    fake = world.fake
    await world.type(ANA, "me", channel=CHANNEL_ID)
    [pledged] = await world.type(ANA, "pledge Try the dressing checklist by in 2 weeks")
    assert "only you can see it" in pledged.text
    await world.app.advance(START + timedelta(days=15))
    follow_up = next(s for s in fake.to_user(ANA) if "How did your pledge go?" in s.text)
    [form] = await world.press(ANA, follow_up, "Done")
    first = form.inputs[0]
    [done] = await world.press(
        ANA, form, "Send", **{first["id"].removeprefix("f_"): "Fewer dressing errors"}
    )
    assert "Well done!" in done.text


async def test_installing_the_app_welcomes_the_member_once(teams_world, fake):
    world = await teams_world(teams_settings(fake, welcome={"enabled": True}))
    assert await world.send(fake.installed_for(ANA)) in (200, 202)
    await world.deliver()
    [welcome] = fake.to_user(ANA)
    assert "Welcome" in welcome.text
    # Teams also tells of the installation itself: still one welcome.
    install = fake.activity("installationUpdate", ANA, action="add")
    assert await world.send(install) in (200, 202)
    await world.deliver()
    assert len(fake.to_user(ANA)) == 1


async def test_a_private_message_teams_will_not_take_is_held_and_shown_later(teams_world):
    world = await teams_world()
    fake = world.fake
    fake.closed.add(DEE["id"])  # Teams will not open a chat with Dee
    assert await world.type(DEE, "me", channel=CHANNEL_ID) == []
    await world.type(CORA, "checkin open")
    await world.app.advance(START + timedelta(days=3, minutes=1))
    with Session(world.app.engine) as session:
        held = session.exec(select(OutboxMessage).where(OutboxMessage.status == "held")).all()
    assert [row.user_id for row in held if "nudge" in row.payload] == [DEE["id"]]
    [seen] = await world.type(CORA, "undelivered")
    assert "held" in seen.text and "add the copbot app" in seen.text
    assert "Dee" not in seen.text

    # Dee adds the app for herself: her 1:1 chat shows what was held, once.
    fake.closed.discard(DEE["id"])
    await world.send(fake.installed_for(DEE))
    text = "\n".join(a.text for a in fake.to_user(DEE))
    assert "couldn't send you" in text and "gentle nudge" in text
    [seen] = await world.type(CORA, "undelivered")
    assert "Every message has been delivered" in seen.text
    again = await world.type(DEE, "checkin")
    assert "gentle nudge" not in "\n".join(a.text for a in again)


async def test_an_activity_delivered_twice_acts_once(teams_world):
    world = await teams_world()
    fake = world.fake
    activity = fake.typed(CORA, "checkin open", channel=CHANNEL_ID)
    assert await world.send(activity) in (200, 202)
    effects = world.effects()
    assert await world.send(activity) in (200, 202)
    assert world.effects() == effects
    await world.deliver()
    assert len(fake.channel_posts()) == 1
    assert len(fake.to_user(CORA)) == 1


async def test_a_429_storm_loses_nothing_sends_nothing_twice_and_holds_only_its_chat(
    teams_world, fake, clock
):
    world = await teams_world(teams_settings(fake, welcome={"enabled": True}))
    # The channel answers 429 (Retry-After: 20 s) three times in a row.
    fake.rate_limit(CHANNEL_ID, times=3, retry_after=20)
    await world.type(CORA, "checkin open")
    await world.deliver()
    assert fake.channel_posts() == [] and fake.limited == [CHANNEL_ID]
    # Meanwhile Ben's welcome, to his own chat, is not held up by the channel's limit.
    await world.type(BEN, "me", channel=CHANNEL_ID)
    await world.deliver()
    assert any("Welcome" in s.text for s in fake.to_user(BEN))
    # Nothing goes to the channel before its Retry-After has passed.
    await world.app.advance(clock.now() + timedelta(seconds=19))
    assert fake.channel_posts() == [] and len(fake.limited) == 1
    await world.app.advance(clock.now() + timedelta(minutes=5))
    assert len(fake.limited) == 3
    [post] = fake.channel_posts()
    assert "since we last met" in post.text


async def test_a_message_split_over_cards_is_resumed_not_repeated_after_a_429(teams_world):
    world = await teams_world()
    fake = world.fake
    await world.type(CORA, "me", channel=CHANNEL_ID)  # copbot learns the channel
    long = OutMessage(
        title="A long one",
        sections=tuple(Section(heading=f"Part {n}", text="words " * 900) for n in range(12)),
    )
    fake.rate_limit(CHANNEL_ID, times=1, retry_after=3, after=1)
    with pytest.raises(RateLimited) as limited:
        await world.adapter.platform.post(CHANNEL_ID, long, "key-1")
    assert limited.value.retry_after == 3 and limited.value.scope == f"teams:{CHANNEL_ID}"
    assert len(fake.channel_posts()) == 1
    await world.adapter.platform.post(CHANNEL_ID, long, "key-1")
    posts = fake.channel_posts()
    assert len(posts) >= 3
    assert all(len(json.dumps(p.body).encode()) < 28_000 for p in posts)
    text = "\n".join(p.text for p in posts)
    assert [f"Part {n}" in text for n in range(12)] == [True] * 12
    assert text.count("Part 0\n") == 1 and text.count("A long one") == 1


async def test_your_data_arrives_as_a_file_you_allow_in_your_chat(teams_world):
    world = await teams_world()
    fake = world.fake
    await world.type(ANA, "win Shared care plans live", channel=CHANNEL_ID)
    await world.type(ANA, "mydata")
    await world.deliver()
    [offer] = [
        s
        for s in fake.to_user(ANA)
        if any(
            a.get("contentType") == "application/vnd.microsoft.teams.card.file.consent"
            for a in s.body.get("attachments") or []
        )
    ]
    assert fake.uploads == {}
    # Declining sends nothing; allowing puts the file in her OneDrive and shows it.
    await world.send(fake.consent(ANA, offer, "decline"))
    assert fake.uploads == {}
    before = len(fake.to_user(ANA))
    await world.send(fake.consent(ANA, offer))
    [(name, body)] = fake.uploads.items()
    assert name.endswith("-my-data.json") and "Shared care plans live" in body.decode()
    [shown] = fake.to_user(ANA)[before:]
    [info] = shown.body["attachments"]
    assert info["contentType"] == "application/vnd.microsoft.teams.card.file.info"
    assert info["name"] == name
    # Someone else answering with Ana's card gets nothing.
    fake.uploads.clear()
    await world.send(fake.consent(BEN, offer))
    assert fake.uploads == {}
