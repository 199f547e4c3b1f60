"""Polls through the core, on SQLite and PostgreSQL: open, vote, remind, close, settle ties."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, select

from adapters.console.platform import ButtonBoard, ConsolePlatform
from adapters.console.workspace import ConsoleWorkspace
from bot.bootstrap import build_app
from bot.clock import ManualClock
from bot.commands import Actor, Inbound
from bot.features.poll_commands import ClosePoll
from bot.features.poll_queries import poll_status
from bot.scheduling import RunReport
from bot.storage.tables import Activity, Meeting, OutboxMessage
from bot.storage.tables_polls import Ballot, Poll, Problem
from bot.storage.uow import UnitOfWork
from tests.conftest import START, _truncate, community, make_settings
from tests.fakes import FakePlatform

CLOSES = START + timedelta(days=7)  # the default deadline: in 7 days, Tue 8 Dec 09:00
MEETING = "2026-12-10 18:00"  # Thu 10 Dec, London
TOPIC = '"Which topic next?" "Caseloads" "Isolation" "Voice"'


def with_meeting(**extra):
    return make_settings(community(meetings={"dates": [MEETING]}, **extra))


def polls(app) -> list[Poll]:
    with Session(app.engine) as session:
        return list(session.exec(select(Poll).order_by(Poll.id)).all())


def ballots(app) -> list[Ballot]:
    with Session(app.engine) as session:
        return list(session.exec(select(Ballot)).all())


def meeting_topic(app) -> str | None:
    with Session(app.engine) as session:
        return session.exec(select(Meeting.topic)).first()


def results(platform) -> list:
    return [d for d in platform.posts() if " has closed: " in (d.message.title or "")]


def members(app, person, *names):
    people = [person(app, n) for n in names]
    for someone in people:
        someone.cop("help")  # the first interaction records a member
    return people


# ---- opening ---------------------------------------------------------------------------


async def test_a_single_choice_poll_from_open_to_result(make_app, platform, person):
    app = make_app()
    cora, ana, ben, dee = members(app, person, "Cora", "Ana", "Ben", "Dee")
    assert "Poll 1 is open" in cora.says(f"poll open {TOPIC}")
    await app.dispatcher.drain()
    [post] = platform.posts()
    assert post.message.title == "Poll 1: Which topic next?"
    assert "1. Caseloads" in post.text and "3. Voice" in post.text
    assert "Voting closes Tue 8 Dec, 09:00" in post.text
    assert "Results stay hidden until it closes" in post.text
    assert [(b.label, b.action, b.value) for b in post.message.buttons] == [
        ("1. Caseloads", "poll.vote", "1:1"),
        ("2. Isolation", "poll.vote", "1:2"),
        ("3. Voice", "poll.vote", "1:3"),
    ]

    ana.press("poll.vote", "1:2")
    changed = ana.press("poll.vote", "1:1").message.as_text()  # she changes her mind
    assert "Your vote is updated" in changed and "Caseloads" in changed
    ben.cop("vote 1 1")
    dee.cop("vote 1 3")
    view = dee.says("poll 1")
    assert "3 of 5 members have voted" in view  # with Kit, the keeper named in the settings
    assert "Caseloads —" not in view and "So far" not in view  # hidden until close

    await app.advance(CLOSES + timedelta(minutes=1))
    [result] = results(platform)
    assert result.message.title == "Poll 1 has closed: Which topic next?"
    assert "3 of 5 members voted" in result.text
    assert "Chosen: Caseloads, with 2 votes." in result.text
    assert "Caseloads — 2 votes" in result.text and "Voice — 1 vote" in result.text
    assert "Isolation — 0 votes" in result.text
    assert "Ana: Caseloads" in result.text  # a named poll says who voted for what
    assert "Dee: Voice" in result.text
    assert len(ballots(app)) == 3
    assert "has closed" in ana.says("vote 1 2")  # after close: refused, nothing changed
    assert {tuple(b.choices) for b in ballots(app)} == {(1,), (3,)}


async def test_the_grammar_is_forgiving(make_app, platform, person):
    app = make_app()
    [cora] = members(app, person, "Cora")
    cora.cop("poll open “Which topic next?” “Caseloads” “Isolation” —method ranked")
    cora.cop("poll open What's next? | Caseloads | Isolation --dots 5 --deadline friday --live")
    cora.cop('poll open "Where?" "Leeds" "York" --anonymous --multiple --deadline "in 2 days"')
    opened = polls(app)
    assert [(p.question, p.method, p.dots, p.live, p.anonymous) for p in opened] == [
        ("Which topic next?", "ranked", 3, False, False),
        ("What's next?", "dots", 5, True, False),
        ("Where?", "approval", 3, False, True),
    ]
    assert opened[1].closes_at == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # Friday 17:00
    assert opened[2].closes_at == START + timedelta(days=2)


BAD_POLLS = [
    ('"Q?" ' + " ".join(f'"Option {n}"' for n in range(26)), "at most 25 options; that's 26"),
    ('"Q?" "Caseloads" "caseloads"', "is the same as option 1"),
    ('"Q?" "Caseloads" ""', "Option 2 is empty"),
    ('"Q?" "Caseloads"', "at least two options"),
    ("Which topic next Caseloads Isolation", "in double quotes"),
    ('"Q?" "A" "B" --method coinflip', "'coinflip' isn't a way of voting"),
    ('"Q?" "A" "B" --frobnicate', "I don't know the option '--frobnicate'"),
    ('"Q?" "A" "B" --deadline yesterday', "About the deadline"),
    ('"Q?" "A" "B" --deadline', "--deadline needs a value"),
    (
        '"Q?" "A" "B" --ranked --dots 4',
        "choose one way of voting; you gave ranked choice and dot voting",
    ),
    ('"Q?" "@everyone" "B"', "would notify everyone"),
    ('"Q?" "A" "B', "A quote is missing"),
    ("from problems", "There are no candidates yet"),
]


async def test_bad_polls_are_refused_and_change_nothing(make_app, person):
    app = make_app()
    [cora] = members(app, person, "Cora")
    for typed, reply in BAD_POLLS:
        assert reply in cora.says(f"poll open {typed}"), typed
    assert polls(app) == []
    with Session(app.engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


async def test_only_conveners_open_and_close_polls_and_they_get_a_form(make_app, person):
    app = make_app()
    cora, ana = members(app, person, "Cora", "Ana")
    assert "Only conveners can open a poll" in ana.says(f"poll open {TOPIC}")
    assert "Only conveners can open a poll" in ana.says("poll open")
    form = cora.cop("poll open").form
    assert form is not None and form.form_id == "poll.open"
    assert [f.name for f in form.fields] == ["question", "options", "method", "deadline", "privacy"]
    cora.submit(
        "poll.open",
        form.metadata,
        question="Which day suits?",
        options="Monday\nWednesday\n\nFriday",
        method="approval",
        deadline="in 3 days",
        privacy="anonymous-live",
    )
    [poll] = polls(app)
    assert (poll.question, poll.method, poll.anonymous, poll.live) == (
        "Which day suits?",
        "approval",
        True,
        True,
    )
    assert "Only conveners can close a poll" in ana.says("poll close 1")
    assert polls(app)[0].closed_at is None


# ---- methods ---------------------------------------------------------------------------


async def test_multiple_choice_buttons_add_and_take_off(make_app, platform, person):
    app = make_app()
    cora, ana = members(app, person, "Cora", "Ana")
    cora.cop(f"poll open {TOPIC} --multiple --live")
    ana.press("poll.vote", "1:1")
    text = ana.press("poll.vote", "1:3").message.as_text()
    assert "Caseloads" in text and "Voice" in text
    assert "Voice" not in ana.press("poll.vote", "1:3").message.as_text()  # pressed again: off
    view = cora.says("poll 1")
    assert "So far: Votes" in view and "Caseloads — 1 vote" in view  # results live
    assert "your vote is removed" in ana.press("poll.vote", "1:1").message.as_text()
    assert ballots(app) == []


async def test_dot_voting_by_text_and_form_with_stacking(make_app, platform, person):
    app = make_app()
    cora, ana, ben = members(app, person, "Cora", "Ana", "Ben")
    cora.cop(f"poll open {TOPIC} --dots 4")
    await app.dispatcher.drain()
    [button] = platform.posts()[0].message.buttons
    assert (button.label, button.action, button.value) == ("Place your dots", "poll.ballot", "1")
    assert "you have 4 to place" in ana.says("vote 1 1=3 2=2")
    assert ballots(app) == []
    assert "Caseloads — 3 dots" in ana.says("vote 1 1=3 3=1")
    form = ana.press(button.action, button.value).form
    assert form is not None and form.fields[0].initial == "1=3 3=1"
    ana.submit(form.form_id, form.metadata, choices="2=4")  # changes her ballot
    ben.cop("vote 1 2 3 3")
    cora.cop("poll close 1")
    await app.dispatcher.drain()
    [result] = results(platform)
    assert "Isolation — 5 dots" in result.text and "Voice — 2 dots" in result.text
    assert "Ana: Isolation — 4 dots" in result.text


async def test_ranked_choice_shows_each_round(make_app, platform, person):
    app = make_app()
    cora, ana, ben, dee, eve = members(app, person, "Cora", "Ana", "Ben", "Dee", "Eve")
    cora.cop(f"poll open {TOPIC} --ranked --anonymous")
    assert "appears twice" in ana.says("vote 1 1 2 1")
    assert "There's no option 7" in ana.says("vote 1 1 7")
    assert "couldn't read" in ana.says("vote 1 first second")
    assert ballots(app) == []
    form = ana.press("poll.ballot", "1").form
    assert form is not None and form.fields[0].label == "Option numbers, favourite first"
    ana.submit(form.form_id, form.metadata, choices="1 2")
    ben.cop("vote 1 1")
    dee.cop("vote 1 2 1")
    eve.cop("vote 1 3 2")
    cora.cop("vote 1 3 1")
    # Round 1: Caseloads 2, Isolation 1, Voice 2 -> Isolation out, (2 1) moves to Caseloads.
    # Round 2: Caseloads 3, Voice 2 -> Caseloads wins 3 of 5.
    cora.cop("poll close 1")
    await app.dispatcher.drain()
    [result] = results(platform)
    assert "Round 1: Caseloads 2 · Voice 2 · Isolation 1 — Isolation is out" in result.text
    assert "Round 2: Caseloads 3 · Voice 2" in result.text
    assert "Chosen: Caseloads, with 3 of 5 votes in the last round." in result.text
    assert "Who voted" not in result.text


# ---- anonymity -------------------------------------------------------------------------

SECRET_CHOICE = "Whistleblowing fears"


async def test_anonymous_ballots_reveal_no_voter_on_any_surface(make_app, platform, person, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app()
    cora, kit, ana, ben = members(app, person, "Cora", "Kit", "Ana", "Ben")
    cora.cop(f'poll open "Which next?" "Caseloads" "{SECRET_CHOICE}" --anonymous --live')
    ana.press("poll.vote", "1:1")
    ana.press("poll.vote", "1:2")  # a change, still anonymous
    ben.cop("vote 1 1")

    mine = ana.says("vote 1")
    assert "Your vote (anonymous: only you can see it)" in mine and SECRET_CHOICE in mine
    surfaces = []
    for viewer in (cora, kit, ben):
        for verb in ("poll", "poll 1", "vote", "vote 1", "help", "help poll", "problems"):
            response = viewer.cop(verb)
            surfaces.append(response.message.as_text() if response.message else "")
    assert "Your vote" not in surfaces[3]  # Cora hasn't voted: she sees no one's ballot
    await app.advance(CLOSES + timedelta(minutes=1))
    surfaces += [d.text for d in platform.sent]
    surfaces += [cora.says("poll 1"), kit.says("poll 1")]
    surfaces += [record.getMessage() for record in caplog.records]
    [result] = results(platform)
    assert f"{SECRET_CHOICE} — 1 vote" in result.text
    assert "Votes were anonymous" in result.text
    for surface in surfaces:
        assert "Who voted" not in surface
        for line in surface.splitlines():
            if SECRET_CHOICE in line:
                assert "ana" not in line.lower(), line

    with Session(app.engine) as session:
        stored = session.exec(select(Ballot)).all()
        assert len(stored) == 2 and all(b.member_id is None for b in stored)
        voted = session.exec(select(Activity).where(Activity.kind == "voted")).all()
        assert len(voted) == 2 and all(a.member_id is None for a in voted)
        # A ballot carries no time and no id that could be matched with Ana's activity.
        assert set(Ballot.model_fields) == {"poll_id", "voter_key", "member_id", "choices"}
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "ballot":
                for row in session.execute(table.select()).mappings():
                    assert "ana" not in str(dict(row)).lower()


# ---- reminders, non-members, closing -----------------------------------------------------


async def test_one_reminder_to_those_who_havent_voted_after_quiet_hours(make_app, platform, person):
    app = make_app()
    cora, ana, ben, al = members(app, person, "Cora", "Ana", "Ben", "Al")
    ben.cop("me quiet 08:00-10:00")
    al.cop("skip until 2026-12-20")
    cora.cop(f"poll open {TOPIC}")
    ana.cop("vote 1 2")

    # The reminder is due a day before the deadline: Mon 7 Dec 09:00 London.
    def nudged() -> list[str]:
        return [d.target for d in platform.dms() if d.message.title.startswith("A gentle")]

    await app.advance(START + timedelta(days=6, minutes=1))
    assert sorted(nudged()) == ["cora", "kit"]  # Kit: the keeper named in the settings
    assert {d.message.title for d in platform.dms() if d.target == "cora"} == {
        "A gentle nudge: poll 1 closes Tue 8 Dec, 09:00"
    }
    await app.advance(START + timedelta(days=6, hours=1, minutes=1))  # Ben's quiet hours end
    assert sorted(nudged()) == ["ben", "cora", "kit"] and nudged()[-1] == "ben"
    await app.advance(CLOSES + timedelta(days=1))
    assert len(nudged()) == 3  # one reminder each


async def test_votes_from_outside_the_community_are_refused(make_app, person):
    app = make_app()
    [cora] = members(app, person, "Cora")
    cora.cop(f"poll open {TOPIC}")
    stranger = Actor("console", "zed", "Zed", None)  # a direct message, not a member anywhere
    elsewhere = Actor("console", "yan", "Yan", "another-channel")
    for actor in (stranger, elsewhere):
        response = app.handle(Inbound(actor, "button", action="poll.vote", value="1:1"))
        assert response.message is not None
        assert "channel" in response.message.as_text()
        response = app.handle(Inbound(actor, "text", text="/cop vote 1 1"))
        assert "channel" in response.message.as_text()
    assert ballots(app) == []
    assert "There's no poll 7" in cora.says("vote 7 1")


async def test_a_close_happens_once_when_the_job_fires_twice_and_a_convener_closes(
    make_app, platform, person, clock
):
    app = make_app()
    cora, ana = members(app, person, "Cora", "Ana")
    cora.cop(f"poll open {TOPIC}")
    ana.cop("vote 1 1")
    clock.set(CLOSES)
    [spec] = [s for s in app.timeline.specs() if s.key == "poll-close:1"]
    first, second = RunReport(), RunReport()
    app.timeline.run_one(spec, CLOSES, first)  # the timer fires...
    app.timeline.run_one(spec, CLOSES, second)  # ...and fires again
    label = f"poll-close:1@{spec.occurrence_id(CLOSES)}"
    assert first.ran == [label] and second.already == [label]
    assert "already closed" in cora.says("poll close 1")
    # A convener closes poll 2 early; its timer, set before, still goes off at the deadline.
    cora.cop(f"poll open {TOPIC} --deadline tomorrow")
    [spec] = [s for s in app.timeline.specs() if s.key == "poll-close:2"]
    cora.cop("poll close 2")
    deadline = polls(app)[1].closes_at
    clock.set(deadline)
    late = RunReport()
    app.timeline.run_one(spec, deadline, late)
    assert late.ran == [f"poll-close:2@{spec.occurrence_id(deadline)}"]  # claimed, did nothing
    await app.dispatcher.drain()
    assert [d.message.title for d in results(platform)] == [
        "Poll 1 has closed: Which topic next?",
        "Poll 2 has closed: Which topic next?",
    ]


@pytest.mark.postgres
def test_a_convener_and_the_deadline_close_at_once_on_postgres(postgres_engine):
    """A convener's close and the timeline's run_due race on the same due close."""
    for _attempt in range(3):
        _race_to_close(postgres_engine)


def _race_to_close(engine) -> None:
    _truncate(engine)
    platform = FakePlatform()
    clock = ManualClock(START)
    app = build_app(make_settings(), {"console": platform}, clock=clock, engine=engine)
    cora = Actor("console", "cora", "Cora", "wound-care")
    app.handle(Inbound(cora, "text", text=f"/cop poll open {TOPIC}"))
    app.handle(Inbound(cora, "text", text="/cop vote 1 2"))
    clock.set(CLOSES + timedelta(seconds=1))
    barrier = threading.Barrier(2)
    replies: list[str] = []

    def by_convener() -> None:
        barrier.wait()
        response = app.handle(Inbound(cora, "text", text="/cop poll close 1"))
        replies.append(response.message.as_text())

    def by_deadline() -> None:
        barrier.wait()
        try:
            app.timeline.run_due(CLOSES - timedelta(minutes=1), CLOSES + timedelta(seconds=1))
        except Exception as error:  # reported below
            replies.append(f"the timeline failed: {error!r}")

    threads = [threading.Thread(target=f) for f in (by_convener, by_deadline)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asyncio.run(app.dispatcher.drain())
    [result] = results(platform)
    assert "Chosen: Isolation" in result.text
    [reply] = replies  # the convener's, and no failure in the timeline
    assert "is closed; the result is posted" in reply or "already closed" in reply
    with Session(engine) as session:
        keys = [m.key for m in session.exec(select(OutboxMessage)).all()]
    assert sorted(k for k in keys if k.startswith("poll:")) == ["poll:1:post", "poll:1:result"]
    app.close()


@pytest.mark.postgres
def test_a_convener_closing_while_the_deadline_close_is_uncommitted_waits_and_sees_it(
    postgres_engine,
):
    """The deadline's close holds its transaction open; the convener's close, in another
    thread, waits for it (or comes after it) and finds the poll already closed."""
    _truncate(postgres_engine)
    platform = FakePlatform()
    clock = ManualClock(START)
    app = build_app(make_settings(), {"console": platform}, clock=clock, engine=postgres_engine)
    cora = Actor("console", "cora", "Cora", "wound-care")
    app.handle(Inbound(cora, "text", text=f"/cop poll open {TOPIC}"))
    clock.set(CLOSES)
    replies: list[str] = []

    def by_convener() -> None:
        response = app.handle(Inbound(cora, "text", text="/cop poll close 1"))
        replies.append(response.message.as_text())

    with UnitOfWork(postgres_engine) as uow:
        app.bus.run_job(uow, 1, ClosePoll(1))  # the deadline's close, not yet committed
        convener = threading.Thread(target=by_convener)
        convener.start()
        uow.commit()
    convener.join()
    asyncio.run(app.dispatcher.drain())
    assert len(results(platform)) == 1
    assert replies == ["Poll 1 has already closed. See the result with /cop poll 1."]
    app.close()


# ---- ties, topics, problems ------------------------------------------------------------


async def test_a_tie_goes_to_the_conveners_who_decide(make_app, platform, person):
    app = make_app(with_meeting())
    cora, ana, ben = members(app, person, "Cora", "Ana", "Ben")
    cora.cop(f"poll open {TOPIC} --topic")
    ana.cop("vote 1 1")
    ben.cop("vote 1 2")
    cora.cop("poll close 1")
    await app.dispatcher.drain()
    [result] = results(platform)
    assert "It's a tie between Caseloads and Isolation" in result.text
    [ask] = platform.dms("cora")
    assert "/cop poll decide 1 <number>" in ask.text
    # Buttons in a private message carry their community ("c1|"), then the poll's values.
    assert [b.value for b in ask.message.buttons] == ["c1|1:1", "c1|1:2", "c1|1"]
    assert meeting_topic(app) is None
    assert "Only conveners" in ana.says("poll decide 1 1")
    assert "one of the tied options" in cora.says("poll decide 1 3")
    assert "Isolation is chosen" in cora.press("poll.decide", "1:2").message.as_text()
    assert "didn't end in a tie" in cora.says("poll decide 1 1")
    await app.dispatcher.drain()
    [settled] = platform.titled("A tie settled")
    assert "Cora, a convener, chose: Isolation" in settled.text
    assert "'Isolation' is the topic of our next meeting, Thu 10 Dec, 18:00." in settled.text
    assert meeting_topic(app) == "Isolation"


async def test_a_tie_can_go_to_a_runoff(make_app, platform, person):
    app = make_app()
    cora, ana, ben, dee = members(app, person, "Cora", "Ana", "Ben", "Dee")
    cora.cop(f"poll open {TOPIC} --dots 2 --anonymous")
    ana.cop("vote 1 1=2")
    ben.cop("vote 1 3=2")
    assert "still open" in cora.says("poll runoff 1")
    cora.cop("poll close 1")
    assert "Run-off poll 2 is open" in cora.says("poll runoff 1")
    [old, new] = polls(app)
    assert (old.outcome, new.runoff_of, new.method, new.dots, new.anonymous) == (
        "runoff",
        1,
        "dots",
        2,
        True,
    )
    assert new.closes_at - new.opened_at == timedelta(days=7)
    dee.cop("vote 2 2=2")  # option 2 of the run-off is Voice
    await app.advance(new.closes_at + timedelta(minutes=1))
    titles = [d.message.title for d in platform.posts()]
    assert "Poll 2: Run-off: Which topic next?" in titles
    final = results(platform)[-1]
    assert "Chosen: Voice, with 2 dots." in final.text
    assert "didn't end in a tie" in cora.says("poll runoff 1")


async def test_problems_to_poll_to_the_next_meetings_topic(make_app, platform, person):
    app = make_app(with_meeting())
    cora, ana, ben = members(app, person, "Cora", "Ana", "Ben")
    ana.cop("propose Caseload capacity")
    ben.cop("propose Supporting staff through difficult case closures")
    ben.cop("propose Reducing isolation and frustration")
    assert "Poll 1 is open" in cora.says(
        'poll open from problems ranked --deadline "in 3 days" --anonymous'
    )
    assert "is an option in poll 1" in cora.says("problems withdraw 2")
    ana.cop("vote 1 2 1")
    ben.cop("vote 1 2")
    cora.cop("vote 1 1 2")
    await app.advance(START + timedelta(days=3, minutes=1))
    [result] = results(platform)
    assert "Which problem should we work on at our next meeting?" in result.text
    assert "Chosen: Supporting staff through difficult case closures" in result.text
    assert "is the topic of our next meeting, Thu 10 Dec, 18:00" in result.text
    assert meeting_topic(app) == "Supporting staff through difficult case closures"
    with Session(app.engine) as session:
        statuses = [p.status for p in session.exec(select(Problem).order_by(Problem.id)).all()]
    assert statuses == ["open", "chosen", "open"]
    listing = ana.says("problems")
    assert "Candidates (2)" in listing and "Chosen before" in listing


async def test_with_no_next_meeting_the_result_is_kept_on_the_problem(make_app, platform, person):
    app = make_app()
    cora, ana = members(app, person, "Cora", "Ana")
    ana.cop("propose Caseload capacity")
    ana.cop("propose Isolation")
    cora.cop("poll open from problems 2 1 --deadline tomorrow")
    ana.cop("vote 1 1")
    cora.cop("poll close 1")
    await app.dispatcher.drain()
    [result] = results(platform)
    assert "Chosen: Isolation" in result.text
    assert "There's no next meeting in the calendar yet" in result.text
    assert "kept as chosen problem 2" in result.text
    with Session(app.engine) as session:
        assert session.get(Problem, 2).status == "chosen"


async def test_poll_status_for_the_digest(make_app, person, clock):
    app = make_app()
    cora, ana = members(app, person, "Cora", "Ana")
    cora.cop(f"poll open {TOPIC}")
    cora.cop('poll open "Where?" "Leeds" "York" --deadline tomorrow')
    ana.cop("vote 2 2")
    cora.cop("poll close 2")
    with Session(app.engine) as session:
        [open_, closed] = poll_status(session, 1, clock.now())
        later = poll_status(session, 1, clock.now() + timedelta(days=30))
    assert (open_.poll_id, open_.state, open_.voters, open_.members, open_.chosen) == (
        1,
        "open",
        0,
        3,  # Cora, Ana and Kit (the keeper named in the settings)
        (),
    )
    assert (closed.state, closed.outcome, closed.chosen, closed.voters) == (
        "closed",
        "winner",
        ("York",),
        1,
    )
    assert open_.text == (
        "Poll 1, 'Which topic next?', is open until Tue 8 Dec, 09:00: 0 of 3 members have "
        "voted so far."
    )
    assert closed.text == "Poll 2, 'Where?', chose York (1 of 3 voted)."
    assert "Ana" not in open_.text + closed.text
    assert [s.poll_id for s in later] == [1]  # closed long ago: no longer "recent"


# ---- the console -----------------------------------------------------------------------

CONSOLE_SCRIPT = """\
/as Ana
/cop propose Caseload capacity
/as Ben
/cop propose Reducing isolation and frustration
/cop propose caseload capacity
/as Cora
/cop problems
/cop poll open from problems --deadline "in 3 days"
/as Ana
2
/as Ben
/cop vote 1 2
/cop vote 1 9
/as Cora
/cop vote 1 1
/cop poll open
Which day suits for the next one?
Mon; Wed; Fri
4

3
/as Dee
/cop vote 2 3 1 3
1
3 1
/clock +3d
/clock +5d
/quit
"""


async def test_a_whole_nomination_poll_and_topic_cycle_in_the_console(sqlite_engine):
    lines: list[str] = []
    clock = ManualClock(START)
    board = ButtonBoard()
    folder = Path(str(sqlite_engine.url.database)).parent / "copbot-files"
    platform = ConsolePlatform(lines.append, clock, "Europe/London", board, files_dir=folder)
    app = build_app(with_meeting(), {"console": platform}, clock=clock, engine=sqlite_engine)
    workspace = ConsoleWorkspace(app, platform, board, write=lines.append)
    await workspace.start()
    await workspace.run(CONSOLE_SCRIPT.splitlines(), echo=True)
    out = "\n".join(lines)

    assert "already on the list as problem 1" in out
    assert "1. Caseload capacity — proposed by Ana" in out
    assert "#wound-care · copbot\n  Poll 1: Which problem should we work on at our next" in out
    assert "[1] 1. Caseload capacity   [2] 2. Reducing isolation and frustration" in out
    assert "(Ana pressed '2. Reducing isolation and frustration')" in out
    assert "There's no option 9" in out
    # The convener's form, answered line by line; the ranked ballot through its own form.
    assert "== Open a poll ==" in out and "Poll 2 is open" in out
    assert "Poll 2: Which day suits for the next one?" in out
    assert "• 1. Mon\n    • 2. Wed\n    • 3. Fri" in out
    assert "appears twice" in out
    assert "[1] Rank the options" in out and "== Poll 2 ==" in out
    assert "• 1. Fri\n    • 2. Mon" in out  # Dee's ranked ballot, confirmed
    assert "private message to Dee\n  A gentle nudge: poll 1" in out  # she hadn't voted
    assert "private message to Ana\n  A gentle nudge: poll 1" not in out
    # Three days on: poll 1 closes, Reducing isolation wins, it becomes the meeting's topic.
    result = out[out.index("Poll 1 has closed") :]
    assert "3 of 5 members voted" in result
    assert "Chosen: Reducing isolation and frustration, with 2 votes." in result
    assert "is the topic of our next meeting, Thu 10 Dec, 18:00." in result
    second = out[out.index("Poll 2 has closed") :]
    assert "Chosen: Fri" in second and "Votes were anonymous" in second
    assert "topic" not in second  # a poll of the convener's own sets no topic unless asked
    with Session(sqlite_engine) as session:
        assert session.exec(select(Meeting.topic)).first() == "Reducing isolation and frustration"


async def test_your_votes_across_open_polls_and_taking_one_back(make_app, person):
    app = make_app()
    cora, ana = members(app, person, "Cora", "Ana")
    cora.cop(f"poll open {TOPIC}")
    cora.cop('poll open "Where?" "Leeds" "York" --ranked')
    ana.cop("vote 2 2 1")
    listing = ana.says("vote")
    assert "Poll 1: Which topic next? — not voted yet" in listing
    assert "Poll 2: Where? — your vote: 1. York; 2. Leeds" in listing
    assert "Your vote in poll 2 is removed" in ana.says("vote 2 clear")
    assert ballots(app) == []
    assert "You haven't voted in poll 2" in ana.says("vote 2 clear")
    assert "Usage: /cop poll" in ana.says("poll frobnicate")
