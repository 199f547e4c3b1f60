"""The rest of a community's life, driven by Slack payloads through copbot's HTTP endpoint:
wins, pledges and their follow-up, polls, nudges, problems, the newsletter, the Home tab,
🎉 reactions, people joining, and every /cop verb the core offers. The adapter knows none
of these verbs: each goes through the same generic translation."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import START
from tests.slack_fake import CHANNEL, slack_world


def _by_key(posts, prefix):
    return [
        p for p in posts if p.metadata and p.metadata["event_payload"]["key"].startswith(prefix)
    ]


async def test_wins_are_posted_and_cheered(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        await world.cop("UBEN", "help")
        answer = await world.cop("UCORA", "win Our ward got the new dressings & <it> works")
        assert "Posted in the channel as win #1" in answer
        [post] = fake.channel_posts(CHANNEL)
        assert "Our ward got the new dressings & <it> works\n— Cora" in post.plain
        assert "Cheered!" in await world.press("UBEN", post, "Cheer")
        assert "1 cheer" in await world.cop("UANA", "wins")
        assert fake.rejected == [] and fake.pings == []


async def test_a_pledge_is_followed_up_and_completed_through_a_modal(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        saved = await world.cop("UANA", "pledge Ask every patient about pain by 2026-12-02")
        assert "Your pledge is saved (#1)" in saved and "only you can see it" in saved
        assert fake.channel_posts() == []  # private until shared

        await world.app.advance(START + timedelta(days=1, hours=1))
        [follow_up] = fake.dms("UANA")
        assert "How did your pledge go?" in follow_up.plain
        # Pressed in the direct message: the core finds Ana's community by membership.
        await world.press("UANA", follow_up, "Done", channel="DUANA")
        [modal] = fake.views
        assert modal["title"]["text"] == "Pledge done"
        names = [b["block_id"] for b in modal["blocks"]]
        assert names[0] == "outcome"
        answers = {"outcome": "Pain scores asked at every visit"}
        for block in modal["blocks"][1:]:
            answers[block["block_id"]] = "no"
        await world.submit("UANA", modal, **answers)
        # The form came from a direct message, so the core's answer comes back as one.
        answer = fake.dms("UANA")[-1]
        assert answer is not follow_up and "Sorry" not in answer.plain
        assert "Ask every patient about pain — done" in await world.cop("UANA", "pledges")
        assert fake.rejected == [] and fake.pings == []


async def test_a_poll_is_voted_on_with_buttons_and_closes(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        await world.cop("UANA", "help")
        opened = await world.cop("UCORA", 'poll open "Next topic?" "Caseloads" "Case closures"')
        assert "Poll 1 is open" in opened
        [poll] = fake.channel_posts(CHANNEL)
        assert "Next topic?" in poll.plain
        answer = await world.press("UANA", poll, "2. Case closures")
        assert answer and "Sorry" not in answer
        assert "vote" in (await world.cop("UANA", "vote 1")).lower()
        await world.app.advance(START + timedelta(days=8))
        closed = [p for p in fake.channel_posts(CHANNEL) if "has closed" in p.plain]
        assert len(closed) == 1 and "Case closures" in closed[0].plain
        assert fake.rejected == [] and fake.pings == []


async def test_a_nudge_is_previewed_saved_and_posted_on_time(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        preview = await world.cop(
            "UCORA", 'nudge add "every wednesday 09:30" Share one thing that helped this week'
        )
        assert "Preview of your nudge (not saved yet)" in preview
        [card] = [p for p in fake.private_to("UCORA") if p.buttons()]
        assert await world.press("UCORA", card, "Save")
        await world.app.advance(START + timedelta(days=1, minutes=31))  # Wed 2 Dec 09:31
        nudges = [p for p in fake.channel_posts(CHANNEL) if "Share one thing" in p.plain]
        assert len(nudges) == 1
        assert fake.rejected == [] and fake.pings == []


async def test_problems_and_the_newsletter_preview(engine, clock):
    async with slack_world(engine, clock) as world:
        assert "Problem 1 is on the list" in await world.cop("UBEN", "propose Reducing isolation")
        assert "Reducing isolation" in await world.cop("UANA", "problems")
        assert "Between meetings" in await world.cop("UCORA", "newsletter preview")


async def test_every_verb_the_core_offers_answers_through_slack(sqlite_engine, clock):
    async with slack_world(sqlite_engine, clock) as world:
        fake = world.fake
        verbs = sorted({v.name for v in world.app.bus.router.verbs.values()})
        assert {"checkin", "reply", "me", "win", "pledge", "poll", "nudge"} <= set(verbs)
        for verb in verbs:
            assert f"/cop {verb}" in await world.cop("UCORA", f"help {verb}", pause=0), verb
            if verb in ("forget-me", "close-community"):
                continue  # these act on their own (with a confirmation); not a browse
            answer = await world.cop("UCORA", verb, pause=0)
            assert answer, verb
            assert "Sorry, something went wrong" not in answer, verb
        assert fake.rejected == [] and fake.pings == []


async def test_the_home_tab_shows_the_members_own_things(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        await world.side.event(
            {"type": "app_home_opened", "user": "UBEN", "tab": "home", "channel": "DUBEN"}
        )
        await world.settle()
        home = fake.homes["UBEN"]
        from tests.slack_fake import blocks_text

        text = blocks_text(home["blocks"])
        assert "copbot" in text and "community's channel" in text  # not a member yet

        await world.cop("UANA", "pledge Ask every patient about pain by 2026-12-20")
        await world.side.event(
            {"type": "app_home_opened", "user": "UANA", "tab": "home", "channel": "DUANA"}
        )
        await world.settle()
        text = blocks_text(fake.homes["UANA"]["blocks"])
        assert "Your settings" in text and "Name: Ana" in text
        assert "Ask every patient about pain" in text  # /cop pledges, asked as Ana
        assert fake.rejected == []


async def test_a_tada_reaction_is_handed_to_the_core(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        await world.cop("UANA", "help")
        event = {
            "type": "reaction_added",
            "user": "UBEN",
            "reaction": "tada",
            "item_user": "UANA",
            "item": {"type": "message", "channel": CHANNEL, "ts": "1700000000.000100"},
            "event_ts": "1700000001.000200",
        }
        for retry in range(4):  # Slack delivering the same event again, with retry headers
            status, _ = await world.side.event(event, event_id="Ev0TADA", retry=retry)
            assert status == 200
        await world.settle()
        answers = fake.private_to("UBEN")
        assert len(answers) == 1 and "asked Ana" in answers[0].plain  # acted on once
        [question] = [d for d in fake.dms("UANA") if "celebrated your message" in d.plain]
        assert "nothing is posted unless you do" in question.plain
        other = {**event, "reaction": "thumbsup"}
        await world.side.event(other)
        await world.settle()
        assert len(fake.private_to("UBEN")) == len(answers)


async def test_someone_joining_the_channel_is_welcomed_once(engine, clock):
    async with slack_world(engine, clock, welcome={"enabled": True}) as world:
        fake = world.fake
        joined = {
            "type": "member_joined_channel",
            "user": "UDEE",
            "channel": CHANNEL,
            "channel_type": "C",
            "team": "T0TEAM",
        }
        for retry in range(4):
            await world.side.event(joined, event_id="Ev0JOIN", retry=retry)
        await world.side.event({**joined, "user": "UBOT"})  # copbot itself joining
        await world.settle()
        [welcome] = fake.dms("UDEE")
        assert "Welcome to wound-care!" in welcome.plain
        assert fake.dms("UBOT") == []
        assert fake.rejected == [] and fake.pings == []
