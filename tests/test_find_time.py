"""Finding a time: candidate times each member sees in their own time zone (London and New
York, across the weeks when only America has changed its clocks), Yes / If need be / No,
a ranking by yes then if-need-be, and the convener's pick becomes the meeting."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.storage.tables import Meeting
from bot.storage.tables_meetings import TimeAnswer, TimePoll


def _rows(app, table):
    with Session(app.engine) as session:
        return session.exec(select(table)).all()


async def test_each_member_sees_the_times_in_their_own_zone_across_a_dst_change(
    make_app, platform, person
):
    app = make_app()
    cora, ana, nia = person(app, "Cora"), person(app, "Ana"), person(app, "Nia")
    nia.cop("me timezone America/New_York")
    # 20 March 2027: New York is on summer time (from 14 March), London not yet (28 March):
    # four hours apart. 1 April 2027: both on summer time, five hours apart.
    opened = cora.says("meeting find-time 2027-03-20 14:00; 2027-04-01 14:00 Weekend cover")
    assert "Time poll #1 is open with 2 times" in opened
    await app.dispatcher.drain()
    [post] = platform.titled("When can you come to our next meeting?")
    assert "Sat 20 Mar, 14:00 (Europe/London)" in post.text
    assert "Weekend cover" in post.text
    button = post.message.buttons[0]

    seen_by_nia = nia.press(button.action, button.value).message.as_text()
    assert "1. Sat 20 Mar, 10:00" in seen_by_nia
    assert "2. Thu 1 Apr, 09:00" in seen_by_nia
    assert "America/New_York" in seen_by_nia
    seen_by_ana = ana.press(button.action, button.value).message.as_text()
    assert "1. Sat 20 Mar, 14:00" in seen_by_ana
    assert "2. Thu 1 Apr, 14:00" in seen_by_ana


async def test_answers_rank_by_yes_then_if_need_be_and_the_pick_becomes_the_meeting(
    make_app, platform, person
):
    app = make_app()
    cora = person(app, "Cora")
    people = [person(app, n) for n in ("Ana", "Ben", "Dee", "Eve")]
    cora.cop("meeting find-time 2026-12-10 14:00; 2026-12-11 09:00; 2026-12-14 18:30")
    ana, ben, dee, eve = people
    # Time 3: two yes, two if-need-be. Time 2: two yes, one if-need-be. Time 1: one yes.
    ana.cop("meeting times 1 1=yes 2=yes 3=yes")
    ben.cop("meeting times 1 2=yes 3=yes")
    dee.cop("meeting times 1 3=maybe 1=no")
    view = eve.press("findtime.answer", "1:2:no").message
    assert "2. Fri 11 Dec, 09:00 — your answer: no" in view.as_text()
    eve.press("findtime.answer", "1:2:maybe")  # changed her mind: one answer per time
    assert len([a for a in _rows(app, TimeAnswer) if a.answer in ("no", "maybe")]) == 3
    eve.cop("meeting times 1 3=if-need-be")

    ranking = cora.says("meeting find-time 1")
    best = ranking[ranking.index("Best first") :]
    lines = [line.strip() for line in best.splitlines()[1:4]]
    assert lines == [
        "• 3. Mon 14 Dec, 18:30 — 2 yes, 2 if need be, 0 no",
        "• 2. Fri 11 Dec, 09:00 — 2 yes, 1 if need be, 0 no",
        "• 1. Thu 10 Dec, 14:00 — 1 yes, 0 if need be, 1 no",
    ]

    assert "Only conveners" in ana.says("meeting find-time pick 1 3")
    assert "Chosen: Mon 14 Dec, 18:30. It is now meeting #1" in cora.says(
        "meeting find-time pick 1 3"
    )
    [meeting] = _rows(app, Meeting)
    assert meeting.topic is None
    await app.dispatcher.drain()
    announced = platform.titled("Next meeting: Mon 14 Dec, 18:30")
    assert len(announced) == 1
    assert [b.label for b in announced[0].message.buttons][:3] == [
        "Going",
        "Maybe",
        "Can't make it",
    ]
    assert "closed" in ana.says("meeting times 1 1=yes")
    assert "closed already" in cora.says("meeting find-time pick 1 2")


async def test_ties_on_yes_are_broken_by_if_need_be(make_app, person):
    app = make_app()
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("meeting find-time 2026-12-10 14:00; 2026-12-11 09:00")
    ana.cop("meeting times 1 1=yes 2=yes")
    ben.cop("meeting times 1 1=no 2=maybe")
    best = cora.says("meeting find-time 1").split("Best first")[1]
    assert best.index("2. Fri 11 Dec") < best.index("1. Thu 10 Dec")


async def test_bad_time_polls_and_answers_change_nothing(make_app, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    assert "Only conveners" in ana.says("meeting find-time 2026-12-10 14:00; 2026-12-11 09:00")
    assert "2 to 6 times" in cora.says("meeting find-time 2026-12-10 14:00")
    assert "Time 2" in cora.says("meeting find-time 2026-12-10 14:00; someday")
    assert "the same" in cora.says("meeting find-time 2026-12-10 14:00; 10 dec 14:00")
    assert "in the past" in cora.says("meeting find-time 2026-11-10 14:00; 2026-12-11 09:00")
    assert "Put a topic last" in cora.says(
        "meeting find-time 2026-12-10 14:00 Caseloads; 2026-12-11 09:00"
    )
    assert _rows(app, TimePoll) == []
    cora.cop("meeting find-time 2026-12-10 14:00; 2026-12-11 09:00")
    assert "times 1 to 2" in ana.says("meeting times 1 3=yes")
    assert "Usage" in ana.says("meeting times 1 1=perhaps")
    assert "Usage" in ana.says("meeting times 1 1=yes 1=no")
    assert "Usage" in ana.says("meeting times ² 1=yes")
    assert "can't find time poll #7" in ana.says("meeting times 7 1=yes")
    assert "out of date" in ana.press("findtime.answer", "1:1:sure").message.as_text()
    assert "times 1 to 2" in cora.says("meeting find-time pick 1 5")
    assert _rows(app, TimeAnswer) == []
    assert _rows(app, Meeting) == []
