"""Dates and times people write, through the commands that take them: pledges, meetings,
nudges and "skip until" (issue 15). Today is Tuesday 1 December 2026, 09:00 in London."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.storage.tables import Meeting, Member
from bot.storage.tables_momentum import Nudge
from bot.storage.tables_wins import Pledge
from tests.conftest import START, Person


@pytest.mark.parametrize(
    ("when", "due"),
    [
        ("the 15th", "Tue 15 Dec"),
        ("15-12-2026", "Tue 15 Dec"),
        ("in a fortnight", "Tue 15 Dec"),
        ("next week", "Mon 7 Dec"),
        ("in 2 months", "Mon 1 Feb"),
        ("tonight", "Tue 1 Dec, 20:00"),
    ],
)
async def test_a_pledge_due_by_a_phrase_people_write(make_app, person, when: str, due: str):
    app = make_app()
    ana: Person = person(app, "Ana")
    answer = ana.says(f"pledge Ask about the leaflet by {when}")
    assert "couldn't" not in answer, answer
    assert due in ana.says("pledges")


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ("0/12/2026", "days of the month start at 1"),
        ("32/13/2026", "no month 13"),
        ("9999-12-31", "more than 5 years"),
    ],
)
async def test_an_impossible_pledge_date_is_explained_and_keeps_nothing(
    make_app, person, when: str, reason: str
):
    app = make_app()
    ana: Person = person(app, "Ana")
    assert reason in ana.says(f"pledge Ask about the leaflet by {when}")
    with Session(app.engine) as session:
        assert session.exec(select(Pledge)).all() == []


@pytest.mark.parametrize(
    ("when", "set_for"),
    [
        ("the 15th 14:00", "Tue 15 Dec, 14:00"),
        ("15-12-2026 14:00", "Tue 15 Dec, 14:00"),
        ("tonight 7:30", "Tue 1 Dec, 19:30"),
        ("in a fortnight", "Tue 15 Dec, 09:00"),
        ("in 2 months at 14:00", "Mon 1 Feb, 14:00"),
        ("next week 10:00", "Mon 7 Dec, 10:00"),
    ],
)
async def test_a_meeting_set_with_a_phrase_people_write(make_app, person, when: str, set_for: str):
    app = make_app()
    cora: Person = person(app, "Cora")
    assert f"set: {set_for}" in cora.says(f"meeting next {when} Caseload capacity")
    assert "Caseload capacity" in cora.says("meeting list")


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ("9999-12-31 22:00", "more than 5 years"),
        ("0/12/2026 10:00", "days of the month start at 1"),
    ],
)
async def test_a_far_or_impossible_meeting_date_is_refused_and_keeps_nothing(
    make_app, person, when: str, reason: str
):
    app = make_app()
    cora: Person = person(app, "Cora")
    assert reason in cora.says(f"meeting next {when} Far away")
    cora.cop("meeting next 2026-12-10 14:00")
    assert reason in cora.says(f"meeting move 1 {when}")
    with Session(app.engine) as session:
        [meeting] = session.exec(select(Meeting)).all()
        assert meeting.starts_at.day == 10


@pytest.mark.parametrize(
    ("when", "next_time"),
    [
        ("every month on the last friday 10:00", "next Fri 25 Dec, 10:00"),
        ("first tuesday of the month 10:00", "next Tue 1 Dec, 10:00"),
        ("the last friday of every month at 16:00", "next Fri 25 Dec, 16:00"),
        ("every 3 weeks on monday 9am starting 2026-12-14", "next Mon 14 Dec, 09:00"),
        ("in 2 months", "Mon 1 Feb"),
        ("tonight", "Tue 1 Dec, 20:00"),
    ],
)
async def test_a_nudge_on_a_phrase_people_write(make_app, person, when: str, next_time: str):
    app = make_app()
    cora: Person = person(app, "Cora")
    preview = cora.cop(f"nudge add {when} Share one win from your week").message
    assert preview is not None and preview.buttons, preview
    assert next_time in preview.as_text()
    assert "Share one win from your week" in preview.as_text()
    saved = cora.press("nudge.save", preview.buttons[0].value).message.as_text()
    assert "Saved as nudge #" in saved
    assert next_time.removeprefix("next ") in cora.says("nudge list")


async def test_a_nudge_every_three_weeks_comes_round_every_three_weeks(make_app, platform, person):
    app = make_app()
    cora: Person = person(app, "Cora")
    # Said on Tuesday 1 December: the first is the coming Monday, then every third one.
    preview = cora.cop("nudge add every 3 weeks on monday 9am Hello").message
    assert preview is not None and preview.buttons, preview
    assert "next Mon 7 Dec, 09:00" in preview.as_text()
    cora.press("nudge.save", preview.buttons[0].value)
    with Session(app.engine) as session:
        [nudge] = session.exec(select(Nudge)).all()
        assert nudge.recurrence == "every 3 weeks on monday 9am starting 2026-12-07"
    await app.advance(START + timedelta(days=50))
    sent = [d for d in platform.posts() if d.text.endswith("Hello") or "Hello" in d.text]
    days = [d.key for d in sent]
    assert len(sent) == 3, days  # 7 and 28 December, 18 January


@pytest.mark.parametrize(
    ("when", "until"),
    [
        ("next week", "Mon 7 Dec"),
        ("in a fortnight", "Tue 15 Dec"),
        ("the 15th", "Tue 15 Dec"),
        ("15-12-2026", "Tue 15 Dec"),
        ("in 2 months", "Mon 1 Feb"),
    ],
)
async def test_away_until_a_phrase_people_write(make_app, person, when: str, until: str):
    app = make_app()
    ana: Person = person(app, "Ana")
    assert until in ana.says(f"skip until {when}")


@pytest.mark.parametrize(
    ("when", "reason"),
    [("0/12/2026", "days of the month start at 1"), ("2099-01-01", "more than 5 years")],
)
async def test_away_until_an_impossible_date_is_explained_and_changes_nothing(
    make_app, person, when: str, reason: str
):
    app = make_app()
    ana: Person = person(app, "Ana")
    assert reason in ana.says(f"skip until {when}")
    with Session(app.engine) as session:
        members = session.exec(select(Member)).all()
        assert [m.away_until for m in members if m.display_name == "Ana"] in ([], [None])


@pytest.mark.parametrize(
    "typed", ["tomorrow 25:00 Caseload", "friday 9:75 Caseload", "monday 13pm"]
)
async def test_a_wrong_time_is_explained_not_taken_as_the_topic(make_app, person, typed: str):
    app = make_app()
    cora: Person = person(app, "Cora")
    answer = cora.says(f"meeting next {typed}")
    assert "couldn't read the time" in answer
    with Session(app.engine) as session:
        assert session.exec(select(Meeting)).all() == []
    preview = cora.cop(f"nudge add {typed} Hello").message
    assert preview is not None and not preview.buttons
    assert "couldn't read the time" in preview.as_text()
