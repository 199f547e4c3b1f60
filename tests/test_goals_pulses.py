"""Goals and the anonymous pulses: conveners set 1 to 5 goals and everyone sees them; after
every second meeting members are asked privately how far we got (1 to 5, a comment if they
like); an impact pulse asks what taking part changed. Answers keep no member id; fewer than 5
answers are "too few to report"; shares read "8 of 11 (73%)" with the trend; results reach
the keepers, their digest and the next meeting's reminder."""

from __future__ import annotations

import json
from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from adapters.discord.render import modal
from bot.config import ConfigError
from bot.domain.pulses import MIN_ANSWERS, Scale, Share
from bot.storage.tables import Activity
from bot.storage.tables_value import IMPACT_QUESTIONS, Goal, PulseAnswer
from tests.conftest import START, Person, community, make_settings
from tests.test_console import run_script

NAMES = ("Ana", "Ben", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kai", "Lou")


def _answers(app) -> list[PulseAnswer]:
    with Session(app.engine) as session:
        return list(session.exec(select(PulseAnswer)).all())


def _goal_texts(app) -> list[str]:
    with Session(app.engine) as session:
        rows = session.exec(select(Goal).where(Goal.removed_at == None)).all()  # noqa: E711
        return [g.text for g in rows]


async def test_conveners_set_goals_everyone_sees_them_and_others_are_refused(
    make_app, platform, person
):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    assert "no goals written down yet" in ana.says("goals")
    assert "Only conveners can set the community's goals" in ana.says("goals set Be kind")
    assert "Only conveners" in ana.says("goals add Be kind")
    assert "Only conveners" in ana.says("goals remove 1")
    assert _goal_texts(app) == []

    said = cora.says("goals set Fewer missed visits; Share what works; Welcome new nurses")
    assert "Our goals are set (3)" in said
    await app.dispatcher.drain()
    [post] = platform.titled("Our goals, as Cora set them")
    assert "1. Fewer missed visits" in post.text and "3. Welcome new nurses" in post.text
    listing = ana.says("goals")
    assert "1. Fewer missed visits" in listing and "2. Share what works" in listing

    assert "Goal 4 added" in cora.says("goals add Hear every voice")
    assert "Goal 5 added" in cora.says("goals add Keep notes short")
    assert "1 to 5 goals" in cora.says("goals add One too many")
    assert "1 to 5 goals" in cora.says("goals set a; b; c; d; e; f")
    assert "Goal 2 (Share what works) is removed" in cora.says("goals remove 2")
    assert "There's no goal 9" in cora.says("goals remove 9")
    assert "notify everyone" in cora.says("goals add @channel look")
    assert "the limit is 150" in cora.says("goals add " + "x" * 151)
    assert "Usage" in cora.says("goals dance")
    assert _goal_texts(app) == [
        "Fewer missed visits",
        "Welcome new nurses",
        "Hear every voice",
        "Keep notes short",
    ]


async def test_a_goal_that_could_identify_a_patient_is_held_back(make_app, person):
    app = make_app()
    cora = person(app, "Cora")
    held = cora.cop("goals add Follow up Mrs Smith, NHS number 943 476 5919")
    assert held.message is not None and "could it identify a patient" in held.message.title
    assert _goal_texts(app) == []


def _answer(person, pulse_id: str, **values: str):
    return person.submit("pulse.answer", pulse_id, **values)


async def test_a_goals_pulse_after_every_second_meeting_is_anonymous_and_small_groups_hidden(
    make_app, platform, person, clock
):
    settings = make_settings(community(meetings={"remind_before": "2 days"}))
    app = make_app(settings)
    cora = person(app, "Cora")
    people = [person(app, n) for n in NAMES[:4]]
    for p in people:
        p.cop("help")
    cora.cop("goals set Fewer missed visits; Share what works")
    cora.cop("meeting next 2026-12-02 14:00 First")
    cora.cop("meeting next 2026-12-09 14:00 Second")
    cora.cop("meeting next 2026-12-23 14:00 Third")
    await app.advance(START + timedelta(days=2))  # after the first meeting: no pulse
    assert platform.titled("How far did we get towards our goals?") == []
    await app.advance(START + timedelta(days=8, hours=8))  # the second has ended
    asked = platform.titled("How far did we get towards our goals?")
    assert sorted(d.target for d in asked) == ["ana", "ben", "cora", "dee", "eli", "kit"]
    [ask] = [d for d in asked if d.target == "ana"]
    assert "Fewer missed visits" in ask.text and "anonymous" in ask.text
    button = ask.message.buttons[0]
    form = people[0].press(button.action, button.value).form
    assert form is not None and form.form_id == "pulse.answer"
    assert [f.kind for f in form.fields] == ["choice", "choice", "long_text"]
    assert form.fields[2].required is False
    goals = [f.name for f in form.fields[:2]]

    # Four answer: too few to report, everywhere.
    for p, (a, b) in zip(people, ((5, 4), (4, 4), (3, 2), (4, 1)), strict=True):
        thanks = _answer(p, form.metadata, **{goals[0]: str(a), goals[1]: str(b)})
        assert "Thank you" in thanks.message.title
    _answer(people[1], form.metadata, **{goals[0]: "4", goals[1]: "4", "text": "Rotas first"})
    assert (
        "Please answer every question"
        in _answer(people[0], form.metadata, **{goals[0]: "9"}).message.as_text()
    )
    stored = _answers(app)
    assert len(stored) == 9 and all(not hasattr(a, "member_id") for a in stored)  # 8 + a comment
    assert "member_id" not in PulseAnswer.__table__.c
    # Random negative ids, and only the day (London midnight, UTC in winter).
    assert all(a.id < 0 and (a.answered_on.hour, a.answered_on.minute) == (0, 0) for a in stored)
    with Session(app.engine) as session:
        counted = session.exec(select(Activity).where(Activity.kind == "answered-pulse")).all()
    assert len(counted) == 4 and all(a.member_id is None for a in counted)

    await app.advance(START + timedelta(days=16))  # closed after 7 days
    [result] = platform.titled("Goals pulse, closed")
    assert result.target == "kit"  # the keeper
    assert "Fewer missed visits: too few to report" in result.text
    assert "Rotas first" not in result.text  # comments only when 5 or more answered
    assert "4" not in result.text.split("\n", 1)[1].replace("2026", "")
    await app.advance(START + timedelta(days=21, hours=6))  # two days before the third
    [reminder] = [d for d in platform.posts() if "Third" in d.text and "Goals pulse" in d.text]
    assert "Share what works: too few to report" in reminder.text


async def test_five_answers_are_reported_with_comments_for_keepers_only(make_app, platform, person):
    app = make_app()
    cora = person(app, "Cora")
    kit = person(app, "Kit")
    people = [person(app, n) for n in NAMES[:5]]
    for p in (kit, *people):
        p.cop("help")
    cora.cop("goals set Fewer missed visits")
    assert "I've asked 7 members" in cora.says("pulse goals")
    assert "already open" in cora.says("pulse goals")
    assert "Only conveners" in people[0].says("pulse impact")
    await app.dispatcher.drain()
    ask = platform.titled("How far did we get towards our goals?")[0]
    pulse_id = ask.message.buttons[0].value
    form = people[0].press("pulse.start", pulse_id).form
    goal = form.fields[0].name
    for p, value in zip(people, (5, 4, 4, 3, 2), strict=True):
        _answer(p, pulse_id, **{goal: str(value)})
    # Ana changes her mind (replaces her answer) and adds a comment.
    again = _answer(people[0], pulse_id, **{goal: "3", "text": "Visits are better planned now"})
    assert "your answer is updated" in again.message.title
    assert sum(1 for a in _answers(app) if a.question != "comment") == 5
    await app.advance(START + timedelta(days=8))
    [result] = platform.titled("Goals pulse, closed")
    assert "Fewer missed visits: 3.2 of 5 (5 answers)" in result.text
    assert "Visits are better planned now" in result.text
    assert all(len(a.author_key or "") == 64 for a in _answers(app))  # keys now random
    assert "Fewer missed visits: 3.2 of 5 (5 answers)" in people[1].says("pulse")
    assert "Fewer missed visits: 3.2 of 5 (5 answers)" in people[1].says("goals")
    assert "Visits are better planned" not in people[1].says("pulse")
    assert "Visits are better planned" in kit.says("pulse")
    digest = kit.says("digest this-week")
    assert "Fewer missed visits: 3.2 of 5 (5 answers)" in digest
    assert "Visits are better planned now" in digest
    convener = cora.says("digest this-week")  # a convener, not a keeper: no comments
    assert "3.2 of 5" in convener and "Visits are better planned" not in convener
    assert "pulse has closed" in _answer(people[1], pulse_id, **{goal: "5"}).message.as_text()
    kit.cop("export")
    await app.dispatcher.drain()
    [export] = [d for d in platform.dms("kit") if d.key.startswith("export:")]
    [row] = json.loads(export.message.attachment.content)["pulses"]
    assert row["question"] == "Fewer missed visits" and row["mean"] == 3.2
    assert row["answers"] == 5


async def test_impact_pulse_shares_and_trend_on_a_hand_computed_example(make_app, platform, person):
    app = make_app()
    cora, kit = person(app, "Cora"), person(app, "Kit")
    people = [person(app, n) for n in NAMES]
    for p in (kit, *people):
        p.cop("help")

    async def run(yes_counts: dict[str, int], voters: int) -> None:
        assert "I've asked" in cora.says("pulse impact")
        await app.dispatcher.drain()
        pulse_id = platform.titled("What has taking part changed for you?")[-1]
        pid = pulse_id.message.buttons[0].value
        for index, p in enumerate(people[:voters]):
            answers = {q: "yes" if index < n else "no" for q, n in yes_counts.items()}
            _answer(p, pid, **answers)

    first = {"knowledge": 7, "skills": 7, "confidence": 5, "motivation": 9, "practice": 3}
    await run(first, 11)
    form = people[0].press("pulse.start", platform.titled("What has")[-1].message.buttons[0].value)
    assert len(form.form.fields) == 5  # five questions: the comment has its own button
    await app.advance(START + timedelta(days=8))
    second = {"knowledge": 8, "skills": 7, "confidence": 4, "motivation": 9, "practice": 3}
    await run(second, 11)
    await app.advance(START + timedelta(days=16))
    results = platform.titled("Impact pulse, closed")
    latest = results[-1].text
    assert "More knowledge: 7 of 11 (64%)" in results[0].text
    assert "More knowledge: 8 of 11 (73%) — up from 64% last time" in latest
    assert "More skills: 7 of 11 (64%) — the same as last time (64%)" in latest
    assert "More confidence: 4 of 11 (36%) — down from 45% last time" in latest
    assert "Changed something in their practice: 3 of 11 (27%)" in latest


async def test_erasure_removes_open_answers_and_mydata_shows_them(make_app, platform, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("help")
    cora.cop("goals set Fewer missed visits")
    cora.cop("pulse goals")
    await app.dispatcher.drain()
    pid = platform.titled("How far did we get")[0].message.buttons[0].value
    goal = ana.press("pulse.start", pid).form.fields[0].name
    _answer(ana, pid, **{goal: "4", "text": "Handovers help"})
    _answer(cora, pid, **{goal: "2"})
    assert "I've sent you everything" in ana.says("mydata")
    await app.dispatcher.drain()
    [record] = [d for d in platform.dms("ana") if d.key.startswith("mydata:")]
    assert "Pulse answer (anonymous)" in record.text
    assert "Pulse comment (anonymous): Handovers help" in record.text
    assert "pulse_answer" in record.message.attachment.content
    buttons = {b.label: b for b in ana.cop("forget-me").message.buttons}
    button = buttons["Erase everything"]
    assert "is erased" in ana.press(button.action, button.value).message.as_text()
    left = _answers(app)
    assert len(left) == 1 and left[0].value == 2 and not any(a.comment for a in left)


async def _impact_answered(app, platform, cora, people, yes: int) -> str:
    assert "I've asked" in cora.says("pulse impact")
    await app.dispatcher.drain()
    pid = platform.titled("What has taking part changed for you?")[-1].message.buttons[0].value
    for index, p in enumerate(people):
        answer = "yes" if index < yes else "no"
        p.submit("pulse.answer", pid, **{q: answer for q in IMPACT_QUESTIONS})
    return pid


async def test_the_close_reports_the_impact_pulse_and_the_export_carries_it(
    make_app, platform, person
):
    app = make_app()
    cora, kit = person(app, "Cora"), person(app, "Kit")
    people = [person(app, n) for n in NAMES[:6]]
    await _impact_answered(app, platform, cora, people, yes=4)
    assert "Sent" in kit.says("export") or "on its way" in kit.says("export")
    await app.dispatcher.drain()
    [export] = [d for d in platform.dms("kit") if d.key.startswith("export:")]
    assert json.loads(export.message.attachment.content)["pulses"] == []  # still open

    asked = cora.cop("close-community")
    assert "/cop pulse impact" in asked.message.as_text()
    button = asked.message.buttons[0]
    assert "is closed" in cora.press(button.action, button.value).message.as_text()
    await app.dispatcher.drain()
    [recap] = platform.titled("What we made together")
    assert "Impact pulse, closed" in recap.text
    assert "More knowledge: 4 of 6 (67%)" in recap.text
    [keepers] = platform.titled("wound-care: the keepers' export")
    assert '"percent": 67' in keepers.text


async def test_the_impact_pulse_follows_every_fourth_meeting_and_zero_means_never(
    make_app, platform, person
):
    settings = make_settings(community(pulses={"goals_every": 0, "impact_every": 4}))
    app = make_app(settings)
    cora = person(app, "Cora")
    cora.cop("goals set Fewer missed visits")
    for day in (2, 9, 16, 23, 30):
        cora.cop(f"meeting next 2026-12-{day:02d} 14:00")
    await app.advance(START + timedelta(days=21, hours=8))  # after the fourth meeting's start
    assert platform.titled("What has taking part changed for you?") == []
    await app.advance(START + timedelta(days=22, hours=8))  # the fourth (Dec 23) has ended
    assert platform.titled("What has taking part changed for you?")
    await app.advance(START + timedelta(days=40))
    assert len({d.key.split(":")[1] for d in platform.titled("What has taking part")}) == 1
    assert platform.titled("How far did we get towards our goals?") == []


CONSOLE = """\
/as Ana
/cop help
/cop goals set Be kind
/as Cora
/cop goals set Fewer missed visits; Share what works
/cop pulse goals
/as Ana
/cop goals
1
4
2
Rotas first
/clock +8d
/quit
"""


async def test_goals_and_a_pulse_typed_in_the_console_workspace(sqlite_engine):
    out = "\n".join(await run_script(sqlite_engine, CONSOLE))
    assert "Only conveners can set the community's goals" in out
    assert "#wound-care · copbot\n  Our goals, as Cora set them" in out
    assert "private message to Ana\n  How far did we get towards our goals?" in out
    assert "== Our goals (anonymous) ==" in out
    assert "    4. 4 — most of the way" in out
    assert "Anything you'd like to add? (optional, anonymous):" in out
    assert "Thank you!" in out
    result = out[out.index("private message to kit\n  Goals pulse, closed") :]
    assert "Fewer missed visits: too few to report" in result
    assert "Rotas first" not in result and "Ana" not in result


async def test_five_goals_fit_a_discord_form_and_the_comment_gets_its_own(make_app, platform):
    app = make_app()
    cora, ana = Person(app, "Cora"), Person(app, "Ana")
    ana.cop("help")
    cora.cop("goals set One; Two; Three; Four; Five")
    cora.cop("pulse goals")
    await app.dispatcher.drain()
    pid = platform.titled("How far did we get")[0].message.buttons[0].value
    form = ana.press("pulse.start", pid).form
    assert [f.kind for f in form.fields] == ["choice"] * 5 and modal(form) is not None
    thanks = ana.submit("pulse.answer", pid, **{f.name: "3" for f in form.fields})
    [button] = thanks.message.buttons
    comment = ana.press(button.action, button.value).form
    assert comment.form_id == "pulse.comment" and modal(comment) is not None
    done = ana.submit("pulse.comment", pid, text="Five is a lot")
    assert "your answer is updated" in done.message.title and not done.message.buttons
    assert [a.comment for a in _answers(app) if a.question == "comment"] == ["Five is a lot"]


async def test_forget_me_keeping_words_leaves_answers_that_lead_to_no_one(
    make_app, platform, person
):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("help")
    cora.cop("goals set Fewer missed visits")
    cora.cop("pulse goals")
    await app.dispatcher.drain()
    pid = platform.titled("How far did we get")[0].message.buttons[0].value
    goal = ana.press("pulse.start", pid).form.fields[0].name
    _answer(ana, pid, **{goal: "4", "text": "Handovers help"})
    keys = {a.author_key for a in _answers(app)}
    buttons = {b.label: b for b in ana.cop("forget-me").message.buttons}
    button = buttons["Erase me, keep my words anonymously"]
    assert "is erased" in ana.press(button.action, button.value).message.as_text()
    left = _answers(app)
    assert sorted((a.value, a.comment) for a in left) == [(0, "Handovers help"), (4, None)]
    assert not {a.author_key for a in left} & keys  # her key no longer finds them
    ana = person(app, "Ana")  # back as someone new: the old answers are not hers
    assert "Thank you!" in _answer(ana, pid, **{goal: "2"}).message.title
    assert len(_answers(app)) == 3


@given(st.integers(0, 500), st.integers(1, 500))
def test_shares_are_rounded_half_up_and_small_groups_never_show_a_figure(part, whole):
    part = min(part, whole)
    share = Share(part, whole)
    if whole < MIN_ANSWERS:
        assert share.words() == "too few to report" and share.pct is None
        assert Scale(tuple([3] * whole)).words() == "too few to report"
    else:
        exact = Fraction(100 * part, whole)
        assert share.pct == int(exact + Fraction(1, 2))
        assert share.words() == f"{part} of {whole} ({share.pct}%)"


async def test_the_impact_questions_can_be_asked_in_the_communitys_words(
    make_app, platform, person
):
    asked = {"practice": "Have you done something differently at work because of us?"}
    app = make_app(make_settings(community(pulses={"ask": asked})))
    cora = person(app, "Cora")
    cora.cop("pulse impact")
    await app.dispatcher.drain()
    pid = platform.titled("What has taking part")[0].message.buttons[0].value
    labels = [f.label for f in cora.press("pulse.start", pid).form.fields]
    assert labels[0] == "Has taking part improved your knowledge?"
    assert labels[-1] == "Have you done something differently at work because of us?"
    for bad in ({"practice": ""}, {"morale": "Happier?"}, {"skills": "x" * 151}):
        with pytest.raises(ConfigError, match=r"pulses\.ask"):
            make_settings(community(pulses={"ask": bad}))
