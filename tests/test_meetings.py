"""Meeting rhythm: conveners set, move and cancel meetings; a reminder with the agenda
goes two days before each one, once, and a moved meeting stays moved after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.storage.tables import Meeting, OutboxMessage
from tests.conftest import START, community, make_settings

REMINDER = "Our next meeting is coming up"


async def test_conveners_set_move_and_cancel_meetings_everyone_sees_them(
    make_app, platform, person
):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    assert "No meetings in the calendar yet" in ana.says("meeting")
    assert "set: Thu 10 Dec, 14:00" in cora.says("meeting next 2026-12-10 14:00 Caseload capacity")
    await app.dispatcher.drain()
    [announced] = platform.posts()
    assert announced.message.title == "Next meeting: Thu 10 Dec, 14:00"
    assert "Caseload capacity" in announced.text

    assert "#1 Thu 10 Dec, 14:00 — Caseload capacity" in ana.says("meeting list")
    assert "Only conveners" in ana.says("meeting next 2026-12-11 14:00")
    assert "Only conveners" in ana.says("meeting cancel 1")

    assert "now meeting #2" in cora.says("meeting move 1 11 dec 15:00")
    listed = ana.says("meetings")
    assert "#2 Fri 11 Dec, 15:00 — Caseload capacity" in listed
    assert "10 Dec" not in listed
    await app.dispatcher.drain()
    moved = platform.posts()[-1]
    assert moved.message.title == "Our meeting has moved to Fri 11 Dec, 15:00"
    assert "It was planned for Thu 10 Dec, 14:00." in moved.text

    assert "#2 is cancelled" in cora.says("meeting cancel 2")
    await app.dispatcher.drain()
    assert platform.posts()[-1].message.title == "Our meeting on Fri 11 Dec, 15:00 is cancelled"
    assert "No meetings in the calendar yet" in ana.says("meeting list")


async def test_bad_meeting_input_changes_nothing(make_app, platform, person):
    app = make_app()
    cora = person(app, "Cora")
    assert "couldn't read" in cora.says("meeting next someday soon")
    assert "in the past" in cora.says("meeting next 2026-11-01 14:00")
    assert "can't find meeting #7" in cora.says("meeting move 7 2026-12-20 10:00")
    assert "Usage" in cora.says("meeting move x")
    cora.cop("meeting next 2026-12-10 14:00")
    assert "already a meeting" in cora.says("meeting next 2026-12-10 14:00")
    assert "notify everyone" in cora.says("meeting topic 1 @here come")
    with Session(app.engine) as session:
        assert len(session.exec(select(Meeting)).all()) == 1
        assert len(session.exec(select(OutboxMessage)).all()) == 1


async def test_reminder_two_days_before_carries_topic_and_open_challenges_without_names(
    make_app, platform, person
):
    settings = make_settings(community(meetings={"dates": ["2026-12-17 14:00"]}))
    app = make_app(settings)
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("checkin open")
    ana.cop("reply challenge Discharge letters arrive late")
    ben.cop("reply challenge anonymously Nobody covers weekend visits")
    ana.cop("reply success Shared care plans")
    cora.cop("checkin close")
    cora.cop("meeting topic 1 Supporting staff through difficult case closures")

    await app.advance(datetime(2026, 12, 15, 13, 59, tzinfo=UTC))
    assert platform.titled(REMINDER) == []
    await app.advance(datetime(2026, 12, 15, 14, 0, tzinfo=UTC))
    [reminder] = platform.titled(REMINDER)
    text = reminder.text
    assert "We meet on Thu 17 Dec, 14:00." in text
    assert "Supporting staff through difficult case closures" in text
    assert "Discharge letters arrive late" in text
    assert "Nobody covers weekend visits" in text
    assert "Shared care plans" not in text
    assert "Ana" not in text and "Ben" not in text
    assert "help plan or convene" in text
    await app.advance(datetime(2026, 12, 18, tzinfo=UTC))
    assert len(platform.titled(REMINDER)) == 1


async def test_a_moved_configured_meeting_stays_moved_after_a_restart(make_app, platform, person):
    settings = make_settings(community(meetings={"dates": ["2026-12-10 14:00"]}))
    app = make_app(settings)
    person(app, "Cora").cop("meeting move 1 2026-12-11 16:00")
    app.close()
    app = make_app(settings)  # the start-up sync reads the configuration again
    listed = person(app, "Ana").says("meeting list")
    assert "Fri 11 Dec, 16:00" in listed and "10 Dec" not in listed
    await app.advance(datetime(2026, 12, 12, tzinfo=UTC))
    [reminder] = platform.titled(REMINDER)
    assert "We meet on Fri 11 Dec, 16:00." in reminder.text


async def test_no_reminder_for_a_cancelled_meeting_or_when_turned_off(make_app, platform, person):
    settings = make_settings(
        community(meetings={"dates": ["2026-12-10 14:00", "2026-12-20 14:00"]}),
        community(
            name="quiet-ones",
            channel="quiet-ones",
            meetings={"dates": ["2026-12-10 14:00"], "remind_before": "off"},
        ),
    )
    app = make_app(settings)
    person(app, "Cora").cop("meeting cancel 1")
    await app.advance(START + timedelta(days=20))
    reminders = platform.titled(REMINDER)
    assert [(r.target, r.text.splitlines()[1]) for r in reminders] == [
        ("wound-care", "We meet on Sun 20 Dec, 14:00.")
    ]
