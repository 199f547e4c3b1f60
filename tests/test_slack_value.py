"""Goals and a pulse through Slack: signed requests to copbot's real HTTP endpoint, Slack's
Web API played by a loopback fake. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.storage.tables_value import PulseAnswer
from tests.slack_fake import CHANNEL, slack_world


async def test_goals_and_an_anonymous_pulse_through_slack(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        assert "Only conveners" in await world.cop("UANA", "goals set Be kind")
        said = await world.cop("UCORA", "goals set Fewer missed visits; Share what works")
        assert "Our goals are set (2)" in said
        [post] = [p for p in fake.channel_posts(CHANNEL) if "Our goals" in p.plain]
        assert "1. Fewer missed visits" in post.plain
        assert "2. Share what works" in await world.cop("UANA", "goals")

        assert "I've asked" in await world.cop("UCORA", "pulse goals")
        [ask] = [d for d in fake.dms("UANA") if "How far did we get" in d.plain]
        assert "anonymous" in ask.plain
        await world.press("UANA", ask, "Answer (anonymously)", channel="DUANA")
        [modal] = fake.views
        kinds = [b["element"]["type"] for b in modal["blocks"]]
        assert kinds == ["radio_buttons", "radio_buttons", "plain_text_input"]
        fields = [b["block_id"] for b in modal["blocks"]]
        thanks = await world.submit(
            "UANA", modal, **{fields[0]: "4", fields[1]: "2", "text": "Rotas <b>first</b>"}
        )
        assert thanks == ""  # the modal was opened from a private message: the answer goes there
        thanks = fake.dms("UANA")[-1].plain
        assert "Thank you" in thanks and "anonymous" in thanks
        with Session(world.app.engine) as session:
            rows = session.exec(select(PulseAnswer)).all()
        assert sorted(r.value for r in rows) == [0, 2, 4]  # two answers and the comment
        assert [r.comment for r in rows if r.question == "comment"] == ["Rotas <b>first</b>"]
        assert fake.rejected == [] and fake.pings == []
