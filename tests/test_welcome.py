"""Welcome and norms: a private welcome once per member per community, and norms that
conveners (only) can edit, kept across restarts."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import Actor, Inbound
from tests.conftest import START, community, make_settings

ABOUT = "Nurses and carers improving wound care at home."


def welcoming(**overrides):
    base = {
        "about": ABOUT,
        "welcome": {"enabled": True},
        "meetings": {"dates": ["2026-12-10 14:00"]},
    }
    return community(**(base | overrides))


def join(app, name, event_id=None, channel="wound-care"):
    actor = Actor("console", name.lower(), name, channel)
    return app.handle(Inbound(actor, "join", event_id=event_id))


def welcomes(platform, user=None):
    return [d for d in platform.dms(user) if d.key.startswith("welcome:")]


async def test_join_welcomes_once_even_when_delivered_twice(make_app, platform, person):
    app = make_app(make_settings(welcoming()))
    join(app, "Ana", event_id="Ev1")
    join(app, "Ana", event_id="Ev1")  # the platform retried the same event
    join(app, "Ana", event_id="Ev2")  # a second, different join event
    join(app, "Ana")  # and one with no event id at all
    person(app, "Ana").cop("help")  # then she uses copbot
    await app.dispatcher.drain()

    [welcome] = welcomes(platform)
    assert welcome.target == "ana"
    text = welcome.text
    assert welcome.message.title == "Welcome to wound-care!"
    assert ABOUT in text
    assert "Chatham House rule" in text and "One member, one voice" in text
    assert "Thu 10 Dec, 14:00" in text  # the next meeting, in her timezone
    assert "/cop me timezone" in text and "/cop me quiet" in text
    assert "/cop plan" in text
    assert [b.action for b in welcome.message.buttons] == ["welcome.help", "plan.volunteer"]


async def test_first_use_is_a_join_and_each_community_welcomes_once(make_app, platform, person):
    settings = make_settings(
        welcoming(), welcoming(name="falls", channel="falls", about="Preventing falls.")
    )
    app = make_app(settings)
    person(app, "Ben").cop("help")
    person(app, "Ben").cop("me")
    person(app, "Ben", channel="falls").cop("help")
    await app.dispatcher.drain()

    got = welcomes(platform, "ben")
    assert sorted(d.message.title for d in got) == ["Welcome to falls!", "Welcome to wound-care!"]
    assert len({d.key for d in got}) == 2


async def test_a_welcome_waits_for_quiet_hours(make_app, clock, platform):
    app = make_app(make_settings(welcoming()))
    clock.set(START + timedelta(hours=13))  # 22:00 in London: in the default quiet hours
    join(app, "Dee", event_id="late")
    await app.advance(START + timedelta(hours=22, minutes=59))
    assert welcomes(platform) == []
    await app.advance(START + timedelta(hours=23, minutes=1))  # 08:01 London
    assert [d.target for d in welcomes(platform)] == ["dee"]


async def test_no_welcome_when_switched_off(make_app, platform, person):
    app = make_app(make_settings(community(welcome={"enabled": False})))
    join(app, "Ana", event_id="E1")
    person(app, "Ben").cop("help")
    await app.dispatcher.drain()
    assert welcomes(platform) == []


async def test_a_failed_first_command_welcomes_next_time(make_app, platform, person):
    app = make_app(make_settings(welcoming()))
    ana = person(app, "Ana")
    assert "Only conveners" in ana.says("checkin open")  # refused: nothing is kept
    await app.dispatcher.drain()
    assert welcomes(platform) == []
    ana.cop("help")
    await app.dispatcher.drain()
    assert len(welcomes(platform, "ana")) == 1


def test_norms_default_from_the_settings(make_app, person):
    app = make_app()
    text = person(app, "Ana").says("norms")
    assert "1. We follow the Chatham House rule" in text
    assert "One member, one voice" in text
    assert "Conveners:" not in text


def test_only_conveners_edit_norms(make_app, person):
    app = make_app()
    ana, cora = person(app, "Ana"), person(app, "Cora")
    before = ana.says("norms")
    assert "Only conveners can change the norms" in ana.says("norms add Phones on silent")
    assert "Only conveners" in ana.says("norms remove 1")
    assert "Only conveners" in ana.says("norms reset")
    assert ana.says("norms") == before
    assert "Conveners: /cop norms add" in cora.says("norms")


def test_conveners_edit_norms_and_edits_survive_a_restart(make_app, person, platform):
    settings = make_settings(community(norms=["Be kind.", "Start on time."]))
    app = make_app(settings)
    cora = person(app, "Cora")
    assert "Norm 3 added" in cora.says("norms add Cameras on if you can.")
    assert "Norm 1 changed" in cora.says("norms set 1 Be kind and curious.")
    assert "Norm 2 removed" in cora.says("norms remove 2")

    restarted = make_app(settings)
    text = person(restarted, "Ana").says("norms")
    assert "1. Be kind and curious." in text
    assert "2. Cameras on if you can." in text
    assert "Start on time" not in text

    assert "back to those in copbot's settings" in person(restarted, "Cora").says("norms reset")
    assert "2. Start on time." in person(restarted, "Ana").says("norms")


def test_bad_norm_edits_change_nothing(make_app, person):
    app = make_app(make_settings(community(norms=["Be kind."])))
    cora = person(app, "Cora")
    before = cora.says("norms")
    assert "There's no norm 5" in cora.says("norms set 5 Something")
    assert "There's no norm 0" in cora.says("norms remove 0")
    assert "norm's number" in cora.says("norms remove first")
    assert "write the new wording" in cora.says("norms set 1")
    assert "Usage: /cop norms" in cora.says("norms add")
    assert "Usage: /cop norms" in cora.says("norms shuffle")
    assert "would notify everyone" in cora.says("norms add Tell @everyone")
    assert "limit is 300" in cora.says("norms add " + "x" * 301)
    assert cora.says("norms") == before


async def test_the_welcome_uses_the_edited_norms(make_app, platform, person):
    app = make_app(make_settings(welcoming(norms=["Be kind."])))
    person(app, "Cora").cop("norms add Phones on silent.")
    join(app, "Eve", event_id="J1")
    await app.dispatcher.drain()
    [welcome] = welcomes(platform, "eve")
    assert "1. Be kind." in welcome.text and "2. Phones on silent." in welcome.text
