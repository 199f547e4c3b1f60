"""A community's cycle driven by Slack payloads: signed requests to copbot's real HTTP
endpoint, Slack's Web API played by a loopback fake. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import START
from tests.slack_fake import CHANNEL, slack_world


async def test_a_checkin_cycle_through_slack(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        for user in ("UANA", "UBEN", "UDEE"):
            await world.cop(user, "help")  # first use: they become members

        assert "opened" in await world.cop("UCORA", "checkin open")
        [post] = fake.channel_posts(CHANNEL)
        assert "What has happened for you since we last met?" in post.plain
        assert [b["text"]["text"] for b in post.buttons()] == [
            "Share a success",
            "Share a challenge",
            "Share a learning",
            "Not this time",
        ]
        assert post.metadata == {
            "event_type": "copbot_message",
            "event_payload": {"key": post.metadata["event_payload"]["key"]},
        }
        assert post.metadata["event_payload"]["key"].startswith("checkin:")

        # Ana presses a button: a modal opens; she answers with her name.
        assert await world.press("UANA", post, "Share a success") == ""
        [modal] = fake.views
        assert modal["type"] == "modal" and modal["title"]["text"] == "Share a success"
        kinds = [b["element"]["type"] for b in modal["blocks"]]
        assert kinds == ["plain_text_input", "radio_buttons"]
        assert modal["blocks"][0]["element"]["multiline"] is True
        thanks = await world.submit(
            "UANA", modal, text="Fewer missed visits & <b>calls</b>", share="named"
        )
        assert "Thank you! Your success is saved" in thanks

        # Ben types an anonymous challenge; Dee skips with the button.
        assert "anonymously" in await world.cop(
            "UBEN", "reply challenge anonymously Discharge letters arrive late"
        )
        assert "No problem" in await world.press("UDEE", post, "Not this time")

        # The reminder (after 3 days) goes privately to Cora, Kit (the keeper named in the
        # settings) and Ben, who replied anonymously: reminders go to everyone who hasn't
        # replied with their name (Ana did; Dee said not this time), at 09:00 London.
        await world.app.advance(START + timedelta(days=3, minutes=1))
        # (one each, in whatever order the dispatcher's concurrent sends arrive)
        assert sorted(d.channel for d in fake.dms()) == ["DUBEN", "DUCORA", "DUKIT"]
        assert all("gentle nudge" in d.plain for d in fake.dms())

        # The summary when it closes: named and anonymous, escaped, nobody pinged.
        await world.app.advance(START + timedelta(days=6))
        summary = fake.channel_posts(CHANNEL)[-1]
        assert "Fewer missed visits & <b>calls</b> — Ana" in summary.plain
        assert "Discharge letters arrive late — (shared anonymously)" in summary.plain
        assert "Ben" not in summary.plain
        assert "&lt;b&gt;" in summary.text  # the fallback text is escaped mrkdwn
        assert len(fake.channel_posts()) == 2
        assert fake.rejected == [] and fake.pings == []


async def test_a_named_success_can_become_a_win_from_a_private_offer(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        await world.cop("UCORA", "checkin open")
        await world.cop("UANA", "reply success We cut missed visits by a third")
        await world.cop("UBEN", "reply learning anonymously Ask before assuming")
        await world.app.advance(START + timedelta(days=6))
        offers = [d for d in fake.dms() if d.metadata["event_payload"]["key"].startswith("win:")]
        assert [d.channel for d in offers] == ["DUANA"]  # named successes only
        [offer] = offers
        button = offer.buttons()[0]["text"]["text"]
        answer = await world.press("UANA", offer, button, channel="DUANA")
        assert "Sorry" not in answer
        wins = [p for p in fake.channel_posts(CHANNEL) if "We cut missed visits" in p.plain]
        assert len(wins) == 2  # the summary, then the win
        assert "Cheer" in [b["text"]["text"] for b in wins[-1].buttons()]
        assert fake.rejected == [] and fake.pings == []


async def test_mentions_arrive_in_the_cores_form(engine, clock):
    async with slack_world(engine, clock) as world:
        await world.cop("UANA", "help")
        answer = await world.cop("UCORA", "role <@UANA|ana.smith> keeper")
        assert "Ana is now a keeper" in answer
        roles = await world.cop("UCORA", "role")
        assert "Keepers" in roles and "Ana" in roles


async def test_a_command_in_a_direct_message_finds_the_members_community(engine, clock):
    async with slack_world(engine, clock) as world:
        await world.cop("UANA", "help")
        answer = await world.cop("UANA", "me", channel="DUANA")
        assert "Your settings" in answer and "Name: Ana" in answer
        # Someone who never used copbot in a community channel is told where to start.
        assert "community's channel" in await world.cop("UBEN", "me", channel="DUBEN")


async def test_a_command_in_another_channel_is_refused_kindly(engine, clock):
    async with slack_world(engine, clock) as world:
        world.fake.add_channel("C0OTHER", "random")
        answer = await world.cop("UANA", "checkin", channel="C0OTHER")
        assert "isn't set up for this channel" in answer
