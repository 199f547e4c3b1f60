"""Quiet-spell prompts: a conversation starter after N quiet days between meetings, never
twice in one quiet spell, rotating through the bank; members suggest, conveners approve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.domain import momentum as rules
from bot.storage.tables_momentum import PromptPost, PromptSuggestion
from tests.conftest import START, community, make_settings

TITLE = "A question to get us talking"


def prompts(platform) -> list[str]:
    """The body of every prompt posted, in order."""
    return [d.message.sections[0].text for d in platform.titled(TITLE)]


async def test_a_quiet_week_brings_one_prompt_and_activity_starts_a_new_spell(
    make_app, platform, person
):
    app = make_app()  # quiet_for defaults to 7 days; the community begins at START
    ana = person(app, "Ana")
    await app.advance(START + timedelta(days=6, hours=23))
    assert prompts(platform) == []
    await app.advance(START + timedelta(days=7))
    assert prompts(platform) == [rules.SEED_PROMPTS[0]]
    [post] = platform.titled(TITLE)
    assert post.target == "wound-care"
    await app.advance(START + timedelta(days=30))
    assert len(prompts(platform)) == 1  # never twice in the same quiet spell

    ana.cop("win We tried the new leaflet")  # someone takes part: the spell is over
    await app.advance(START + timedelta(days=36, hours=23))
    assert len(prompts(platform)) == 1
    await app.advance(START + timedelta(days=37, minutes=1))
    assert prompts(platform) == [rules.SEED_PROMPTS[0], rules.SEED_PROMPTS[1]]  # it rotates


async def test_a_meeting_interrupts_the_spell_and_the_clock_restarts_when_it_ends(
    make_app, platform
):
    settings = make_settings(community(meetings={"dates": ["2026-12-05 14:00"]}))
    app = make_app(settings)
    # Quiet since 1 Dec, but a meeting on 5 Dec (14:00-16:00): no prompt on 8 Dec.
    await app.advance(datetime(2026, 12, 12, 15, 59, tzinfo=UTC))
    assert prompts(platform) == []
    await app.advance(datetime(2026, 12, 12, 16, 0, tzinfo=UTC))
    assert len(prompts(platform)) == 1


async def test_an_open_challenge_is_resurfaced_without_a_name(make_app, platform, person):
    app = make_app(make_settings(community(prompts={"quiet_for": "2 days"})))
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("checkin open")
    ana.cop("reply challenge Families can't reach the night team")
    cora.cop("checkin close")
    moment = START
    for _ in range(3):  # a spell, then someone takes part, three times over
        moment += timedelta(days=3)
        await app.advance(moment)
        ben.cop("prompt suggest What did you try for the first time this month?")
    texts = prompts(platform)
    assert texts[:2] == [rules.SEED_PROMPTS[0], rules.SEED_PROMPTS[1]]
    assert "Families can't reach the night team" in texts[2]
    assert "Ana" not in texts[2]
    moment += timedelta(days=3)
    await app.advance(moment)
    assert prompts(platform)[3] == rules.SEED_PROMPTS[2]  # that challenge is not repeated


async def test_members_suggest_conveners_approve_and_approved_ones_join_the_bank(
    make_app, platform, person
):
    app = make_app(make_settings(community(prompts={"quiet_for": "1 day"})))
    cora, ana = person(app, "Cora"), person(app, "Ana")
    assert "A convener will look" in ana.says("prompt suggest Which tool saves you most time?")
    ana.cop("prompt suggest Something a bit off-topic")
    assert "Only conveners" in ana.says("prompt approve 1")
    assert "Only conveners" in ana.says("prompt list")
    listed = cora.says("prompt list")
    assert "#1 Which tool saves you most time?" in listed and "#2 Something" in listed
    assert "is approved" in cora.says("prompt approve 1")
    assert "is rejected" in cora.says("prompt reject 2")
    assert "can't find question #9" in cora.says("prompt approve 9")
    assert "notify everyone" in ana.says("prompt suggest @channel anyone?")
    listed = cora.says("prompt list")
    assert "Approved\n  • #1 Which tool" in listed and "Something" not in listed

    moment = START
    for _ in range(len(rules.SEED_PROMPTS) + 1):  # every seed (no challenge yet), then #1
        moment += timedelta(days=2)
        await app.advance(moment)
        ana.cop("win Another small step")
    texts = prompts(platform)
    assert texts[: len(rules.SEED_PROMPTS)] == list(rules.SEED_PROMPTS)
    assert texts[len(rules.SEED_PROMPTS)] == "Which tool saves you most time?"
    assert all("off-topic" not in t for t in texts)
    with Session(app.engine) as session:
        assert sorted(session.exec(select(PromptSuggestion.status)).all()) == [
            "approved",
            "rejected",
        ]


async def test_prompts_can_be_turned_off_and_stop_when_the_community_closes(
    make_app, platform, person
):
    settings = make_settings(
        community(prompts={"quiet_for": "off"}),
        community(name="closing-soon", channel="closing-soon"),
    )
    app = make_app(settings)
    cora = person(app, "Cora", "closing-soon")
    closing = cora.cop("close-community").message.buttons[0]
    cora.press(closing.action, closing.value)
    await app.advance(START + timedelta(days=30))
    assert prompts(platform) == []
    with Session(app.engine) as session:
        assert session.exec(select(PromptPost)).all() == []


async def test_a_quiet_spell_brings_back_a_past_named_win_never_an_anonymous_one(
    make_app, platform, person
):
    app = make_app(make_settings(community(prompts={"quiet_for": "7 days"})))
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ana.cop("win Our leg ulcer clinic halved waiting times")
    ben.cop("win anonymously A family finally trusted us with the night visits")
    await app.advance(START + timedelta(days=8))  # the first quiet spell: wins are too recent
    assert len(prompts(platform)) == 1 and platform.titled("Remember this win?") == []
    await app.advance(START + timedelta(days=30))
    ben.cop("propose Night-time visits")  # taking part ends that spell
    await app.advance(START + timedelta(days=38))  # the next one: a month-old named win
    [remembered] = platform.titled("Remember this win?")
    assert "we celebrated: Our leg ulcer clinic halved waiting times" in remembered.text
    assert "ago" in remembered.text and "Ana" in remembered.text
    ana.cop("propose Sharing care plans")
    await app.advance(START + timedelta(days=47))  # the spell after: a conversation starter
    assert len(platform.titled("Remember this win?")) == 1
    assert len(prompts(platform)) == 2
    later = [  # after the wins' own posts; the keeper's digest lists wins, never their author
        d for d in platform.sent if not d.key.endswith(":post") and not d.key.startswith("digest:")
    ]
    assert later and all("night visits" not in d.text for d in later)  # anonymous: never back
