"""Are you coming? Answers to meetings and events, once per member and changeable until it
starts; who is going; calendar files that follow a move and a cancellation; events beside
the meeting rhythm; the keeper's digest shows "going" per meeting, apart from taking part."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
from sqlmodel import Session, select

from bot.storage.tables import Activity, Meeting
from bot.storage.tables_meetings import Event, Rsvp
from tests.conftest import community, make_settings


def _calendar(response) -> icalendar.Event:
    attachment = response.message.attachment
    assert attachment is not None and attachment.mime == "text/calendar"
    assert attachment.filename.endswith(".ics")
    calendar = icalendar.Calendar.from_ical(attachment.content)
    [event] = calendar.walk("VEVENT")
    return event


def _rows(app, table):
    with Session(app.engine) as session:
        return session.exec(select(table)).all()


async def test_an_answer_counts_once_per_member_and_changes_until_the_meeting(
    make_app, clock, person
):
    app = make_app()
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("meeting next 2026-12-10 14:00 Caseloads")
    assert "you're going" in ana.press("rsvp.answer", "m1:going").message.as_text()
    ana.press("rsvp.answer", "m1:going")  # pressed twice: still one answer
    ben.cop("rsvp 1 maybe")
    assert "1 going, 1 maybe, 0 can't make it" in ben.says("meeting who 1")
    assert "Ana" in ben.says("meeting who 1")

    ana.cop("rsvp 1 no")  # changed her mind
    shown = ben.says("meeting who 1")
    assert "0 going, 1 maybe, 1 can't make it" in shown
    assert "Ana" not in shown
    assert len(_rows(app, Rsvp)) == 2
    assert "(0 going)" in ben.says("meeting list")
    assert "(0 going, 1 maybe, 1 can't make it)" in cora.says("meeting list")

    # Answering is not taking part: the digest's participation never counts it.
    assert all(a.kind != "rsvp" for a in _rows(app, Activity))
    assert _rows(app, Activity) == []

    clock.set(datetime(2026, 12, 10, 14, 0, tzinfo=UTC))
    assert "already started" in ana.says("rsvp 1 going")
    assert "0 going, 1 maybe, 1 can't make it" in ben.says("meeting who 1")


async def test_names_can_be_hidden_from_members_but_not_from_conveners(make_app, person):
    app = make_app(make_settings(community(meetings={"show_going": False})))
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("meeting next 2026-12-10 14:00")
    ana.cop("rsvp 1 going")
    shown = ben.says("meeting who 1")
    assert "1 going" in shown and "Ana" not in shown
    assert "Ana" in cora.says("meeting who 1")


async def test_bad_answers_change_nothing(make_app, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop("meeting next 2026-12-10 14:00")
    assert "Usage" in ana.says("rsvp 1 perhaps")
    assert "Usage" in ana.says("rsvp ² going")
    assert "can't find meeting #9" in ana.says("rsvp 9 going")
    assert "out of date" in ana.press("rsvp.answer", "m1:sure").message.as_text()
    assert "out of date" in ana.press("rsvp.answer", "x1:going").message.as_text()
    assert (
        "out of date" in ana.press("rsvp.answer", "m99999999999999999999:going").message.as_text()
    )
    cora.cop("meeting cancel 1")
    assert "cancelled" in ana.says("rsvp 1 going")
    assert _rows(app, Rsvp) == []


async def test_the_calendar_file_follows_a_move_and_a_cancellation(make_app, platform, person):
    settings = make_settings(
        community(meetings={"link": "https://meet.example.org/wound-care", "length": "90 minutes"})
    )
    app = make_app(settings)
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop("meeting next 2026-12-10 14:00 Caseloads")
    ana.cop("rsvp 1 going")
    first = _calendar(ana.press("rsvp.calendar", "m1"))
    assert first.decoded("dtstart") == datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
    assert first.decoded("dtend") - first.decoded("dtstart") == timedelta(minutes=90)
    assert str(first["status"]) == "CONFIRMED"
    assert "Caseloads" in str(first["summary"])
    assert str(first["url"]) == "https://meet.example.org/wound-care"

    cora.cop("meeting move 1 2026-12-11 15:30")
    moved = _calendar(ana.cop("meeting calendar 2"))
    assert moved["uid"] == first["uid"]
    assert int(moved["sequence"]) > int(first["sequence"])
    assert moved.decoded("dtstart") == datetime(2026, 12, 11, 15, 30, tzinfo=UTC)
    # Her answer went with the meeting, and the channel was asked to check it.
    assert "Ana" in ana.says("meeting who 2")
    await app.dispatcher.drain()
    told = platform.posts()[-1]
    assert "update your answer" in told.text
    assert [b.label for b in told.message.buttons][:3] == ["Going", "Maybe", "Can't make it"]
    assert "https://meet.example.org/wound-care" in told.text

    cora.cop("meeting cancel 2")
    cancelled = _calendar(ana.press("rsvp.calendar", "m2"))
    assert cancelled["uid"] == first["uid"]
    assert str(cancelled["status"]) == "CANCELLED"
    assert int(cancelled["sequence"]) > int(moved["sequence"])


async def test_a_winter_meeting_and_a_summer_meeting_keep_their_local_time(make_app, person):
    """London is UTC in December and UTC+1 in June: the file holds the right instant."""
    app = make_app()
    cora = person(app, "Cora")
    cora.cop("meeting next 2026-12-10 14:00")
    cora.cop("meeting next 2027-06-10 14:00")
    winter = _calendar(cora.cop("meeting calendar 1"))
    summer = _calendar(cora.cop("meeting calendar 2"))
    assert winter.decoded("dtstart") == datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
    assert summer.decoded("dtstart") == datetime(2027, 6, 10, 13, 0, tzinfo=UTC)


async def test_reminders_ask_who_is_coming(make_app, platform, person):
    app = make_app(make_settings(community(meetings={"dates": ["2026-12-17 14:00"]})))
    ana = person(app, "Ana")
    await app.advance(datetime(2026, 12, 15, 14, 0, tzinfo=UTC))
    [reminder] = platform.titled("Our next meeting is coming up")
    going = reminder.message.buttons[0]
    assert going.label == "Going"
    assert "you're going" in ana.press(going.action, going.value).message.as_text()


async def test_events_have_answers_reminders_and_calendars_but_leave_the_rhythm_alone(
    make_app, platform, person
):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    assert "Only conveners" in ana.says("event add 2026-12-10 12:30 Drop-in")
    added = cora.says("event add 2026-12-10 12:30 Drop-in: wound care https://meet.example.org/d")
    assert "Event #1 added: Drop-in: wound care, Thu 10 Dec, 12:30" in added
    await app.dispatcher.drain()
    [posted] = platform.posts()
    assert "https://meet.example.org/d" in posted.text
    ana.press(posted.message.buttons[0].action, posted.message.buttons[0].value)
    assert "Drop-in: wound care (1 going)" in ana.says("events")
    assert "Ana" in ana.says("event who 1")
    first = _calendar(ana.cop("event calendar 1"))
    assert str(first["summary"]) == "Drop-in: wound care"

    # Not a meeting: nothing that follows the meeting rhythm sees it.
    assert "No meetings in the calendar yet" in ana.says("meeting list")
    assert _rows(app, Meeting) == []

    cora.cop("event move 1 2026-12-11 12:30")
    moved = _calendar(ana.cop("event calendar 1"))
    assert moved["uid"] == first["uid"] and int(moved["sequence"]) == 1
    assert "Ana" in ana.says("event who 1")  # answers kept

    # The reminder two days before the (moved) event, once.
    await app.advance(datetime(2026, 12, 9, 12, 30, tzinfo=UTC))
    await app.advance(datetime(2026, 12, 9, 12, 31, tzinfo=UTC))
    reminders = platform.titled("Coming up: Drop-in: wound care")
    assert len(reminders) == 1
    assert "1 going so far" in reminders[0].text

    cora.cop("event cancel 1")
    cancelled = _calendar(ana.cop("event calendar 1"))
    assert str(cancelled["status"]) == "CANCELLED"
    assert "No events planned" in ana.says("events")


async def test_bad_event_input_changes_nothing(make_app, person):
    app = make_app()
    cora = person(app, "Cora")
    assert "title" in cora.says("event add 2026-12-10 12:30")
    assert "doesn't look right" in cora.says("event add 2026-12-10 12:30 Drop-in https://")
    before = len(_rows(app, Event))
    assert before == 0
    assert "Put the joining link last" in cora.says(
        "event add 2026-12-10 12:30 https://x.example.org Drop-in"
    )
    assert "in the past" in cora.says("event add 2026-11-01 12:30 Drop-in")
    assert "notify everyone" in cora.says("event add 2026-12-10 12:30 @here drop-in")
    assert "can't find event #4" in cora.says("event move 4 2026-12-12 10:00")
    assert len(_rows(app, Event)) == before


async def test_the_keepers_digest_shows_going_per_meeting_apart_from_taking_part(
    make_app, clock, person
):
    settings = make_settings(
        community(meetings={"dates": ["2026-12-03 14:00", "2026-12-17 14:00"]})
    )
    app = make_app(settings)
    kit, ana, ben = person(app, "Kit"), person(app, "Ana"), person(app, "Ben")
    ana.cop("rsvp 1 going")
    ben.cop("rsvp 1 going")
    kit.cop("rsvp 2 going")
    ana.cop("rsvp 2 maybe")
    clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    digest = kit.says("digest this-week")
    assert "Said they were coming" in digest
    assert "Thu 3 Dec: 2 going" in digest
    assert "Thu 17 Dec: 1 going so far" in digest
    # Saying "going" is not taking part.
    assert "0 of 4 members took part" in digest
