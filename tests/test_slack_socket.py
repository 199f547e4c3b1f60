"""Socket Mode: copbot connects out to a loopback fake Socket Mode server (no public URL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.runtime import AdapterFatal
from adapters.slack import SlackAdapter
from bot.bootstrap import build_app
from tests.conftest import START
from tests.slack_fake import CHANNEL, PEOPLE, FakeSlack, SlackSide, seconds, slack_settings


async def test_socket_mode_acknowledges_envelopes_and_acts_once(sqlite_engine, clock):
    fake = FakeSlack(clock=lambda: seconds(clock), users=dict(PEOPLE))
    fake.add_channel(CHANNEL, "wound-care")
    await fake.start()
    settings = slack_settings(fake, app_token="xapp-1-test")
    adapter = SlackAdapter(settings, mode="socket", platform_clock=lambda: seconds(clock))
    app = build_app(settings, {"slack": adapter.platform}, clock=clock, engine=sqlite_engine)
    try:
        await adapter.start(app)
        await fake.wait_connected()
        assert fake.call_args("apps.connections.open") == {}
        assert fake.methods()[:2] == ["auth.test", "apps.connections.open"]
        assert fake.calls[1].token == "xapp-1-test"

        # A slash command: acknowledged on the socket, answered at its response_url.
        command = SlackSide.command_body(fake, "UCORA", "checkin open", CHANNEL)
        ack = await fake.envelope("slash_commands", command)
        assert set(ack) == {"envelope_id"}
        await adapter.settle()
        await app.dispatcher.drain()
        [answer] = fake.private_to("UCORA")
        assert "opened" in answer.plain
        [post] = fake.channel_posts(CHANNEL)

        # A button on the channel post opens a modal; the modal's answers are saved.
        press = SlackSide.action_body(
            fake, "UANA", post.button("Share a learning"), CHANNEL, post.ts
        )
        await fake.envelope("interactive", press)
        await adapter.settle()
        [modal] = fake.views
        submission = SlackSide.submission_body(
            fake, "UANA", modal, {"text": "Ask before assuming", "share": "anonymous"}
        )
        await fake.envelope("interactive", submission)
        await adapter.settle()
        assert "anonymously" in fake.private_to("UANA")[-1].plain

        # The same delivery four times (Slack retrying): acted on once.
        again = SlackSide.command_body(fake, "UCORA", "checkin close", CHANNEL)
        for attempt in range(4):
            await fake.envelope("slash_commands", again, retry_attempt=attempt)
        await adapter.settle()
        await app.advance(START + timedelta(seconds=5))  # Slack's pace: 1 post/s per channel
        closed = [p for p in fake.private_to("UCORA") if "closed" in p.plain]
        assert len(closed) == 1, [p.plain for p in fake.private_to("UCORA")]
        summaries = [p for p in fake.channel_posts(CHANNEL) if "has closed" in p.plain]
        assert len(summaries) == 1
        assert "Ask before assuming" in summaries[0].plain
        assert len(fake.acks) == 7  # every envelope acknowledged
        assert fake.rejected == [] and fake.pings == []
    finally:
        await adapter.stop()
        await fake.stop()


async def test_a_refused_app_token_stops_the_start(sqlite_engine, clock):
    fake = FakeSlack(clock=lambda: seconds(clock), users=dict(PEOPLE))
    await fake.start()
    settings = slack_settings(fake, app_token="xoxp-not-an-app-token")
    adapter = SlackAdapter(settings, mode="socket")
    app = build_app(settings, {"slack": adapter.platform}, clock=clock, engine=sqlite_engine)
    try:
        with pytest.raises(AdapterFatal, match="app-level token"):
            await adapter.start(app)
    finally:
        await adapter.stop()
        await fake.stop()


async def test_a_lost_socket_is_logged_and_reconnected(sqlite_engine, clock, caplog):
    fake = FakeSlack(clock=lambda: seconds(clock), users=dict(PEOPLE))
    fake.add_channel(CHANNEL, "wound-care")
    await fake.start()
    settings = slack_settings(fake, app_token="xapp-1-test")
    adapter = SlackAdapter(settings, mode="socket")
    app = build_app(settings, {"slack": adapter.platform}, clock=clock, engine=sqlite_engine)
    try:
        await adapter.start(app)
        await fake.wait_connected()
        assert adapter.connected
        for ws in list(fake._sockets):
            await ws.close()
        for _ in range(100):
            await asyncio.sleep(0.05)
            if fake.methods().count("apps.connections.open") > 1 and adapter.connected:
                break
        assert fake.methods().count("apps.connections.open") > 1 and adapter.connected
        assert any(
            r.levelname == "ERROR" and "lost the Socket Mode connection" in r.getMessage()
            for r in caplog.records
        )
        command = SlackSide.command_body(fake, "UCORA", "help", CHANNEL)
        await fake.envelope("slash_commands", command)
        await adapter.settle()
        assert fake.private_to("UCORA")
    finally:
        await adapter.stop()
        await fake.stop()
