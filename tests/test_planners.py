"""The planning group: an invitation after each meeting, volunteers recorded and listed."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Words
from bot.features.planners import planning_invitation_section
from tests.conftest import START, community, make_settings

# 14:00 London on Thu 3 Dec and Thu 31 Dec (UTC in winter); meetings last 2 hours.
MEETINGS = {"dates": ["2026-12-03 14:00", "2026-12-31 14:00"], "length": "2 hours"}
FIRST_END = START + timedelta(days=2, hours=7)  # Thu 3 Dec 16:00 UTC


def invitations(platform):
    return [d for d in platform.posts() if d.key.startswith("plan:")]


async def test_invitation_after_each_meeting_and_volunteers_listed(make_app, platform, person):
    settings = make_settings(community(meetings=MEETINGS))
    app = make_app(settings)
    ana, ben, cora = person(app, "Ana"), person(app, "Ben"), person(app, "Cora")

    await app.advance(FIRST_END - timedelta(minutes=1))
    assert invitations(platform) == []
    await app.advance(FIRST_END + timedelta(minutes=1))
    [invite] = invitations(platform)
    assert invite.target == "wound-care"
    assert "help plan and convene" in invite.text
    assert "Next meeting: Thu 31 Dec, 14:00" in invite.text
    [button] = invite.message.buttons
    assert button.label == "I'd like to help"

    assert "No one has offered yet" in cora.says("planners")
    assert "Thank you!" in ana.press(button.action, button.value).message.as_text()
    assert "Thank you!" in ben.says("plan")
    assert "already in the planning group" in ana.says("plan")
    listed = cora.says("planners")
    assert "2 members offered" in listed and "Ana (since" in listed and "Ben (since" in listed

    # A restart does not repeat the invitation; the next meeting brings a new one.
    restarted = make_app(settings)
    await restarted.advance(FIRST_END + timedelta(days=1))
    assert len(invitations(platform)) == 1
    await restarted.advance(FIRST_END + timedelta(days=29))
    assert len(invitations(platform)) == 2


def test_stepping_down(make_app, person):
    app = make_app()
    ana, cora = person(app, "Ana"), person(app, "Cora")
    ana.cop("plan")
    assert "stepped down" in ana.says("plan stop")
    assert "not in the planning group" in ana.says("plan stop")
    assert "No one has offered yet" in cora.says("planners")


def test_only_conveners_see_the_list_and_bad_input_changes_nothing(make_app, person):
    app = make_app()
    ana, cora = person(app, "Ana"), person(app, "Cora")
    ana.cop("plan")
    assert "Only conveners can see who offered" in ana.says("planners")
    assert "Usage: /cop plan" in ana.says("plan maybe later")
    assert "Usage: /cop planners" in cora.says("planners everyone")
    assert "1 member offered" in cora.says("planners")


def test_wording_for_the_newsletter_uses_the_communitys_words():
    section = planning_invitation_section(Words(meeting="huddle"))
    assert section.heading == "Help shape our next huddle"
    assert "/cop plan" in section.text
