"""The newsletter: midway between meetings, in the community's words, with wins, shared
learning (no names), open pledges and the next meeting; a preview for conveners."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.storage.tables import OutboxMessage
from tests.conftest import community, make_settings

MEETINGS = {"dates": ["2026-12-03 14:00", "2026-12-31 14:00"]}


def newsletters(platform, title: str = "Between meetings") -> list:
    return platform.titled(title)


async def test_posted_once_midway_with_wins_learning_pledges_and_next_meeting(
    make_app, platform, person
):
    app = make_app(make_settings(community(meetings=MEETINGS, prompts={"quiet_for": "off"})))
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("meeting topic 2 How experts by experience keep a voice")
    await app.advance(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    cora.cop("checkin open")
    ana.cop("reply learning Ask about pain before the dressing comes off")
    ben.cop("reply learning anonymously Night staff know the families best")
    ben.cop("reply challenge Rotas change with no notice")
    cora.cop("checkin close")
    ana.cop("win Our first shared care plan")
    ben.cop("pledge Try the new leaflet by 2026-12-20")
    cora.cop("poll open What next? | Caseloads | Isolation --deadline 2026-12-24")

    # Midway between 3 and 31 December is the 17th, at 10:00 local time.
    await app.advance(datetime(2026, 12, 17, 9, 59, tzinfo=UTC))
    assert newsletters(platform) == []
    await app.advance(datetime(2026, 12, 17, 10, 0, tzinfo=UTC))
    [letter] = newsletters(platform)
    text = letter.text
    assert letter.target == "wound-care"
    assert "A short look at what has happened since we last met." in text
    assert "Our first shared care plan" in text
    assert "Ask about pain before the dressing comes off" in text
    assert "Night staff know the families best" in text
    assert "Rotas change" not in text  # challenges are for the meeting's agenda
    assert "Ana" not in text and "Ben" not in text
    assert "1 open pledge" in text
    assert "Votes\n  • Poll 1, 'What next?', is open until" in text
    assert "Next meeting\nThu 31 Dec, 14:00 — How experts by experience keep a voice" in text
    assert "Chatham House" in text
    assert "Help shape our next meeting" in text  # the standing offer to help plan
    offer = next(b for b in letter.message.buttons if b.label == "I'd like to help")
    assert "planning" in ana.press(offer.action, offer.value).message.as_text().lower()
    assert "Ana" in cora.says("planners")
    await app.advance(datetime(2026, 12, 30, tzinfo=UTC))
    assert len(newsletters(platform)) == 1


async def test_in_the_communitys_own_words_and_can_be_turned_off(make_app, platform, person):
    settings = make_settings(
        community(
            meetings=MEETINGS,
            words={"win": "bright spot", "meeting": "gathering", "learning": "insight"},
            newsletter={"title": "News from the wound-care circle", "intro": "Hello, all!"},
        ),
        community(
            name="no-news", channel="no-news", meetings=MEETINGS, newsletter={"enabled": False}
        ),
    )
    app = make_app(settings)
    await app.advance(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))  # after the first gathering
    person(app, "Ana").cop("win Families join the handover")
    await app.advance(datetime(2026, 12, 18, tzinfo=UTC))
    [letter] = newsletters(platform, "News from the wound-care circle")
    assert "Hello, all!" in letter.text
    assert "Bright spots\n  • Families join the handover" in letter.text
    assert "Next gathering" in letter.text
    assert [d.target for d in platform.posts() if "Hello, all!" in d.text] == ["wound-care"]


async def test_conveners_preview_it_members_cannot(make_app, platform, person):
    app = make_app(make_settings(community(meetings=MEETINGS)))
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("win A first win")
    assert "Only conveners" in ana.says("newsletter preview")
    preview = cora.cop("newsletter preview").message
    assert preview.title == "Between meetings"
    assert "A first win" in preview.as_text()
    assert "only you see this" in preview.footer
    assert "Usage" in cora.says("newsletter send-now-please")
    with Session(app.engine) as session:  # a preview posts nothing
        keys = session.exec(select(OutboxMessage.key)).all()
    assert not any(k.startswith("newsletter") for k in keys)
