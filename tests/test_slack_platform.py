"""Delivering to Slack: pacing, 429s, errors, DMs, long messages, and the dispatcher."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.platform import SlackPlatform
from bot.bootstrap import build_app
from bot.messages import OutMessage, Section, say
from bot.ports import DeliveryError, RateLimited
from bot.storage.uow import UnitOfWork
from tests.conftest import START
from tests.slack_fake import CHANNEL, PEOPLE, FakeSlack, seconds, slack_settings


@pytest.fixture
async def fake(clock):
    fake = FakeSlack(clock=lambda: seconds(clock), users=dict(PEOPLE))
    fake.add_channel(CHANNEL, "wound-care")
    fake.add_channel("C0GONE", "left", member=False)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def platform(fake, clock):
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url, session=session)
        yield SlackPlatform(client, now=lambda: seconds(clock))


async def test_a_post_carries_its_outbox_key_and_escaped_text(fake, platform):
    ts = await platform.post(CHANNEL, say("Tom & Jerry <3"), "checkin:1:post")
    [post] = fake.channel_posts(CHANNEL)
    assert post.ts == ts
    assert post.text == "Tom &amp; Jerry &lt;3"
    assert post.plain == "Tom & Jerry <3"
    assert post.metadata == {
        "event_type": "copbot_message",
        "event_payload": {"key": "checkin:1:post"},
    }
    assert fake.call_args("chat.postMessage")["unfurl_links"] is False


async def test_about_one_message_a_second_per_channel_without_sleeping(fake, platform, clock):
    await platform.post(CHANNEL, say("one"), "k1")
    clock.set(START + timedelta(milliseconds=300))
    with pytest.raises(RateLimited) as limited:
        await platform.post(CHANNEL, say("two"), "k2")
    assert limited.value.retry_after == pytest.approx(0.7)
    assert limited.value.scope == CHANNEL  # only this channel waits
    await platform.dm("UANA", say("a private word"), "k3")  # another conversation: not held up
    clock.set(START + timedelta(seconds=1))
    await platform.post(CHANNEL, say("two"), "k2")
    assert [p.plain for p in fake.channel_posts(CHANNEL)] == ["one", "two"]
    assert fake.rate_limited == []  # Slack never had to say 429


async def test_slacks_429_becomes_rate_limited_with_its_retry_after(fake, platform):
    fake.throttle_next.append(7)
    with pytest.raises(RateLimited) as limited:
        await platform.post(CHANNEL, say("hello"), "k1")
    assert limited.value.retry_after == 7
    assert limited.value.scope == CHANNEL  # only this channel is held, not all of Slack
    assert fake.channel_posts() == []


@pytest.mark.parametrize(
    ("channel", "error", "transient", "hint"),
    [
        ("C0NOPE", None, False, "channel_not_found"),
        ("C0GONE", None, False, "/invite @copbot"),
        (CHANNEL, "internal_error", True, "internal_error"),
        (CHANNEL, "something_new", True, "something_new"),
    ],
)
async def test_errors_are_permanent_only_when_a_retry_cannot_help(
    fake, platform, channel, error, transient, hint
):
    if error:
        fake.fail_next["chat.postMessage"] = [error]
    with pytest.raises(DeliveryError) as failed:
        await platform.post(channel, say("hello"), "k1")
    assert failed.value.transient is transient
    assert hint in str(failed.value)


async def test_a_dm_opens_the_conversation_once(fake, platform, clock):
    await platform.dm("UANA", say("first"), "k1")
    clock.set(START + timedelta(seconds=2))
    await platform.dm("UANA", say("second"), "k2")
    assert fake.methods().count("conversations.open") == 1
    assert [d.plain for d in fake.dms("UANA")] == ["first", "second"]
    with pytest.raises(DeliveryError) as failed:
        await platform.dm("UNOBODY", say("hello"), "k3")
    assert failed.value.transient is False


async def test_a_long_message_resumes_where_it_stopped(fake, platform, clock):
    long = OutMessage(title="Summary", sections=tuple(Section(text="x" * 2500) for _ in range(12)))
    with pytest.raises(RateLimited):  # page 1 goes, page 2 must wait a second
        await platform.post(CHANNEL, long, "summary:1")
    assert len(fake.channel_posts()) == 1
    for step in range(2, 10):
        clock.set(START + timedelta(seconds=step))
        try:
            first_ts = await platform.post(CHANNEL, long, "summary:1")
            break
        except RateLimited:
            continue
    posts = fake.channel_posts()
    assert first_ts == posts[0].ts
    assert [p.metadata["event_payload"].get("part") for p in posts] == [None, 2, 3]
    assert "".join(p.plain for p in posts).count("x" * 2500) == 12
    assert fake.rejected == []


async def test_the_dispatcher_waits_instead_of_sending_too_fast(engine, clock, fake):
    settings = slack_settings(fake)
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url, session=session)
        platform = SlackPlatform(client, now=lambda: seconds(clock), min_interval=0.0)
        app = build_app(settings, {"slack": platform}, clock=clock, engine=engine)
        with UnitOfWork(engine) as uow:
            for n in range(2):
                uow.enqueue(
                    f"test:{n}",
                    say(f"message {n}"),
                    platform="slack",
                    created_at=START,
                    channel_id=CHANNEL,
                )
            uow.commit()
        await app.advance(START + timedelta(seconds=10))
    # Slack said 429 to the fast sends; each message still went exactly once, in order.
    assert fake.rate_limited
    assert [p.plain for p in fake.channel_posts()] == ["message 0", "message 1"]


# ---- after a restart: did it arrive? -----------------------------------------------------


def _new_platform(fake, clock, session):
    """Another process's SlackPlatform: it remembers nothing the first one sent."""
    client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url, session=session)
    return SlackPlatform(client, now=lambda: seconds(clock), min_interval=0.0)


async def test_a_message_that_arrived_before_a_restart_is_found_and_not_sent_again(
    fake, platform, clock
):
    ts = await platform.post(CHANNEL, say("Time for our check-in"), "checkin:7:post")
    await platform.dm("UANA", say("a reminder"), "remind:7:ana")
    async with aiohttp.ClientSession() as session:
        after = _new_platform(fake, clock, session)
        found = await after.already_sent(
            CHANNEL, None, say("Time for our check-in"), "checkin:7:post"
        )
        in_dm = await after.already_sent(None, "UANA", say("a reminder"), "remind:7:ana")
        other = await after.already_sent(CHANNEL, None, say("something else"), "checkin:8:post")
    assert found == ts
    assert in_dm == fake.dms("UANA")[0].ts
    assert other is None
    assert fake.call_args("conversations.history")["include_all_metadata"] in (True, "true", "1")


async def test_a_long_message_cut_short_by_a_restart_sends_only_its_missing_pages(
    fake, platform, clock
):
    long = OutMessage(title="Summary", sections=tuple(Section(text="x" * 2500) for _ in range(12)))
    with pytest.raises(RateLimited):  # page 1 goes; then the process dies
        await platform.post(CHANNEL, long, "summary:1")
    async with aiohttp.ClientSession() as session:
        after = _new_platform(fake, clock, session)
        assert await after.already_sent(CHANNEL, None, long, "summary:1") is None
        for step in range(2, 10):  # Slack takes about one message a second per channel
            clock.set(START + timedelta(seconds=step))
            try:
                first_ts = await after.post(CHANNEL, long, "summary:1")
                break
            except RateLimited:
                continue
    posts = fake.channel_posts()
    assert [p.metadata["event_payload"].get("part") for p in posts] == [None, 2, 3]
    assert first_ts == posts[0].ts


async def test_without_the_history_scope_a_restart_cannot_check_and_says_so(
    fake, platform, clock, caplog
):
    await platform.post(CHANNEL, say("hello"), "hello:1")
    fake.scopes = "commands,chat:write"
    async with aiohttp.ClientSession() as session:
        after = _new_platform(fake, clock, session)
        with caplog.at_level("INFO", logger="adapters.slack.platform"):
            assert await after.already_sent(CHANNEL, None, say("hello"), "hello:1") is None
    assert "could not check whether hello:1 arrived" in caplog.text
