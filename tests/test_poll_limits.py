"""Polls refuse what they cannot read or hold before doing anything with it, and their
voting hints fit the poll. Through the core, on SQLite and PostgreSQL."""

from __future__ import annotations

import tracemalloc

from sqlmodel import Session, select

from bot.storage.tables_polls import Ballot, Poll, PollOption


def _polls(app) -> list[Poll]:
    with Session(app.engine) as session:
        return list(session.exec(select(Poll)).all())


def _options(app) -> list[str]:
    with Session(app.engine) as session:
        return [o.label for o in session.exec(select(PollOption).order_by(PollOption.id)).all()]


def _ballots(app) -> int:
    with Session(app.engine) as session:
        return len(session.exec(select(Ballot)).all())


async def test_a_billion_dots_are_refused_before_they_are_counted_out(make_app, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("help")
    cora.says('poll open "Which topic?" "Caseloads" "Isolation" --dots 3')
    tracemalloc.start()
    try:
        answer = ana.says("vote 1 1=1000000000")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "you have 3 to place" in answer and "Nothing was changed" in answer
    assert peak < 50_000_000  # nothing near a billion entries was built
    assert _ballots(app) == 0
    assert "you have 3 to place" in ana.says("vote 1 1=2 2=2")
    assert "Sorry" not in ana.says("vote 1 1=2 2=1")
    assert _ballots(app) == 1


async def test_a_ballot_with_other_scripts_digits_is_refused_plainly(make_app, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.says('poll open "Which topic?" "Caseloads" "Isolation" --ranked')
    for typed in ("vote 1 ² 1", "vote 1 1 99999999999999999999999", "vote ² 1", "poll ²"):
        answer = ana.says(typed)
        assert "Sorry" not in answer, typed
    assert _ballots(app) == 0


async def test_the_voting_hint_uses_only_options_the_poll_has(make_app, platform, person):
    app = make_app()
    cora = person(app, "Cora")
    cora.says('poll open "Two?" "Yes" "No" --ranked')
    cora.says('poll open "Dots?" "Yes" "No" --dots 4')
    cora.says('poll open "Several?" "Yes" "No" --multiple')
    cora.says('poll open "Many?" "A" "B" "C" "D" --ranked')
    await app.dispatcher.drain()
    posts = {p.message.title: p.text for p in platform.posts()}
    assert "/cop vote 1 2 1." in posts["Poll 1: Two?"]
    assert "3 1 2" not in posts["Poll 1: Two?"]
    assert "/cop vote 2 1=3 2=1." in posts["Poll 2: Dots?"]
    assert "/cop vote 3 1 2." in posts["Poll 3: Several?"]
    assert "/cop vote 4 3 1 2." in posts["Poll 4: Many?"]


async def test_words_after_the_dots_flag_are_not_taken_as_options(make_app, person):
    app = make_app()
    cora = person(app, "Cora")
    answer = cora.says('poll open "Q?" "A" "B" --dots 🎉 great work')
    assert "couldn't read '🎉'" in answer and "double quotes" in answer
    assert _polls(app) == [] and _options(app) == []
    assert "dots" in cora.says('poll open "Q?" "A" "B" --dots 99999999999')
    assert _polls(app) == []
    cora.says('poll open "Q?" "A" "B" --dots 5')
    [poll] = _polls(app)
    assert poll.dots == 5 and _options(app) == ["A", "B"]
