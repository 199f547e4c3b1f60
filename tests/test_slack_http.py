"""copbot's HTTP endpoint as Slack uses it: signatures, acknowledgement first, retries."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse

from tests.slack_fake import CHANNEL, SlackSide, slack_world

FORM = "application/x-www-form-urlencoded"


async def test_forged_and_stale_requests_get_401_and_change_nothing(sqlite_engine, clock):
    async with slack_world(sqlite_engine, clock) as world:
        side, fake = world.side, world.fake
        body = urllib.parse.urlencode(
            SlackSide.command_body(fake, "UCORA", "checkin open", CHANNEL)
        )
        forged = side.sign(body + "tampered")
        stale = side.sign(body, timestamp=int(time.time()) - 600)
        wrong_secret = SlackSide(fake, side.endpoint, "not-the-secret", world.session).sign(body)
        for headers in (forged, stale, wrong_secret, {"X-Slack-Request-Timestamp": "1"}):
            status, _ = await side.send(body, FORM, signed=headers)
            assert status == 401
        event = json.dumps(
            SlackSide.event_body(
                {"type": "member_joined_channel", "user": "UDEE", "channel": CHANNEL}
            )
        )
        status, _ = await side.send(event, "application/json", signed=side.sign(event + " "))
        assert status == 401
        await world.settle()
        assert fake.posts == [] and fake.views == []
        # copbot did not even look anyone up (auth.test is its own start-up check)
        assert [c.method for c in fake.calls] == ["auth.test"]
        # The genuine request still works afterwards, and nothing had been opened before it.
        assert "opened" in await world.cop("UCORA", "checkin open")
        assert len(fake.channel_posts(CHANNEL)) == 1


async def test_the_same_request_delivered_four_times_acts_once(engine, clock):
    # Four deliveries at once, handled by four worker threads (as by four replicas).
    async with slack_world(engine, clock, core_threads=4) as world:
        side, fake = world.side, world.fake
        body = urllib.parse.urlencode(
            SlackSide.command_body(fake, "UCORA", "win We opened the new clinic", CHANNEL)
        )

        async def deliver(retry: int) -> tuple[int, str]:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            return await side.send(body, FORM, headers=headers if retry else None)

        results = await asyncio.gather(*(deliver(retry) for retry in range(4)))
        assert results == [(200, "")] * 4
        await world.settle()
        assert len(fake.channel_posts(CHANNEL)) == 1
        assert len(fake.private_to("UCORA")) == 1


async def test_slack_gets_its_acknowledgement_before_copbot_does_the_work(sqlite_engine, clock):
    async with slack_world(sqlite_engine, clock) as world:
        release = asyncio.Event()
        original = world.adapter.handle

        async def slow_core(inbound):
            await release.wait()  # the core is busy (a slow database, say)
            return await original(inbound)

        world.adapter.handle = slow_core
        status, body = await world.side.command("UCORA", "checkin open", CHANNEL)
        assert (status, body) == (200, "")  # acknowledged while the core had not started
        assert world.fake.private_to("UCORA") == []
        release.set()
        await world.settle()
        assert "opened" in world.fake.private_to("UCORA")[0].plain


async def test_health_and_url_verification(sqlite_engine, clock):
    async with slack_world(sqlite_engine, clock) as world:
        health = world.side.endpoint.replace("/slack/events", "/healthz")
        async with world.session.get(health) as reply:
            assert reply.status == 200 and (await reply.json()) == {"ok": True}
        challenge = json.dumps(
            {"type": "url_verification", "challenge": "abc123", "token": "legacy"}
        )
        status, text = await world.side.send(challenge, "application/json")
        assert status == 200 and "abc123" in text


async def test_a_form_that_no_longer_exists_is_answered_kindly(sqlite_engine, clock):
    async with slack_world(sqlite_engine, clock) as world:
        await world.cop("UANA", "help")
        view = {
            "type": "modal",
            "callback_id": "copbot:gone.form",
            "private_metadata": json.dumps({"m": "1", "c": CHANNEL}),
            "blocks": [],
        }
        answer = await world.submit("UANA", view)
        assert "don't recognise that form" in answer
